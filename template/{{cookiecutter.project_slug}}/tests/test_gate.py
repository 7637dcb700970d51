# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""The model gate reads its thresholds from mlops.yaml and names metric, value and threshold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import gate

from .conftest import edit_spec

METRICS = {"accuracy": 0.95, "f1": 0.812, "precision": 0.9, "recall": 0.74, "roc_auc": 0.97}


def _write_metrics(
    root: Path, metrics: dict[str, float], name: str = "reports/metrics.json"
) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"metrics": metrics}), encoding="utf-8")
    return path


def test_an_unreachable_minimum_fails_naming_metric_value_and_threshold(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_metrics(spec.parent, METRICS)
    edit_spec(
        spec,
        model={"task": "binary", "metrics": {"f1": {"min": 0.85}}, "champion": {"compare": False}},
    )

    assert gate.main(["--spec", str(spec)]) == 1

    err = capsys.readouterr().err
    assert "model gate FAILED: f1 = 0.812 is below the minimum 0.850" in err
    report = json.loads((spec.parent / "reports/gate.json").read_text(encoding="utf-8"))
    assert report["passed"] is False


def test_a_maximum_is_checked(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_metrics(spec.parent, METRICS)
    edit_spec(
        spec,
        model={
            "task": "binary",
            "metrics": {"recall": {"max": 0.7}},
            "champion": {"compare": False},
        },
    )
    assert gate.main(["--spec", str(spec)]) == 1
    assert "recall = 0.740 is above the maximum 0.700" in capsys.readouterr().err


def test_passing_lists_every_check(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_metrics(spec.parent, METRICS)
    _write_metrics(spec.parent, {"f1": 0.80, "accuracy": 0.94}, "champion.json")
    edit_spec(
        spec,
        model={
            "task": "binary",
            "metrics": {"f1": {"min": 0.8}, "accuracy": {"min": 0.9, "max": 0.99}},
            "champion": {"compare": True, "max_regression": 0.01, "baseline": "champion.json"},
        },
    )
    assert gate.main(["--spec", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "model gate passed: 5 check(s)" in out
    assert "f1 = 0.812 meets the minimum 0.800" in out
    assert "accuracy = 0.950 vs the champion's 0.940" in out


def test_a_regression_from_the_champion_fails(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_metrics(spec.parent, METRICS)
    _write_metrics(spec.parent, {"f1": 0.85, "accuracy": 0.955}, "champion.json")
    edit_spec(
        spec,
        model={
            "task": "binary",
            "metrics": {"f1": {"min": 0.5}},
            "champion": {"compare": True, "max_regression": 0.01, "baseline": "champion.json"},
        },
    )
    assert gate.main(["--spec", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "f1 = 0.812 regressed 0.038 from the champion's 0.850" in err
    assert "accuracy" not in err  # 0.005 below the champion is within max_regression


def test_a_missing_champion_baseline_fails(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_metrics(spec.parent, METRICS)
    edit_spec(spec, model={"champion": {"compare": True, "baseline": "nowhere.json"}})
    assert gate.main(["--spec", str(spec)]) == 2
    assert "nowhere.json: champion baseline not found" in capsys.readouterr().err


def test_a_missing_metrics_report_fails(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gate.main(["--spec", str(spec)]) == 2
    assert "reports/metrics.json: metrics report not found" in capsys.readouterr().err


def test_regression_metrics_gate_errors_from_above(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """rmse and mae are errors: a max bounds them, and a rise from the champion regresses."""
    _write_metrics(spec.parent, {"rmse": 12.5, "mae": 9.0, "r2": 0.81})
    _write_metrics(spec.parent, {"rmse": 12.0, "mae": 9.2, "r2": 0.8}, "champion.json")
    edit_spec(
        spec,
        model={
            "task": "regression",
            "algorithm": "random_forest",
            "metrics": {"rmse": {"max": 12.0}, "r2": {"min": 0.8}},
            "champion": {"compare": True, "max_regression": 0.1, "baseline": "champion.json"},
        },
    )
    assert gate.main(["--spec", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "rmse = 12.500 is above the maximum 12.000" in err
    assert "rmse = 12.500 regressed 0.500 from the champion's 12.000" in err
    assert "mae" not in err  # a lower error than the champion is no regression
    assert "r2" not in err
