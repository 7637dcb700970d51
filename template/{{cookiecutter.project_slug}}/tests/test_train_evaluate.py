"""Training and evaluation: deterministic, and the sample data meets the spec's thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import evaluate, gate, train
from {{ cookiecutter.module_name }}.settings import ALGORITHMS, METRIC_NAMES, load_settings

from .conftest import edit_spec


def test_train_writes_the_model_and_evaluate_the_metrics(trained_spec: Path) -> None:
    root = trained_spec.parent
    assert (root / "models/model.joblib").is_file()
    report = json.loads((root / "reports/metrics.json").read_text(encoding="utf-8"))
    assert set(report["metrics"]) == set(METRIC_NAMES)
    assert all(0.0 <= v <= 1.0 for v in report["metrics"].values())
    assert report["test_rows"] > 0


def test_the_default_gate_passes_on_the_sample_data(trained_spec: Path) -> None:
    checks = gate.run_gate(load_settings(trained_spec))
    assert all(c.passed for c in checks), [c.message for c in checks if not c.passed]


def test_training_is_deterministic(trained_spec: Path, spec: Path) -> None:
    assert train.main(["--spec", str(spec)]) == 0
    again = evaluate.evaluate(load_settings(spec))
    first = json.loads((trained_spec.parent / "reports/metrics.json").read_text(encoding="utf-8"))
    assert again["metrics"] == first["metrics"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_trains(algorithm: str, spec: Path) -> None:
    edit_spec(spec, model={"algorithm": algorithm})
    assert train.main(["--spec", str(spec)]) == 0
    assert evaluate.main(["--spec", str(spec)]) == 0
    report = json.loads((spec.parent / "reports/metrics.json").read_text(encoding="utf-8"))
    assert report["algorithm"] == algorithm


def test_evaluate_without_a_model_says_so(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main(["--spec", str(spec)]) == 2
    assert "run the train task first" in capsys.readouterr().err
