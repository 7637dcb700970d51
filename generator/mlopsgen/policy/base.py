"""The rule plugin axis: the Rule ABC, its typed options, and what a rule returns.

A rule has a stable id (``FAMILY-NNN``), a default severity, the platforms it applies
to, typed options with defaults, and ``requires`` (rule ids that must pass on the same
file first; when one failed the rule is skipped, not failed). Its docstring is its
documentation: the first line is the title; then the rationale, an **Anti-pattern** and
a **Best practice** YAML example, and the options (docs/rules.md is generated from it).

Ids follow the catalogue in the project's reference (``shared/reference/policy-rules.md``),
so that a waiver, a doc page and the catalogue's cross-references to zizmor, checkov and
the others name the same thing. The prefix before the dash is the family (the subject);
where a rule applies (which platforms, or the spec) is an attribute of the rule:

- pipeline rules: ``PERM`` (token permissions), ``PIN`` (pinning and supply chain),
  ``INJ`` (injection), ``TRIG`` (triggers and deploy flow), ``SEC`` (secrets), ``ART``
  (artifacts, caches, transport), ``RUN`` (runner hardening), ``REL`` (publishing),
  ``SCAN`` (the scans an ML repository runs), and ``GATE`` (gate integrity, this
  project's own family: no catalogue or scanner has it);
- spec rules (on ``mlops.yaml``): ``SPEC`` (the spec, its security settings and
  policies) and ``ML`` (its data and model gates);
- engine findings: ``PARSE`` (a file that cannot be audited) and ``GOV`` (waivers and
  locked rules).
"""

from __future__ import annotations

import enum
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from mlopsgen.diagnostics import Severity
from mlopsgen.spec.model import Platform

if TYPE_CHECKING:
    from mlopsgen.policy.specview import SpecView
    from mlopsgen.policy.view import PipelineView
    from mlopsgen.yamlio import JsonPath, Mark

__all__ = [
    "ALL_PLATFORMS",
    "EngineRule",
    "Finding",
    "Option",
    "OptionType",
    "PipelineRule",
    "Rule",
    "SpecRule",
    "Target",
    "matches",
]

ALL_PLATFORMS = frozenset(Platform)
_ID = re.compile(r"[A-Z]{2,5}-[0-9]{3}")


class Target(enum.StrEnum):
    """What a rule inspects."""

    PIPELINE = "pipeline"
    SPEC = "spec"
    #: Findings the engine itself emits (unreadable files, waivers, locked rules).
    ENGINE = "engine"


class OptionType(enum.StrEnum):
    """The types a rule option may have."""

    BOOL = "bool"
    INT = "int"
    NUMBER = "number"
    STRING = "string"
    STRINGS = "list of strings"

    def accepts(self, value: Any) -> bool:
        """True when ``value`` (as loaded from YAML) has this type."""
        if self is OptionType.BOOL:
            return isinstance(value, bool)
        if self is OptionType.INT:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is OptionType.NUMBER:
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self is OptionType.STRING:
            return isinstance(value, str)
        return isinstance(value, list) and all(isinstance(v, str) for v in value)


@dataclass(frozen=True)
class Option:
    """A declared rule option: name, type, default and what it does."""

    name: str
    type: OptionType
    default: Any
    help: str


@dataclass(frozen=True)
class Finding:
    """What a rule reports: a message at a JSON path of the file it checked.

    ``snippet`` narrows the position to the first occurrence of that text at or after
    the path (a line inside a multi-line script). ``severity`` overrides the rule's
    default for this one finding (a template injection on a fork-capable trigger).
    """

    message: str
    path: JsonPath = ()
    hint: str | None = None
    snippet: str | None = None
    severity: Severity | None = None
    #: An exact position, for findings that have no path (a duplicate key).
    mark: Mark | None = None
    #: The included file ``mark`` or ``snippet`` refers to, when not the audited file.
    source: str | None = None


class Rule(ABC):
    """One policy rule; subclasses set the class attributes and implement ``check``."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    target: ClassVar[Target]
    platforms: ClassVar[frozenset[Platform]] = ALL_PLATFORMS
    options: ClassVar[tuple[Option, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ()
    #: Where the rule comes from: the catalogue row and its equivalents in other tools.
    references: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def doc(cls) -> str:
        """The docstring, dedented."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        """The first line of the docstring."""
        return cls.doc().partition("\n")[0].strip().rstrip(".")

    @classmethod
    def family(cls) -> str:
        """The id prefix (``GATE`` for ``GATE-001``)."""
        return cls.id.partition("-")[0]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Option values when no pack sets them."""
        return {o.name: o.default for o in cls.options}

    @classmethod
    def valid_id(cls) -> bool:
        """True when the id has the ``FAMILY-NNN`` form waivers accept."""
        return bool(_ID.fullmatch(cls.id))


class PipelineRule(Rule):
    """A rule over the audit view of one pipeline file."""

    target = Target.PIPELINE

    @abstractmethod
    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per problem in ``view``."""


class SpecRule(Rule):
    """A rule over a valid spec (``mlops.yaml``)."""

    target = Target.SPEC
    platforms = frozenset()
    requires = ("SPEC-001",)

    @abstractmethod
    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per problem in ``spec``."""


class EngineRule(Rule):
    """A finding the engine emits itself; declared so it is documented and configurable."""

    target = Target.ENGINE
    platforms = frozenset()


def matches(rule_id: str, patterns: Iterable[str]) -> bool:
    """True when ``rule_id`` equals a pattern or starts with it (``GATE``, ``GHA-0``); ``ALL``."""
    return any(p == "ALL" or rule_id.startswith(p) for p in patterns)
