"""The spec's JSON Schema (draft 2020-12), shipped in the package, and default filling."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import Any

__all__ = ["apply_defaults", "load_schema", "schema_text"]


def schema_text() -> str:
    """The schema exactly as shipped (``mlopsgen schema`` prints this)."""
    return resources.files("mlopsgen.spec").joinpath("schema.json").read_text(encoding="utf-8")


@functools.cache
def load_schema() -> dict[str, Any]:
    """The parsed schema (cached; callers must not mutate it)."""
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**schema["$defs"][ref.removeprefix("#/$defs/")], **node}
    return node


def apply_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of valid spec data with every schema default filled in.

    The schema's ``default`` keywords are the one source of defaults. An absent
    object-valued property is created (and filled) when it has no required keys,
    so ``spec.monitoring.drift.threshold`` always exists; objects with required
    keys (``secrets.vault``) and objects marked ``x-optional`` (``monitoring.slo``, whose
    absence means "render nothing") stay absent.
    """
    schema = load_schema()
    out = copy.deepcopy(data)
    _fill(schema, schema, out)
    return out


def _fill(root: dict[str, Any], node: dict[str, Any], value: Any) -> None:
    node = _resolve(root, node)
    if isinstance(value, dict):
        for name, raw in node.get("properties", {}).items():
            sub = _resolve(root, raw)
            if name not in value:
                if "default" in sub:
                    value[name] = copy.deepcopy(sub["default"])
                elif "properties" in sub and not sub.get("required") and not sub.get("x-optional"):
                    value[name] = {}
                else:
                    continue
            _fill(root, sub, value[name])
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            _fill(root, node["items"], item)
