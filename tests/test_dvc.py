"""data.versioning: dvc: the remote in the spec, the DVC files of a render, and CI pulling data."""

from __future__ import annotations

import configparser
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from mlopsgen.errors import SpecError
from mlopsgen.new import create_repository
from mlopsgen.pipeline import build_pipelines
from mlopsgen.platforms import PLATFORMS
from mlopsgen.render import render_managed
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import Platform
from tests.repo_paths import CliResult

#: Every job that reads data pulls it first.
DATA_JOBS = {"data-validate", "train", "evaluate", "model-gate", "retrain-on-drift"}


def spec_text(remote: str | None = "s3://churn-data/dvc", *, versioning: str = "dvc") -> str:
    lines = [
        "version: 1",
        "project: {name: Churn Tracked, slug: churn}",
        "ci: {platforms: [github, gitlab, azure]}",
        "secrets:",
        "  provider: ci",
        "  items:",
        "    - {name: AWS_SECRET_ACCESS_KEY, ref: DVC_AWS_SECRET_ACCESS_KEY, stages: [data]}",
        "data:",
        f"  versioning: {versioning}",
    ]
    if remote is not None:
        lines.append(f"  remote: {remote}")
    return "\n".join(lines) + "\n"


def _error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, filename="mlops.yaml")
    return "\n".join(d.format() for d in info.value.diagnostics)


def test_dvc_without_a_remote_is_an_error_at_versioning() -> None:
    message = _error(spec_text(None))
    assert "mlops.yaml:9:15: data.versioning:" in message
    assert "needs data.remote" in message
    assert "s3://bucket/path" in message  # the hint


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("http://example.com/dvc", "unsupported remote scheme 'http://'"),
        ("s4://bucket/dvc", "unsupported remote scheme 's4://'"),
        ("s3://", "names no bucket"),
        ("azure:///path", "names no container"),
        ("gs:/bucket/path", "looks like a URL without //"),
        ("s3://AKIDEXAMPLE:pw@bucket/dvc", "holds credentials"),
    ],
)
def test_a_bad_remote_is_an_error_with_its_position(remote: str, expected: str) -> None:
    message = _error(spec_text(remote))
    assert message.startswith("mlops.yaml:10:11: data.remote: "), message
    assert expected in message
    assert "hint" in message or "use s3://" in message


def test_a_remote_without_dvc_is_an_error() -> None:
    message = _error(spec_text("s3://churn-data/dvc", versioning="none"))
    assert "mlops.yaml:10:3: data.remote: data.remote is read only with data.versioning: dvc" in (
        message
    )


def test_new_writes_nothing_for_an_unsupported_remote(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(spec_text("ftp://files.example.com/dvc"))
    out = tmp_path / "repo"
    result = run_cli("new", str(spec), "-o", str(out), "--no-lock")
    assert result.code == 2
    assert f"{spec}:10:11: data.remote: unsupported remote scheme 'ftp://'" in result.err
    assert not out.exists()


@pytest.mark.parametrize(
    ("remote", "url", "plugin"),
    [
        ("s3://churn-data/dvc", "s3://churn-data/dvc", "dvc-s3"),
        ("azure://churn/dvc", "azure://churn/dvc", "dvc-azure"),
        ("gs://churn-data/dvc", "gs://churn-data/dvc", "dvc-gs"),
        ("/mnt/shared/dvc", "/mnt/shared/dvc", None),
        # .dvc/config resolves a relative path from .dvc/, as `dvc remote add` writes it.
        ("../dvc-storage", "../../dvc-storage", None),
    ],
)
def test_render_configures_the_remote_and_its_plugin(
    tmp_path: Path, remote: str, url: str, plugin: str | None
) -> None:
    root = tmp_path / "repo"
    create_repository(spec_text(remote), root)
    config = configparser.ConfigParser()
    config.read_string((root / ".dvc" / "config").read_text())
    assert config["core"]["remote"] == "storage"
    assert config["'remote \"storage\"'"]["url"] == url
    assert "/cache\n" in (root / ".dvc" / ".gitignore").read_text()
    assert (root / ".dvcignore").is_file()
    pyproject = (root / "pyproject.toml").read_text()
    assert '"dvc>=3.50",' in pyproject
    for name in ("dvc-s3", "dvc-azure", "dvc-gs"):
        assert (f'"{name}>=' in pyproject) == (name == plugin), name
    makefile = (root / "Makefile").read_text()
    assert "DATA_SOURCES := data/raw/train.csv\n" in makefile
    assert "data-pull: ##" in makefile
    assert "\t$(PYTHON) -m dvc pull $(DATA_SOURCES)\n" in makefile
    push = "\t$(PYTHON) -m dvc add $(DATA_SOURCES)\n\t$(PYTHON) -m dvc push $(DATA_SOURCES)\n"
    assert push in makefile
    assert f"remote: {remote}" in (root / "mlops.yaml").read_text()


def test_render_tracks_the_shipped_data_with_dvc_not_git(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    create_repository(spec_text(), root)
    data = (root / "data" / "raw" / "train.csv").read_bytes()
    pointer = yaml.safe_load((root / "data" / "raw" / "train.csv.dvc").read_text())
    # What `dvc add` writes (DVC 3: the plain md5 of the file's bytes), checked against dvc.
    assert pointer == {
        "outs": [
            {
                "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                "size": len(data),
                "hash": "md5",
                "path": "train.csv",
            }
        ]
    }
    ignore = (root / "data" / "raw" / ".gitignore").read_text().splitlines()
    assert "/train.csv" in ignore
    # The unit tests' workspace keeps a plain file: its spec has no DVC.
    fixture = yaml.safe_load((root / "tests/fixtures/workspace/mlops.yaml").read_text())
    assert fixture["data"]["versioning"] == "none"


def test_without_dvc_there_is_no_dvc_set_up(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    create_repository("version: 1\nproject: {name: Churn}\n", root)
    assert not (root / ".dvc").exists()
    assert not (root / ".dvcignore").exists()
    assert not (root / "data" / "raw" / "train.csv.dvc").exists()
    assert "dvc" not in (root / "pyproject.toml").read_text()
    assert "data-pull" not in (root / "Makefile").read_text()
    for pipeline in build_pipelines(parse_spec("version: 1\nproject: {name: Churn}\n")):
        for job in pipeline.jobs:
            assert "make data-pull" not in job.commands


def test_every_job_that_reads_data_pulls_it_first_and_nothing_else_does() -> None:
    spec = parse_spec(spec_text())
    seen = set()
    for pipeline in build_pipelines(spec):
        for job in pipeline.jobs:
            pulls = "make data-pull" in job.commands
            assert pulls == (job.id in DATA_JOBS), job.id
            if pulls:
                seen.add(job.id)
                # After the install (dvc comes from uv.lock), before any task.
                index = job.commands.index("make data-pull")
                assert "uv sync" in job.commands[index - 1]
                assert all(c.startswith("make ") for c in job.commands[index:])
            # CI never pushes data.
            assert not any("data-push" in c or "dvc push" in c for c in job.commands)
    assert seen == DATA_JOBS


def test_data_secrets_reach_only_the_jobs_that_pull() -> None:
    spec = parse_spec(spec_text())
    for pipeline in build_pipelines(spec):
        for job in pipeline.jobs:
            names = {s.name for s in job.secrets}
            assert ("AWS_SECRET_ACCESS_KEY" in names) == (job.id in DATA_JOBS), job.id
            # data-validate has no stage of its own; model-gate reads the registry (evaluate).
            scopes = {"data-validate": "secrets-data", "model-gate": "secrets-evaluate"}
            if job.id in scopes:
                assert job.environment is not None
                assert job.environment.name == scopes[job.id]


@pytest.mark.parametrize("platform", list(Platform))
def test_each_platform_runs_data_pull_in_the_data_jobs(platform: Platform) -> None:
    spec = parse_spec(spec_text())
    impl = PLATFORMS[platform]
    emitted = impl.emit(build_pipelines(spec))
    # Read back from the platform's YAML: the same jobs pull, and nothing else does.
    pulling = {j.id for p in impl.parse(emitted) for j in p.jobs if "make data-pull" in j.commands}
    assert pulling == DATA_JOBS
    text = "\n".join(render_managed(spec, platforms=[platform]).files.values())
    assert text.count("make data-pull") >= len(DATA_JOBS)
    assert "dvc push" not in text
