"""Tolerant readers: one pipeline file's data to the audit view, per platform."""

from __future__ import annotations

from typing import Any, Protocol

import yaml

from mlopsgen.policy.readers import azure, github, gitlab
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import Duplicate

__all__ = ["READERS", "Reader"]


class Reader(Protocol):
    """Reads one pipeline document (plain data plus its node, for positions) into a view."""

    def __call__(
        self,
        data: dict[str, Any],
        *,
        file: str,
        text: str,
        node: yaml.Node | None,
        duplicates: tuple[Duplicate, ...] = (),
    ) -> PipelineView:
        """Build the view; never raises on odd shapes, it skips what it cannot read."""
        ...


#: One reader per platform (a test loops over the Platform enum).
READERS: dict[Platform, Reader] = {
    Platform.GITHUB: github.read,
    Platform.GITLAB: gitlab.read,
    Platform.AZURE: azure.read,
}
