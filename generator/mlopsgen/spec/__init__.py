"""The spec: its JSON Schema, its loader and its typed model."""

from __future__ import annotations

from mlopsgen.spec.loader import derive_slug, load_spec, parse_spec, read_spec_text
from mlopsgen.spec.model import DeployTarget, Platform, Spec
from mlopsgen.spec.schema import apply_defaults, load_schema, schema_text

__all__ = [
    "DeployTarget",
    "Platform",
    "Spec",
    "apply_defaults",
    "derive_slug",
    "load_schema",
    "load_spec",
    "parse_spec",
    "read_spec_text",
    "schema_text",
]
