"""The engine: selection, requires, options, packs, locks, waivers, thresholds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mlopsgen.diagnostics import Severity
from mlopsgen.errors import UserError
from mlopsgen.policy import AuditSettings, Engine, PackError, Result, audit, load_policy
from mlopsgen.policy.base import OptionType, Target, matches
from mlopsgen.policy.rules import RULES
from tests.policy.cases import TODAY, only

WORKFLOW = """\
on: {push: {branches: [main]}}
jobs:
  sast:
    runs-on: ubuntu-24.04
    continue-on-error: true
    steps:
      - uses: actions/checkout@v4
      - run: bandit -r src
"""


def _engine(packs: tuple[str, ...] = ("strict",), **kw: object) -> Engine:
    return Engine(load_policy(packs), AuditSettings(today=TODAY, **kw))  # type: ignore[arg-type]


def test_registry_ids_are_unique_valid_and_sorted() -> None:
    assert list(RULES) == sorted(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule.valid_id(), rule_id
        assert rule.title() and not rule.title().endswith(".")


def test_at_least_forty_rules_beyond_the_engine() -> None:
    assert sum(1 for r in RULES.values() if r.target is not Target.ENGINE) >= 40


def test_requires_name_known_rules_and_have_no_cycle() -> None:
    for rule in RULES.values():
        assert set(rule.requires) <= set(RULES), rule.id
    _engine(("strict",))  # TopologicalSorter raises on a cycle


def test_option_type_accepts_every_declared_default() -> None:
    for rule in RULES.values():
        for option in rule.options:
            assert option.type.accepts(option.default), (rule.id, option.name)
    assert not OptionType.INT.accepts(True)
    assert OptionType.NUMBER.accepts(0.5) and OptionType.STRINGS.accepts(["a"])


def test_matches_ids_prefixes_and_all() -> None:
    assert matches("GATE-004", ["GATE"]) and matches("GATE-004", ["GATE-00"])
    assert matches("PIN-007", ["ALL"]) and not matches("PIN-007", ["GATE"])


def test_requires_skips_instead_of_failing() -> None:
    text = WORKFLOW.replace("actions/checkout@v4", "actions/checkout@main")
    report = _engine().pipeline(text, file="ci.yml", path=".github/workflows/ci.yml")
    rules = {r.rule for r in report.results}
    assert "PIN-001" in rules and "PIN-002" not in rules
    assert [s.rule for s in report.skipped] == ["PIN-002"]
    assert "PIN-001" in report.skipped[0].reason


def test_select_and_ignore() -> None:
    engine = _engine(("baseline",), select=("GATE",), ignore=("GATE-004",))
    report = engine.pipeline(WORKFLOW, file="ci.yml", path=".github/workflows/ci.yml")
    assert {r.rule for r in report.results} == set()
    engine = _engine(("baseline",), select=("GATE-004", "RUN-002"))
    report = engine.pipeline(WORKFLOW, file="ci.yml", path=".github/workflows/ci.yml")
    assert {r.rule for r in report.results} == {"GATE-004", "RUN-002"}


def test_builtin_packs_resolve() -> None:
    baseline, strict, regulated = (load_policy([p]) for p in ("baseline", "strict", "regulated"))
    assert baseline.fail_on is Severity.HIGH and strict.fail_on is Severity.MEDIUM
    assert regulated.fail_on is Severity.LOW
    assert regulated.packs == ("baseline", "strict", "regulated")
    assert baseline.rules["PIN-001"].options["allow"] == ["actions/*", "github/*"]
    assert strict.rules["PIN-001"].options["allow"] == []
    assert not strict.rules["SEC-002"].enabled and regulated.rules["SEC-002"].enabled
    assert regulated.rules["GATE-004"].locked_by == "regulated"
    assert regulated.rules["GATE-004"].severity is Severity.ERROR
    on = [r for r, c in baseline.rules.items() if c.enabled]
    assert set(on) < {r for r, c in strict.rules.items() if c.enabled}


def _pack(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_pack_schema_errors_are_precise(tmp_path: Path) -> None:
    path = _pack(tmp_path, "mine", "name: mine\nfail_onn: low\nselect: [gate]\n")
    with pytest.raises(PackError) as info:
        load_policy([str(path)])
    text = str(info.value)
    assert "mine.yaml:2:1: fail_onn" in text and "did you mean 'fail_on'" in text
    assert "select[0]" in text and "a rule id such as GATE-001" in text


def test_pack_option_types_and_names_are_checked_before_running(tmp_path: Path) -> None:
    path = _pack(
        tmp_path,
        "mine",
        "name: mine\nrules:\n  RUN-002:\n    options: {max_minutes: soon, nope: 1}\n"
        "  PIN-099: {severity: low}\n",
    )
    with pytest.raises(PackError) as info:
        load_policy([str(path)])
    text = str(info.value)
    assert 'option "max_minutes" of "RUN-002" should be int' in text
    assert 'RUN-002 has no option "nope" (its options: max_minutes)' in text
    assert "no rule PIN-099" in text and "did you mean PIN-009?" in text


def test_pack_extends_cycle_and_unknown(tmp_path: Path) -> None:
    _pack(tmp_path, "a", "name: a\nextends: b\n")
    _pack(tmp_path, "b", "name: b\nextends: [a]\n")
    with pytest.raises(UserError, match="cycle"):
        load_policy(["a"], search=[tmp_path])
    with pytest.raises(UserError, match=r"did you mean 'strict'"):
        load_policy(["strikt"])


def test_pack_name_must_match_file(tmp_path: Path) -> None:
    path = _pack(tmp_path, "mine", "name: other\n")
    with pytest.raises(PackError, match=r"but its file is mine\.yaml"):
        load_policy([str(path)])


def test_locked_rules_cannot_be_weakened_by_later_packs(tmp_path: Path) -> None:
    path = _pack(
        tmp_path,
        "lax",
        "name: lax\nfail_on: error\nignore: [GATE-004]\nrules:\n"
        "  GATE-005: {severity: low}\n  GATE-007: {options: {production: nothing}}\n"
        "  RUN-002: {severity: info}\n",
    )
    policy = load_policy(["regulated", str(path)])
    assert policy.rules["GATE-004"].enabled
    assert policy.rules["GATE-005"].severity is Severity.ERROR
    assert policy.rules["RUN-002"].severity is Severity.INFO  # not locked
    assert policy.fail_on is Severity.LOW  # the strictest threshold wins
    messages = [p.message for p in policy.problems]
    assert len(messages) == 3 and all("locked" in m for m in messages)
    assert {p.code for p in policy.problems} == {"GOV-002"}


def test_cli_ignore_cannot_switch_off_a_locked_rule() -> None:
    engine = _engine(("regulated",), ignore=("GATE",))
    assert engine.on("GATE-004")
    assert any("--ignore cannot switch off GATE-004" in p.message for p in engine.problems)


def test_fail_threshold_marks_blocking_results() -> None:
    report = _engine(("baseline",)).pipeline(
        WORKFLOW, file="ci.yml", path=".github/workflows/ci.yml"
    )
    blocking = {r.rule for r in report.results if r.blocking}
    assert "GATE-004" in blocking and "PERM-001" in blocking
    report = _engine(("baseline",), fail_on=Severity.ERROR).pipeline(
        WORKFLOW, file="ci.yml", path=".github/workflows/ci.yml"
    )
    assert not any(r.blocking for r in report.results)


INLINE = """\
on: {push: {branches: [main]}}
permissions: {}
jobs:
  # mlopsgen: waive GATE-004 expires=2026-12-31 owner=ml-platform reason="advisory until JIRA-42"
  sast:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    continue-on-error: true
    steps:
      - run: bandit -r src
  audit:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    continue-on-error: true  # mlopsgen: waive GATE-004 expires=2026-01-01 owner=me reason=old
    steps:
      - run: pip-audit --strict
  lint:  # mlopsgen: waive RUN-002 expires=2026-12-31 owner=me reason="never matches"
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
      - run: ruff check  # mlopsgen: waive GATE-004 owner=me
"""


def test_inline_waivers_scope_expiry_unused_and_malformed() -> None:
    engine = Engine(only("GATE-004"), AuditSettings(today=TODAY))
    report = engine.pipeline(INLINE, file="ci.yml", path=".github/workflows/ci.yml")
    by_rule: dict[str, list[Result]] = {}
    for r in report.results:
        by_rule.setdefault(r.rule, []).append(r)
    gate = sorted(by_rule["GATE-004"], key=lambda r: r.location.line or 0)
    assert [r.location.line for r in gate] == [8, 14]
    assert gate[0].suppressed and gate[0].waived_by is not None
    assert gate[0].waived_by.owner == "ml-platform"
    assert not gate[1].suppressed and gate[1].blocking
    assert gate[1].note is not None and "expired on 2026-01-01" in gate[1].note
    gov = sorted(by_rule["GOV-001"], key=lambda r: r.location.line or 0)
    messages = [(r.location.line, r.message) for r in gov]
    assert messages[0][0] == 14 and "expired on 2026-01-01" in messages[0][1]
    assert messages[1][0] == 17 and "matches no finding" in messages[1][1]
    assert messages[2][0] == 21 and "missing expires, reason" in messages[2][1]
    assert gov[1].severity is Severity.INFO


def test_waivers_do_not_apply_to_locked_rules() -> None:
    engine = _engine(("regulated",), select=("GATE-004", "GOV"))
    report = engine.pipeline(INLINE, file="ci.yml", path=".github/workflows/ci.yml")
    gate = [r for r in report.results if r.rule == "GATE-004"]
    assert gate and not any(r.suppressed for r in gate)
    assert all(r.note and "locks GATE-004" in r.note for r in gate)
    assert any(r.rule == "GOV-002" for r in report.results)


SPEC = """\
version: 1
project: {name: Spam Filter}
security:
  sast: {tool: bandit, fail_on: high}
policies:
  packs: [strict]
  waivers:
    - {rule: GATE-004, reason: "advisory while we tune it", owner: ml-team, expires: 2026-12-31}
    - {rule: PIN-012, reason: "nothing downloads here", owner: ml-team, expires: 2026-12-31}
    - {rule: SPEC-004, reason: "legacy code base first", owner: ml-team, expires: 2025-01-01}
"""


def test_repository_audit_uses_the_spec_packs_and_waivers(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "mlops.yaml").write_text(SPEC)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    reports = list(audit([repo], AuditSettings(today=TODAY)))
    assert [r.kind for r in reports] == ["pipeline", "spec"]
    pipeline, spec = reports
    gate = [r for r in pipeline.results if r.rule == "GATE-004"]
    assert gate and all(r.suppressed for r in gate)
    assert any(r.rule == "PIN-001" and r.blocking for r in pipeline.results)  # strict: no tags
    spec_results = {(r.rule, r.suppressed) for r in spec.results}
    assert ("SPEC-004", False) in spec_results  # its waiver expired
    note = next(r.note for r in spec.results if r.rule == "SPEC-004")
    assert note is not None and "expired on 2025-01-01" in note
    gov = [r.message for r in spec.results if r.rule == "GOV-001"]
    assert any("PIN-012" in m and "matches no finding" in m for m in gov)
    assert any("SPEC-004" in m and "expired" in m for m in gov)


def test_an_invalid_spec_is_one_finding_per_problem_and_skips_spec_rules(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "mlops.yaml").write_text(
        "version: 1\nproject: {name: X}\nsecrets: {provider: keepass}\n"
    )
    (report,) = audit([repo], AuditSettings(today=TODAY, packs=("strict",)))
    assert [r.rule for r in report.results] == ["SPEC-001"]
    assert report.results[0].location.line == 3
    assert {s.rule for s in report.skipped} >= {"SPEC-004", "ML-001"}


def test_unknown_spec_pack_falls_back_and_says_so(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "mlops.yaml").write_text("version: 1\nproject: {name: X}\npolicies: {packs: [nope]}\n")
    (report,) = audit([repo], AuditSettings(today=TODAY))
    assert any(
        r.rule == "SPEC-001"
        and "unknown policy pack 'nope'" in r.message
        and r.location.line == 3
        and r.blocking
        for r in report.results
    )


def test_repo_local_packs_are_found_but_cannot_shadow_builtins(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".mlopsgen" / "policies").mkdir(parents=True)
    (repo / ".mlopsgen" / "policies" / "team.yaml").write_text(
        "name: team\nextends: baseline\nselect: [RUN-002]\n"
    )
    (repo / ".mlopsgen" / "policies" / "baseline.yaml").write_text("name: baseline\n")
    (repo / "mlops.yaml").write_text("version: 1\nproject: {name: X}\npolicies: {packs: [team]}\n")
    (repo / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    reports = list(audit([repo], AuditSettings(today=TODAY)))
    rules = {r.rule for rep in reports for r in rep.results}
    assert "RUN-002" in rules  # from the repository's own pack
    assert "TRIG-005" not in rules  # baseline is the built-in one, not the repo's empty copy


def test_missing_path_is_bad_input() -> None:
    with pytest.raises(UserError, match="no such file"):
        list(audit([Path("/nonexistent/x.yml")]))


def test_today_defaults_to_the_real_date() -> None:
    assert AuditSettings().today == dt.date.today()
