"""Triggers, untrusted code and the flow of deploys."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.readers._util import as_map, as_str
from mlopsgen.policy.rules._common import deploys, publishes
from mlopsgen.policy.view import JobView, PipelineView
from mlopsgen.spec.model import Platform

__all__ = [
    "DangerousTriggers",
    "DeployRefGuard",
    "DeploySerialised",
    "DispatchInputs",
    "ManualGateOptional",
    "PipelineRules",
    "SelfHostedOnPullRequests",
    "UntrustedCheckout",
]

_GITHUB = frozenset({Platform.GITHUB})
_FORK = ("pull_request_target", "workflow_run")
_DANGEROUS = (*_FORK, "issue_comment", "pull_request_review_comment", "discussion_comment")


class DangerousTriggers(PipelineRule):
    """A workflow runs on ``pull_request_target``, ``workflow_run`` or a comment event.

    These run in the context of the base repository, with its secrets and a write token,
    on events a fork (or anyone who can comment) causes. Almost every use is better served
    by ``pull_request`` (no secrets) plus a separate, reviewed privileged step; keep one
    only with a waiver. Comment triggers (``issue_comment`` and the review-comment events)
    are reported at medium severity.

    Anti-pattern::

        on: pull_request_target

    Best practice::

        on: pull_request
    """

    id = "TRIG-001"
    severity = Severity.HIGH
    platforms = _GITHUB
    references = ("zizmor dangerous-triggers", "scorecard Dangerous-Workflow")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per dangerous trigger."""
        for event in _DANGEROUS:
            if event in view.triggers:
                yield Finding(
                    f"`{event}` runs with the base repository's secrets and token on events "
                    "a fork or a commenter can cause",
                    ("on", event) if isinstance(view.data.get("on"), dict) else ("on",),
                    hint="use pull_request, or waive with the reason the privilege is needed",
                    severity=None if event in _FORK else Severity.MEDIUM,
                )


_HEAD_REF = re.compile(
    r"(github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|refs/pull/|"
    r"github\.event\.workflow_run\.head_(?:sha|branch)|merge_commit_sha)"
)


class UntrustedCheckout(PipelineRule):
    """A privileged workflow checks out the pull request's code.

    On ``pull_request_target`` or ``workflow_run``, checking out the head of the pull
    request and then building, testing or installing it runs a stranger's code with the
    base repository's secrets and write token ("pwn request").

    Anti-pattern::

        on: pull_request_target
        jobs:
          test:
            steps:
              - uses: actions/checkout@<sha>
                with: {ref: "${{ github.event.pull_request.head.sha }}"}
              - run: make test

    Best practice::

        on: pull_request
        jobs:
          test:
            steps:
              - uses: actions/checkout@<sha>
              - run: make test
    """

    id = "TRIG-002"
    severity = Severity.ERROR
    platforms = _GITHUB
    references = ("poutine untrusted_checkout_exec", "scorecard Dangerous-Workflow")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per checkout of untrusted code in a privileged workflow."""
        if not view.triggers & {"pull_request_target", "workflow_run", "issue_comment"}:
            return
        for job in view.jobs:
            for step in job.steps:
                if not (step.uses or "").startswith("actions/checkout"):
                    continue
                ref = as_str(step.inputs.get("ref")) or ""
                repo = as_str(step.inputs.get("repository")) or ""
                if _HEAD_REF.search(ref) or "head.repo" in repo:
                    yield Finding(
                        f"job {job.id!r} checks out the pull request's code in a privileged "
                        "workflow",
                        (*step.path, "with", "ref"),
                        hint="build untrusted code on pull_request, without secrets",
                    )


_HOSTED_POOLS = frozenset({"azure pipelines", "default hosted"})


class SelfHostedOnPullRequests(PipelineRule):
    """Pull request code runs on a self-hosted runner.

    A self-hosted runner (or agent pool) keeps state between jobs and sits inside your
    network; running pull requests, fork ones included, on it lets a stranger persist on
    it. Run pull requests on hosted runners, or on ephemeral ones from an allow-list.

    Anti-pattern::

        on: pull_request
        jobs:
          test: {runs-on: [self-hosted, gpu], steps: [...]}

    Best practice::

        on: pull_request
        jobs:
          test: {runs-on: ubuntu-24.04, steps: [...]}

    Options:
        allowed_runners: runner labels or pool names that are ephemeral and may run pull requests.
    """

    id = "TRIG-003"
    severity = Severity.HIGH
    platforms = frozenset({Platform.GITHUB, Platform.AZURE})
    options = (
        Option("allowed_runners", OptionType.STRINGS, [], "ephemeral runner labels or pools"),
    )
    references = ("poutine pr_runs_on_self_hosted", "zizmor self-hosted-runner")

    def _self_hosted(self, view: PipelineView, job: JobView) -> str | None:
        if view.platform is Platform.GITHUB:
            return "self-hosted" if "self-hosted" in job.runner else None
        pool = job.raw.get("pool", view.data.get("pool"))
        if isinstance(pool, str):
            return pool if pool.lower() not in _HOSTED_POOLS else None
        pool_map = as_map(pool)
        name = as_str(pool_map.get("name"))
        if name and "vmImage" not in pool_map and name.lower() not in _HOSTED_POOLS:
            return name
        return None

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per job that runs pull requests on a self-hosted runner."""
        if not view.pull_requests:
            return
        allowed = set(options["allowed_runners"])
        for job in view.jobs:
            runner = self._self_hosted(view, job)
            if runner and runner not in allowed and not allowed & set(job.runner):
                key = "runs-on" if view.platform is Platform.GITHUB else "pool"
                yield Finding(
                    f"job {job.id!r} runs pull requests on self-hosted runner {runner!r}",
                    (*job.path, key) if key in job.raw else job.path,
                    hint="use a hosted runner for pull requests",
                )


class PipelineRules(PipelineRule):
    """A GitLab pipeline has no ``workflow: rules``, or uses ``only``/``except``.

    Without ``workflow: rules`` a pipeline runs for every push and merge request event,
    twice for branches with an open merge request, and on sources nobody chose. The
    legacy ``only``/``except`` keywords cannot express the protected-ref conditions that
    deploys need. A fragment meant to be included (no jobs of its own, or a ``spec:``
    header) needs no ``workflow: rules``: the including pipeline sets them. Rules brought
    in by YAML merge keys (``<<: *if-merge-request``) count (checkov's CKV_GITLABCI_2
    does not read merge keys).

    Anti-pattern::

        deploy:
          only: [main]
          script: [make deploy]

    Best practice::

        workflow:
          rules:
            - if: $CI_PIPELINE_SOURCE == "merge_request_event"
            - if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS
              when: never
            - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
        deploy:
          rules: [{if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH}]
          script: [make deploy]
    """

    id = "TRIG-005"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITLAB})
    references = ("checkov CKV_GITLABCI_2", "glsec GL053")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield findings for a missing workflow:rules and each only/except."""
        if not view.template and not as_map(view.data.get("workflow")).get("rules"):
            yield Finding(
                "no `workflow: rules`: the pipeline runs for every source, duplicated for "
                "branches with merge requests",
                ("workflow",) if "workflow" in view.data else (),
                hint="add workflow: rules for merge requests, the default branch and tags",
            )
        for job in view.jobs:
            for key in ("only", "except"):
                if key in job.raw:
                    yield Finding(
                        f"job {job.id!r} uses legacy `{key}:`",
                        (*job.path, key),
                        hint="use rules: instead",
                        severity=Severity.LOW,
                    )


_GITHUB_GUARD = re.compile(r"github\.(?:ref|ref_name|ref_type|event_name|base_ref)\b|refs/")
_GITLAB_GUARD = re.compile(
    r"CI_COMMIT_(?:TAG|BRANCH|REF_NAME|REF_PROTECTED)|CI_DEFAULT_BRANCH|only:|CI_PIPELINE_SOURCE"
)
_AZURE_GUARD = re.compile(r"Build\.SourceBranch|Build\.Reason|System\.PullRequest", re.I)


def _guarded(view: PipelineView, job: JobView) -> bool:
    condition = job.condition or ""
    if view.platform is Platform.GITHUB:
        if _GITHUB_GUARD.search(condition):
            return True
        push = as_map(as_map(view.data.get("on")).get("push"))
        unfiltered_push = "push" in view.triggers and not (push.get("branches") or push.get("tags"))
        return not (view.pull_requests or unfiltered_push)
    if view.platform is Platform.GITLAB:
        return bool(_GITLAB_GUARD.search(condition))
    if _AZURE_GUARD.search(condition):
        return True
    return (
        "pull_request" not in view.triggers
        and not view.template
        and bool(
            as_map(view.data.get("trigger")).get("branches") or view.data.get("trigger") == "none"
        )
    )


class DeployRefGuard(PipelineRule):
    r"""A deploy can run from any branch or from a pull request.

    Deploys belong to protected refs: the default branch or a release tag. A deploy job
    without a condition on the ref ships whatever branch (or fork pull request) started
    the pipeline.

    Anti-pattern::

        deploy:
          stage: deploy
          environment: production
          script: [make deploy]

    Best practice::

        deploy:
          stage: deploy
          environment: production
          rules:
            - if: $CI_COMMIT_TAG =~ /^v\\d+\\.\\d+\\.\\d+$/
          script: [make deploy]
    """

    id = "TRIG-006"
    severity = Severity.HIGH
    references = ("glsec GL013, GL080", "AzSK ADO_Build_DP_Configure_YAML_CI_Triggers")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per deploy without a ref condition."""
        if view.template:
            return
        for job in deploys(view):
            if not _guarded(view, job):
                yield Finding(
                    f"deploy job {job.id!r} has no condition on the branch or tag: any "
                    "ref that starts the pipeline deploys",
                    job.path,
                    hint="run it only on the default branch or release tags",
                )


class DispatchInputs(PipelineRule):
    """A release or deploy workflow takes ``workflow_dispatch`` inputs.

    Inputs let whoever triggers the run change what is built or where it goes, outside
    review; SLSA asks that a build's only parameters be its entry point and source. A
    workflow releases when a job deploys (an environment, a deploy/release/publish name)
    or publishes (a publishing action such as ``pypa/gh-action-pypi-publish`` or
    ``docker/build-push-action``, a registry upload, ``gh release create``, ``docker
    push``).

    Unlike checkov's CKV_GHA_7, which reports every workflow with inputs, test, benchmark
    and maintenance workflows are not reported: their inputs change no shipped artifact.

    Anti-pattern::

        on:
          workflow_dispatch:
            inputs: {version: {required: true}}
        jobs: {publish: {environment: pypi, ...}}

    Best practice::

        on:
          push:
            tags: ["v*"]
        jobs: {publish: {environment: pypi, ...}}
    """

    id = "TRIG-007"
    severity = Severity.LOW
    platforms = _GITHUB
    references = ("checkov CKV_GHA_7",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding when a deploying workflow takes dispatch inputs."""
        dispatch = as_map(as_map(view.data.get("on")).get("workflow_dispatch"))
        if not dispatch.get("inputs"):
            return
        if any(True for _ in deploys(view)) or any(publishes(j) for j in view.jobs):
            yield Finding(
                "a workflow that deploys or publishes takes workflow_dispatch inputs",
                ("on", "workflow_dispatch", "inputs"),
                hint="derive versions from the tag; drop the inputs",
            )


class DeploySerialised(PipelineRule):
    """Deploys to an environment can run at the same time.

    Two pipelines deploying at once interleave their steps and leave the environment in
    a state neither intended. Serialise them: GitHub ``concurrency:``, GitLab
    ``resource_group:``, Azure ``lockBehavior: sequential`` (with an exclusive-lock check).

    Anti-pattern::

        deploy-production:
          environment: production
          script: [make deploy ENV=production]

    Best practice::

        deploy-production:
          environment: production
          resource_group: production
          script: [make deploy ENV=production]
    """

    id = "TRIG-008"
    severity = Severity.LOW
    references = ("zizmor concurrency-limits", "glsec GL019")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per deploy that is not serialised."""
        for job in deploys(view):
            if job.environment and not job.exclusive:
                yield Finding(
                    f"deploy job {job.id!r} can run concurrently with another deploy to "
                    f"{job.environment!r}",
                    job.path,
                    hint="add concurrency / resource_group / lockBehavior",
                )


class ManualGateOptional(PipelineRule):
    """A GitLab manual deploy gate is optional.

    A ``when: manual`` job outside ``rules`` is ``allow_failure: true`` by default: the
    pipeline passes without anyone pressing the button, and jobs after it do not wait.
    Set ``allow_failure: false`` so the manual job blocks.

    Anti-pattern::

        deploy-production:
          when: manual
          environment: production

    Best practice::

        deploy-production:
          when: manual
          allow_failure: false
          environment: production
    """

    id = "TRIG-009"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITLAB})
    references = ("glsec GL071",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per optional manual deploy."""
        for job in deploys(view):
            if job.manual and job.allow_failure:
                yield Finding(
                    f"manual deploy {job.id!r} is optional (allow_failure defaults to true)",
                    job.allow_failure_path or job.path,
                    hint="add allow_failure: false",
                )
