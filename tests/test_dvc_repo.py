"""DVC end to end in a generated repository, with a local directory remote (slow: one venv)."""

from __future__ import annotations

import json
import shutil
import venv
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.new import create_repository
from tests.test_generated_repo import Repo

pytestmark = pytest.mark.slow

GIT = shutil.which("git") or "git"
IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")


def _spec(remote: Path) -> str:
    return (
        "version: 1\n"
        "project: {name: Churn Tracked, slug: churn_tracked}\n"
        "ci: {platforms: [gitlab]}\n"
        f"data: {{versioning: dvc, remote: {json.dumps(str(remote))}}}\n"
    )


def _lineage(repo: Repo) -> dict[str, Any]:
    repo.make("train", "evaluate", "lineage")
    record = json.loads((repo.root / "reports" / "lineage.json").read_text())
    record.pop("timestamps")
    return dict(record)


def test_push_then_a_clean_clone_pulls_the_same_data_and_lineage(tmp_path: Path) -> None:
    remote = tmp_path / "dvc-remote"
    origin = Repo(tmp_path / "origin")
    create_repository(_spec(remote), origin.root, lock=True)
    venv.create(origin.venv, with_pip=True)
    origin.make("install")
    origin.run(GIT, "init", "-q")
    # A fresh render's data reaches the remote with one target; the .dvc files do not change.
    pointer = origin.root / "data" / "raw" / "train.csv.dvc"
    rendered = pointer.read_text()
    origin.make("data-push")
    assert pointer.read_text() == rendered
    assert any(p.is_file() for p in remote.rglob("*")), "dvc push wrote nothing"
    origin.run(GIT, "add", "-A")
    tracked = origin.run(GIT, "ls-files").stdout.split()
    assert "data/raw/train.csv.dvc" in tracked
    assert "data/raw/train.csv" not in tracked, "git keeps the pointer, never the data"
    origin.run(GIT, *IDENTITY, "commit", "-q", "--no-verify", "-m", "initial")
    data = (origin.root / "data" / "raw" / "train.csv").read_bytes()
    before = _lineage(origin)
    md5 = before["data"]["sources"][0]["dvc"]
    assert md5 == {"file": "data/raw/train.csv.dvc", "md5": rendered.split("md5: ")[1].split()[0]}

    clone = Repo(tmp_path / "clone", venv_dir=origin.venv)
    origin.run(GIT, "clone", "-q", str(origin.root), str(clone.root))
    assert not (clone.root / "data" / "raw" / "train.csv").exists()
    clone.make("data-pull")
    assert (clone.root / "data" / "raw" / "train.csv").read_bytes() == data
    assert _lineage(clone) == before

    # Data changed without `make data-push`: the lineage refuses to record it.
    source = clone.root / "data" / "raw" / "train.csv"
    source.write_bytes(data + data.splitlines(keepends=True)[-1])
    result = clone.make("lineage", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "data/raw/train.csv: md5" in result.stderr
    assert "make data-push" in result.stderr
