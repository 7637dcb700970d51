"""Rules on the spec (``mlops.yaml``): security settings, gates and the policy section."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, SpecRule
from mlopsgen.policy.rules._common import DEFAULT_PRODUCTION
from mlopsgen.policy.specview import SpecView
from mlopsgen.spec.model import DeployTarget

__all__ = [
    "ChampionComparison",
    "MetricBounds",
    "ModelScanOff",
    "ProductionApprovalSpec",
    "SastThreshold",
    "SbomOff",
    "StaticCredentials",
    "WaiverLifetime",
]

_ORDER = ["low", "medium", "high"]


class WaiverLifetime(SpecRule):
    """A waiver in the spec lasts longer than the policy allows.

    Waivers are debts with a due date. One that expires years from now is a permanent
    exception nobody will revisit.

    Anti-pattern::

        policies:
          waivers:
            - {rule: PIN-007, reason: "base image", owner: platform, expires: 2099-01-01}

    Best practice::

        policies:
          waivers:
            - {rule: PIN-007, reason: "base image", owner: platform, expires: 2026-09-30}

    Options:
        max_days: the longest a waiver may last, counted from today.
    """

    id = "SPEC-002"
    severity = Severity.LOW
    options = (Option("max_days", OptionType.INT, 400, "longest waiver lifetime in days"),)
    references = ("catalogue GOV-001",)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per waiver that expires too late."""
        limit = int(options["max_days"])
        for i, waiver in enumerate(spec.spec.policies.waivers):
            days = (waiver.expires - spec.today).days
            if days > limit:
                yield Finding(
                    f"the waiver of {waiver.rule} expires in {days} days; at most {limit} "
                    "are allowed",
                    ("policies", "waivers", i, "expires"),
                    hint="set an earlier expiry and renew it when it comes",
                )


class StaticCredentials(SpecRule):
    """CI authenticates to the secret store with static credentials.

    ``secrets.auth: static`` stores a long-lived key in the CI platform; OIDC (workload
    identity federation) gives each job a token that expires with it.

    Anti-pattern::

        secrets: {provider: vault, auth: static}

    Best practice::

        secrets: {provider: vault, auth: oidc}
    """

    id = "SPEC-003"
    severity = Severity.HIGH
    references = ("catalogue SEC-007",)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding for static authentication."""
        if spec.spec.secrets.auth == "static":
            yield Finding(
                "CI authenticates with static credentials",
                ("secrets", "auth"),
                hint="use auth: oidc",
            )


class SastThreshold(SpecRule):
    """The SAST threshold lets findings through.

    ``security.sast.fail_on: high`` passes every medium finding (most injection and
    deserialisation issues bandit reports are medium).

    Anti-pattern::

        security: {sast: {tool: bandit, fail_on: high}}

    Best practice::

        security: {sast: {tool: bandit, fail_on: medium}}

    Options:
        max_fail_on: the laxest threshold allowed (low, medium or high).
    """

    id = "SPEC-004"
    severity = Severity.MEDIUM
    options = (Option("max_fail_on", OptionType.STRING, "medium", "laxest allowed threshold"),)
    references = ("catalogue SCAN-001",)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when the threshold is laxer than allowed."""
        limit = str(options["max_fail_on"])
        actual = spec.spec.security.sast_fail_on
        if limit in _ORDER and _ORDER.index(actual) > _ORDER.index(limit):
            yield Finding(
                f"SAST fails only on {actual}; the policy asks for {limit} or stricter",
                ("security", "sast", "fail_on"),
                hint=f"set fail_on: {limit}",
            )


class ModelScanOff(SpecRule):
    """Model files are not scanned.

    ``security.model_scan: none`` lets a pickled model that runs code on load reach the
    package and the deploy.

    Anti-pattern::

        security: {model_scan: none}

    Best practice::

        security: {model_scan: modelscan}
    """

    id = "SPEC-005"
    severity = Severity.HIGH
    references = ("catalogue SCAN-004",)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when the model scan is off."""
        if spec.spec.security.model_scan == "none":
            yield Finding(
                "model files are not scanned",
                ("security", "model_scan"),
                hint="set model_scan: modelscan",
            )


class SbomOff(SpecRule):
    """No SBOM is built for what ships.

    Without a software bill of materials nobody can tell, at the next advisory, whether
    a deployed model service contains the vulnerable package.

    Anti-pattern::

        security: {sbom: none}

    Best practice::

        security: {sbom: cyclonedx}
    """

    id = "SPEC-006"
    severity = Severity.MEDIUM
    references = ("catalogue REL-003", "scorecard SBOM")

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when a deploying spec builds no SBOM."""
        if spec.spec.security.sbom == "none" and spec.spec.deploy.target is not DeployTarget.NONE:
            yield Finding(
                "the repository deploys but builds no SBOM",
                ("security", "sbom"),
                hint="set sbom: cyclonedx",
            )


class ProductionApprovalSpec(SpecRule):
    """A production environment needs no approval.

    Every deploy to production is approved by a person; the generated pipelines then
    carry the gate on each platform (environment reviewers, a manual job, an Approvals
    check).

    Anti-pattern::

        deploy:
          environments: [{name: production}]

    Best practice::

        deploy:
          environments: [{name: production, approval: required}]

    Options:
        production: a regular expression matching production environment names.
    """

    id = "ML-001"
    severity = Severity.HIGH
    options = (
        Option("production", OptionType.STRING, DEFAULT_PRODUCTION, "production names (regex)"),
    )
    references = ("catalogue TRIG-006",)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per production environment without approval."""
        regex = re.compile(str(options["production"]), re.IGNORECASE)
        environments = spec.spec.deploy.environments
        for i, env in enumerate(environments):
            last = i == len(environments) - 1
            if (regex.fullmatch(env.name) or last) and not env.needs_approval:
                yield Finding(
                    f"environment {env.name!r} deploys "
                    f"{'to production' if regex.fullmatch(env.name) else 'last'} "
                    "without an approval",
                    ("deploy", "environments", i),
                    hint="add approval: required",
                )


class MetricBounds(SpecRule):
    """The model gate accepts models barely better than chance.

    The schema makes every metric carry a bound; this rule checks the bounds mean
    something: at least one metric needs a lower bound at or above ``floor``. A gate of
    ``accuracy >= 0.1`` (or of upper bounds only) passes every model.

    Anti-pattern::

        model:
          metrics: {accuracy: {min: 0.1}}

    Best practice::

        model:
          metrics: {f1: {min: 0.85}, accuracy: {min: 0.9}}

    Options:
        floor: the lowest acceptable lower bound (0 to 1).
    """

    id = "ML-002"
    severity = Severity.HIGH
    options = (Option("floor", OptionType.NUMBER, 0.5, "lowest acceptable lower bound"),)

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when no metric has a meaningful lower bound."""
        floor = float(options["floor"])
        bounds = spec.spec.model.metrics.values()
        if not any(b.min is not None and b.min >= floor for b in bounds):
            yield Finding(
                f"no metric has a lower bound of at least {floor:g}: the gate passes "
                "almost any model",
                ("model", "metrics"),
                hint="set a min that a useful model must reach",
            )


class ChampionComparison(SpecRule):
    """A deployed model is not compared with the one in production.

    Absolute bounds let a model that is worse than the current one ship, as long as it
    clears them. ``model.champion.compare: true`` fails the gate on a regression.

    Anti-pattern::

        model:
          champion: {compare: false}

    Best practice::

        model:
          champion: {compare: true, max_regression: 0.01}
    """

    id = "ML-003"
    severity = Severity.MEDIUM

    def check(self, spec: SpecView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when a deploying spec has no champion comparison."""
        if (
            spec.spec.deploy.target is not DeployTarget.NONE
            and not spec.spec.model.champion.compare
        ):
            yield Finding(
                "the model gate does not compare with the production model",
                ("model", "champion"),
                hint="set champion.compare: true",
            )
