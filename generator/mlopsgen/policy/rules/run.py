"""Runner and execution hardening, and the file itself."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.readers._util import as_map, as_str
from mlopsgen.policy.rules._common import scripts
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform

__all__ = [
    "DuplicateKeys",
    "FloatingRunner",
    "HiddenCharacters",
    "JobTimeout",
    "PrivilegedContainers",
]

_PRIVILEGED = re.compile(
    r"(--privileged\b|/var/run/docker\.sock|--cap-add[= ](?:SYS_ADMIN|ALL)\b|"
    r"seccomp[=:]unconfined|--pid[= ]host\b)"
)


class PrivilegedContainers(PipelineRule):
    """A job runs privileged containers or talks to the host's Docker daemon.

    ``docker:dind`` needs ``--privileged``, and a privileged container or a mounted
    ``docker.sock`` is root on the runner: one compromised build step owns every later
    job on that machine.

    Anti-pattern::

        build:
          services: [docker:24-dind]
          script: [docker run --privileged -v /var/run/docker.sock:/var/run/docker.sock app]

    Best practice::

        build:
          image: gcr.io/kaniko-project/executor:v1.23.2-debug@sha256:<digest>
          script: [/kaniko/executor --destination "$IMAGE"]
    """

    id = "RUN-001"
    severity = Severity.MEDIUM
    references = ("glsec GL031, GL054-GL061",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per privileged container or daemon socket."""
        for job in view.jobs:
            for image in job.images:
                if "dind" in image.ref:
                    yield Finding(
                        f"job {job.id!r} runs Docker-in-Docker, a privileged container",
                        image.path,
                        hint="build images without a daemon (kaniko, buildah)",
                    )
            options_text = as_str(as_map(job.raw.get("container")).get("options")) or ""
            if _PRIVILEGED.search(options_text):
                yield Finding(
                    f"job {job.id!r} starts its container privileged",
                    (*job.path, "container", "options"),
                )
        for job, step, script in scripts(view):
            if "--" not in script and "docker.sock" not in script and "seccomp" not in script:
                continue
            match = _PRIVILEGED.search(script)
            if match:
                yield Finding(
                    f"job {job.id!r} runs a privileged container ({match.group(0)})",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="drop the privilege; build without a daemon",
                )


class JobTimeout(PipelineRule):
    """A job has no timeout, or a longer one than the policy allows.

    A hung job holds a runner (and its credentials) for the platform maximum: six hours
    on GitHub, the project default on GitLab, 60 minutes to "no limit" on Azure.
    Generated pipelines set 10 to 90 minutes per job. A GitLab hidden job in a file of
    templates may leave the timeout to the jobs that extend it (a timeout it sets is
    still checked).

    Anti-pattern::

        test:
          runs-on: ubuntu-24.04
          steps: [{run: make test}]

    Best practice::

        test:
          runs-on: ubuntu-24.04
          timeout-minutes: 30
          steps: [{run: make test}]

    Options:
        max_minutes: the longest timeout allowed.
    """

    id = "RUN-002"
    severity = Severity.LOW
    options = (Option("max_minutes", OptionType.INT, 360, "longest timeout allowed"),)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per job without a (short enough) timeout."""
        limit = int(options["max_minutes"])
        key = {
            Platform.GITHUB: "timeout-minutes",
            Platform.GITLAB: "timeout",
            Platform.AZURE: "timeoutInMinutes",
        }[view.platform]
        if view.action:
            return  # an action's steps run under the calling job's timeout
        for job in view.jobs:
            if job.uses and view.platform is not Platform.AZURE:
                continue  # a reusable workflow or trigger: its own jobs carry the timeout
            if job.uses and "job" not in job.raw and "deployment" not in job.raw:
                continue
            minutes = job.timeout_minutes
            if minutes is None and job.hidden:
                continue  # a template's timeout is set by the jobs that extend it
            if minutes is None:
                yield Finding(f"job {job.id!r} has no timeout", job.path, hint=f"set {key}")
            elif not math.isnan(minutes) and (minutes > limit or minutes <= 0):
                shown = "no limit" if minutes <= 0 else f"{minutes:g} minutes"
                yield Finding(
                    f"job {job.id!r} may run for {shown}; the policy allows {limit}",
                    (*job.path, key),
                    hint=f"set {key} to at most {limit}",
                )


_LATEST = re.compile(r"-latest$")


class FloatingRunner(PipelineRule):
    """A job runs on a floating runner image (``ubuntu-latest``).

    ``-latest`` labels move to a new OS release without notice, changing compilers,
    Python and system libraries under a pipeline that did not change. Name the version.

    Anti-pattern::

        runs-on: ubuntu-latest

    Best practice::

        runs-on: ubuntu-24.04
    """

    id = "RUN-003"
    severity = Severity.LOW
    platforms = frozenset({Platform.GITHUB, Platform.AZURE})
    references = ("actionlint runner-label",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per floating runner label."""
        if view.platform is Platform.AZURE:
            top = as_str(as_map(view.data.get("pool")).get("vmImage"))
            if top and _LATEST.search(top):
                yield Finding(
                    f"pool image {top!r} floats", ("pool", "vmImage"), hint="name the version"
                )
        for job in view.jobs:
            if view.platform is Platform.AZURE and job.raw is view.data:
                continue  # a steps-only file: its pool is the top-level one
            if view.platform is Platform.AZURE:
                image = as_str(as_map(job.raw.get("pool")).get("vmImage"))
                labels = [image] if image else []
                path = (*job.path, "pool", "vmImage")
            else:
                labels = list(job.runner)
                path = (*job.path, "runs-on")
            for label in labels:
                if _LATEST.search(label) and "${{" not in label:
                    yield Finding(
                        f"job {job.id!r} runs on floating image {label!r}",
                        path,
                        hint="name the OS version, e.g. ubuntu-24.04",
                    )


_HIDDEN = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\u00ad]|(?<!^)\ufeff")


class HiddenCharacters(PipelineRule):
    """The file contains invisible or bidirectional Unicode characters.

    Bidi overrides and zero-width characters make the file read differently from how it
    runs (Trojan Source, CVE-2021-42574).

    Anti-pattern::

        run: echo "ok" # \u202e ;rm -rf / #

    Best practice::

        run: echo "ok"
    """

    id = "RUN-004"
    severity = Severity.MEDIUM
    references = ("glsec GL078", "bandit trojansource")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per hidden character."""
        for source, text, _ in view.files():
            if text.isascii():
                continue
            for match in _HIDDEN.finditer(text):
                yield Finding(
                    f"invisible character U+{ord(match.group(0)):04X} in the file",
                    (),
                    snippet=match.group(0),
                    hint="remove it",
                    source=source,
                )


class DuplicateKeys(PipelineRule):
    """A mapping key is given twice.

    Every CI platform keeps one of the two values silently (GitLab and GitHub the last),
    so half of what the file says never runs, and reviewers read the half that does not.

    Anti-pattern::

        deploy:
          script: [make deploy]
          script: [echo skipped]

    Best practice::

        deploy:
          script: [make deploy]
    """

    id = "RUN-005"
    severity = Severity.MEDIUM
    references = ("yamllint key-duplicates",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per duplicate key."""
        for source, _, duplicates in view.files():
            for dup in duplicates:
                yield Finding(
                    f"key {dup.key!r} is given twice (first on line {dup.first.line}); "
                    "only the last one counts",
                    hint="remove one of the two",
                    mark=dup.second,
                    source=source,
                )
