"""Check data files against the data contract: columns, types, ranges, allowed values, nulls, rows.

Each problem is printed on one line as ``FILE:LINE: row N, column 'C': message``,
where LINE is the line number in the CSV file (the header is line 1) and N the
1-based data row. Every outcome is also written to reports/data-validation.json.
Exit status: 0 valid, 1 problems found, 2 usage or setup error.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .data import Column, Contract, load_contract
from .settings import TaskError, load_settings, task_parser

MAX_PRINTED = 50


@dataclass(frozen=True)
class Problem:
    """One contract violation; line and row are None for whole-file or whole-column problems."""

    file: str
    message: str
    line: int | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        prefix = ", ".join(parts)
        return f"{where}: {prefix}: {self.message}" if prefix else f"{where}: {self.message}"


@dataclass(frozen=True)
class FileReport:
    """The outcome for one file."""

    file: str
    rows: int
    problems: tuple[Problem, ...]


def _parse(value: str, column: Column) -> tuple[object | None, str | None]:
    """The typed value of a non-empty cell, or an error message."""
    if column.type == "int":
        try:
            return int(value), None
        except ValueError:
            return None, f"{value!r} is not an integer"
    if column.type == "float":
        try:
            number = float(value)
        except ValueError:
            return None, f"{value!r} is not a number"
        if not math.isfinite(number):
            return None, f"{value!r} is not a finite number"
        return number, None
    return value, None


def _check_value(value: object, column: Column) -> str | None:
    if column.allowed is not None and value not in column.allowed:
        allowed = ", ".join(str(a) for a in column.allowed)
        return f"{value!r} is not one of the allowed values ({allowed})"
    if column.minimum is not None and value < column.minimum:
        return f"{value} is below the minimum {column.minimum}"
    if column.maximum is not None and value > column.maximum:
        return f"{value} is above the maximum {column.maximum}"
    return None


def validate_file(
    path: Path, contract: Contract, *, display: str | None = None, features_only: bool = False
) -> FileReport:
    """Check one CSV file. features_only: the label may be absent and row counts are not checked."""
    name = display or str(path)
    problems: list[Problem] = []
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        return FileReport(name, 0, (Problem(name, f"cannot be read: {exc.strerror}"),))
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            return FileReport(name, 0, (Problem(name, "is empty: no header line", line=1),))
        expected = [
            c for c in contract.columns if not (features_only and c.name == contract.target)
        ]
        for column in expected:
            if column.name not in header:
                problems.append(Problem(name, "is missing", line=1, column=column.name))
        known = {c.name for c in contract.columns}
        for extra in header:
            if extra not in known:
                problems.append(Problem(name, "is not in the data contract", line=1, column=extra))
        for duplicate in sorted({h for h in header if header.count(h) > 1}):
            problems.append(
                Problem(name, "appears more than once in the header", line=1, column=duplicate)
            )
        checked = [(header.index(c.name), c) for c in expected if c.name in header]
        nulls = {c.name: [] for _, c in checked}
        seen: dict[str, dict[object, int]] = {c.name: {} for _, c in checked if c.unique}
        rows = 0
        last_line = reader.line_num
        for record in reader:
            line = last_line + 1  # first line of this record (a quoted field may span lines)
            last_line = reader.line_num
            if not record:
                continue  # blank line: ignored, as pandas does
            rows += 1
            if len(record) != len(header):
                problems.append(
                    Problem(
                        name,
                        f"has {len(record)} fields, the header has {len(header)}",
                        line=line,
                        row=rows,
                    )
                )
                continue
            for index, column in checked:
                cell = record[index].strip()
                if cell == "":
                    nulls[column.name].append((rows, line))
                    continue
                value, error = _parse(cell, column)
                error = error or _check_value(value, column)
                if error:
                    problems.append(Problem(name, error, line=line, row=rows, column=column.name))
                    continue
                if column.name in seen:
                    first = seen[column.name].setdefault(value, rows)
                    if first != rows:
                        problems.append(
                            Problem(
                                name,
                                f"{value!r} repeats row {first}; the column must be unique",
                                line=line,
                                row=rows,
                                column=column.name,
                            )
                        )
    for _, column in checked:
        empty = nulls[column.name]
        if column.max_null_rate == 0.0:
            problems.extend(
                Problem(
                    name,
                    "is empty; the contract allows no empty cells",
                    line=ln,
                    row=rw,
                    column=column.name,
                )
                for rw, ln in empty
            )
        elif rows and len(empty) / rows > column.max_null_rate:
            first_row, first_line = empty[0]
            problems.append(
                Problem(
                    name,
                    f"{len(empty)} of {rows} cells are empty ({len(empty) / rows:.1%}), above "
                    f"max_null_rate {column.max_null_rate:.1%}; the first at row {first_row} "
                    f"(line {first_line})",
                    column=column.name,
                )
            )
    if not features_only:
        if contract.min_rows is not None and rows < contract.min_rows:
            problems.append(
                Problem(name, f"has {rows} data rows, fewer than the minimum {contract.min_rows}")
            )
        if contract.max_rows is not None and rows > contract.max_rows:
            problems.append(
                Problem(name, f"has {rows} data rows, more than the maximum {contract.max_rows}")
            )
    problems.sort(key=lambda p: p.line or 0)  # stable: columns stay in header order
    return FileReport(name, rows, tuple(problems))


def main(argv: list[str] | None = None) -> int:
    """Validate the spec's data sources (or the given files) against the data contract."""
    parser = task_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="CSV files (default: data.sources of the spec)"
    )
    parser.add_argument(
        "--features-only",
        action="store_true",
        help="the label column may be absent and row counts are not checked (incoming batches)",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.spec)
        contract = load_contract(settings.contract)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = args.files or list(settings.sources)
    reports = [
        validate_file(
            path,
            contract,
            display=settings.display(path.resolve()),
            features_only=args.features_only,
        )
        for path in files
    ]
    problems = [p for r in reports for p in r.problems]
    contract_name = settings.display(contract.path)
    out = settings.report("data-validation.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "contract": contract_name,
        "passed": not problems,
        "files": [asdict(r) for r in reports],
    }
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for problem in problems[:MAX_PRINTED]:
        print(problem, file=sys.stderr)
    if len(problems) > MAX_PRINTED:
        print(f"... and {len(problems) - MAX_PRINTED} more problem(s)", file=sys.stderr)
    if problems:
        failed = sum(1 for r in reports if r.problems)
        print(
            f"data validation FAILED: {len(problems)} problem(s) in {failed} file(s) "
            f"against {contract_name}",
            file=sys.stderr,
        )
        return 1
    for report in reports:
        print(f"data validation passed: {report.file} ({report.rows} rows) against {contract_name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
