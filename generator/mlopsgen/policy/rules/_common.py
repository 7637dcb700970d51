"""Helpers the built-in rules share: job selections and small text tests."""

from __future__ import annotations

import re
from collections.abc import Iterator

from mlopsgen.pipeline.model import JobKind
from mlopsgen.policy.view import JobView, PipelineView, StepView
from mlopsgen.spec.model import Platform

__all__ = [
    "DEFAULT_PRODUCTION",
    "deploys",
    "is_ml",
    "is_production",
    "scripts",
    "soft_fail_setting",
]

#: Environment names that mean production (case-insensitive, whole name or prefix).
DEFAULT_PRODUCTION = r"(prod|production|prd|live)([-_.\s].*)?"
_ML_KINDS = frozenset({JobKind.TRAIN, JobKind.GATE, JobKind.DATA})


def deploys(view: PipelineView) -> Iterator[JobView]:
    """Jobs that deploy or publish."""
    return (j for j in view.jobs if j.kind is JobKind.DEPLOY)


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
