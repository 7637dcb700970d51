"""Every rule's YAML case file: pass cases find nothing, fail cases find exactly these lines."""

from __future__ import annotations

import pytest

from mlopsgen.policy.base import Target
from mlopsgen.policy.rules import RULES
from tests.policy.cases import load_cases, run_case

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case) -> None:  # type: ignore[no-untyped-def]
    results = run_case(case)
    lines = sorted(r.location.line or 0 for r in results)
    messages = [r.format() if hasattr(r, "format") else r.message for r in results]
    if case.expect == "pass":
        assert results == [], messages
    else:
        assert results, "the fail case found nothing"
        assert lines == sorted(case.lines), messages
        for r in results:
            assert r.message and r.location.file == case.path


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_every_rule_has_pass_and_fail_cases_per_platform(rule) -> None:  # type: ignore[no-untyped-def]
    mine = [c for c in CASES if c.rule == rule.id]
    if rule.target is Target.SPEC:
        wanted = {"spec"}
    elif rule.target is Target.ENGINE:
        wanted = set()
    else:
        wanted = {p.value for p in rule.platforms}
    for platform in wanted:
        kinds = {c.expect for c in mine if c.platform == platform}
        assert kinds == {"pass", "fail"}, f"{rule.id} on {platform}: cases {sorted(kinds)}"


def test_case_files_name_known_rules() -> None:
    assert {c.rule for c in CASES} <= set(RULES)
