"""Fixtures: a throw-away copy of the repository's spec and data in tmp_path.

Tasks write their models and reports next to the spec they are given, so the
tests never touch the repository's own models/ or reports/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def make_workspace(target: Path) -> Path:
    """Copy mlops.yaml, data/ and models/champion/ into target; return the spec path."""
    shutil.copy(REPO / "mlops.yaml", target / "mlops.yaml")
    shutil.copytree(REPO / "data", target / "data")
    shutil.copytree(REPO / "models" / "champion", target / "models" / "champion")
    return target / "mlops.yaml"


def edit_spec(spec: Path, **sections: dict[str, Any]) -> None:
    """Merge the given top-level sections into the spec file (one level deep)."""
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for key, values in sections.items():
        raw.setdefault(key, {}).update(values)
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


@pytest.fixture
def repo() -> Path:
    """The repository root (read only)."""
    return REPO


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """A fresh workspace; the path of its mlops.yaml."""
    return make_workspace(tmp_path)


@pytest.fixture(scope="session")
def trained_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a trained and evaluated model, shared by the tests that only read it."""
    from {{ cookiecutter.module_name }} import evaluate, train

    spec = make_workspace(tmp_path_factory.mktemp("trained"))
    assert train.main(["--spec", str(spec)]) == 0
    assert evaluate.main(["--spec", str(spec)]) == 0
    return spec


@pytest.fixture
def trained_copy(trained_spec: Path, tmp_path: Path) -> Path:
    """A private copy of the trained workspace, for tests that change it."""
    shutil.copytree(trained_spec.parent, tmp_path, dirs_exist_ok=True)
    return tmp_path / "mlops.yaml"
