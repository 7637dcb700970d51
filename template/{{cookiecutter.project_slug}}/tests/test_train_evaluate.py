# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""Training and evaluation: deterministic, and the sample data meets the spec's thresholds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.module_name }} import contract, evaluate, gate, train
from {{ cookiecutter.module_name }}.settings import ALGORITHMS, load_settings, task_metrics

from .conftest import WORKSPACE, edit_spec

#: The shorthands that fit the task of the tests' workspace (the linear one is task-specific).
_TASK = load_settings(WORKSPACE / "mlops.yaml").task
FITTING = [
    a
    for a in ALGORITHMS
    if a != ("logistic_regression" if _TASK == "regression" else "linear_regression")
]


def test_train_writes_the_model_and_evaluate_the_metrics(trained_spec: Path) -> None:
    root = trained_spec.parent
    assert (root / "models/model.joblib").is_file()
    report = json.loads((root / "reports/metrics.json").read_text(encoding="utf-8"))
    assert set(report["metrics"]) == set(task_metrics(report["task"]))
    assert report["test_rows"] > 0


def test_the_default_gate_passes_on_the_sample_data(trained_spec: Path) -> None:
    checks = gate.run_gate(load_settings(trained_spec))
    assert all(c.passed for c in checks), [c.message for c in checks if not c.passed]


def test_training_is_deterministic(trained_spec: Path, spec: Path) -> None:
    assert train.main(["--spec", str(spec)]) == 0
    again = evaluate.evaluate(load_settings(spec))
    first = json.loads((trained_spec.parent / "reports/metrics.json").read_text(encoding="utf-8"))
    assert again["metrics"] == first["metrics"]


@pytest.mark.parametrize("algorithm", FITTING)
def test_every_fitting_algorithm_trains(algorithm: str, spec: Path) -> None:
    edit_spec(spec, model={"algorithm": algorithm})
    assert train.main(["--spec", str(spec)]) == 0
    assert evaluate.main(["--spec", str(spec)]) == 0
    report = json.loads((spec.parent / "reports/metrics.json").read_text(encoding="utf-8"))
    assert report["algorithm"] == algorithm


def test_evaluate_without_a_model_says_so(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main(["--spec", str(spec)]) == 2
    assert "run the train task first" in capsys.readouterr().err


def _own_data(spec: Path, task: str) -> None:
    """Replace the workspace's data with a synthetic set for task, and infer its contract."""
    rng = np.random.default_rng(7)
    n = 240
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    if task == "regression":
        target = [
            round(float(v), 3) for v in 3 * x1 - 2 * x2 + (colour == "red") + rng.normal(0, 0.1, n)
        ]
    else:
        target = [["low", "mid", "high"][int(v)] for v in np.digitize(x1 + 0.5 * x2, [-0.5, 0.5])]
    path = spec.parent / "data/raw/train.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row_id", "x1", "x2", "colour", "y"])
        for i in range(n):
            writer.writerow(
                [f"r{i}", round(float(x1[i]), 4), round(float(x2[i]), 4), colour[i], target[i]]
            )
    assert (
        contract.main(
            ["infer", str(path), "--target", "y", "-o", str(spec.parent / "data/contract.yaml")]
        )
        == 0
    )


@pytest.mark.parametrize(
    ("task", "estimator", "metrics"),
    [
        ("multiclass", "sklearn.ensemble.HistGradientBoostingClassifier", {"f1": {"min": 0.7}}),
        ("regression", "sklearn.linear_model.Ridge", {"rmse": {"max": 0.5}, "r2": {"min": 0.9}}),
    ],
)
def test_each_task_trains_an_estimator_by_import_path(
    task: str, estimator: str, metrics: dict, spec: Path
) -> None:
    _own_data(spec, task)
    edit_spec(
        spec,
        model={
            "task": task,
            "algorithm": "random_forest",  # fits every task; the estimator replaces it
            "estimator": {"class": estimator, "params": {}},
            "metrics": metrics,
            "champion": {"compare": False},
        },
    )
    assert train.main(["--spec", str(spec)]) == 0
    assert evaluate.main(["--spec", str(spec)]) == 0
    report = json.loads((spec.parent / "reports/metrics.json").read_text(encoding="utf-8"))
    assert (report["task"], report["algorithm"]) == (task, estimator)
    assert set(report["metrics"]) == set(task_metrics(task))
    assert all(c.passed for c in gate.run_gate(load_settings(spec)))
    predicted, probabilities = evaluate.predictions(
        evaluate.load_model(load_settings(spec)),
        __import__("pandas").DataFrame({"x1": [0.1], "x2": [-1.0], "colour": ["red"]}),
    )
    if task == "regression":
        assert probabilities is None and isinstance(predicted[0], float)
    else:
        assert predicted[0] in ("low", "mid", "high") and 0 < probabilities[0] <= 1


def test_an_estimator_that_cannot_be_imported_is_named(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec, model={"estimator": {"class": "sklearn.ensemble.NoSuchForest"}})
    assert train.main(["--spec", str(spec)]) == 2
    assert "sklearn.ensemble has no class 'NoSuchForest'" in capsys.readouterr().err
    edit_spec(spec, model={"estimator": {"class": "nosuchpackage.Model"}})
    assert train.main(["--spec", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "cannot import 'nosuchpackage' for nosuchpackage.Model" in err
    assert not (spec.parent / "models/model.joblib").exists()
