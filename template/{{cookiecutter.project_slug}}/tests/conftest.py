"""Fixtures: a throw-away copy of the tests' own workspace in tmp_path.

The workspace (tests/fixtures/workspace: a spec, the sample data and the champion's
metrics) is fixed, so these tests check the code, whatever the repository's mlops.yaml
and data say: a broken row or an unreachable threshold there fails the pipeline's
data-validate or model-gate job, not the unit tests. Tasks write their models and
reports next to the spec they are given, so the tests never touch the repository's
own models/ or reports/.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = Path(__file__).resolve().parent / "fixtures" / "workspace"


def make_workspace(target: Path) -> Path:
    """Copy the fixed workspace into target; return the path of its mlops.yaml."""
    shutil.copytree(WORKSPACE, target, dirs_exist_ok=True)
    return target / "mlops.yaml"


def edit_spec(spec: Path, **sections: dict[str, Any]) -> None:
    """Merge the given top-level sections into the spec file (one level deep)."""
    raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    for key, values in sections.items():
        raw.setdefault(key, {}).update(values)
    spec.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def unreachable(spec: Path) -> str:
    """A metric of the workspace's task; a min of 0.999 on it is out of every model's reach."""
    from {{ cookiecutter.module_name }}.settings import load_settings

    return "r2" if load_settings(spec).task == "regression" else "accuracy"


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
