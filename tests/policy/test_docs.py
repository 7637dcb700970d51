"""Rule docs: docs/rules.md is generated and current; every docstring has its parts."""

from __future__ import annotations

import re

import pytest
import yaml

from mlopsgen.policy.base import Target
from mlopsgen.policy.docs import option_help, rules_markdown
from mlopsgen.policy.packs import available_packs, load_policy
from mlopsgen.policy.rules import RULES
from tests.repo_paths import ROOT

REGENERATE = "mlopsgen rules --format markdown > docs/rules.md"


def test_rules_md_is_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_markdown(), f"docs/rules.md is stale: run `{REGENERATE}`"


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_docstring_has_title_rationale_and_examples(rule) -> None:  # type: ignore[no-untyped-def]
    doc = rule.doc()
    title, _, body = doc.partition("\n\n")
    assert "\n" not in title and len(title) < 100
    assert body.strip(), "no rationale"
    assert "Anti-pattern" in doc and "Best practice" in doc
    if rule.target is not Target.ENGINE:
        for block in re.findall(r"::\n\n((?:    .*\n|\n)+)", doc + "\n"):
            code = "\n".join(line[4:] for line in block.splitlines())
            if "mlopsgen " not in code and "..." not in code:
                yaml.safe_load(code)  # examples are YAML a reader can paste
    assert set(option_help(rule)) == {o.name for o in rule.options}


def test_packs_validate_and_policy_doc_names_them() -> None:
    policy_md = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    assert available_packs() == ["baseline", "regulated", "strict"]
    for name in available_packs():
        load_policy([name])
        assert f"`{name}`" in policy_md
