"""check-jsonschema's vendored CI schemas, validated in process (no subprocess start-up)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

from mlopsgen.spec.model import Platform

_FILES = {
    Platform.GITHUB: "github-workflows.json",
    Platform.GITLAB: "gitlab-ci.json",
    Platform.AZURE: "azure-pipelines.json",
}


@functools.cache
def _validator(platform: Platform) -> Any:
    ref = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / _FILES[platform]
    schema = json.loads(ref.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def all_strings(value: Any) -> Any:
    """Azure reads every scalar as a string; its schema says so (check-jsonschema#238)."""
    if isinstance(value, dict):
        return {k: all_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [all_strings(v) for v in value]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def schema_errors(platform: Platform, data: Any) -> list[str]:
    """Schema violations of one loaded pipeline document, as ``path: message`` lines."""
    if platform is Platform.AZURE:
        data = all_strings(data)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator(platform).iter_errors(data)
    ]
