"""The data contract: the sample data passes; a row that breaks it fails, naming row and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import validate
from {{ cookiecutter.module_name }}.data import load_contract
from {{ cookiecutter.module_name }}.settings import load_settings


def test_the_sample_data_is_valid(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert validate.main(["--spec", str(spec)]) == 0
    assert "data validation passed" in capsys.readouterr().out
    report = json.loads((spec.parent / "reports/data-validation.json").read_text(encoding="utf-8"))
    assert report["passed"] is True
    assert report["files"][0]["file"] == "data/raw/train.csv"
    assert report["files"][0]["problems"] == []


def test_the_incoming_batch_is_valid(spec: Path) -> None:
    batch = spec.parent / "data/incoming/batch.csv"
    assert validate.main(["--spec", str(spec), "--features-only", str(batch)]) == 0


def _append_row(path: Path, change: dict[str, str]) -> tuple[int, int]:
    """Append a copy of the last row with some cells changed; return its (row, line)."""
    with path.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header, last = records[0], records[-1]
    row = [change.get(name, value) for name, value in zip(header, last, strict=True)]
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerow(row)
    return len(records), len(records) + 1


def _numeric_column_with_minimum(spec: Path) -> str:
    contract = load_contract(load_settings(spec).contract)
    return next(c.name for c in contract.features if c.numeric and c.minimum is not None)


def test_a_value_below_the_minimum_names_row_and_column(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    column = _numeric_column_with_minimum(spec)
    contract = load_contract(load_settings(spec).contract)
    minimum = contract.column(column).minimum
    id_change = {c.name: "zz-appended" for c in contract.columns if c.unique}
    row, line = _append_row(
        spec.parent / "data/raw/train.csv", {column: str(minimum - 1), **id_change}
    )

    assert validate.main(["--spec", str(spec)]) == 1

    err = capsys.readouterr().err
    assert f"data/raw/train.csv:{line}: row {row}, column {column!r}" in err
    assert "below the minimum" in err
    assert "data validation FAILED: 1 problem(s)" in err
    report = json.loads((spec.parent / "reports/data-validation.json").read_text(encoding="utf-8"))
    assert report["passed"] is False
    (problem,) = report["files"][0]["problems"]
    assert (problem["line"], problem["row"], problem["column"]) == (line, row, column)


def test_type_errors_empty_cells_and_unknown_categories_are_all_reported(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = load_contract(load_settings(spec).contract)
    numeric = _numeric_column_with_minimum(spec)
    categorical = next(c.name for c in contract.features if c.allowed and not c.numeric)
    strict = next(
        c.name
        for c in contract.features
        if c.max_null_rate == 0 and c.name not in (numeric, categorical)
    )
    train_csv = spec.parent / "data/raw/train.csv"
    row, line = _append_row(train_csv, {numeric: "lots", categorical: "martian", strict: ""})

    assert validate.main(["--spec", str(spec)]) == 1

    err = capsys.readouterr().err
    assert f":{line}: row {row}, column {numeric!r}: 'lots' is not" in err
    assert f":{line}: row {row}, column {categorical!r}: 'martian' is not one of" in err
    assert f":{line}: row {row}, column {strict!r}: is empty" in err


def test_a_missing_column_is_reported(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = load_contract(load_settings(spec).contract)
    dropped = contract.feature_names[0]
    train_csv = spec.parent / "data/raw/train.csv"
    with train_csv.open(newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    index = records[0].index(dropped)
    with train_csv.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            [r[:index] + r[index + 1 :] for r in records]
        )

    assert validate.main(["--spec", str(spec)]) == 1
    assert f"train.csv:1: column {dropped!r}: is missing" in capsys.readouterr().err
