"""The audit view: a tolerant, CI-neutral reading of one pipeline file that rules inspect.

The pipeline model of :mod:`mlopsgen.pipeline.model` is exact: it holds what the
generator emits and refuses the rest. Hand-written files hold anything, so the audit
reads them into this view instead. It keeps the concepts that the model names (job
kind, needs, allow_failure, environment, secrets, OIDC, timeout) plus what auditing
needs (steps, images, includes, triggers and the JSON path of each, for positions),
and the raw data for the few rules that only exist on one platform.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlopsgen.diagnostics import Severity
from mlopsgen.pipeline.model import JobKind
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import Duplicate, JsonPath

__all__ = [
    "GATE_KINDS",
    "ImageRef",
    "IncludeProblem",
    "IncludeRef",
    "JobView",
    "ParseProblem",
    "PipelineView",
    "Source",
    "StepView",
]

#: The jobs a deploy must depend on and that may never soft-fail.
GATE_KINDS = frozenset({JobKind.SECURITY, JobKind.DATA, JobKind.GATE})


@dataclass(frozen=True)
class ParseProblem:
    """Why a file, or one part of it, cannot be audited: the engine rule, a message and where.

    ``more`` holds the problems of the file's other documents when none of them can be
    audited either (every document is named in a finding).
    """

    rule: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    more: tuple[ParseProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class IncludeProblem:
    """An include or template that is not followed, and why (a PARSE-004 finding)."""

    message: str
    #: The source (0 for the including file, then 1-based in ``sources``) and the path of
    #: the ``include:`` entry or ``template:`` item there.
    where: tuple[int, JsonPath]
    severity: Severity = Severity.LOW
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """A file the pipeline includes (a GitLab local include, an Azure template)."""

    file: str
    text: str
    node: yaml.Node | None
    duplicates: tuple[Duplicate, ...] = ()


@dataclass(frozen=True, slots=True)
class StepView:
    """One step: a shell script, an action or task, or a template reference."""

    path: JsonPath
    name: str = ""
    #: Shell text (GitHub ``run``, GitLab script line, Azure ``script``/``bash``/``powershell``).
    run: str | None = None
    #: Where the shell text is (for positions); the step itself when None.
    run_path: JsonPath | None = None
    #: A GitHub ``uses:``, an Azure ``task:`` or a ``template:`` reference.
    uses: str | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    #: ``continue-on-error: true`` (GitHub) or ``continueOnError: true`` (Azure).
    soft_fail: bool = False
    condition: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A container image a job runs in or beside (``image``, ``container``, ``services``)."""

    ref: str
    path: JsonPath


@dataclass(frozen=True, slots=True)
class IncludeRef:
    """A file the pipeline pulls from elsewhere: a GitLab include, an Azure template repo."""

    kind: str
    target: str
    ref: str | None
    path: JsonPath


@dataclass(frozen=True, slots=True)
class JobView:
    """One job, whatever the platform calls it."""

    id: str
    path: JsonPath
    name: str
    kind: JobKind
    steps: tuple[StepView, ...] = ()
    #: Direct upstream jobs by id, as the platform orders them (explicit ``needs``,
    #: ``dependsOn``, or GitLab's earlier stages when a job lists no ``needs``).
    needs: tuple[str, ...] = ()
    stage: str | None = None
    env: Mapping[str, Any] = field(default_factory=dict)
    environment: str | None = None
    #: A job that deploys: it names an environment, or is an Azure deployment job.
    deployment: bool = False
    #: A person starts it (GitLab ``when: manual``).
    manual: bool = False
    allow_failure: bool = False
    #: Where the soft-fail setting is, when it is explicit.
    allow_failure_path: JsonPath | None = None
    timeout_minutes: float | None = None
    images: tuple[ImageRef, ...] = ()
    runner: tuple[str, ...] = ()
    #: The job's own run condition (``if``, ``condition``, ``rules``/``only`` as text).
    condition: str | None = None
    #: Secret names the job reads.
    secrets: tuple[str, ...] = ()
    oidc: bool = False
    #: Serialised: a concurrency group, a resource group or an exclusive lock.
    exclusive: bool = False
    #: A reusable workflow or job template the job delegates to.
    uses: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    #: A GitLab hidden job (``.name:``) of a file that has no other jobs: a template that
    #: the including pipelines extend (and wire into their stages, timeouts and scans).
    hidden: bool = False

    def commands(self) -> Iterator[tuple[StepView, str]]:
        """Yield ``(step, shell text)`` for every step that runs shell."""
        for step in self.steps:
            if step.run is not None:
                yield step, step.run


@dataclass(slots=True)
class PipelineView:
    """One pipeline file as rules see it."""

    platform: Platform
    file: str
    text: str
    data: Mapping[str, Any]
    #: The composed node of the pipeline document, for positions.
    node: yaml.Node | None = None
    name: str = ""
    #: Events that start it: push, pull_request, tag, schedule, manual, pull_request_target...
    triggers: frozenset[str] = frozenset()
    jobs: tuple[JobView, ...] = ()
    images: tuple[ImageRef, ...] = ()
    includes: tuple[IncludeRef, ...] = ()
    env: Mapping[str, Any] = field(default_factory=dict)
    #: A fragment meant to be included (a template), not a whole pipeline.
    template: bool = False
    #: A GitHub composite (or Docker) action: steps that workflows call, no jobs of its own.
    action: bool = False
    duplicates: tuple[Duplicate, ...] = ()
    #: Files merged into this view (GitLab local includes, Azure templates); findings in
    #: them name those files. ``origins`` maps a path of ``data`` to (1-based index in
    #: ``sources``, or 0 for this file; the path there), by longest prefix.
    sources: tuple[Source, ...] = ()
    origins: Mapping[JsonPath, tuple[int, JsonPath]] = field(default_factory=dict)
    #: Paths whose content another entry of the same data provides (a GitLab job's keys
    #: inherited through ``extends:`` map to the hidden job that defines them).
    aliases: Mapping[JsonPath, JsonPath] = field(default_factory=dict)
    #: Includes and templates that were not followed.
    include_problems: tuple[IncludeProblem, ...] = ()
    #: Every file merged in, resolved (a repository audit reports them with their includer).
    included: tuple[Path, ...] = ()
    #: The file's other YAML documents, each read as a pipeline of its own; their findings
    #: are reported with this file. ``text`` of each (and of this view, when there are
    #: others) keeps only its document's lines, blanking the rest, so positions stay true.
    documents: tuple[PipelineView, ...] = ()
    #: Parts of the file that are not audited, and why (engine findings).
    problems: tuple[ParseProblem, ...] = ()
    _by_id: dict[str, JobView] = field(default_factory=dict)

    def files(self) -> Iterator[tuple[str | None, str, tuple[Duplicate, ...]]]:
        """``(file, text, duplicates)`` of this file (file None) and of every included one."""
        yield None, self.text, self.duplicates
        for source in self.sources:
            yield source.file, source.text, source.duplicates

    def job(self, job_id: str) -> JobView | None:
        """The job with this id, if any."""
        if not self._by_id:
            self._by_id = {j.id: j for j in self.jobs}
        return self._by_id.get(job_id)

    def upstream(self, job: JobView) -> set[str]:
        """Ids of every job ``job`` depends on, directly or through others."""
        seen: set[str] = set()
        todo = list(job.needs)
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            other = self.job(current)
            if other is not None:
                todo.extend(other.needs)
        return seen

    @property
    def pull_requests(self) -> bool:
        """True when pull or merge requests (possibly from forks) start it."""
        return bool(self.triggers & {"pull_request", "pull_request_target", "merge_request"})
