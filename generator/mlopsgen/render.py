"""The files mlopsgen owns beside the scaffold: CI pipelines, the spec schema, CI settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mlopsgen.pipeline import build_pipelines
from mlopsgen.platforms import PLATFORMS, losses, render_text
from mlopsgen.spec import schema_text
from mlopsgen.spec.model import Platform, Spec

__all__ = ["SCHEMA_PATH", "Rendered", "render_managed"]

#: Where a rendered repository keeps the spec's schema (its `make spec-check` reads it).
SCHEMA_PATH = ".mlopsgen/mlops.schema.json"


@dataclass(frozen=True)
class Rendered:
    """Managed files by repository-relative path, and what a platform could not express."""

    files: dict[str, str]
    warnings: tuple[str, ...]


def render_managed(spec: Spec, *, platforms: Iterable[Platform] | None = None) -> Rendered:
    """Render the pipelines for ``platforms`` (default: the spec's) and the schema copy."""
    pipelines = build_pipelines(spec)
    files = {SCHEMA_PATH: schema_text()}
    warnings: list[str] = []
    for platform in platforms if platforms is not None else spec.ci.platforms:
        impl = PLATFORMS[platform]
        files.update(render_text(impl.emit(pipelines)))
        # One warning per lost field, naming every job it concerns.
        grouped: dict[tuple[str, str], list[str]] = {}
        for loss in losses(impl, pipelines):
            where = f"{loss.pipeline}/{loss.job}" if loss.job else loss.pipeline
            grouped.setdefault((loss.field, loss.reason), []).append(where)
        warnings += [
            f"{platform}: {field} ({', '.join(wheres)}) is not in the YAML: {reason}"
            for (field, reason), wheres in grouped.items()
        ]
    return Rendered(files=dict(sorted(files.items())), warnings=tuple(warnings))
