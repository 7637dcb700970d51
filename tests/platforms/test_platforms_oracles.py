"""Every example through check-jsonschema's CLI (vendored schemas) and zizmor (pedantic).

The repository's examples/ are rendered here exactly as their golden files
(tests/test_golden.py keeps the two equal), plus the specs of tests/pipeline/specs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mlopsgen.pipeline import build_pipelines
from mlopsgen.platforms import PLATFORMS, render_text
from mlopsgen.spec import load_spec
from mlopsgen.spec.model import Platform
from tests.platforms.ci_schemas import all_strings
from tests.platforms.platform_examples import EXAMPLES, example_spec

REPO_EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[Platform, list[Path]]:
    """Every example on every platform, written under one directory per example."""
    root = tmp_path_factory.mktemp("rendered")
    out: dict[Platform, list[Path]] = {p: [] for p in Platform}
    specs = [(name, example_spec(name)) for name in EXAMPLES]
    specs += [(f"examples-{p.stem}", load_spec(p)) for p in REPO_EXAMPLES]
    for name, spec in specs:
        ps = build_pipelines(spec)
        for platform, impl in PLATFORMS.items():
            for rel, text in render_text(impl.emit(ps)).items():
                path = root / name / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                out[platform].append(path)
    return out


def tool(name: str) -> str:
    found = shutil.which(name)
    # Both are in the dev extra; a missing oracle is a broken set-up, never a pass.
    assert found is not None, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


@pytest.mark.parametrize(
    ("platform", "args"),
    [
        (Platform.GITHUB, ["--builtin-schema", "vendor.github-workflows"]),
        (
            Platform.GITLAB,
            ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"],
        ),
    ],
)
def test_check_jsonschema(
    rendered: dict[Platform, list[Path]], platform: Platform, args: list[str]
) -> None:
    result = run([tool("check-jsonschema"), *args, *map(str, rendered[platform])])
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_azure(rendered: dict[Platform, list[Path]], tmp_path: Path) -> None:
    # Azure reads every scalar as a string; the schema says so. The oracle harness checks
    # an all-strings JSON copy the same way.
    copies = []
    for i, path in enumerate(rendered[Platform.AZURE]):
        copy = tmp_path / f"{i}.json"
        copy.write_text(json.dumps(all_strings(yaml.safe_load(path.read_text()))))
        copies.append(str(copy))
    result = run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.azure-pipelines",
            "--data-transform",
            "azure-pipelines",
            "--regex-variant",
            "nonunicode",
            *copies,
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_pedantic(rendered: dict[Platform, list[Path]]) -> None:
    result = run(
        [
            tool("zizmor"),
            "--offline",
            "--no-config",
            "--persona",
            "pedantic",
            "--format",
            "json",
            "--no-progress",
            "--color",
            "never",
            *map(str, rendered[Platform.GITHUB]),
        ]
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert result.returncode == 0, result.stderr
