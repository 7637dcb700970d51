"""The wheel carries the template, the policies and cookiecutter.json, and renders on its own."""

from __future__ import annotations

import os
import subprocess
import venv
import zipfile
from pathlib import Path

import pytest

from tests.repo_paths import ROOT, build_wheel

pytestmark = pytest.mark.slow


def test_wheel_installs_and_renders(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mlopsgen/_data/cookiecutter.json" in names
    assert "mlopsgen/_data/template/cookiecutter.json" in names
    assert "mlopsgen/spec/schema.json" in names
    assert any(
        n.startswith("mlopsgen/_data/template/{{cookiecutter.project_slug}}/") for n in names
    )

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run(
        [str(pip), "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "repo"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [
            str(env_dir / "bin" / "mlopsgen"),
            "new",
            str(ROOT / "examples" / "spam-filter.yaml"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "Makefile").is_file()
    where = subprocess.run(
        [
            str(env_dir / "bin" / "python"),
            "-c",
            "import mlopsgen.resources as r; print(r.data_root())",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert str(env_dir) in where.stdout, "rendered from the installed wheel, not the checkout"
