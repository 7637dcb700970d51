"""Release and publishing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, PipelineRule
from mlopsgen.policy.rules._common import PUBLISH_COMMAND, scripts
from mlopsgen.policy.shell import logical_lines
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform

__all__ = ["TrustedPublishing"]

_TWINE_PASSWORD = re.compile(r"twine\s+upload[^\n]*\s(?:-p|--password)\s")
_PUBLISH_WORDS = ("publish", "upload", "push")
_TOKEN = re.compile(
    r"secrets\.|TOKEN|PASSWORD|API_KEY|\s-k\s|--api-key|--token|\s-p\s|credentials", re.I
)
_GITHUB_TOKEN = re.compile(r"\$\{\{\s*(?:secrets\.GITHUB_TOKEN|github\.token)\s*\}\}")
_DRY_RUN = re.compile(r"\s--dry-run\b|\s--dryrun\b")
#: Options that send the upload to another registry than the public one.
_REGISTRY = re.compile(
    r"\s(?:--registry|--repository-url|--repository|-r|--publish-url|--index|--source|-s|"
    r"--host)[=\s]+['\"]?([^\s'\"]+)"
)
_PUBLIC = re.compile(
    r"^(?:pypi|testpypi|crates-io|nuget\.org|https?://(?:upload\.)?(?:test\.)?pypi\.org\b|"
    r"https?://registry\.(?:npmjs\.org|yarnpkg\.com)\b|https?://rubygems\.org\b|"
    r"https?://(?:api|www)\.nuget\.org\b|https?://crates\.io\b)",
    re.IGNORECASE,
)


def _commands(script: str) -> list[str]:
    """Logical lines with shell and PowerShell continuations joined, spaces collapsed."""
    joined = script.replace("`\r\n", " ").replace("`\n", " ")
    return [" ".join(line.split()) for line in logical_lines(joined)]


def _publishes(line: str) -> str | None:
    """The publish command of a line, unless it is a dry run or goes to a private registry."""
    match = PUBLISH_COMMAND.search(line)
    if match is None or _DRY_RUN.search(line):
        return None
    target = _REGISTRY.search(line[match.end() :])
    if target and not _PUBLIC.match(target.group(1)) and "$" not in target.group(1):
        return None
    return match.group(1)


class TrustedPublishing(PipelineRule):
    """A package is published with a stored registry token.

    PyPI, npm, RubyGems, crates.io and NuGet accept the CI platform's OIDC token through
    Trusted Publishing: nothing to store, leak or rotate. A stored API token publishes
    from anywhere for as long as it lives. Reported: the PyPI publish action with a
    ``password``; upload commands (``twine upload`` however launched, ``uv``/``poetry``/
    ``pdm``/``hatch``/``flit publish``, ``npm``/``pnpm``/``yarn``/``bun publish``,
    ``gem push``, ``cargo publish``, ``nuget push``) in jobs that request no OIDC token:
    on GitHub every such upload (the registry refuses anonymous uploads, so a stored
    credential is used even when the file does not show it, at low severity), on GitLab
    and Azure those that pass a token. Dry runs and uploads to another registry than the
    public one (``--registry``, ``--repository-url``, GitHub Packages, an internal index)
    are not reported: Trusted Publishing is for public registries.

    Anti-pattern::

        - uses: pypa/gh-action-pypi-publish@<sha>
          with: {password: "${{ secrets.PYPI_API_TOKEN }}"}

    Best practice::

        permissions: {id-token: write}
        ...
        - uses: pypa/gh-action-pypi-publish@<sha>
    """

    id = "REL-001"
    severity = Severity.MEDIUM
    references = ("zizmor use-trusted-publishing",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per publish with a stored token."""
        for job in view.jobs:
            for step in job.steps:
                if (step.uses or "").startswith("pypa/gh-action-pypi-publish") and (
                    step.inputs.get("password")
                ):
                    yield Finding(
                        f"job {job.id!r} publishes to PyPI with a stored token",
                        (*step.path, "with", "password"),
                        hint="configure Trusted Publishing and drop the password",
                    )
            env = {
                **view.env,
                **job.env,
                **{k: v for s in job.steps for k, v in s.env.items()},
            }
            if "TWINE_PASSWORD" in env and any("twine" in (s.run or "") for s in job.steps):
                yield Finding(
                    f"job {job.id!r} uploads with twine and a stored TWINE_PASSWORD",
                    job.path,
                    hint="use Trusted Publishing (OIDC)",
                )
        for job, step, script in scripts(view):
            match = _TWINE_PASSWORD.search(script)
            if match:
                yield Finding(
                    f"job {job.id!r} passes a registry password to twine",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint="use Trusted Publishing (OIDC)",
                )
                continue
            if not any(w in script for w in _PUBLISH_WORDS):
                continue
            if job.oidc or "TWINE_PASSWORD" in {**view.env, **job.env}:
                continue
            for line in _commands(script):
                upload = _publishes(line)
                if upload is None:
                    continue
                values = (*map(str, step.env.values()), *map(str, job.env.values()))
                # The job's own GITHUB_TOKEN (GitHub Packages) is short-lived, not stored.
                context = _GITHUB_TOKEN.sub("", " ".join((line, *values)))
                stored = [s for s in job.secrets if s != "GITHUB_TOKEN"]
                visible = bool(_TOKEN.search(context) or stored)
                if not visible and view.platform is not Platform.GITHUB:
                    continue
                yield Finding(
                    f"job {job.id!r} runs `{upload}` with a stored token"
                    if visible
                    else f"job {job.id!r} runs `{upload}` without an OIDC token, so with a "
                    "stored credential",
                    step.run_path or step.path,
                    snippet=upload.split()[0],
                    hint="use Trusted Publishing (OIDC): permissions: {id-token: write}",
                    severity=None if visible else Severity.LOW,
                )
                break
