"""Pinning and supply chain: actions, includes, templates, images and installs."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.rules._common import scripts
from mlopsgen.policy.rules._images import image_values
from mlopsgen.policy.shell import DOWNLOAD_EXEC, logical_lines
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = [
    "ActionPinComment",
    "ActionPinned",
    "AllowedSources",
    "DownloadExec",
    "ExtraIndexUrl",
    "ImagePinned",
    "IncludePinned",
    "TemplateRepoPinned",
    "UnhashedInstall",
]

_SHA = re.compile(r"[0-9a-f]{40}")
_GITHUB = frozenset({Platform.GITHUB})


def _action_refs(view: PipelineView) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    for job in view.jobs:
        if job.uses:
            yield job.uses, (*job.path, "uses")
        for step in job.steps:
            if step.uses:
                yield step.uses, (*step.path, "uses")


class ActionPinned(PipelineRule):
    """An action or reusable workflow is not pinned to a full commit SHA.

    Tags and branches move: whoever controls the action's repository (or steals a
    maintainer's token, as in the tj-actions/changed-files compromise) changes what runs
    in your pipeline, with your secrets. A 40-hex commit SHA cannot move.

    Anti-pattern::

        - uses: actions/checkout@v4

    Best practice::

        - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2

    Options:
        allow: glob patterns of actions that may use a tag (``actions/*``); empty by default.
    """

    id = "PIN-001"
    severity = Severity.HIGH
    platforms = _GITHUB
    options = (Option("allow", OptionType.STRINGS, [], "actions that may be tag-pinned"),)
    references = ("zizmor unpinned-uses", "scorecard Pinned-Dependencies")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per ``uses:`` without a commit SHA."""
        allow = [str(p) for p in options["allow"]]
        for uses, path in _action_refs(view):
            if uses.startswith(("./", "docker://")) or "${{" in uses:
                continue
            name, _, ref = uses.partition("@")
            if _SHA.fullmatch(ref) or any(fnmatch.fnmatch(name, p) for p in allow):
                continue
            what = f"ref {ref!r}" if ref else "no ref at all"
            yield Finding(
                f"{name} is pinned to {what}, which can move",
                path,
                hint="pin the 40-hex commit SHA and keep the version in a comment",
            )


_USES_LINE = re.compile(r"uses:\s*['\"]?([^\s'\"#]+)['\"]?[ \t]*(#[ \t]*\S)?")


class ActionPinComment(PipelineRule):
    """A SHA-pinned action has no version comment.

    A bare SHA tells a reviewer nothing and update bots cannot bump it safely. Keep the
    release it corresponds to in a comment on the same line.

    Anti-pattern::

        - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683

    Best practice::

        - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    """

    id = "PIN-002"
    severity = Severity.LOW
    platforms = _GITHUB
    requires = ("PIN-001",)
    references = ("zizmor ref-version-mismatch",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per SHA pin without a trailing comment."""
        commented = {m.group(1) for m in _USES_LINE.finditer(view.text) if m.group(2)}
        for uses, path in _action_refs(view):
            if not _SHA.fullmatch(uses.partition("@")[2]):
                continue
            if uses not in commented:
                yield Finding(
                    f"{uses.partition('@')[0]} is pinned to a bare SHA",
                    path,
                    hint="add the release on the same line: `# vX.Y.Z`",
                )


class AllowedSources(PipelineRule):
    """A pipeline uses an action, include, template or image from outside the allow-list.

    Platform teams decide where pipeline code may come from (their own organisation, a
    vetted set of publishers, their registry mirror). Off until ``allowed`` is set in a
    pack: then every action (GitHub), include or component (GitLab), template repository
    (Azure) and container image must match one of its patterns.

    Anti-pattern::

        include:
          - remote: https://example.com/ci/template.yml

    Best practice::

        include:
          - project: platform/ci-templates
            ref: 0123456789abcdef0123456789abcdef01234567
            file: /python.yml

    Options:
        allowed: glob patterns of allowed sources (``actions/*``, ``registry.example.com/*``).
    """

    id = "PIN-006"
    severity = Severity.HIGH
    options = (Option("allowed", OptionType.STRINGS, [], "allowed sources (globs)"),)
    references = ("zizmor forbidden-uses", "glsec GL075, GL065")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per source outside the allow-list (none when it is empty)."""
        allowed = [str(p) for p in options["allowed"]]
        if not allowed:
            return
        sources: list[tuple[str, tuple[str | int, ...]]] = []
        for uses, path in _action_refs(view):
            if view.platform is Platform.GITHUB and not uses.startswith("./"):
                sources.append((uses.partition("@")[0], path))
        for inc in view.includes:
            if inc.kind not in {"local", "template"}:
                sources.append((inc.target, inc.path))
        for job in view.jobs:
            sources += [(i.ref, i.path) for i in job.images]
        sources += [(i.ref, i.path) for i in view.images]
        for source, path in dict.fromkeys(sources):
            if not any(fnmatch.fnmatch(source, p) for p in allowed):
                yield Finding(
                    f"{source!r} is not on the allow-list", path, hint="use an allowed source"
                )


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


class ImagePinned(PipelineRule):
    """A container image is not pinned to a digest.

    An image without a tag, or tagged ``latest``, is whatever was pushed last (high); a
    tag without ``@sha256:`` can be re-pushed (medium). Covers GitHub ``container``,
    ``services`` and ``docker://`` steps, GitLab ``image`` and ``services`` (and
    ``default:``), Azure ``resources.containers`` and job containers.

    A reference written with an expression is checked for every value the file gives it:
    a static ``matrix``, an input's default and choices, ``||`` fallbacks, GitLab and
    Azure variables, Azure parameter defaults. One whose value is only known at run time
    (a matrix from another job's output, ``$[ variables.x ]`` set by a script, a
    predefined variable) cannot be checked, and is reported at low severity with
    ``require_digest``.

    Anti-pattern::

        image: python:latest

    Best practice::

        image: python:3.12-slim@sha256:<64 hex digits>

    Options:
        require_digest: also report tags without a digest (default true).
    """

    id = "PIN-007"
    severity = Severity.HIGH
    options = (
        Option("require_digest", OptionType.BOOL, True, "report tags without @sha256 digests"),
    )
    references = ("zizmor unpinned-images", "checkov CKV_AZUREPIPELINES_1/2", "glsec GL001")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per unpinned image."""
        refs = [(None, i) for i in view.images] + [(j, i) for j in view.jobs for i in j.images]
        seen: set[tuple[str | int, ...]] = set()
        for job, image in refs:
            if image.path in seen:
                continue
            seen.add(image.path)
            values = image_values(view, job, image.ref.strip())
            if values is None:
                if options["require_digest"]:
                    yield Finding(
                        f"image {image.ref.strip()!r} is chosen at run time: its pin cannot be "
                        "checked",
                        image.path,
                        hint="list the images in the file, each pinned by digest",
                        severity=Severity.LOW,
                    )
                continue
            for ref, origin in values.items():
                finding = self._value(ref, origin, image.path, options)
                if finding is not None:
                    yield finding

    @staticmethod
    def _value(ref: str, origin: str, path: JsonPath, options: Mapping[str, Any]) -> Finding | None:
        ref = ref.strip()
        if not ref or _DIGEST.search(ref):
            return None  # an empty matrix value means no container
        last = ref.rsplit("/", 1)[-1]
        tag = last.partition(":")[2]
        if not tag or tag == "latest":
            return Finding(
                f"image {ref!r}{origin} has no tag or uses latest: it runs whatever was "
                "pushed last",
                path,
                hint="pin a version and its digest: name:1.2.3@sha256:...",
            )
        if options["require_digest"]:
            return Finding(
                f"image {ref!r}{origin} is pinned by tag only; tags can be re-pushed",
                path,
                hint="append the digest: @sha256:...",
                severity=Severity.MEDIUM,
            )
        return None


class IncludePinned(PipelineRule):
    """A GitLab include or component is not pinned to an immutable ref.

    ``include: project`` without ``ref`` follows the other project's default branch;
    ``remote:`` URLs change under you; components need a released version or a SHA,
    not ``~latest`` or a branch.

    Anti-pattern::

        include:
          - project: platform/ci-templates
            file: /python.yml

    Best practice::

        include:
          - project: platform/ci-templates
            ref: 0123456789abcdef0123456789abcdef01234567
            file: /python.yml
          - component: $CI_SERVER_FQDN/platform/components/secret-detection@1.4.2
    """

    id = "PIN-008"
    severity = Severity.HIGH
    platforms = frozenset({Platform.GITLAB})
    references = ("glsec GL003, GL041",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per include that can change without a commit here."""
        for inc in view.includes:
            if inc.kind == "project" and not (inc.ref and _SHA.fullmatch(inc.ref)):
                what = f"ref {inc.ref!r}" if inc.ref else "no ref (the default branch)"
                yield Finding(
                    f"include of project {inc.target!r} follows {what}",
                    inc.path,
                    hint="pin ref to a commit SHA",
                )
            elif inc.kind == "remote":
                yield Finding(
                    f"remote include {inc.target!r} can change at any time and has no "
                    "integrity check",
                    inc.path,
                    hint="vendor the file or include it from a project pinned to a SHA",
                )
            elif inc.kind == "component":
                version = inc.target.rpartition("@")[2] if "@" in inc.target else ""
                if not (re.fullmatch(r"\d+\.\d+\.\d+", version) or _SHA.fullmatch(version)):
                    yield Finding(
                        f"component {inc.target!r} is not pinned to a release or a SHA",
                        inc.path,
                        hint="use @<major.minor.patch> or @<commit SHA>",
                    )


class TemplateRepoPinned(PipelineRule):
    """An Azure template repository is referenced by branch.

    ``resources.repositories`` without ``ref`` (the default branch) or with
    ``refs/heads/...`` runs whatever is pushed to that branch, with this pipeline's
    service connections. Pin a tag or a commit.

    Anti-pattern::

        resources:
          repositories:
            - {repository: templates, type: git, name: Platform/templates, ref: refs/heads/main}

    Best practice::

        resources:
          repositories:
            - {repository: templates, type: git, name: Platform/templates, ref: refs/tags/v2.3.0}
    """

    id = "PIN-009"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.AZURE})
    references = ("AzSK ADO_*_DP_Use_Template_From_Protected_Branch",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per template repository on a branch."""
        for inc in view.includes:
            if not inc.kind.startswith("repository:"):
                continue
            ref = inc.ref or ""
            if ref.startswith("refs/tags/") or _SHA.fullmatch(ref):
                continue
            what = f"branch {ref!r}" if ref else "the default branch"
            yield Finding(
                f"template repository {inc.target!r} follows {what}",
                inc.path,
                hint="set ref to refs/tags/<version> or a commit SHA",
            )


_PIP_INSTALL = re.compile(
    r"\b(?:pip3?|python[0-9.]*\s+-m\s+pip|uv\s+pip)\s+install\b([^\n;&|]*)", re.IGNORECASE
)
_PIP_OK = re.compile(
    r"(--require-hashes|--upgrade\s+pip\s*$|-U\s+pip\s*$|(?:^|\s)pip\s*$|\.whl\b|--no-index)"
)
#: A local project (``.``, ``-e .[dev]``, a path): pip resolves its dependencies from the
#: index, unhashed, unless told ``--no-deps`` (they then come from a hashed lock).
_LOCAL_PROJECT = re.compile(r"(?:^|\s)(?:-e\s+|--editable[\s=]+)?['\"]?\.{1,2}(?:/|\[|['\"]|\s|$)")
#: ``uv sync`` installs uv.lock (hashes checked), but re-resolves a stale lock unless told
#: ``--locked`` (fail instead) or ``--frozen`` (install the lock as it is).
_UV_SYNC = re.compile(r"\buv\s+sync\b([^\n;&|]*)")
_UV_SYNC_OK = re.compile(r"--locked\b|--frozen\b")


def _unhashed(line: str) -> Iterator[str]:
    """The installs of one logical line that take packages without checking hashes."""
    for match in _PIP_INSTALL.finditer(line):
        args = match.group(1)
        if _PIP_OK.search(args):
            continue
        if _LOCAL_PROJECT.search(args) and "--no-deps" in args:
            continue
        yield match.group(0).strip()
    for match in _UV_SYNC.finditer(line):
        if not _UV_SYNC_OK.search(match.group(1)):
            yield match.group(0).strip()


class UnhashedInstall(PipelineRule):
    """Packages are installed without hashes.

    ``pip install pkg`` or ``pip install -r requirements.txt`` without
    ``--require-hashes`` takes whatever the index serves today, including a compromised
    or typo-squatted release. So does installing the local project (``pip install -e
    '.[dev]'``): pip resolves its dependencies from the index unless told ``--no-deps``.
    ``uv sync`` installs ``uv.lock`` with its hashes, but re-resolves a stale lock unless
    told ``--locked`` or ``--frozen``. Install from a hashed lock file, then the local
    project with ``--no-deps``; or ``uv sync --locked``. The rule reads what the pipeline
    runs: an install hidden in a Makefile target is not seen, so spell it out.

    Anti-pattern::

        script:
          - pip install requests
          - pip install -r requirements.txt
          - pip install -e '.[dev]'

    Best practice::

        script:
          - pip install --require-hashes -r requirements.lock
          - pip install --no-deps -e .
          - uv sync --locked
    """

    id = "PIN-011"
    severity = Severity.MEDIUM
    references = ("scorecard Pinned-Dependencies (pipCommand)", "glsec GL022, GL023")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per install without hashes."""
        for job, step, script in scripts(view):
            if "install" not in script and "sync" not in script:
                continue
            for line in logical_lines(script):
                for snippet in _unhashed(line):
                    yield Finding(
                        f"job {job.id!r} installs packages without checking hashes",
                        step.run_path or step.path,
                        snippet=snippet,
                        hint="install from a hashed lock file: pip install --require-hashes "
                        "-r ... (then the project with --no-deps), or uv sync --locked",
                    )


class DownloadExec(PipelineRule):
    """A script downloads code and runs it without checking it.

    ``curl ... | sh`` runs whatever the server (or anyone between) sends today. Download
    to a file, verify its checksum or signature, then run it, or use a pinned package.

    Anti-pattern::

        - run: curl -sSL https://example.com/install.sh | bash

    Best practice::

        - run: |
            curl -sSLo install.sh https://example.com/v1.2.3/install.sh
            echo "<sha256>  install.sh" | sha256sum -c -
            bash install.sh
    """

    id = "PIN-012"
    severity = Severity.HIGH
    references = ("poutine unverified_script_exec", "scorecard downloadThenRun", "glsec GL011")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per download piped to an interpreter."""
        for job, step, script in scripts(view):
            if "curl" not in script and "wget" not in script and "iex" not in script.lower():
                continue
            for match in DOWNLOAD_EXEC.finditer(script.replace("\\\n", " ")):
                yield Finding(
                    f"job {job.id!r} pipes a download into an interpreter",
                    step.run_path or step.path,
                    snippet=match.group(0).split("|")[0].strip()[:60],
                    hint="download, verify a checksum, then run",
                )


class ExtraIndexUrl(PipelineRule):
    """pip is given an extra index (dependency confusion).

    With ``--extra-index-url`` pip takes the highest version from *any* index: a public
    package named like your internal one wins. Use a single ``--index-url`` that proxies
    both, or hashes.

    Anti-pattern::

        - pip install --extra-index-url https://pypi.internal.example/simple mypkg

    Best practice::

        - pip install --index-url https://pypi.internal.example/simple --require-hashes
            -r requirements.lock
    """

    id = "PIN-013"
    severity = Severity.MEDIUM
    references = ("glsec GL079",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per extra index."""
        for job, step, script in scripts(view):
            if "extra-index-url" in script:
                yield Finding(
                    f"job {job.id!r} adds an extra package index",
                    step.run_path or step.path,
                    snippet="extra-index-url",
                    hint="use one --index-url that proxies every source",
                )
        for key, value in [
            *view.env.items(),
            *((k, v) for j in view.jobs for k, v in j.env.items()),
        ]:
            if str(key).upper() == "PIP_EXTRA_INDEX_URL" and value:
                yield Finding(
                    "PIP_EXTRA_INDEX_URL adds an extra package index", (), snippet=str(key)
                )
