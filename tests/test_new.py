"""`mlopsgen new`: rendering examples, staging, refusal, dry runs, no template evaluation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsgen.new import create_repository
from mlopsgen.scaffold import CONTEXT_KEYS, build_context
from mlopsgen.spec import load_spec
from repo_paths import EXAMPLES, ROOT, CliResult

MINIMAL = "version: 1\nproject:\n  name: Spam Filter\n"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_renders_every_example(
    tmp_path: Path, run_cli: Callable[..., CliResult], example: Path
) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", str(example), "-o", str(out))
    assert result.code == 0
    spec = load_spec(example)
    module = spec.project.slug
    assert (out / "mlops.yaml").read_text() == example.read_text(), "spec copied verbatim"
    for rel in (
        "Makefile",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".pre-commit-config.yaml",
        "data/contract.yaml",
        "data/raw/train.csv",
        f"src/{module}/__init__.py",
        f"src/{module}/train.py",
        f"src/{module}/gate.py",
        f"src/{module}/drift.py",
        f"src/{module}/lineage.py",
    ):
        assert (out / rel).is_file(), rel
    target = spec.deploy.target.value
    assert (out / "Dockerfile").exists() == (target == "webservice")
    assert (out / f"src/{module}/serve.py").exists() == (target == "webservice")
    assert (out / f"src/{module}/batch.py").exists() == (target == "batch")
    assert (out / f"src/{module}/export.py").exists() == (target == "edge")
    assert (out / "dvc.yaml").exists() == (spec.data.versioning == "dvc")
    assert not list(out.parent.glob(".repo.mlopsgen-*")), "staging directory cleaned up"
    assert f"{spec.project.name!r}" in result.out


def test_makefile_targets(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    create_repository((ROOT / "examples/spam-filter.yaml").read_text(), out)
    makefile = (out / "Makefile").read_text()
    for target in (
        "lint",
        "test",
        "sast",
        "audit-deps",
        "secrets-scan",
        "data-validate",
        "train",
        "evaluate",
        "model-gate",
        "drift",
        "all",
    ):
        assert f"\n{target}:" in makefile, target


def test_context_covers_the_template_variables() -> None:
    declared = json.loads((ROOT / "template/cookiecutter.json").read_text())
    public = {k for k in declared if not k.startswith("_")}
    assert public == set(CONTEXT_KEYS)
    context = build_context(load_spec(EXAMPLES[0]), "x")
    assert set(CONTEXT_KEYS) <= set(context)


def test_refuses_non_empty_target(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    out = tmp_path / "repo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 2
    assert "is not empty" in result.err
    assert "--force" in result.err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_force_overwrites_generated_files_and_keeps_others(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(MINIMAL)
    out = tmp_path / "repo"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "README.md").write_text("old")
    assert run_cli("new", str(spec), "-o", str(out), "--force").code == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "README.md").read_text() != "old"
    assert (out / "Makefile").is_file()


def test_empty_existing_target_is_used(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    out.mkdir()
    create_repository(MINIMAL, out)
    assert (out / "Makefile").is_file()


def test_dry_run_writes_nothing(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", str(EXAMPLES[0]), "-o", str(out), "--dry-run")
    assert result.code == 0
    assert not out.exists()
    listed = result.out.splitlines()
    assert str(out / "Makefile") in listed
    assert "files would be written" in result.err
    assert list(tmp_path.iterdir()) == []


def test_values_are_never_evaluated_as_templates(tmp_path: Path) -> None:
    text = MINIMAL + "  description: 'uses {{ 7*7 }} and {% raw %} literally'\n"
    out = tmp_path / "repo"
    create_repository(text, out)
    assert (out / "mlops.yaml").read_text() == text
    readme = (out / "README.md").read_text()
    assert "uses {{ 7*7 }} and {% raw %} literally" in readme
    assert "49" not in readme


def test_no_input_uses_defaults(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    out = tmp_path / "repo"
    result = run_cli("new", "--no-input", "-o", str(out))
    assert result.code == 0
    spec = load_spec(out / "mlops.yaml")
    assert spec.project.name == "Spam Filter"
    assert (out / "src/spam_filter/serve.py").is_file()


def test_prompts(tmp_path: Path) -> None:
    out = tmp_path / "repo"
    answers = "Pump Watch\nWatches pumps.\ngitlab\nsensors\nedge\n"
    proc = subprocess.run(
        [sys.executable, "-m", "mlopsgen", "new", "-o", str(out)],
        input=answers,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    spec = load_spec(out / "mlops.yaml")
    assert (spec.project.slug, spec.data.sample, spec.deploy.target.value) == (
        "pump_watch",
        "sensors",
        "edge",
    )
    assert [p.value for p in spec.ci.platforms] == ["gitlab"]


def test_default_output_dir_is_the_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Callable[..., CliResult]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli("new", str(EXAMPLES[0])).code == 0
    slug = load_spec(EXAMPLES[0]).project.slug.replace("_", "-")
    assert (tmp_path / slug / "Makefile").is_file()


def test_render_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlopsgen import scaffold

    def boom(*args: object, **kwargs: object) -> Path:
        staging = args[2]
        assert isinstance(staging, Path)
        (staging / "half").mkdir()
        (staging / "half" / "written.txt").write_text("x")
        raise RuntimeError("render failed")

    monkeypatch.setattr(scaffold, "render_scaffold", boom)
    with pytest.raises(RuntimeError):
        create_repository(MINIMAL, tmp_path / "repo")
    assert list(tmp_path.iterdir()) == []


def test_plain_cookiecutter_no_input(tmp_path: Path) -> None:
    """`cookiecutter <this repo> --no-input` goes through the nested-template index."""
    proc = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    repos = [p for p in tmp_path.iterdir() if (p / "Makefile").is_file()]
    assert len(repos) == 1
    spec = load_spec(repos[0] / "mlops.yaml")
    assert (repos[0] / "src" / spec.project.slug / "train.py").is_file()
