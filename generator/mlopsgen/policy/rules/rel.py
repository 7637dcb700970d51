"""Release and publishing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, PipelineRule
from mlopsgen.policy.rules._common import scripts
from mlopsgen.policy.view import PipelineView

__all__ = ["TrustedPublishing"]

_TWINE_PASSWORD = re.compile(r"twine\s+upload[^\n]*\s(?:-p|--password)\s")
#: Registry uploads whose registries accept OIDC (Trusted Publishing).
_PUBLISH = re.compile(
    r"\b(twine\s+upload|uv\s+publish|poetry\s+publish|pdm\s+publish|hatch\s+publish|"
    r"flit\s+publish|npm\s+publish|gem\s+push|cargo\s+publish|(?:dotnet\s+)?nuget\s+push)\b"
)
_TOKEN = re.compile(
    r"secrets\.|TOKEN|PASSWORD|API_KEY|\s-k\s|--api-key|--token|\s-p\s|credentials", re.I
)


class TrustedPublishing(PipelineRule):
    """A package is published with a stored registry token.

    PyPI, npm, RubyGems, crates.io and NuGet accept the CI platform's OIDC token through
    Trusted Publishing: nothing to store, leak or rotate. A stored API token publishes
    from anywhere for as long as it lives. Reported: the PyPI publish action with a
    ``password``, and upload commands (``twine upload``, ``uv publish``, ``poetry
    publish``, ``npm publish``, ``gem push``, ``cargo publish``, ``nuget push``) in jobs
    that pass a token and request no OIDC token.

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
            env = {**job.env, **{k: v for s in job.steps for k, v in s.env.items()}}
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
            upload = _PUBLISH.search(script)
            if upload is None or job.oidc or "TWINE_PASSWORD" in job.env:
                continue
            context = " ".join((script, *map(str, step.env.values()), *map(str, job.env.values())))
            if _TOKEN.search(context) or job.secrets:
                yield Finding(
                    f"job {job.id!r} runs `{upload.group(1)}` with a stored token",
                    step.run_path or step.path,
                    snippet=upload.group(1),
                    hint="use Trusted Publishing (OIDC) where the registry offers it",
                )
