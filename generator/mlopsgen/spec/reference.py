"""The spec reference (docs/spec.md), generated from the schema so the two cannot drift."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mlopsgen.spec.loader import MAX_SPEC_BYTES, MAX_SPEC_NODES
from mlopsgen.spec.schema import load_schema
from mlopsgen.yamlio import MAX_DEPTH

__all__ = ["field_paths", "render_reference"]

_INTRO = """\
# mlops.yaml reference (spec version 1)

<!-- Generated from generator/mlopsgen/spec/schema.json by
     `python -m mlopsgen.spec.reference > docs/spec.md`; a test fails when it is stale. -->

One file describes the repository. `mlopsgen schema` prints the JSON Schema
(draft 2020-12) this page is generated from; point your editor at it for
completion (`# yaml-language-server: $schema=./mlops.schema.json` after
`mlopsgen schema > mlops.schema.json`).

Every problem in a spec is reported at once, one line each, with
`file:line:column`, the path of the value, what was expected and a hint:

```
mlops.yaml:12:5: model.metrics.f1.min: expected a number, got 'high'
mlops.yaml:4:3: project.pyton: unknown key 'pyton' (hint: did you mean 'python'?)
```

Such a spec makes every command exit with status 2 and write nothing. After the
schema, a few semantic rules apply: environment and secret names are unique, a
secret's environments are declared under `deploy.environments` (and its stages include
`deploy`), the provider named in `secrets.provider` has its settings section (and no
other provider's), each `ref` has the provider's format, `auth: static` comes with a
waiver of SPEC-003, a metric's `min` is not above its `max`, a waiver's `expires` is
a real date, `ci.mlopsgen` holds only the keys of its `source`, and a vendored wheel is
not in a directory the generated repository git-ignores (`dist/`, `build/`, ...).
No value anywhere may look like a credential (a token format, a private key,
a high-entropy string): see [secrets.md](secrets.md).

{limits}
Examples: `examples/spam-filter.yaml` (web service), `examples/predictive-maintenance.yaml`
(edge), `examples/pump-check-browser.yaml` (browser: a static page with the ONNX model; see
[browser.md](browser.md)), `examples/loan-risk-batch.yaml` (batch on Azure),
`examples/credit-scoring-azureml.yaml` (trained on Azure Machine Learning; see
[compute.md](compute.md)).

| field | type | default | description |
|---|---|---|---|
"""

_MIB = MAX_SPEC_BYTES // 2**20
_LIMITS = f"""\
The file is UTF-8 text of at most {_MIB} MiB holding one YAML document, nested at
most {MAX_DEPTH} levels and expanding to at most {MAX_SPEC_NODES:,} values. Tags are limited
to YAML's core scalars (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!timestamp`,
which stays a string); `!!binary`, `!!set`, `!!python/...`, custom tags and merge keys
(`<<`) are refused, as are integers beyond 64 bits and `.nan` or `.inf`. Anchors and
aliases are allowed. Every string has a maximum length (in the table).
"""


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        return {**root["$defs"][ref.removeprefix("#/$defs/")], **node}
    return node


def _walk(
    root: dict[str, Any], node: dict[str, Any], prefix: str
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    required = set(node.get("required", []))
    for name, raw in node.get("properties", {}).items():
        sub = _resolve(root, raw)
        path = f"{prefix}.{name}" if prefix else name
        yield path, sub, name in required
        if "properties" in sub:
            yield from _walk(root, sub, path)
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from _walk(root, _resolve(root, items), f"{path}[]")


def field_paths() -> list[str]:
    """Every field of the spec as a dotted path (``deploy.environments[].name``)."""
    schema = load_schema()
    return [path for path, _, _ in _walk(schema, schema, "")]


def _type(root: dict[str, Any], node: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "")
    if kind == "array":
        items = _resolve(root, node.get("items", {}))
        inner = _type(root, items) if "enum" in items or "type" in items else "object"
        return f"list of {inner}"
    text = " or ".join(kind) if isinstance(kind, list) else str(kind)
    if "maxLength" in node:
        text += f" (at most {node['maxLength']:,} characters)"
    return text


def render_reference() -> str:
    """The whole reference page as Markdown."""
    schema = load_schema()
    rows = []
    for path, node, required in _walk(schema, schema, ""):
        default = (
            "required"
            if required
            else (f"`{json.dumps(node['default'])}`" if "default" in node else "")
        )
        text = node.get("description", "").replace("|", "\\|")
        if ("pattern" in node or "format" in node) and "x-hint" in node:
            text += f" Format: {node['x-hint']}."
        rows.append(f"| `{path}` | {_type(schema, node)} | {default} | {text} |")
    return _INTRO.replace("{limits}", _LIMITS) + "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_reference(), end="")  # noqa: T201
