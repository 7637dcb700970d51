# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""The scheduled monitoring job: measure live traffic, report, and act as on_drift says.

What it reads (--source; the default follows deploy.target):
- log (webservice): the predictions the service logged in the last monitoring.live.window
  (live.py): feature drift against the training data, prediction drift against the
  model's predictions on the held-out rows, and live performance against the gate's
  bounds where labels arrived (fewer than monitoring.live.min_labels: not judged);
- batch (batch, edge, none, or --batch FILE): the file monitoring.drift.batch, feature
  drift only (a file batch has no model outputs and no labels).

It writes reports/monitoring.json, reports/monitoring.html (plots, self-contained) and
reports/monitoring.prom (the gauges the SLO rules read; also pushed to
monitoring.live.pushgateway when set). A breach is a drifted feature or output, or a live
metric outside the gate's bounds. No breach: nothing to do. A breach with on_drift: alert
fails the run, which is the alert. A breach with on_drift: retrain validates the data
sources, trains, evaluates, gates and writes the lineage of a new model (as `make
pipeline` does); the exit status is then the gate's. Too few predictions in the window
(monitoring.live.min_records) judges nothing and fails: a quiet service is not a healthy one.
Exit status: 0 no breach or a retrained model that passed the gate, 1 a breach with
on_drift: alert, a retrained model that failed, or too few predictions, 2 usage or setup
error (including a Pushgateway that cannot be reached).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

from . import drift, evaluate, gate, lineage, train, validate
from .data import load_contract
from .live import UTC, Assessment, Performance, assess_window, parse_time, read_window
from .monitor_report import document, prometheus_text, push, render_html
from .settings import Settings, TaskError, load_settings, task_parser

SOURCES = ("log", "batch")


def assess_batch(settings: Settings, path: Path | None) -> Assessment:
    """Feature drift of a file batch (the behaviour of targets without a prediction log)."""
    results, report = drift.check_drift(settings, path)
    details = {"threshold": settings.drift_threshold, "batch": report["batch"]}
    return Assessment(
        "batch", results, [], Performance("no labels", 0), report["rows"]["batch"], None, details
    )


def write_reports(settings: Settings, assessment: Assessment) -> tuple[dict[str, object], str]:
    """Write monitoring.json, monitoring.html and monitoring.prom; the report and the gauges."""
    report = document(settings, assessment)
    gauges = prometheus_text(report)
    out = settings.reports_dir
    out.mkdir(parents=True, exist_ok=True)
    (out / "monitoring.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "monitoring.html").write_text(render_html(settings, report), encoding="utf-8")
    (out / "monitoring.prom").write_text(gauges, encoding="utf-8")
    return report, gauges


def retrain(spec: list[str]) -> int:
    """Validate, train, evaluate, gate and record the lineage of a new model; the gate's status."""
    for step in (validate.main, train.main, evaluate.main):
        status = step(spec)
        if status != 0:
            print(f"monitor FAILED: retraining stopped at {step.__module__}", file=sys.stderr)
            return status
    status = gate.main(spec)
    recorded = lineage.main(spec)
    if status == 0 and recorded == 0:
        print("monitor: the retrained model passed the gate; deploy it through the main pipeline")
    return status or recorded


def main(argv: list[str] | None = None) -> int:
    """Monitor the prediction log's last window (or a file batch), then act on a breach."""
    parser = task_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        choices=SOURCES,
        help="log: the prediction log's last window; batch: a CSV file "
        "(default: log for deploy.target webservice, else batch)",
    )
    parser.add_argument("--batch", type=Path, help="CSV to check (implies --source batch)")
    parser.add_argument(
        "--until",
        help="end of the window, ISO 8601 UTC (default: now), to replay a past window",
    )
    args = parser.parse_args(argv)
    spec = ["--spec", args.spec]
    try:
        settings = load_settings(args.spec)
        source = args.source or (
            "batch" if args.batch or settings.deploy_target != "webservice" else "log"
        )
        if source == "log" and args.batch:
            raise TaskError("--batch reads a file: it does not go with --source log")
        if source == "log":
            end = parse_time(args.until) if args.until else datetime.now(UTC)
            window = read_window(settings, end)
            assessment = assess_window(settings, load_contract(settings.contract), window)
        else:
            assessment = assess_batch(settings, args.batch)
        _, gauges = write_reports(settings, assessment)
        if settings.live.pushgateway:
            push(settings.live.pushgateway, settings.live.job, gauges)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = settings.display(settings.report("monitoring.html"))
    if assessment.insufficient:
        print(f"monitor FAILED: {assessment.insufficient} -> {where}", file=sys.stderr)
        return 1
    perf = assessment.performance
    print(
        f"monitor: {assessment.rows} row(s) ({source}), "
        f"{len(assessment.features)} feature(s) and {len(assessment.outputs)} output(s) measured, "
        f"live performance {perf.status} ({perf.labelled} labelled) -> {where}"
    )
    if not assessment.breaches:
        print("monitor: no breach, nothing to retrain")
        return 0
    for breach in assessment.breaches:
        print(f"breach: {breach}", file=sys.stderr)
    if settings.on_drift == "alert":
        print(
            f"monitor FAILED: {len(assessment.breaches)} breach(es) and "
            "monitoring.drift.on_drift is alert",
            file=sys.stderr,
        )
        return 1
    print("monitor: breach found and monitoring.drift.on_drift is retrain: retraining")
    return retrain(spec)


if __name__ == "__main__":
    raise SystemExit(main())
