"""Per-rule YAML case files: load them and run one case with only its rule switched on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Target
from mlopsgen.policy.engine import AuditSettings, Engine, Result
from mlopsgen.policy.packs import Policy, RuleConfig
from mlopsgen.policy.rules import RULES

CASES = Path(__file__).parent / "cases"
#: Waiver expiry and lifetimes in cases are judged on this day.
TODAY = dt.date(2026, 6, 1)
DEFAULT_PATHS = {
    "github": ".github/workflows/case.yml",
    "gitlab": ".gitlab-ci.yml",
    "azure": "azure-pipelines.yml",
    "spec": "mlops.yaml",
}


@dataclass(frozen=True)
class Case:
    """One pass or fail case of one rule."""

    rule: str
    name: str
    platform: str
    expect: str
    lines: tuple[int, ...]
    yaml: str
    options: dict[str, Any]
    path: str

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.platform}:{self.expect}:{self.name}"


def load_cases() -> list[Case]:
    out = []
    for file in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        for raw in doc["cases"]:
            platform = raw["platform"]
            out.append(
                Case(
                    rule=doc["rule"],
                    name=raw["name"],
                    platform=platform,
                    expect=raw["expect"],
                    lines=tuple(raw.get("lines", [])),
                    yaml=raw["yaml"],
                    options=raw.get("options", {}),
                    path=raw.get("path", DEFAULT_PATHS[platform]),
                )
            )
    return out


def only(rule_id: str, options: dict[str, Any] | None = None) -> Policy:
    """A policy that runs one rule (and the engine's own rules) with these options."""
    rules = {}
    for rid, rule in RULES.items():
        opts = rule.defaults()
        if rid == rule_id:
            opts.update(options or {})
        rules[rid] = RuleConfig(rid == rule_id or rule.target is Target.ENGINE, rule.severity, opts)
    return Policy(packs=("case",), rules=rules, fail_on=Severity.INFO)


def run_case(case: Case) -> list[Result]:
    engine = Engine(only(case.rule, case.options), AuditSettings(today=TODAY))
    if case.platform == "spec":
        report = engine.spec(case.yaml, file=case.path)
    else:
        report = engine.pipeline(case.yaml, file=case.path, path=case.path)
    return [r for r in report.results if r.rule == case.rule]
