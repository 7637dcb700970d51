"""Token permissions of GitHub workflows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = ["BroadPermissions", "DefaultPermissions", "WorkflowWritePermissions"]

_GITHUB = frozenset({Platform.GITHUB})
#: Events where code from a fork, or text an outsider wrote, meets a privileged token.
PRIVILEGED_EVENTS = frozenset(
    {
        "pull_request_target",
        "workflow_run",
        "issue_comment",
        "issues",
        "discussion",
        "discussion_comment",
        "pull_request_review",
        "pull_request_review_comment",
    }
)


class DefaultPermissions(PipelineRule):
    """A workflow runs jobs with the default token permissions.

    Without a top-level ``permissions:`` block, every job that sets none gets the
    repository's default ``GITHUB_TOKEN`` scope, which is read-write on many
    repositories. Start from ``permissions: {}`` and grant each job what it needs.

    A workflow whose every job sets ``permissions:`` is not reported (zizmor agrees;
    checkov's CKV2_GHA_1 reports it): the default scope reaches no job.

    Anti-pattern::

        on: push
        jobs:
          test: {runs-on: ubuntu-24.04, steps: [{run: make test}]}

    Best practice::

        on: push
        permissions: {}
        jobs:
          test:
            runs-on: ubuntu-24.04
            permissions: {contents: read}
            steps: [{run: make test}]
    """

    id = "PERM-001"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor excessive-permissions", "scorecard Token-Permissions")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield one finding when jobs inherit the default scope."""
        if "permissions" in view.data or view.action:
            return
        bare = [j.id for j in view.jobs if "permissions" not in j.raw]
        if bare:
            privileged = bool(view.triggers & PRIVILEGED_EVENTS)
            yield Finding(
                f"no top-level permissions and job(s) {', '.join(bare)} set none: they get "
                "the default token scope",
                ("on",) if "on" in view.data else (),
                hint="add `permissions: {}` at the top and grant each job what it needs",
                severity=Severity.ERROR if privileged else None,
            )


class BroadPermissions(PipelineRule):
    """A workflow or job grants ``write-all`` or ``read-all``.

    ``write-all`` hands every scope, write access included, to every step and action;
    ``read-all`` still reads everything (security events, packages, actions).

    Anti-pattern::

        permissions: write-all

    Best practice::

        permissions:
          contents: read
    """

    id = "PERM-002"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor excessive-permissions", "checkov CKV2_GHA_1")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per blanket permission."""
        places: list[tuple[Any, JsonPath]] = [(view.data.get("permissions"), ("permissions",))]
        places += [(j.raw.get("permissions"), (*j.path, "permissions")) for j in view.jobs]
        for value, path in places:
            if value == "write-all":
                yield Finding("`write-all` grants every scope with write access", path)
            elif value == "read-all":
                yield Finding(
                    "`read-all` grants read access to every scope",
                    path,
                    severity=Severity.MEDIUM,
                )


class WorkflowWritePermissions(PipelineRule):
    """A write permission is granted to the whole workflow.

    A scope granted at the top applies to every job, including the ones that run
    third-party code and need none. Grant write scopes on the job that uses them.

    Anti-pattern::

        permissions:
          contents: write
        jobs: {test: ..., release: ...}

    Best practice::

        permissions: {}
        jobs:
          release:
            permissions: {contents: write}

    Options:
        allowed: scopes that may be written at workflow level (default none).
    """

    id = "PERM-003"
    severity = Severity.MEDIUM
    platforms = _GITHUB
    options = (Option("allowed", OptionType.STRINGS, [], "scopes allowed at workflow level"),)
    references = ("zizmor excessive-permissions", "scorecard Token-Permissions")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per workflow-level write scope."""
        perms = view.data.get("permissions")
        if not isinstance(perms, dict):
            return
        allowed = set(options["allowed"])
        for scope, level in perms.items():
            if level == "write" and scope not in allowed:
                yield Finding(
                    f"`{scope}: write` applies to every job of the workflow",
                    ("permissions", scope),
                    hint="move it to the job that needs it",
                )
