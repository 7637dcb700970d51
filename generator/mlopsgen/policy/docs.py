"""Rule documentation from the rule docstrings: the rules table, one rule, docs/rules.md."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from mlopsgen.policy.base import Rule, Target
from mlopsgen.policy.packs import Policy, available_packs, load_policy
from mlopsgen.policy.rules import RULES
from mlopsgen.spec.model import Platform

__all__ = ["explain", "option_help", "rules_json", "rules_markdown", "rules_table"]

_BLOCK = re.compile(r"^(Anti-pattern|Best practice)( \([^)]*\))?::\n\n((?:    .*\n|\n)+)", re.M)
_OPTIONS = re.compile(r"^Options:\n((?:    .*\n?)+)", re.M)
_PLATFORM_NAMES = {"github": "GitHub", "gitlab": "GitLab", "azure": "Azure"}


def _applies(rule: Rule) -> str:
    if rule.target is Target.SPEC:
        return "spec"
    if rule.target is Target.ENGINE:
        return "engine"
    return ", ".join(_PLATFORM_NAMES[p.value] for p in Platform if p in rule.platforms)


def option_help(rule: Rule) -> dict[str, str]:
    """The ``Options:`` section of the docstring, by option name."""
    match = _OPTIONS.search(rule.doc() + "\n")
    out: dict[str, str] = {}
    if match:
        for line in match.group(1).splitlines():
            name, sep, text = line.strip().partition(":")
            if sep:
                out[name.strip()] = text.strip()
    return out


def _body(rule: Rule) -> str:
    """The docstring without its title and options section."""
    doc = rule.doc() + "\n"
    body = doc.partition("\n")[2]
    return _OPTIONS.sub("", body).strip() + "\n"


def _packs_by_rule() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {r: [] for r in RULES}
    order = {"baseline": 0, "strict": 1, "regulated": 2}
    for name in sorted(available_packs(), key=lambda n: (order.get(n, 3), n)):
        policy: Policy = load_policy([name])
        for rule_id, config in policy.rules.items():
            if config.enabled:
                out[rule_id].append(name + (" (locked)" if config.locked_by else ""))
    return out


def rules_table(rules: Sequence[Rule]) -> str:
    """One line per rule: id, severity, where it applies, title."""
    return "".join(
        f"{r.id:<10} {r.severity.value:<7} {_applies(r):<22} {r.title()}\n" for r in rules
    )


def explain(rule: Rule) -> str:
    """Everything about one rule, as text."""
    lines = [
        f"{rule.id}: {rule.title()}",
        f"severity: {rule.severity.value}; applies to: {_applies(rule)}",
    ]
    if rule.requires:
        lines.append(f"requires: {', '.join(rule.requires)}")
    if rule.references:
        lines.append(f"see also: {'; '.join(rule.references)}")
    lines += ["", _body(rule).rstrip()]
    if rule.options:
        helps = option_help(rule)
        lines += ["", "Options:"]
        for o in rule.options:
            lines.append(
                f"  {o.name} ({o.type.value}, default {json.dumps(o.default)}): "
                f"{helps.get(o.name, o.help)}"
            )
    return "\n".join(lines) + "\n"


def _markdown_body(rule: Rule) -> str:
    def block(match: re.Match[str]) -> str:
        title = match.group(1) + (match.group(2) or "")
        code = "\n".join(line[4:] for line in match.group(3).rstrip("\n").splitlines())
        lang = "yaml" if ":" in code or code.lstrip().startswith("-") else "text"
        return f"**{title}**\n\n```{lang}\n{code}\n```\n\n"

    return _BLOCK.sub(block, _body(rule)).rstrip() + "\n"


def rules_markdown(rules: Mapping[str, Rule] = RULES) -> str:
    """docs/rules.md: an index table, then every rule from its docstring."""
    packs = _packs_by_rule()
    out = [
        "# Rules",
        "",
        "<!-- Generated from the rule docstrings by `mlopsgen rules --format markdown`."
        " Do not edit: a test fails when this file is stale. -->",
        "",
        f"{len(rules)} rules. Ids follow the catalogue in `reference/policy-rules.md`; the "
        'family is the prefix (see [policy.md](policy.md#rule-ids)). "Packs" lists the '
        "built-in packs that turn a rule on.",
        "",
        "| Id | Title | Severity | Applies to | Packs |",
        "|---|---|---|---|---|",
    ]
    for rule in rules.values():
        title = rule.title().replace("|", "\\|")
        out.append(
            f"| [{rule.id}](#{rule.id.lower()}) | {title} | {rule.severity.value} | "
            f"{_applies(rule)} | {', '.join(p.split(' ')[0] for p in packs[rule.id]) or 'none'} |"
        )
    for rule in rules.values():
        out += ["", f"## {rule.id}", "", f"**{rule.title()}**", ""]
        meta = [
            f"Severity: {rule.severity.value}",
            f"applies to: {_applies(rule)}",
            f"packs: {', '.join(packs[rule.id]) or 'none'}",
        ]
        if rule.requires:
            meta.append(f"requires: {', '.join(rule.requires)}")
        out += ["; ".join(meta) + ".", "", _markdown_body(rule).rstrip()]
        if rule.options:
            helps = option_help(rule)
            out += ["", "| Option | Type | Default | Meaning |", "|---|---|---|---|"]
            for o in rule.options:
                default = json.dumps(o.default).replace("|", "\\|")
                out.append(
                    f"| `{o.name}` | {o.type.value} | `{default}` | {helps.get(o.name, o.help)} |"
                )
        if rule.references:
            out += ["", f"See also: {'; '.join(rule.references)}."]
    return "\n".join(out) + "\n"


def rules_json(rules: Sequence[Rule]) -> str:
    """The rules as JSON (for tools)."""
    return (
        json.dumps(
            [
                {
                    "id": r.id,
                    "title": r.title(),
                    "severity": r.severity.value,
                    "applies_to": _applies(r),
                    "requires": list(r.requires),
                    "options": [
                        {"name": o.name, "type": o.type.value, "default": o.default}
                        for o in r.options
                    ],
                    "references": list(r.references),
                }
                for r in rules
            ],
            indent=2,
        )
        + "\n"
    )
