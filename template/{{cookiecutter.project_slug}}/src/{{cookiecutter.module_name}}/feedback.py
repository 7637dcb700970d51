"""Ground-truth labels for logged predictions, joined by request id.

``python -m <package>.feedback import labels.csv`` appends the labels of a CSV file
(columns request_id and label) to the feedback log, as POST /feedback does one at a
time. ``python -m <package>.feedback join`` joins the prediction log with the feedback
log (the latest label of each request id wins) and writes reports/feedback.json: how
many predictions and labels there are, how many matched, the ids of labels that match
no prediction, and the accuracy of the matched predictions.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .data import Column, load_contract
from .predlog import FEEDBACK, PREDICTIONS, REQUEST_ID, JsonlWriter, read_records, utc_now
from .settings import TaskError, load_settings, task_parser

#: How many unmatched request ids the report lists.
MAX_LISTED = 100


def parse_label(text: str, target: Column) -> Any:
    """A CSV cell as a label of the contract's target column; TaskError if it is not one."""
    value: Any = text
    if target.numeric:
        try:
            value = float(text)
        except ValueError:
            raise TaskError(f"expected a number, got {text!r}") from None
        if target.type == "int" and value.is_integer():
            value = int(value)
    if target.allowed and value not in target.allowed:
        raise TaskError(f"{value!r} is not one of {', '.join(map(str, target.allowed))}")
    return value


def read_labels(path: Path, target: Column) -> list[dict[str, Any]]:
    """The rows of a labels CSV file (request_id, label) as feedback records; all or nothing."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise TaskError(f"{path}: not found") from None
    if rows and not {"request_id", "label"} <= set(rows[0]):
        raise TaskError(f"{path}: expected the columns request_id and label")
    records = []
    timestamp = utc_now()
    for line, row in enumerate(rows, start=2):
        request_id = row["request_id"] or ""
        if not REQUEST_ID.fullmatch(request_id):
            raise TaskError(f"{path}:{line}: request_id {request_id!r} is not a request id")
        try:
            label = parse_label(row["label"] or "", target)
        except TaskError as exc:
            raise TaskError(f"{path}:{line}: label: {exc}") from None
        records.append({"request_id": request_id, "label": label, "timestamp": timestamp})
    return records


def import_labels(records: Iterable[dict[str, Any]], log_dir: Path) -> int:
    """Append feedback records to the feedback log; how many were written."""
    writer = JsonlWriter(log_dir, FEEDBACK)
    count = 0
    try:
        for record in records:
            writer.write(record)
            count += 1
    finally:
        writer.close()
    if writer.failed:
        raise TaskError(f"{log_dir}: {writer.failed} label(s) could not be written")
    return count


def latest_labels(log_dir: Path) -> dict[str, Any]:
    """The label of every request id in the feedback log; the latest label of an id wins."""
    return {r["request_id"]: r["label"] for r in read_records(log_dir, FEEDBACK)}


def join(log_dir: Path) -> dict[str, Any]:
    """The prediction log joined with the feedback log, summarised."""
    predictions = {r["request_id"]: r for r in read_records(log_dir, PREDICTIONS)}
    labels = latest_labels(log_dir)
    matched = [(predictions[i], label) for i, label in labels.items() if i in predictions]
    unmatched = sorted(i for i in labels if i not in predictions)
    correct = sum(1 for p, label in matched if p["output"]["prediction"] == label)
    return {
        "predictions": len(predictions),
        "labels": len(labels),
        "joined": len(matched),
        "accuracy": round(correct / len(matched), 6) if matched else None,
        "unmatched_labels": len(unmatched),
        "unmatched_request_ids": unmatched[:MAX_LISTED],
    }


def main(argv: list[str] | None = None) -> int:
    """Import labels or join them with the prediction log."""
    parser = task_parser(__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    importer = commands.add_parser("import", help="append the labels of a CSV file")
    importer.add_argument("labels", type=Path, help="CSV file with request_id and label")
    commands.add_parser("join", help="join labels with predictions -> reports/feedback.json")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.spec)
        if args.command == "import":
            target = load_contract(settings.contract)
            records = read_labels(args.labels, target.column(target.target))
            count = import_labels(records, settings.prediction_log_dir)
            print(f"feedback: {count} label(s) -> {settings.display(settings.prediction_log_dir)}")
            return 0
        summary = join(settings.prediction_log_dir)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = settings.report("feedback.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(
        f"feedback: {summary['joined']} of {summary['labels']} label(s) joined "
        f"{summary['predictions']} prediction(s), accuracy {summary['accuracy']}; "
        f"{summary['unmatched_labels']} unmatched -> {settings.display(out)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
