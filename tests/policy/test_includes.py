"""Pipelines split across files: local includes, extends and templates are audited as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.diagnostics import Severity
from mlopsgen.policy import AuditSettings, audit
from mlopsgen.policy.engine import FileReport, Result
from tests.policy.cases import TODAY

STRICT = AuditSettings(today=TODAY, packs=("strict",))


def _write(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _reports(root: Path, settings: AuditSettings = STRICT) -> dict[str, FileReport]:
    return {r.file: r for r in audit([root], settings)}


def _found(report: FileReport, rule: str) -> list[Result]:
    return [r for r in report.results if r.rule == rule]


GITLAB = {
    ".gitlab-ci.yml": """\
workflow:
  rules: [{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]
include:
  - local: .gitlab/ci/jobs.yml
  - local: /.gitlab/ci/deploy.yml
  - local: ci/missing.yml
  - project: platform/templates
    ref: 0123456789abcdef0123456789abcdef01234567
    file: /python.yml
stages: [scan, deploy]
sast:
  stage: scan
  script: [bandit -r src]
test:
  extends: .python
  script: [pytest]
""",
    ".gitlab/ci/jobs.yml": """\
.python:
  image: python:latest
  before_script:
    - pip install requests
""",
    ".gitlab/ci/deploy.yml": """\
include:
  - local: .gitlab/ci/jobs.yml
deploy:
  stage: deploy
  needs: [sast]
  environment: production
  script:
    - eval "deploy $CI_COMMIT_BRANCH"
""",
}


def test_gitlab_local_includes_and_extends_are_one_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, GITLAB)
    monkeypatch.chdir(tmp_path)
    reports = _reports(Path())
    main, jobs = reports[".gitlab-ci.yml"], reports[".gitlab/ci/jobs.yml"]
    deploy = reports[".gitlab/ci/deploy.yml"]
    # What the including file says is reported there, with its line.
    problems = {r.message: r for r in _found(main, "PARSE-004")}
    missing = next(r for m, r in problems.items() if "ci/missing.yml" in m)
    assert missing.severity is Severity.LOW and missing.location.line == 6
    remote = next(r for m, r in problems.items() if "platform/templates" in m)
    assert remote.severity is Severity.INFO and remote.location.line == 7
    # An image and an install inherited through extends: from the file that writes them.
    (image,) = _found(jobs, "PIN-007")
    assert (image.location.file, image.location.line) == (".gitlab/ci/jobs.yml", 2)
    (install,) = _found(jobs, "PIN-011")
    assert install.location.line == 4 and "'test'" in install.message
    # The deploy in the included file needs the scan in the including one: gate intact.
    assert not _found(deploy, "GATE-001")
    (inj,) = _found(deploy, "INJ-004")
    assert (inj.location.file, inj.location.line) == (".gitlab/ci/deploy.yml", 8)
    # Every finding is in the report of the file it points at, once.
    for name, report in reports.items():
        assert all(r.location.file == name for r in report.results), name
        keys = [(r.rule, r.location.line, r.location.column, r.message) for r in report.results]
        assert len(keys) == len(set(keys)), name


def test_a_fragment_audited_alone_still_gets_its_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, GITLAB)
    monkeypatch.chdir(tmp_path)
    reports = _reports(Path(".gitlab/ci/deploy.yml"))
    (report,) = reports.values()
    assert _found(report, "INJ-004")


def test_gitlab_include_cycles_and_depth_are_reported(tmp_path: Path) -> None:
    files = {
        ".gitlab-ci.yml": "include: [a.yml]\ntest: {script: [make test]}\n",
        "a.yml": "include: [b.yml]\n",
        "b.yml": "include: [a.yml]\n",
    }
    files.update({f"d{i}.yml": f"include: [d{i + 1}.yml]\n" for i in range(25)})
    files[".gitlab-ci.yml"] = "include: [a.yml, d0.yml]\ntest: {script: [make test]}\n"
    _write(tmp_path, files)
    results = [r for rep in audit([tmp_path / ".gitlab-ci.yml"], STRICT) for r in rep.results]
    messages = [r.message for r in results if r.rule == "PARSE-004"]
    assert any("includes itself" in m for m in messages), messages
    assert any("nest deeper than 20" in m for m in messages), messages


AZURE = {
    "azure-pipelines.yml": """\
trigger: {branches: {include: [main]}}
pr: none
extends:
  template: templates/pipeline.yml
""",
    "templates/pipeline.yml": """\
stages:
  - stage: build
    jobs:
      - job: build
        steps:
          - template: steps/install.yml
          - template: steps/missing.yml
          - template: common.yml@other
          - script: echo "$(Build.SourceVersionMessage)"
""",
    "templates/steps/install.yml": """\
steps:
  # mlopsgen: waive PIN-012 expires=2027-01-01 owner=me reason="vendored next sprint"
  - script: curl -sSL https://example.com/install.sh | bash
  - script: curl -sSL https://example.com/other.sh | bash
""",
}


def test_azure_templates_are_followed_and_findings_name_their_file(tmp_path: Path) -> None:
    _write(tmp_path, AZURE)
    (report,) = audit([tmp_path / "azure-pipelines.yml"], STRICT)
    where = {(r.rule, Path(r.location.file).name, r.location.line) for r in report.active}
    assert ("INJ-003", "pipeline.yml", 9) in where
    assert ("PIN-012", "install.yml", 4) in where
    assert ("PARSE-004", "pipeline.yml", 7) in where
    assert ("PARSE-004", "pipeline.yml", 8) in where
    # The inline waiver in the template covers the finding on its line.
    waived = [r for r in report.results if r.suppressed]
    assert [(r.rule, r.location.line) for r in waived] == [("PIN-012", 3)]


def test_text_rules_read_included_files(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": "include: [ci.yml]\n",
            "ci.yml": "test:\n  script: [echo ok]  # \u202e hidden\n  script: [make test]\n",
        },
    )
    (report,) = audit([tmp_path / ".gitlab-ci.yml"], STRICT)
    found = {(r.rule, Path(r.location.file).name, r.location.line) for r in report.results}
    assert ("RUN-004", "ci.yml", 2) in found
    assert ("RUN-005", "ci.yml", 3) in found


def test_loose_files_include_from_their_folder(tmp_path: Path) -> None:
    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / "pipeline.gitlab-ci.yml").write_text("include: [jobs.yml]\n")
    (folder / "jobs.yml").write_text("test:\n  image: python:latest\n  script: [make test]\n")
    reports = list(audit([folder / "pipeline.gitlab-ci.yml"], STRICT))
    found = [r for r in reports[0].results if r.rule == "PIN-007"]
    assert [Path(r.location.file).name for r in found] == ["jobs.yml"]
