"""Policy: the rule engine, built-in rules, packs, waivers and reporters.

The public interface (imported lazily, so that ``mlopsgen`` starts fast)::

    from mlopsgen.policy import AuditSettings, audit, load_policy, RULES
    reports = list(audit([Path("repos/")], AuditSettings(packs=("strict",))))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlopsgen.policy.base import (
        Finding,
        Option,
        OptionType,
        PipelineRule,
        Rule,
        SpecRule,
        Target,
    )
    from mlopsgen.policy.engine import (
        AuditSettings,
        Engine,
        FileReport,
        Result,
        Skipped,
        audit,
    )
    from mlopsgen.policy.packs import PackError, Policy, load_policy
    from mlopsgen.policy.rules import RULES

__all__ = [
    "RULES",
    "AuditSettings",
    "Engine",
    "FileReport",
    "Finding",
    "Option",
    "OptionType",
    "PackError",
    "PipelineRule",
    "Policy",
    "Result",
    "Rule",
    "Skipped",
    "SpecRule",
    "Target",
    "audit",
    "load_policy",
]

_WHERE = {
    "Finding": "base",
    "Option": "base",
    "OptionType": "base",
    "PipelineRule": "base",
    "Rule": "base",
    "SpecRule": "base",
    "Target": "base",
    "AuditSettings": "engine",
    "Engine": "engine",
    "FileReport": "engine",
    "Result": "engine",
    "Skipped": "engine",
    "audit": "engine",
    "PackError": "packs",
    "Policy": "packs",
    "load_policy": "packs",
    "RULES": "rules",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"mlopsgen.policy.{_WHERE[name]}"), name)
    raise AttributeError(name)
