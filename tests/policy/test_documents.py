"""Every YAML document of a pipeline file is audited, or named in a finding (issue 11)."""

from __future__ import annotations

from pathlib import Path

from mlopsgen.policy import AuditSettings, Engine, FileReport, audit, load_policy
from tests.policy.cases import TODAY
from tests.policy.test_cli import CLEAN, Run

# Line 11 is the `---`; the injection is on line 19, its expression at column 24.
TWO_WORKFLOWS = (
    CLEAN
    + """\
---
on: {issues: {types: [opened]}}
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - run: echo "${{ github.event.issue.title }}"
"""
)
GITLAB_JOB = """\
stages: [test]
workflow:
  rules: [{if: $CI_PIPELINE_SOURCE == "push"}]
test:
  image: python:3.12@sha256:0b6e6fd8a6e2e1e5ca1b2d5a0f4b4a3c2e6cf56a56d6be2b1c0b1f3e0e2d5c7a
  timeout: 10m
  script:
    - eval "$CI_MERGE_REQUEST_TITLE"
"""


def _audit(text: str, path: str, packs: tuple[str, ...] = ("strict",)) -> FileReport:
    engine = Engine(load_policy(packs), AuditSettings(today=TODAY))
    return engine.pipeline(text, file=path, path=path)


def _where(report: FileReport, rule: str) -> list[tuple[int | None, int | None]]:
    return [(r.location.line, r.location.column) for r in report.results if r.rule == rule]


def test_an_injection_in_the_second_document_is_found_at_its_line() -> None:
    report = _audit(TWO_WORKFLOWS, ".github/workflows/ci.yml")
    assert _where(report, "INJ-001") == [(19, 24)]
    # GitHub rejects the file: said once, where the second document starts.
    (parse,) = [r for r in report.results if r.rule == "PARSE-003"]
    assert (parse.location.line, parse.location.column) == (12, 1)
    assert "one YAML document" in parse.message and "2 documents" in parse.message


def test_each_document_is_audited_on_its_own_lines_only() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps: [{run: make}]\n"
        "---\non: push\njobs:\n  b:\n    runs-on: ubuntu-24.04\n    runs-on: ubuntu-22.04\n"
        '    steps: [{run: "echo \u202e"}]\n'
    )
    report = _audit(text, ".github/workflows/ci.yml")
    # Rules over the whole text (duplicate keys, invisible characters) report once.
    assert _where(report, "RUN-005") == [(11, 5)]
    assert len(_where(report, "RUN-004")) == 1
    assert _where(report, "RUN-002") == [(3, 3), (9, 3)]  # one job per document


def test_inline_waivers_in_any_document_apply_once() -> None:
    text = TWO_WORKFLOWS.replace(
        '      - run: echo "${{',
        "      # mlopsgen: waive INJ-001 expires=2099-01-01 owner=me reason=test\n"
        '      - run: echo "${{',
    )
    report = _audit(text, ".github/workflows/ci.yml")
    (inj,) = [r for r in report.results if r.rule == "INJ-001"]
    assert inj.suppressed
    assert not [r for r in report.results if r.rule == "GOV-001"]


def test_a_gitlab_spec_header_is_not_a_second_pipeline() -> None:
    text = "spec:\n  inputs:\n    stage: {default: test}\n---\n" + GITLAB_JOB
    report = _audit(text, ".gitlab-ci.yml")
    assert not _where(report, "PARSE-003")
    assert _where(report, "INJ-004") == [(12, 7)]


def test_a_third_gitlab_document_is_reported_and_audited() -> None:
    text = "spec:\n  inputs: {}\n---\n" + GITLAB_JOB + "---\n" + GITLAB_JOB
    report = _audit(text, ".gitlab-ci.yml")
    assert _where(report, "PARSE-003") == [(13, 1)]
    assert _where(report, "INJ-004") == [(11, 7), (20, 7)]


def test_documents_that_are_no_mapping_are_named() -> None:
    report = _audit(CLEAN + "---\n- just\n- a list\n", ".github/workflows/ci.yml")
    assert sorted(_where(report, "PARSE-003")) == [(12, 1), (12, 1)]
    assert {r.message.split(";")[0] for r in report.results} == {
        "a github pipeline is a mapping at the top level, not list",
        "GitHub reads one YAML document per workflow file and rejects more",
    }
    # No document can be audited: every one of them is still named.
    report = _audit("- a\n---\n- b\n", ".github/workflows/ci.yml")
    assert report.platform is None
    assert sorted(_where(report, "PARSE-003")) == [(1, 1), (3, 1), (3, 1)]


def test_a_stray_document_marker_is_no_document() -> None:
    report = _audit(CLEAN + "---\n", ".github/workflows/ci.yml")
    assert report.results == []


def test_hidden_jobs_of_a_template_library_are_audited_as_jobs() -> None:
    text = """\
.base:
  image: python:3.12
  script:
    - eval "$CI_MERGE_REQUEST_TITLE"
.deploy:
  extends: .base
  environment: production
.vars:
  variables: {A: "1"}
"""
    report = _audit(text, "ci/templates.yml")
    # Once, in the template that defines it, though `.deploy` inherits it.
    assert _where(report, "INJ-004") == [(4, 7)]
    assert _where(report, "PIN-007") == [(2, 3)]
    # What the including pipeline decides (timeouts, scans before a deploy) is not asked.
    assert not {"RUN-002", "SCAN-001", "SEC-010", "GATE-001"} & {r.rule for r in report.results}


def test_hidden_jobs_beside_visible_ones_stay_templates() -> None:
    text = '.quiet:\n  script: [eval "$CI_COMMIT_MESSAGE"]\n' + GITLAB_JOB.replace("eval", "echo")
    report = _audit(text, ".gitlab-ci.yml")
    assert not _where(report, "INJ-004")


def test_a_complex_key_is_a_finding_not_silence() -> None:
    report = _audit("? [a, b]\n: c\n", ".gitlab-ci.yml")
    assert [(r.rule, r.location.line, r.location.column) for r in report.results] == [
        ("PARSE-003", 1, 3)
    ]
    report = _audit("? [a, b]\n: c\n" + GITLAB_JOB, ".gitlab-ci.yml")
    assert _where(report, "PARSE-003") == [(1, 3)]
    assert _where(report, "INJ-004") == [(10, 7)]


def test_repository_audit_reads_every_document(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(TWO_WORKFLOWS)
    (report,) = audit([tmp_path], AuditSettings(today=TODAY, packs=("baseline",)))
    assert {r.rule for r in report.results} == {"INJ-001", "PARSE-003"}


def test_exit_codes(run_cli: Run, tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(TWO_WORKFLOWS)
    result = run_cli("audit", str(workflow))
    assert result.code == 1 and "INJ-001" in result.out and "ci.yml:19:24" in result.out
    hidden = tmp_path / "templates.gitlab-ci.yml"
    hidden.write_text('.build:\n  script:\n    - eval "$CI_MERGE_REQUEST_TITLE"\n')
    result = run_cli("audit", str(hidden))
    assert result.code == 1 and "INJ-004" in result.out
    complex_key = tmp_path / "keys.gitlab-ci.yml"
    complex_key.write_text("? [a, b]\n: c\n")
    # PARSE-003 is medium: below baseline's threshold (high), at strict's (medium).
    result = run_cli("audit", str(complex_key))
    assert result.code == 0 and "keys.gitlab-ci.yml:1:3: medium PARSE-003" in result.out
    assert run_cli("audit", str(complex_key), "--policy", "strict").code == 1
