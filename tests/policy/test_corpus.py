"""The whole corpus of real pipeline files: no crash, and one clear finding per unreadable file."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mlopsgen.policy import AuditSettings, audit
from tests.policy.cases import TODAY
from tests.repo_paths import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus is not beside the repository")
def test_strict_audit_of_the_corpus_never_crashes() -> None:
    reports = list(audit([CORPUS], AuditSettings(today=TODAY, packs=("strict",))))
    expected = sum(1 for p in CORPUS.rglob("*") if p.suffix in {".yml", ".yaml"})
    assert len(reports) == expected
    parse: Counter[str] = Counter()
    for report in reports:
        # PARSE-004 (an include not followed) is a finding about part of a readable file;
        # so is PARSE-003 beside other findings (a document or an entry not audited).
        if report.platform is None:  # nothing of the file could be audited
            assert report.results, report.file
            assert all(r.message and r.rule.startswith("PARSE-") for r in report.results)
            parse[report.results[0].rule] += 1
        else:
            assert not {"PARSE-001", "PARSE-002"} & {r.rule for r in report.results}, report.file
    # The corpus holds only files that PyYAML reads, each with a platform's shape; a few
    # are deliberately odd (an empty list of jobs, a bare mapping of variables).
    assert parse["PARSE-001"] == 0
    assert sum(parse.values()) < 0.01 * len(reports)


def test_unreadable_files_get_one_finding_each(tmp_path: Path) -> None:
    (tmp_path / "binary.yml").write_bytes(b"\x00\xff\xfe garbage \x80")
    (tmp_path / "empty.yml").write_text("")
    (tmp_path / "scalar.yml").write_text("just text\n")
    (tmp_path / "broken.yml").write_text("on: push\njobs: {test: [\n")
    (tmp_path / "bomb.yml").write_text(
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
            for p, c in zip("abcde", "bcdef", strict=True)
        )
        + "jobs: {t: {runs-on: x, steps: *f}}\non: push\n"
    )
    (tmp_path / "deep.yml").write_text("on: push\njobs: " + "[" * 200 + "]" * 200 + "\n")
    (tmp_path / "tabs.yml").write_text("on: push\njobs:\n\ttest: {}\n")
    (tmp_path / "list.gitlab-ci.yml").write_text("- a\n- b\n")
    reports = {Path(r.file).name: r for r in audit([tmp_path], AuditSettings(today=TODAY))}
    expected = {
        "binary.yml": "PARSE-001",
        "empty.yml": "PARSE-002",
        "scalar.yml": "PARSE-002",
        "broken.yml": "PARSE-001",
        "bomb.yml": "PARSE-001",
        "deep.yml": "PARSE-001",
        "tabs.yml": "PARSE-001",
        "list.gitlab-ci.yml": "PARSE-003",
    }
    for name, rule in expected.items():
        results = reports[name].results
        assert [r.rule for r in results] == [rule], (name, [r.message for r in results])
