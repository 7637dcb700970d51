"""Lineage: the record hashes the data and the model and carries parameters and metrics."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from {{ cookiecutter.module_name }} import lineage


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lineage_records_hashes_params_and_metrics(trained_copy: Path) -> None:
    root = trained_copy.parent
    assert lineage.main(["--spec", str(trained_copy)]) == 0

    record = json.loads((root / "reports/lineage.json").read_text(encoding="utf-8"))
    source = record["data"]["sources"][0]
    assert source["path"] == "data/raw/train.csv"
    assert source["sha256"] == _sha256(root / "data/raw/train.csv")
    assert source["rows"] > 0
    assert record["data"]["contract"]["sha256"] == _sha256(root / "data/contract.yaml")
    assert record["model"]["sha256"] == _sha256(root / "models/model.joblib")
    metrics = json.loads((root / "reports/metrics.json").read_text(encoding="utf-8"))["metrics"]
    assert record["metrics"] == metrics
    assert record["parameters"]["seed"] == 42
    assert record["parameters"]["algorithm"]
    assert record["environment"]["scikit_learn"]
    assert set(record["timestamps"]) == {
        "model_trained_at",
        "metrics_written_at",
        "lineage_written_at",
    }
    # tmp_path is not a git work tree
    assert record["code"]["git_commit"] is None


def test_a_data_change_changes_the_hash(trained_copy: Path) -> None:
    root = trained_copy.parent
    assert lineage.main(["--spec", str(trained_copy)]) == 0
    before = json.loads((root / "reports/lineage.json").read_text(encoding="utf-8"))
    with (root / "data/raw/train.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert lineage.main(["--spec", str(trained_copy)]) == 0
    after = json.loads((root / "reports/lineage.json").read_text(encoding="utf-8"))
    assert before["data"]["sources"][0]["sha256"] != after["data"]["sources"][0]["sha256"]


def test_lineage_needs_a_model(spec: Path) -> None:
    assert lineage.main(["--spec", str(spec)]) == 2
