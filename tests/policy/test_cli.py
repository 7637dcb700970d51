"""`mlopsgen audit` and `mlopsgen rules` through cli.main: exit codes, formats, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.repo_paths import CliResult

Run = Callable[..., CliResult]

CLEAN = """\
on: {push: {branches: [main]}}
permissions: {}
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with: {persist-credentials: false}
      - run: make test
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(CLEAN)
    return tmp_path


def test_clean_exits_0(run_cli: Run, repo: Path) -> None:
    result = run_cli("audit", str(repo), "--policy", "strict", "--no-progress")
    assert result.code == 0, result.err
    assert "0 finding(s)" in result.out


def test_findings_exit_1_and_fail_on_moves_the_threshold(run_cli: Run, repo: Path) -> None:
    wf = repo / ".github" / "workflows" / "ci.yml"
    wf.write_text(CLEAN.replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-latest"))
    assert run_cli("audit", str(repo), "--policy", "strict").code == 0  # RUN-003 is low
    assert run_cli("audit", str(repo), "--policy", "strict", "--fail-on", "low").code == 1
    wf.write_text(CLEAN.replace("permissions: {}\n", ""))
    result = run_cli("audit", str(wf), "--policy", "baseline")
    assert result.code == 1 and "PERM-001" in result.out


def test_bad_input_exits_2(run_cli: Run, repo: Path) -> None:
    assert run_cli("audit", str(repo / "missing.yml")).code == 2
    assert run_cli("audit", str(repo), "--policy", "nope").code == 2
    result = run_cli("audit", str(repo), "--select", "GATE-999")
    assert result.code == 2 and "matches no rule" in result.err
    bad = repo / "bad.yaml"
    bad.write_text("name: bad\nselect: [nothing]\n")
    result = run_cli("audit", str(repo), "--policy", str(bad))
    assert result.code == 2 and "bad.yaml:2" in result.err


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "gitlab-codequality"])
def test_formats_to_a_file(run_cli: Run, repo: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    result = run_cli("audit", str(repo), "--format", fmt, "-o", str(out))
    assert result.code == 0 and result.out == ""
    text = out.read_text()
    if fmt != "junit":
        json.loads(text)
    else:
        assert text.startswith("<?xml")


def test_platform_override_and_as_of(run_cli: Run, tmp_path: Path) -> None:
    loose = tmp_path / "jobs.yml"
    loose.write_text("test:\n  script: [make test]\n")
    result = run_cli("audit", str(loose), "--select", "RUN-002", "--platform", "gitlab")
    assert result.code == 0 and "RUN-002" in result.out
    waived = tmp_path / "w.yml"
    waived.write_text(
        "on: push\njobs:\n  t:  # mlopsgen: waive RUN-002 expires=2026-01-01 owner=me reason=x\n"
        "    runs-on: ubuntu-24.04\n    steps: [{run: make}]\n"
    )
    early = run_cli(
        "audit", str(waived), "--select", "RUN-002", "--as-of", "2025-12-31", "--platform", "github"
    )
    late = run_cli(
        "audit", str(waived), "--select", "RUN-002", "--as-of", "2026-01-02", "--platform", "github"
    )
    assert "0 finding(s)" in early.out
    assert "expired on 2026-01-01" in late.out


def test_progress_goes_to_stderr(run_cli: Run, repo: Path) -> None:
    result = run_cli("audit", str(repo), "--progress")
    assert "audit: 1 file(s)" in result.err and "audit:" not in result.out


def test_rules_list_explain_and_markdown(run_cli: Run) -> None:
    listing = run_cli("rules")
    assert listing.code == 0 and "GATE-004" in listing.out and "PIN-007" in listing.out
    one = run_cli("rules", "gate-004")
    assert one.code == 0 and "Anti-pattern" in one.out and "kinds (list of strings" in one.out
    family = run_cli("rules", "GATE")
    assert family.out.count("GATE-") == 7
    assert run_cli("rules", "GATE-099").code == 2
    doc = json.loads(run_cli("rules", "--format", "json").out)
    assert {r["id"] for r in doc} >= {"GATE-001", "SEC-001"}
    assert run_cli("rules", "--format", "markdown").out.startswith("# Rules")
