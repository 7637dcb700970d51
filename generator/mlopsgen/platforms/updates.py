"""Dependency-update configuration for the lock: Dependabot on GitHub, Renovate elsewhere.

A generated repository pins everything it installs: ``uv.lock`` (from pyproject.toml),
``requirements-uv.txt`` (uv itself, with hashes), ``package-lock.json`` (the browser page's
onnxruntime-web, deploy.target browser) and, on GitHub, the SHA-pinned actions.
These files propose the updates as pull/merge requests, each new release waiting a week
first (a compromised release is usually yanked within days). Built as data; the caller
dumps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlopsgen.spec.model import Platform

__all__ = ["COOLDOWN_DAYS", "DEPENDABOT", "RENOVATE", "update_configs"]

DEPENDABOT = ".github/dependabot.yml"
RENOVATE = "renovate.json"
#: Days a new release waits before an update is proposed.
COOLDOWN_DAYS = 7


def _dependabot(*, npm: bool) -> dict[str, Any]:
    def entry(ecosystem: str) -> dict[str, Any]:
        return {
            "package-ecosystem": ecosystem,
            "directory": "/",
            "schedule": {"interval": "weekly"},
            "cooldown": {"default-days": COOLDOWN_DAYS},
            "open-pull-requests-limit": 5,
        }

    # uv: pyproject.toml and uv.lock; pip: requirements-uv.txt (hashes updated too).
    return {
        "version": 2,
        "updates": [
            entry("uv"),
            entry("pip"),
            *([entry("npm")] if npm else []),
            entry("github-actions"),
        ],
    }


def _renovate(*, npm: bool) -> dict[str, Any]:
    return {
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "extends": ["config:recommended"],
        # pep621: pyproject.toml and uv.lock; pip_requirements: requirements-uv.txt.
        # npm: package.json and package-lock.json (deploy.target browser).
        "enabledManagers": ["pep621", "pip_requirements", *(["npm"] if npm else [])],
        "minimumReleaseAge": f"{COOLDOWN_DAYS} days",
        "lockFileMaintenance": {"enabled": True, "schedule": ["before 6am on monday"]},
        "prConcurrentLimit": 5,
    }


def update_configs(
    platforms: Iterable[Platform], *, npm: bool = False
) -> dict[str, dict[str, Any]]:
    """The update configuration files for ``platforms``, by repository-relative path.

    ``npm``: the repository pins npm packages too (``package-lock.json``).
    """
    chosen = set(platforms)
    out: dict[str, dict[str, Any]] = {}
    if Platform.GITHUB in chosen:
        out[DEPENDABOT] = _dependabot(npm=npm)
    if chosen - {Platform.GITHUB}:
        out[RENOVATE] = _renovate(npm=npm)
    return out
