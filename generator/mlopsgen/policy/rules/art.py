"""Credentials on disk, artifacts, caches and transport."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.pipeline.model import JobKind
from mlopsgen.policy.base import Finding, PipelineRule
from mlopsgen.policy.readers._util import as_list, as_map, as_str, strings
from mlopsgen.policy.rules._common import publishes, scripts
from mlopsgen.policy.view import PipelineView, StepView
from mlopsgen.spec.model import Platform

__all__ = ["ArtifactExposure", "CachePoisoning", "InsecureTransport", "PersistedCredentials"]


class PersistedCredentials(PipelineRule):
    """A checkout leaves the repository token on disk.

    ``actions/checkout`` keeps the token in ``.git/config`` unless told
    ``persist-credentials: false`` (Azure: ``persistCredentials: true`` does the same);
    every later step, and any artifact that includes the workspace, can read it.

    Anti-pattern::

        - uses: actions/checkout@<sha>

    Best practice::

        - uses: actions/checkout@<sha>
          with: {persist-credentials: false}
    """

    id = "ART-001"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITHUB, Platform.AZURE})
    references = ("zizmor artipacked",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per checkout that persists credentials."""
        for job in view.jobs:
            for step in job.steps:
                uses = step.uses or ""
                if view.platform is Platform.GITHUB and uses.startswith("actions/checkout"):
                    value = step.inputs.get("persist-credentials")
                    if value is not False and str(value).lower() != "false":
                        yield Finding(
                            f"job {job.id!r} checks out with persisted credentials",
                            step.path,
                            hint="add `with: {persist-credentials: false}`",
                        )
                elif uses.startswith("checkout:") and uses != "checkout: none":
                    value = step.raw.get("persistCredentials")
                    if value is True or str(value).lower() == "true":
                        yield Finding(
                            f"job {job.id!r} checks out with persistCredentials: true",
                            (*step.path, "persistCredentials"),
                            hint="remove persistCredentials or set it to false",
                        )


@dataclass(frozen=True)
class _CacheControl:
    """How an action's caching is switched: the input, and whether it caches by default.

    ``opt_out`` inputs (``lookup-only``, ``no-cache``) turn caching off when true; the
    others turn it on when set to anything but false or empty. ``since`` is the first
    major version whose default caches (older tags do not).
    """

    field: str | None
    default: bool
    opt_out: bool = False
    since: int = 0
    #: Caching applies only when this input is set (setup-buildx caches a pinned version).
    requires: str | None = None


#: Actions that restore a cache, and how (zizmor's cache-aware list; the actions' own
#: action.yml files for the defaults).
CACHE_AWARE: dict[str, tuple[_CacheControl, ...]] = {
    "actions/cache": (_CacheControl("lookup-only", True, opt_out=True),),
    "actions/cache/restore": (_CacheControl("lookup-only", True, opt_out=True),),
    "actions/setup-java": (_CacheControl("cache", False),),
    "actions/setup-go": (_CacheControl("cache", True, since=4),),
    "actions/setup-node": (
        _CacheControl("cache", False),
        _CacheControl("package-manager-cache", True, since=5),
    ),
    "actions/setup-python": (_CacheControl("cache", False),),
    "actions/setup-dotnet": (_CacheControl("cache", False),),
    "astral-sh/setup-uv": (_CacheControl("enable-cache", True, since=6),),
    "swatinem/rust-cache": (_CacheControl("lookup-only", True, opt_out=True),),
    "ruby/setup-ruby": (_CacheControl("bundler-cache", False),),
    "pyo3/maturin-action": (_CacheControl("sccache", False),),
    "mlugg/setup-zig": (_CacheControl("use-cache", True),),
    "oven-sh/setup-bun": (_CacheControl("no-cache", True, opt_out=True),),
    "determinatesystems/magic-nix-cache-action": (_CacheControl("use-gha-cache", True),),
    "graalvm/setup-graalvm": (_CacheControl("cache", False),),
    "gradle/actions/setup-gradle": (_CacheControl("cache-disabled", True, opt_out=True),),
    "gradle/gradle-build-action": (_CacheControl("cache-disabled", True, opt_out=True),),
    "actions-rust-lang/setup-rust-toolchain": (_CacheControl("cache", True),),
    "mozilla-actions/sccache-action": (_CacheControl(None, True),),
    "nix-community/cache-nix-action": (_CacheControl(None, True),),
    "awalsh128/cache-apt-pkgs-action": (_CacheControl(None, True),),
    "jdx/mise-action": (_CacheControl("cache", True),),
    "ramsey/composer-install": (_CacheControl("ignore-cache", True, opt_out=True),),
    "docker/setup-buildx-action": (_CacheControl("cache-binary", True, requires="version"),),
    "docker/build-push-action": (_CacheControl("cache-from", False),),
}
_MAJOR = re.compile(r"v?(\d+)(?:\.|$)")
_FALSY = frozenset({"false", "", "no", "0", "off"})


def _cached_by(step: StepView) -> str | None:
    """The input (or ``default``) that makes a cache-aware step restore a cache, if any."""
    name, _, ref = (step.uses or "").partition("@")
    controls = CACHE_AWARE.get(name.lower())
    if controls is None:
        return None
    major = _MAJOR.match(ref)
    for control in controls:
        if control.requires and not step.inputs.get(control.requires):
            continue
        if control.field is None:
            return "always"
        value = step.inputs.get(control.field)
        if value is None:
            if control.default and not (major and int(major.group(1)) < control.since):
                return f"by default (no `{control.field}:`)"
            continue
        text = (as_str(value) or "").strip().lower()
        if "${{" in text:
            return f"`{control.field}: {text}`"
        on = text not in _FALSY
        if on != control.opt_out:
            return f"`{control.field}: {as_str(value)}`"
    return None


def _release_branches(view: PipelineView) -> bool:
    push = as_map(as_map(view.data.get("on")).get("push"))
    return any("release" in b.lower() for b in strings(push.get("branches")))


def _release_triggers(view: PipelineView) -> bool:
    """Started by a release, a tag push, or a push to a release branch."""
    return bool(view.triggers & {"release", "tag"}) or _release_branches(view)


#: actions/cache that only looks up (never restores) in tag runs, which is what release
#: events and tag pushes are (``github.ref`` is ``refs/tags/...`` in both).
_NOT_ON_TAGS = re.compile(
    r"\$\{\{\s*startsWith\(\s*github\.ref\s*,\s*'refs/tags/'\s*\)\s*\}\}", re.IGNORECASE
)


def _skips_tag_runs(step: StepView) -> bool:
    """An actions/cache step that never restores in a tag or release run."""
    name = (step.uses or "").partition("@")[0].lower()
    value = as_str(step.inputs.get("lookup-only")) or ""
    return name in {"actions/cache", "actions/cache/restore"} and bool(
        _NOT_ON_TAGS.fullmatch(value.strip())
    )


class CachePoisoning(PipelineRule):
    """A deploy or release job restores a cache.

    Caches are written by other runs, pull requests included; a release that restores
    one can ship what a pull request planted (GitHub cache poisoning, the GitLab
    cache-sharing report). Reported: caches in deploy jobs; on GitHub also in every job of
    a workflow that a release, a tag push or a push to a ``release*`` branch starts, and
    in jobs that publish with a well-known action (``pypa/gh-action-pypi-publish``,
    ``docker/build-push-action``, ``softprops/action-gh-release``, ...). Actions that cache
    unless told otherwise count (``actions/setup-go`` from v4, ``setup-node``'s
    ``package-manager-cache`` from v5, ``astral-sh/setup-uv`` from v6, ``Swatinem/rust-cache``,
    ``oven-sh/setup-bun``, ``gradle/actions/setup-gradle``, ``sccache``...); older major
    versions of those that did not cache by default do not. GitLab's ``cache: unprotect:
    true`` shares protected-branch caches with everyone. An ``actions/cache`` step with
    ``lookup-only: ${{ startsWith(github.ref, 'refs/tags/') }}`` never restores in a tag
    or release run, so it passes outside deploy and publishing jobs (unless pushes to a
    ``release*`` branch start the workflow too).

    Anti-pattern::

        publish:
          environment: pypi
          steps:
            - uses: actions/setup-python@<sha>
              with: {python-version: "3.12", cache: pip}

    Best practice::

        publish:
          environment: pypi
          steps:
            - uses: actions/setup-python@<sha>
              with: {python-version: "3.12"}
    """

    id = "ART-002"
    severity = Severity.HIGH
    references = ("zizmor cache-poisoning", "glsec GL046")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per cache in a deploy job and per unprotected GitLab cache."""
        # A workflow that release events or tags start builds what it publishes; a cache
        # that tag runs only look up is not restored there (unless release branches push).
        releasing = view.platform is Platform.GITHUB and _release_triggers(view)
        tags_only = releasing and not _release_branches(view)
        for job in view.jobs:
            if view.platform is Platform.GITLAB:
                for i, cache in enumerate(as_list(job.raw.get("cache"))):
                    if as_map(cache).get("unprotect") is True:
                        yield Finding(
                            f"job {job.id!r} shares its cache with unprotected branches",
                            (*job.path, "cache"),
                            hint="remove unprotect: true",
                        )
                        break
                    if job.kind is JobKind.DEPLOY and i == 0:
                        yield Finding(
                            f"deploy job {job.id!r} restores a cache",
                            (*job.path, "cache"),
                            hint="build what you ship from scratch: no cache in deploy jobs",
                        )
                continue
            if job.kind is JobKind.DEPLOY:
                what = f"deploy job {job.id!r}"
            elif releasing:
                what = f"job {job.id!r} of a release workflow"
            elif view.platform is Platform.GITHUB and publishes(job):
                what = f"publishing job {job.id!r}"
            else:
                continue
            for step in job.steps:
                uses = step.uses or ""
                if tags_only and what.startswith("job ") and _skips_tag_runs(step):
                    continue
                how = "Cache task" if uses.startswith("Cache@") else _cached_by(step)
                if how:
                    yield Finding(
                        f"{what} restores a cache ({uses.partition('@')[0]}, {how})",
                        step.path,
                        hint="build what you ship from scratch: no cache in release jobs",
                    )


_SENSITIVE = re.compile(
    r"(^|/)(\.env|\.netrc|\.npmrc|\.pypirc|id_rsa|id_ed25519|kubeconfig|credentials(\.json)?|"
    r"\.docker/config\.json|[^/]*\.pem|[^/]*\.key|[^/]*\.p12|\.git)(/|$)|^\.?/?$|^\*\*?$",
    re.IGNORECASE,
)


class ArtifactExposure(PipelineRule):
    """An artifact exposes secrets or the whole workspace.

    Artifacts outlive the job and are downloadable by everyone with read access (public
    on public projects). Reported: paths such as ``.env``, ``*.pem``, ``.git`` or the
    whole workspace; GitLab ``untracked: true``, ``public: true`` and ``access: all``.

    Anti-pattern::

        artifacts:
          untracked: true
          paths: [.env, dist/]

    Best practice::

        artifacts:
          paths: [dist/]
          expire_in: 1 week
          access: developer
    """

    id = "ART-003"
    severity = Severity.MEDIUM
    references = ("glsec GL005, GL014, GL028, GL073",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per exposed artifact."""
        for job in view.jobs:
            paths: list[tuple[str, tuple[str | int, ...]]] = []
            if view.platform is Platform.GITLAB:
                artifacts = as_map(job.raw.get("artifacts"))
                base = (*job.path, "artifacts")
                if artifacts.get("untracked") is True:
                    yield Finding(
                        f"job {job.id!r} uploads every untracked file",
                        (*base, "untracked"),
                        hint="list the paths to keep",
                    )
                if artifacts.get("public") is True or as_str(artifacts.get("access")) == "all":
                    yield Finding(
                        f"job {job.id!r} makes its artifacts public",
                        base,
                        hint="set access: developer",
                    )
                paths = [(p, (*base, "paths")) for p in strings(artifacts.get("paths"))]
            for step in job.steps:
                uses = step.uses or ""
                if uses.startswith("actions/upload-artifact"):
                    text = as_str(step.inputs.get("path")) or ""
                    paths += [(p.strip(), (*step.path, "with", "path")) for p in text.splitlines()]
                elif uses.startswith(("PublishPipelineArtifact", "PublishBuildArtifacts")):
                    for key in ("targetPath", "path", "PathtoPublish"):
                        target = as_str(step.inputs.get(key))
                        if target:
                            paths.append((target, (*step.path, "inputs", key)))
                elif "publish" in step.raw and view.platform is Platform.AZURE:
                    paths.append((as_str(step.raw["publish"]) or "", (*step.path, "publish")))
            for path, where in paths:
                if path and _SENSITIVE.search(path.strip()):
                    yield Finding(
                        f"job {job.id!r} uploads {path!r} as an artifact",
                        where,
                        snippet=path.strip(),
                        hint="upload only build outputs, never credentials or the workspace",
                    )


_INSECURE = re.compile(
    r"(\bcurl\b[^\n]*\s(?:-k|--insecure)\b|\bwget\b[^\n]*--no-check-certificate|"
    r"GIT_SSL_NO_VERIFY|StrictHostKeyChecking[= ]no|--trusted-host\b|"
    r"\bhttp\.sslVerify\s+false|"
    r"\b(?:curl|wget|pip3?\s+install|git\s+clone)\b[^\n]*http://(?!localhost|127\.0\.0\.1|0\.0\.0\.0)"
    r"[\w.-]+)"
)


_INSECURE_HINTS = ("curl", "wget", "GIT_SSL", "StrictHost", "trusted-host", "sslVerify", "http://")


class InsecureTransport(PipelineRule):
    """A script turns off TLS or host verification, or downloads over plain HTTP.

    ``curl -k``, ``--no-check-certificate``, ``GIT_SSL_NO_VERIFY``,
    ``StrictHostKeyChecking=no``, ``pip --trusted-host`` and ``http://`` downloads let
    anyone on the path swap what the job fetches.

    Anti-pattern::

        - run: curl -k https://artifacts.example.com/tool.tar.gz -o tool.tar.gz

    Best practice::

        - run: curl --fail -sSLo tool.tar.gz https://artifacts.example.com/tool.tar.gz
    """

    id = "ART-004"
    severity = Severity.MEDIUM
    references = ("zizmor insecure-url-scheme", "glsec GL016, GL030, GL040, GL042, GL048")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per insecure transport."""
        for job, step, script in scripts(view):
            if not any(t in script for t in _INSECURE_HINTS):
                continue
            for match in _INSECURE.finditer(script):
                yield Finding(
                    f"job {job.id!r} fetches without transport security: "
                    f"{match.group(0).strip()[:50]!r}",
                    step.run_path or step.path,
                    snippet=match.group(0).strip(),
                    hint="verify TLS and host keys; use https",
                )
        for env, path in (
            (view.env, ("variables",)),
            *((j.env, (*j.path, "variables")) for j in view.jobs),
        ):
            if str(env.get("GIT_SSL_NO_VERIFY", "")).lower() in {"true", "1"}:
                yield Finding(
                    "GIT_SSL_NO_VERIFY turns off TLS checks for git", (*path, "GIT_SSL_NO_VERIFY")
                )
