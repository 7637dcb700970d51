"""Helpers the built-in rules share: job selections and small text tests."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mlopsgen.pipeline.model import JobKind
from mlopsgen.policy.readers._util import as_map, as_str
from mlopsgen.policy.view import JobView, PipelineView, StepView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = [
    "DEFAULT_PRODUCTION",
    "PUBLISHERS",
    "PUBLISH_COMMAND",
    "declared_inputs",
    "deploys",
    "env_maps",
    "is_library",
    "is_ml",
    "is_production",
    "publishes",
    "scripts",
    "soft_fail_setting",
]

#: Actions that publish what the job built: a job using one is a release job.
PUBLISHERS = (
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
    "docker/build-push-action",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "azure/webapps-deploy",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
)
#: Registry uploads whose public registries accept OIDC (Trusted Publishing): PyPI, npm,
#: RubyGems, crates.io, NuGet; with the launchers people put in front of them.
PUBLISH_COMMAND = re.compile(
    r"(?<![\w-])((?:(?:python[0-9.]*|py)\s+-m\s+|pipx\s+run\s+|uvx\s+|uv\s+run\s+)?"
    r"twine(?:[=<>~]=?[\w.]+)?\s+upload|uv\s+publish|poetry\s+publish|pdm\s+publish|"
    r"hatch\s+publish|flit\s+publish|maturin\s+(?:publish|upload)|"
    r"(?:bunx\s+|npx\s+)?npm\s+publish|pnpm\s+publish|yarn\s+(?:npm\s+)?publish|bun\s+publish|"
    r"(?:bundle\s+exec\s+)?gem\s+push|cargo\s+(?:\+\S+\s+)?publish|"
    r"(?:dotnet\s+)?nuget(?:\.exe)?\s+push)(?![\w-])"
)


def publishes(job: JobView) -> bool:
    """True when a step publishes: a well-known publishing action or an upload command."""
    for step in job.steps:
        name = (step.uses or "").partition("@")[0].lower()
        if name.startswith(PUBLISHERS) and (as_str(step.inputs.get("push")) or "") != "false":
            return True
        run = step.run or ""
        if any(w in run for w in ("publish", "push", "upload", "release")) and (
            PUBLISH_COMMAND.search(run) or _RELEASE_UPLOAD.search(run)
        ):
            return True
    return False


#: Environment names that mean production (case-insensitive, whole name or prefix).
DEFAULT_PRODUCTION = r"(prod|production|prd|live)([-_.\s].*)?"
_RELEASE_UPLOAD = re.compile(r"\bgh\s+release\s+(?:create|upload)\b|\bdocker\s+push\b")
_ML_KINDS = frozenset({JobKind.TRAIN, JobKind.GATE, JobKind.DATA})


def declared_inputs(view: PipelineView) -> Iterator[tuple[str, dict[str, Any]]]:
    """A workflow's ``workflow_dispatch`` and ``workflow_call`` inputs: name and definition."""
    on = as_map(view.data.get("on"))
    for event in ("workflow_dispatch", "workflow_call"):
        for name, spec in as_map(as_map(on.get(event)).get("inputs")).items():
            yield str(name), as_map(spec)


def deploys(view: PipelineView) -> Iterator[JobView]:
    """Jobs that deploy or publish."""
    return (j for j in view.jobs if j.kind is JobKind.DEPLOY)


def is_library(view: PipelineView) -> bool:
    """True for a library of GitLab hidden jobs: no whole pipeline, templates to include.

    What a pipeline runs before it deploys (scans, gates) is decided where the templates
    are included, so the rules about it do not apply to the library itself.
    """
    return any(j.hidden for j in view.jobs)


def is_ml(view: PipelineView) -> bool:
    """True for a pipeline that trains, validates data or gates a model."""
    return any(j.kind in _ML_KINDS for j in view.jobs)


def is_production(job: JobView, pattern: str) -> bool:
    """True when the job deploys to production (by environment, else by its id or name)."""
    regex = re.compile(pattern, re.IGNORECASE)
    if job.environment:
        return bool(regex.fullmatch(job.environment))
    words = re.split(r"[-_\s:/.]+", f"{job.id} {job.name}")
    return any(regex.fullmatch(w) for w in words if w)


def env_maps(view: PipelineView) -> Iterator[tuple[Mapping[str, Any], JsonPath]]:
    """Every environment mapping of the file (top, job, step) with its path."""
    top = "env" if view.platform is Platform.GITHUB else "variables"
    yield view.env, (top,)
    for job in view.jobs:
        yield job.env, (*job.path, top)
        for step in job.steps:
            yield step.env, (*step.path, "env")


def scripts(view: PipelineView) -> Iterator[tuple[JobView, StepView, str]]:
    """Every shell script of every job: ``(job, step, text)``."""
    for job in view.jobs:
        for step in job.steps:
            if step.run:
                yield job, step, step.run


def soft_fail_setting(platform: Platform) -> str:
    """How the platform spells a soft-failed job."""
    if platform is Platform.GITHUB:
        return "continue-on-error: true"
    if platform is Platform.GITLAB:
        return "allow_failure: true"
    return "continueOnError: true"
