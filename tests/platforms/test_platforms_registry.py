"""The registry is exhaustive; detection, pin comments and parse errors behave."""

from __future__ import annotations

import pytest

from mlopsgen.pipeline import Job, JobKind, Pipeline, Triggers
from mlopsgen.platforms import PLATFORMS, PipelineParseError, detect, render_text
from mlopsgen.platforms.github import CHECKOUT, annotate
from mlopsgen.platforms.gitlab import glob_to_regex, regex_to_glob
from mlopsgen.spec.model import Platform


def test_registry_is_exhaustive() -> None:
    assert list(PLATFORMS) == list(Platform)
    for platform, impl in PLATFORMS.items():
        assert impl.platform is platform
        assert impl.lossy and all("." in k for k in impl.lossy)


@pytest.mark.parametrize(
    ("path", "platform"),
    [
        (".github/workflows/ci.yml", Platform.GITHUB),
        (".github/workflows/monitor.yaml", Platform.GITHUB),
        (".github/workflows/sub/x.yml", None),
        (".gitlab-ci.yml", Platform.GITLAB),
        ("azure-pipelines.yml", Platform.AZURE),
        (".azure-pipelines/monitor.yml", Platform.AZURE),
        ("mlops.yaml", None),
    ],
)
def test_detect(path: str, platform: Platform | None) -> None:
    assert detect(path) is platform


def test_emitted_paths_are_owned() -> None:
    job = Job(id="a", kind=JobKind.TEST, commands=("make test",))
    ps = (Pipeline(id="ci", name="x", python="3.11", triggers=Triggers(), jobs=(job,)),)
    for platform, impl in PLATFORMS.items():
        assert all(detect(path) is platform for path in impl.emit(ps))


def test_annotate_adds_pin_and_permission_comments() -> None:
    text = (
        f"steps:\n  - uses: {CHECKOUT.uses}\n  - uses: other/action@{'a' * 40}\n"
        "  - uses: actions/checkout@v4\n"
    )
    out = annotate(text).splitlines()
    assert out[1] == f"  - uses: {CHECKOUT.uses} # {CHECKOUT.version}"
    assert out[2:] == text.splitlines()[2:]
    assert annotate("    id-token: write\n").startswith("    id-token: write # OIDC")


def test_render_text_is_deterministic() -> None:
    job = Job(id="a", kind=JobKind.TEST, commands=("make test",))
    ps = (Pipeline(id="ci", name="x", python="3.11", triggers=Triggers(), jobs=(job,)),)
    files = PLATFORMS[Platform.GITHUB].emit(ps)
    assert render_text(files) == render_text(files)
    assert "# v" in render_text(files)[".github/workflows/ci.yml"]


@pytest.mark.parametrize("glob", ["v*", "release/*", "a.b-c_d", "**", "x.*"])
def test_glob_regex_roundtrip(glob: str) -> None:
    assert regex_to_glob(glob_to_regex(glob)) == glob


def test_regex_to_glob_refuses_other_regexes() -> None:
    assert regex_to_glob("^v[0-9]+$") is None
    assert regex_to_glob("v.*") is None


def test_unsupported_conditions_are_parse_errors() -> None:
    gh = {
        ".github/workflows/ci.yml": {
            "on": "push",
            "jobs": {
                "a": {"runs-on": "x", "if": "github.actor == 'me'", "steps": [{"run": "make test"}]}
            },
        }
    }
    with pytest.raises(PipelineParseError, match="unsupported job condition"):
        PLATFORMS[Platform.GITHUB].parse(gh)
    gl = {".gitlab-ci.yml": {"a": {"script": ["make test"], "rules": [{"if": "$FOO"}]}}}
    with pytest.raises(PipelineParseError, match="unsupported rule"):
        PLATFORMS[Platform.GITLAB].parse(gl)
    az = {
        "azure-pipelines.yml": {
            "stages": [
                {
                    "stage": "a",
                    "condition": "always()",
                    "jobs": [{"job": "a", "steps": [{"bash": "make test"}]}],
                }
            ]
        }
    }
    with pytest.raises(PipelineParseError, match="unsupported condition"):
        PLATFORMS[Platform.AZURE].parse(az)


def test_hand_written_files_parse_with_platform_defaults() -> None:
    gl = {
        ".gitlab-ci.yml": {
            "stages": ["build", "test"],
            "build": {"stage": "build", "script": "make build"},
            "test": {
                "stage": "test",
                "script": ["make test"],
                "allow_failure": True,
                "timeout": "1h 30m",
            },
        }
    }
    (main,) = PLATFORMS[Platform.GITLAB].parse(gl)
    assert main.job("test").needs == ("build",)  # stage order without needs:
    assert main.job("test").allow_failure and main.job("test").timeout_minutes == 90
    assert main.job("build").kind is JobKind.OTHER
    gh = {
        ".github/workflows/ci.yml": {
            True: ["push"],
            "jobs": {
                "build": {
                    "runs-on": "x",
                    "continue-on-error": True,
                    "steps": [{"run": "make build"}],
                }
            },
        }
    }
    (wf,) = PLATFORMS[Platform.GITHUB].parse(gh)
    assert wf.job("build").allow_failure and wf.job("build").timeout_minutes == 360
    az = {"azure-pipelines.yml": {"steps": [{"script": "make build"}]}}
    (az_main,) = PLATFORMS[Platform.AZURE].parse(az)
    assert az_main.triggers.branches == ("*",) and az_main.triggers.pull_requests
    assert az_main.jobs[0].commands == ("make build",)
