"""CI platforms behind one registry: the pipeline model to each platform's YAML and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlopsgen import yamlio
from mlopsgen.platforms import azure, github, gitlab
from mlopsgen.platforms.base import CIPlatform, Loss, PipelineParseError, PlatformModule, losses
from mlopsgen.platforms.github import annotate
from mlopsgen.spec.model import Platform

__all__ = [
    "PLATFORMS",
    "CIPlatform",
    "Loss",
    "PipelineParseError",
    "detect",
    "losses",
    "render_text",
]

#: The one registry: every Platform member has exactly one entry (a test loops over the enum).
PLATFORMS: dict[Platform, CIPlatform] = {
    platform: PlatformModule(
        platform=platform,
        lossy=module.LOSSY,
        emit=module.emit,
        parse=module.parse,
        expressible=module.expressible,
        owns=module.owns,
    )
    for platform, module in (
        (Platform.GITHUB, github),
        (Platform.GITLAB, gitlab),
        (Platform.AZURE, azure),
    )
}


def detect(path: str) -> Platform | None:
    """The platform whose pipeline file ``path`` (repository-relative, ``/``-separated) is."""
    for platform, impl in PLATFORMS.items():
        if impl.owns(path):
            return platform
    return None


def render_text(files: Mapping[str, Any]) -> dict[str, str]:
    """Dump emitted files to YAML text, with the comments data cannot carry.

    Every pipeline file goes through here (or through ``yamlio.dump`` plus
    :func:`~mlopsgen.platforms.github.annotate`), so the ``# vX.Y.Z`` after each pinned
    action and the reason after each extra permission are never lost.
    """
    return {path: annotate(yamlio.dump(data)) for path, data in files.items()}
