"""Drift: the sample batch passes; a shifted batch fails, naming the features."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import drift
from {{ cookiecutter.module_name }}.data import load_contract
from {{ cookiecutter.module_name }}.settings import load_settings

from .conftest import edit_spec


def _shifted_batch(spec: Path) -> tuple[Path, list[str]]:
    """The sample batch with every numeric feature moved by three reference spreads."""
    settings = load_settings(spec)
    contract = load_contract(settings.contract)
    reference = pd.read_csv(settings.sources[0])
    batch = pd.read_csv(settings.drift_batch)
    for name in contract.numeric_features:
        batch[name] = batch[name] + 3 * reference[name].std()
    path = spec.parent / "data/incoming/shifted.csv"
    batch.to_csv(path, index=False)
    return path, contract.numeric_features


@pytest.mark.parametrize("method", ["psi", "ks"])
def test_the_sample_batch_does_not_drift(method: str, spec: Path) -> None:
    edit_spec(spec, monitoring={"drift": {"method": method, "threshold": 0.2}})
    assert drift.main(["--spec", str(spec)]) == 0
    report = json.loads((spec.parent / "reports/drift.json").read_text(encoding="utf-8"))
    assert report["drifted"] == []
    assert report["method"] == method


@pytest.mark.parametrize("method", ["psi", "ks"])
def test_a_shifted_batch_drifts(
    method: str, spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec, monitoring={"drift": {"method": method, "threshold": 0.2}})
    shifted, numeric = _shifted_batch(spec)

    assert drift.main(["--spec", str(spec), "--batch", str(shifted)]) == 1

    err = capsys.readouterr().err
    assert f"drift DETECTED: feature {numeric[0]!r} {method} = " in err
    assert "exceeds the threshold 0.200" in err
    report = json.loads((spec.parent / "reports/drift.json").read_text(encoding="utf-8"))
    assert set(numeric) <= set(report["drifted"])


def test_the_threshold_comes_from_the_spec(spec: Path) -> None:
    edit_spec(spec, monitoring={"drift": {"method": "psi", "threshold": 0.0}})
    assert drift.main(["--spec", str(spec)]) == 1


def test_an_unseen_category_counts_as_drift() -> None:
    reference = pd.Series(["a", "b"] * 50)
    current = pd.Series(["c"] * 100)
    assert drift.psi_categorical(reference, current) > 1.0
    assert drift.psi_categorical(reference, reference) == pytest.approx(0.0)


def test_ks_statistic_of_disjoint_samples_is_one() -> None:
    assert drift.ks_statistic(pd.Series([1.0, 2.0, 3.0]), pd.Series([7.0, 8.0])) == 1.0
