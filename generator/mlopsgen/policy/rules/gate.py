"""Gate integrity: deploys wait for scans, data validation and the model gate, which fail hard."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.pipeline.model import JobKind
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.classify import DATA_TOOLS, GATE_WORDS, SECURITY_TOOLS
from mlopsgen.policy.rules._common import (
    DEFAULT_PRODUCTION,
    deploys,
    is_library,
    is_ml,
    is_production,
    soft_fail_setting,
)
from mlopsgen.policy.shell import SCANNER_NO_FAIL, SOFT_FAIL, logical_lines
from mlopsgen.policy.view import JobView, PipelineView
from mlopsgen.spec.model import Platform

__all__ = [
    "DeployNeedsDataValidation",
    "DeployNeedsModelGate",
    "DeployNeedsSecurity",
    "GateNeutralised",
    "GateSoftFail",
    "ProductionApproval",
    "ScannerNoFail",
]

_KINDS_OPTION = Option(
    "kinds",
    OptionType.STRINGS,
    ["security", "data", "gate"],
    "job kinds that are gates (security, data, gate, test, check...)",
)


def _missing(view: PipelineView, job: JobView, kind: JobKind) -> list[str]:
    upstream = view.upstream(job)
    return [j.id for j in view.jobs if j.kind is kind and j.id != job.id and j.id not in upstream]


class DeployNeedsSecurity(PipelineRule):
    """A deploy does not depend on every security job.

    A deploy that does not wait, through its ``needs`` (``dependsOn`` on Azure, earlier
    stages on GitLab), for each security job of the pipeline ships whatever the scans
    find: they run beside it, not before it. Every security job of the same pipeline must
    be upstream of every deploy, directly or through another job.

    Anti-pattern::

        jobs:
          sast: {runs-on: ubuntu-24.04, steps: [{run: bandit -r src}]}
          deploy:
            needs: [build]          # sast may still be running, or failing
            environment: production

    Best practice::

        jobs:
          deploy:
            needs: [build, sast, audit-deps, secrets-scan]
            environment: production
    """

    id = "GATE-001"
    severity = Severity.HIGH
    references = ("catalogue SCAN-002 (gate half)",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per deploy that is not downstream of every security job."""
        if is_library(view):
            return
        for job in deploys(view):
            missing = _missing(view, job, JobKind.SECURITY)
            if missing:
                yield Finding(
                    f"deploy job {job.id!r} does not depend on security job(s) "
                    f"{', '.join(missing)}: it can ship before or despite their findings",
                    job.path,
                    hint="add them to the deploy's needs (or to a job it needs)",
                )


class DeployNeedsDataValidation(PipelineRule):
    """A model deploy does not depend on data validation.

    In a pipeline that trains or gates a model, data validation (the data contract:
    columns, types, ranges, row counts) must pass before anything ships; a model trained
    on broken data passes its metric gate surprisingly often. Applies to pipelines with a
    training, data or model-gate job.

    Anti-pattern::

        train: {stage: train, script: [make train]}
        deploy: {stage: deploy, needs: [train], environment: production, script: [make deploy]}

    Best practice::

        data-validate: {stage: data, script: [make data-validate]}
        train: {stage: train, needs: [data-validate], script: [make train]}
        deploy: {stage: deploy, needs: [train, data-validate], environment: production}
    """

    id = "GATE-002"
    severity = Severity.HIGH

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per model deploy without data validation upstream."""
        if not is_ml(view) or is_library(view):
            return
        has_data = any(j.kind is JobKind.DATA for j in view.jobs)
        for job in deploys(view):
            if not has_data:
                yield Finding(
                    f"deploy job {job.id!r} ships a model but the pipeline validates no data",
                    job.path,
                    hint="add a data validation job (the data contract) and make the deploy "
                    "depend on it",
                )
                continue
            missing = _missing(view, job, JobKind.DATA)
            if missing:
                yield Finding(
                    f"deploy job {job.id!r} does not depend on data validation "
                    f"({', '.join(missing)})",
                    job.path,
                    hint="add the data validation job to the deploy's needs",
                )


class DeployNeedsModelGate(PipelineRule):
    """A model deploy does not depend on the model gate.

    The model gate compares the candidate's metrics with their bounds (and with the
    champion in production) and fails the pipeline below them. A deploy that does not
    depend on it ships a model nobody has measured. Applies to pipelines with a training,
    data or model-gate job.

    Anti-pattern::

        - stage: deploy
          dependsOn: [train]      # the model gate runs in parallel, if at all

    Best practice::

        - stage: deploy
          dependsOn: [train, model_gate]
    """

    id = "GATE-003"
    severity = Severity.HIGH

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per model deploy without a model gate upstream."""
        if not is_ml(view) or is_library(view):
            return
        has_gate = any(j.kind is JobKind.GATE for j in view.jobs)
        for job in deploys(view):
            if not has_gate:
                yield Finding(
                    f"deploy job {job.id!r} ships a model but the pipeline has no model gate",
                    job.path,
                    hint="add a job that fails when metrics miss their bounds, and need it",
                )
                continue
            missing = _missing(view, job, JobKind.GATE)
            if missing:
                yield Finding(
                    f"deploy job {job.id!r} does not depend on the model gate "
                    f"({', '.join(missing)})",
                    job.path,
                    hint="add the model gate job to the deploy's needs",
                )


def _gates(view: PipelineView, options: Mapping[str, Any]) -> Iterator[JobView]:
    kinds = {str(k) for k in options["kinds"]}
    return (j for j in view.jobs if j.kind.value in kinds)


class GateSoftFail(PipelineRule):
    """A gate job or step can fail without failing the pipeline.

    Security scans, data validation and the model gate exist to stop the pipeline. Marked
    ``continue-on-error`` (GitHub), ``allow_failure`` (GitLab; a ``when: manual`` job
    outside ``rules`` is allowed to fail by default) or ``continueOnError`` (Azure), they
    report red and ship anyway.

    Anti-pattern::

        sast:
          stage: security
          script: [bandit -r src]
          allow_failure: true

    Best practice::

        sast:
          stage: security
          script: [bandit -r src]
          allow_failure: false

    Options:
        kinds: the job kinds treated as gates.
    """

    id = "GATE-004"
    severity = Severity.HIGH
    options = (_KINDS_OPTION,)
    references = ("catalogue SCAN-002", "glsec GL008, GL039")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per soft-failed gate job or step."""
        setting = soft_fail_setting(view.platform)
        for job in _gates(view, options):
            if job.allow_failure:
                how = (
                    "is `when: manual` outside rules, so allow_failure defaults to true"
                    if job.allow_failure_path and job.allow_failure_path[-1] == "when"
                    else f"has {setting}"
                )
                yield Finding(
                    f"{job.kind.value} job {job.id!r} {how}: its failure does not stop "
                    "the pipeline",
                    job.allow_failure_path or job.path,
                    hint="remove it (or set it to false); waive the rule with a reason and "
                    "an expiry if the job must be advisory for a while",
                )
            for step in job.steps:
                if step.soft_fail:
                    yield Finding(
                        f"a step of {job.kind.value} job {job.id!r} has {setting}: "
                        "its failure does not stop the job",
                        (
                            *step.path,
                            "continue-on-error"
                            if view.platform is Platform.GITHUB
                            else "continueOnError",
                        ),
                        hint="remove it",
                    )


_ECHO = re.compile(r"^\s*(?:echo|printf|#|:|true\b|Write-(?:Host|Output))")
_NOOP = re.compile(
    r"^\s*(?:echo\b.*|printf\b.*|#.*|:|true|exit\s+0|Write-(?:Host|Output)\b.*)?\s*$"
)


class GateNeutralised(PipelineRule):
    """A gate job's script swallows the failure of its check.

    ``|| true``, ``|| exit 0``, ``|| echo``, ``set +e`` or an ``exit 0`` turn a failing
    scan, validation or gate into success; an ``echo`` (or a comment) in place of the
    command means the check never runs. The job stays green whatever it finds, which is
    worse than no job: it looks like a gate.

    Anti-pattern::

        - run: bandit -r src || true
        - run: echo "pip-audit --strict"   # TODO enable

    Best practice::

        - run: bandit -r src
        - run: pip-audit --strict

    Options:
        kinds: the job kinds treated as gates.
    """

    id = "GATE-005"
    severity = Severity.HIGH
    options = (_KINDS_OPTION,)
    references = ("catalogue SCAN-002", "glsec GL039")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per swallowed failure or echoed command in a gate job."""
        for job in _gates(view, options):
            runs = [(s, s.run) for s in job.steps if s.run is not None]
            executed = " ".join(
                [s.uses or "" for s in job.steps]
                + [
                    line
                    for _, script in runs
                    for line in logical_lines(script)
                    if not _ECHO.match(line)
                ]
            ).lower()
            noop = (
                bool(runs)
                and not any(s.uses for s in job.steps)
                and all(_NOOP.match(line) for _, script in runs for line in logical_lines(script))
            )
            if noop:
                yield Finding(
                    f"{job.kind.value} job {job.id!r} runs nothing but echo, true or exit 0",
                    job.path,
                    hint="run the check the job is named after",
                )
            for step, script in runs:
                match = SOFT_FAIL.search(script)
                if match:
                    yield Finding(
                        f"{job.kind.value} job {job.id!r} swallows a failure with "
                        f"{match.group(0).strip()!r}",
                        step.run_path or step.path,
                        snippet=match.group(0).strip(),
                        hint="let the command fail the job",
                    )
                for line in logical_lines(script):
                    if noop or not _ECHO.match(line):
                        continue
                    tool = (
                        SECURITY_TOOLS.search(line)
                        or DATA_TOOLS.search(line)
                        or GATE_WORDS.search(line)
                    )
                    if tool and tool.group(0).lower() not in executed:
                        yield Finding(
                            f"{job.kind.value} job {job.id!r} prints or comments out its "
                            f"check instead of running it: {line.strip()!r}",
                            step.run_path or step.path,
                            snippet=line.strip(),
                            hint="run the command itself",
                        )


_SCANNER_ACTIONS = (
    "trivy",
    "bandit",
    "semgrep",
    "codeql",
    "snyk",
    "checkov",
    "grype",
    "anchore",
    "gitleaks",
    "trufflehog",
    "zizmor",
    "scan",
    "audit",
    "osv",
    "sonar",
    "kics",
    "tfsec",
)
_ACTION_NO_FAIL = {
    "exit-code": ("0",),
    "soft_fail": ("true",),
    "soft-fail": ("true",),
    "fail-build": ("false",),
    "fail-on-error": ("false",),
    "continue-on-error": ("true",),
}


class ScannerNoFail(PipelineRule):
    """A scanner is told never to fail.

    ``bandit --exit-zero``, ``trivy --exit-code 0``, ``checkov --soft-fail``, an action
    input such as ``exit-code: 0`` or ``soft_fail: true``: the scan runs, prints, and
    passes whatever it finds, in any job.

    Anti-pattern::

        - uses: aquasecurity/trivy-action@<sha>
          with: {image-ref: app:latest, exit-code: "0"}
        - run: bandit -r src --exit-zero

    Best practice::

        - uses: aquasecurity/trivy-action@<sha>
          with: {image-ref: app:latest, exit-code: "1", severity: "HIGH,CRITICAL"}
        - run: bandit -r src
    """

    id = "GATE-006"
    severity = Severity.HIGH

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per scanner flag or input that disables failing."""
        for job in view.jobs:
            for step in job.steps:
                if step.run and SECURITY_TOOLS.search(step.run):
                    for line in logical_lines(step.run):
                        if SECURITY_TOOLS.search(line):
                            flag = SCANNER_NO_FAIL.search(line)
                            if flag:
                                yield Finding(
                                    f"scanner in job {job.id!r} runs with "
                                    f"{flag.group(0)!r}: it never fails",
                                    step.run_path or step.path,
                                    snippet=flag.group(0),
                                    hint="drop the flag; set a threshold instead",
                                )
                action = (step.uses or "").partition("@")[0].lower()
                if action and any(t in action for t in _SCANNER_ACTIONS):
                    for key, bad in _ACTION_NO_FAIL.items():
                        value = step.inputs.get(key)
                        if value is not None and str(value).strip().lower() in bad:
                            yield Finding(
                                f"scanner {action!r} in job {job.id!r} "
                                f"has {key}: {value}: it never fails",
                                (
                                    *step.path,
                                    "with" if view.platform is Platform.GITHUB else "inputs",
                                    key,
                                ),
                                hint="let it fail the job above a severity threshold",
                            )


class ProductionApproval(PipelineRule):
    """A production deploy runs without an approval.

    A person approves every production deploy. GitHub and Azure keep the approval on the
    environment (required reviewers, an Approvals check), so the job must name one:
    GitHub ``environment:``, an Azure ``deployment:`` job with ``environment:``. GitLab
    needs ``when: manual`` (with ``allow_failure: false``) or a protected environment;
    the rule asks for the manual gate, which the YAML shows.

    Anti-pattern::

        deploy-prod:
          runs-on: ubuntu-24.04
          steps: [{run: make deploy ENV=production}]

    Best practice::

        deploy-prod:
          runs-on: ubuntu-24.04
          environment: production      # with required reviewers in the repo settings
          steps: [{run: make deploy ENV=production}]

    Options:
        production: a regular expression matching production environment names.
    """

    id = "GATE-007"
    severity = Severity.HIGH
    options = (
        Option("production", OptionType.STRING, DEFAULT_PRODUCTION, "production names (regex)"),
    )
    references = ("catalogue TRIG-006, TRIG-009",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per production deploy with nothing for a person to approve."""
        for job in deploys(view):
            if not is_production(job, str(options["production"])):
                continue
            if view.platform is Platform.GITLAB:
                if not job.manual:
                    yield Finding(
                        f"production deploy {job.id!r} starts without a person: no `when: manual`",
                        job.path,
                        hint="add `when: manual` and `allow_failure: false` (or protect the "
                        "environment with required approvals and waive this rule)",
                    )
            elif view.platform is Platform.AZURE:
                if not (job.deployment and job.environment):
                    yield Finding(
                        f"production deploy {job.id!r} is not a deployment job with an "
                        "environment, so no approval check applies",
                        job.path,
                        hint="use `deployment:` with `environment:` and an Approvals check",
                    )
            elif not job.environment:
                yield Finding(
                    f"production deploy {job.id!r} names no environment, so no reviewer "
                    "approves it",
                    job.path,
                    hint="add `environment: production` with required reviewers",
                )
