"""The data contract's format (contract.schema.json) and contracts inferred from data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.module_name }} import contract, validate
from {{ cookiecutter.module_name }}.data import load_contract
from {{ cookiecutter.module_name }}.settings import TaskError


def test_every_shipped_contract_fits_the_format(spec: Path, repo: Path) -> None:
    for path in (spec.parent / "data/contract.yaml", repo / "data/contract.yaml"):
        assert load_contract(path).columns


def test_a_typo_is_named_with_line_column_and_a_hint(spec: Path) -> None:
    path = spec.parent / "data/contract.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.strip().startswith("max_null_rate:"))
    lines[number] = lines[number].replace("max_null_rate:", "max_nul_rate:")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    column = lines[number].index("max_nul_rate") + 1
    with pytest.raises(TaskError) as caught:
        load_contract(path)
    assert f"{path}:{number + 1}:{column}: " in str(caught.value)
    assert "unknown key 'max_nul_rate' (did you mean 'max_null_rate'?)" in str(caught.value)


def test_a_bad_type_and_a_missing_target_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "contract.yaml"
    path.write_text("target: y\ncolumns:\n  x: {type: flaot}\n", encoding="utf-8")
    assert contract.main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:13: columns.x.type: 'flaot' is not one of" in err
    assert "did you mean 'float'?" in err
    path.write_text("target: y\ncolumns:\n  x: {type: float}\n", encoding="utf-8")
    assert contract.main(["check", str(path)]) == 2
    assert f"{path}:1:9: target: 'y' is not one of the columns" in capsys.readouterr().err


def test_infer_describes_the_data_and_the_data_passes(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = spec.parent
    shipped = load_contract(root / "data/contract.yaml")
    out = root / "inferred.yaml"
    source = str(root / "data/raw/train.csv")
    assert contract.main(["infer", source, "--target", shipped.target, "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    inferred = load_contract(out)
    assert inferred.target == shipped.target
    assert [c.name for c in inferred.columns] == [c.name for c in shipped.columns]
    assert inferred.feature_names == shipped.feature_names  # id columns found and excluded
    assert {c.name: c.type for c in inferred.columns if c.numeric} == {
        c.name: c.type for c in shipped.columns if c.numeric
    }
    assert validate.validate_file(root / "data/raw/train.csv", inferred).problems == ()
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    for name, column in raw["columns"].items():
        if "min" in column:  # a margin around what the data holds
            assert column["min"] < column["max"], name


def test_infer_refuses_an_unknown_target_and_writes_nothing(
    spec: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "contract.yaml"
    source = str(spec.parent / "data/raw/train.csv")
    assert contract.main(["infer", source, "--target", "nope", "-o", str(out)]) == 2
    assert "--target 'nope' is not a column" in capsys.readouterr().err
    assert not out.parent.exists()


def test_infer_marks_nulls_and_low_cardinality(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    rows = ["id,size,kind,score,label"] + [
        f"{i},{i % 7 if i % 10 else ''},{'ab'[i % 2]},{i * 1.5},{i % 3}" for i in range(1, 41)
    ]
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    frame = contract.read_frame(tmp_path / "d.csv")
    inferred = contract.infer(frame, "label")["columns"]
    assert inferred["id"] == {"type": "int", "role": "id", "unique": True}
    assert inferred["size"]["type"] == "int" and inferred["size"]["max_null_rate"] == 0.2
    assert inferred["kind"] == {"type": "category", "allowed": ["a", "b"]}
    assert inferred["score"]["type"] == "float" and inferred["score"]["min"] == 0.0
    assert inferred["label"] == {"type": "int", "allowed": [0, 1, 2]}
