"""Monitoring: no drift does nothing; drift alerts or retrains as on_drift says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import monitor

from .conftest import edit_spec, unreachable
from .test_drift import _shifted_batch


def test_no_drift_passes_without_retraining(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert monitor.main(["--spec", str(spec)]) == 0
    assert "no drift, nothing to retrain" in capsys.readouterr().out
    assert not (spec.parent / "models/model.joblib").exists()


def test_drift_with_alert_fails(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(spec, monitoring={"drift": {"threshold": 0.2, "on_drift": "alert"}})
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 1
    assert "on_drift is alert" in capsys.readouterr().err
    assert not (spec.parent / "models/model.joblib").exists()


def test_drift_with_retrain_retrains_and_gates(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec, monitoring={"drift": {"threshold": 0.2, "on_drift": "retrain"}})
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 0
    assert "the retrained model passed the gate" in capsys.readouterr().out
    root = spec.parent
    assert (root / "models/model.joblib").is_file()
    gate = json.loads((root / "reports/gate.json").read_text(encoding="utf-8"))
    assert gate["passed"] is True
    assert (root / "reports/lineage.json").is_file()


def test_a_retrained_model_that_fails_the_gate_fails(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        spec,
        monitoring={"drift": {"threshold": 0.2, "on_drift": "retrain"}},
        model={"metrics": {unreachable(spec): {"min": 0.999}}},
    )
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 1
    assert "model gate FAILED" in capsys.readouterr().err
