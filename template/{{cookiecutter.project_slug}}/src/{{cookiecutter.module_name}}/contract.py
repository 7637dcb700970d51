"""The data contract's format, and a contract inferred from real data.

``python -m <package>.contract infer data.csv --target COL [-o data/contract.yaml]``
reads a CSV file and writes the contract that describes it: each column's type, a
range with a margin, the allowed values of low-cardinality columns, null rates and id
columns (unique keys, not features). Review it before committing: the inferred
bounds are what the data shows, not what the domain allows.

``python -m <package>.contract check [data/contract.yaml]`` checks a contract against
its format, contract.schema.json (JSON Schema, shipped with the package). Every task
that reads the contract runs the same check; a problem is reported as
``FILE:LINE:COLUMN: message`` with a hint. Exit status: 0 valid, 2 usage or bad input.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from jsonschema import Draft202012Validator, ValidationError

from .settings import DEFAULT_CONTRACT, TaskError

SCHEMA_FILE = Path(__file__).with_name("contract.schema.json")
#: Columns with at most this many distinct values get an allowed list (category, int).
MAX_ALLOWED = 20
#: Share of the observed range added below the minimum and above the maximum.
RANGE_MARGIN = 0.1
#: Names that mark an identifier column, whatever its values.
ID_NAME = re.compile(r"(?i)(^id$|_id$|^id_|^uuid$|_uuid$)")


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _node_at(root: yaml.Node, path: Sequence[Any], *, key: str | None = None) -> yaml.Node:
    """The YAML node at a JSON path (or the key node `key` inside it); as deep as it goes."""
    node = root
    for step in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(step)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            child = node.value[step] if step < len(node.value) else None
        if child is None:
            return node
        node = child
    if key is not None and isinstance(node, yaml.MappingNode):
        return next((k for k, _ in node.value if k.value == key), node)
    return node


def _explain(error: ValidationError) -> tuple[str, str | None, str | None]:
    """The message, the hint and, for an unknown key, the key the error is about."""
    where = ".".join(str(p) for p in error.absolute_path) or "the contract"
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = list(schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        name = str(unknown[0]) if unknown else ""
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        return f"{where}: unknown key {name!r}", hint, name
    if error.validator == "enum":
        options = [str(o) for o in schema.get("enum", [])]
        close = difflib.get_close_matches(str(error.instance), options, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else None
        return f"{where}: {error.instance!r} is not one of {', '.join(options)}", hint, None
    if error.validator == "required":
        return f"{where}: {error.message}", None, None
    return f"{where}: {error.message}", None, None


def check_document(text: str, path: Path) -> Mapping[str, Any]:
    """The parsed contract when it fits contract.schema.json and names its target.

    Raises TaskError ``FILE:LINE:COLUMN: message (hint)`` for the first problem in the
    file (the others follow, one per line).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise TaskError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None or not isinstance(raw, Mapping):
        raise TaskError(f"{path}:1:1: expected a mapping with 'target' and 'columns'")
    problems = []
    errors = sorted(_validator().iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    for error in errors:
        message, hint, key = _explain(error)
        node = _node_at(root, list(error.absolute_path), key=key)
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        problems.append((line, column, message + (f" ({hint})" if hint else "")))
    if not problems and raw["target"] not in raw["columns"]:
        node = _node_at(root, ["target"])
        close = difflib.get_close_matches(raw["target"], list(raw["columns"]), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            (
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                f"target: {raw['target']!r} is not one of the columns{hint}",
            )
        )
    if problems:
        problems.sort()
        raise TaskError("\n".join(f"{path}:{ln}:{col}: {msg}" for ln, col, msg in problems))
    return raw


# --- infer --------------------------------------------------------------------------------


def _number(value: float, kind: str) -> int | float:
    if kind == "int":
        return int(value)
    return float(round(value, 6))


def _range(values: pd.Series, kind: str) -> dict[str, int | float]:
    """min and max widened by RANGE_MARGIN of the observed range; a non-negative column stays so."""
    low, high = float(values.min()), float(values.max())
    margin = (high - low) * RANGE_MARGIN or abs(high) * RANGE_MARGIN or 1.0
    lower, upper = low - margin, high + margin
    if low >= 0 > lower:
        lower = 0.0
    if kind == "int":
        lower, upper = math.floor(lower), math.ceil(upper)
    return {"min": _number(lower, kind), "max": _number(upper, kind)}


def _null_rate(rate: float) -> float:
    """The observed share of empty cells with room: doubled, at least 0.01, at most 1."""
    return min(1.0, math.ceil(max(rate * 2, 0.01) * 100) / 100)


def _kind(values: pd.Series) -> str:
    numbers = pd.to_numeric(values, errors="coerce")
    if len(values) and numbers.notna().all():
        finite = numbers[numbers.map(math.isfinite)]
        whole = len(finite) == len(numbers) and (finite == finite.round()).all()
        # "1.0" in the file reads as a float column: it would fail an int contract.
        if whole and not values.astype(str).str.contains(r"[.eE]").any():
            return "int"
        return "float"
    return "string"


def _is_id(name: str, present: pd.Series, kind: str, *, rows: int) -> bool:
    """An identifier: named like one, or unique on every row and not a measurement.

    Unique strings are ids; unique integers only when they also rise row by row (a
    running number), so that a count or an amount that happens not to repeat stays a feature.
    """
    if ID_NAME.search(name):
        return kind in ("int", "string", "category")
    if rows < 20 or len(present) != rows or present.nunique() != rows:
        return False
    if kind in ("string", "category"):
        return True
    return kind == "int" and pd.to_numeric(present).is_monotonic_increasing


def infer_column(name: str, column: pd.Series, *, rows: int, target: bool) -> dict[str, Any]:
    """The contract entry of one column (cells as strings; empty = null)."""
    present = column[column != ""]
    kind = _kind(present)
    entry: dict[str, Any] = {"type": kind}
    distinct = present.nunique()
    if kind == "string" and (target or distinct <= MAX_ALLOWED or distinct <= rows // 20):
        kind = entry["type"] = "category"
    if not target and _is_id(name, present, kind, rows=rows):
        return {"type": "int" if kind == "int" else "string", "role": "id", "unique": True}
    if kind in ("int", "float"):
        numbers = pd.to_numeric(present)
        if kind == "int" and distinct <= MAX_ALLOWED:
            entry["allowed"] = sorted(int(v) for v in numbers.unique())
        else:
            entry.update(_range(numbers, kind))
    elif kind == "category":
        entry["allowed"] = sorted(str(v) for v in present.unique())
    nulls = rows - len(present)
    if nulls:
        entry["max_null_rate"] = _null_rate(nulls / rows)
    return entry


def infer(frame: pd.DataFrame, target: str, *, description: str = "") -> dict[str, Any]:
    """A contract that the frame (every cell a string, empty = null) meets."""
    if target not in frame.columns:
        raise TaskError(
            f"--target {target!r} is not a column of the file (columns: {', '.join(frame.columns)})"
        )
    rows = len(frame)
    if rows == 0:
        raise TaskError("the file has no data rows: nothing to infer a contract from")
    columns = {
        str(name): infer_column(str(name), frame[name], rows=rows, target=name == target)
        for name in frame.columns
    }
    return {
        "version": 1,
        "description": description or f"Inferred from {rows} rows; review the bounds.",
        "target": target,
        "rows": {"min": max(1, rows // 2)},
        "columns": columns,
    }


HEADER = """\
# Data contract, checked by `make data-validate` (python -m <package>.validate).
# Inferred by `python -m <package>.contract infer`: ranges are the data's with a margin,
# allowed values those seen, max_null_rate twice the share seen. Review before committing.
"""


def write_contract(contract: Mapping[str, Any], output: Path) -> None:
    """Write the contract atomically: a temporary file in the same folder, then a rename."""
    text = HEADER + yaml.safe_dump(dict(contract), sort_keys=False, allow_unicode=True)
    check_document(text, output)  # what is written must read back
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_frame(path: Path) -> pd.DataFrame:
    """A CSV file with every cell as a string and empty cells as ""."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise TaskError(f"{path}: not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TaskError(f"{path}: not a readable CSV file: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Infer a data contract from a CSV file, or check a contract file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    infer_cmd = commands.add_parser("infer", help="write a contract that describes a CSV file")
    infer_cmd.add_argument("csv", type=Path, help="the data file")
    infer_cmd.add_argument("--target", required=True, help="the column the model predicts")
    infer_cmd.add_argument(
        "-o", "--output", type=Path, default=Path(DEFAULT_CONTRACT), help="default: %(default)s"
    )
    infer_cmd.add_argument("--description", default="", help="what one row is")
    check_cmd = commands.add_parser("check", help="check a contract against its format")
    check_cmd.add_argument("contract", type=Path, nargs="?", default=Path(DEFAULT_CONTRACT))
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            try:
                text = args.contract.read_text(encoding="utf-8")
            except OSError as exc:
                raise TaskError(f"{args.contract}: cannot be read: {exc.strerror}") from None
            raw = check_document(text, args.contract)
            print(f"{args.contract}: valid ({len(raw['columns'])} columns, target {raw['target']})")
            return 0
        contract = infer(read_frame(args.csv), args.target, description=args.description)
        write_contract(contract, args.output)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    columns = contract["columns"]
    ids = [n for n, c in columns.items() if c.get("role") == "id"]
    print(
        f"wrote {args.output}: {len(columns)} columns, target {args.target}"
        + (f", id column(s) {', '.join(ids)} (not features)" if ids else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
