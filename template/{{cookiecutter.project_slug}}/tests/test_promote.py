"""Promote: a model that passes the gate becomes the champion baseline; one that fails does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import promote

from .conftest import edit_spec, unreachable


def test_promote_replaces_the_champion_baseline(trained_copy: Path) -> None:
    root = trained_copy.parent
    assert promote.main(["--spec", str(trained_copy)]) == 0
    champion = json.loads((root / "models/champion/metrics.json").read_text(encoding="utf-8"))
    current = json.loads((root / "reports/metrics.json").read_text(encoding="utf-8"))
    assert champion["metrics"] == current["metrics"]
    assert "promoted_at" in champion


def test_promote_refuses_a_model_that_fails_the_gate(
    trained_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = trained_copy.parent
    before = (root / "models/champion/metrics.json").read_text(encoding="utf-8")
    edit_spec(trained_copy, model={"metrics": {unreachable(trained_copy): {"min": 0.999}}})
    assert promote.main(["--spec", str(trained_copy)]) == 1
    assert "promote REFUSED" in capsys.readouterr().err
    assert (root / "models/champion/metrics.json").read_text(encoding="utf-8") == before
