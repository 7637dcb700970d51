"""Container image references written with expressions, resolved to the values they can take.

``image: ${{ matrix.image }}`` (GitHub), ``image: python:$PY_VERSION`` (GitLab) and
``container: $[ variables.image ]`` (Azure) name images the file itself often lists:
a static matrix, an input's default or choices, a variable. PIN-007 checks each value;
a reference whose value is only known at run time (a matrix from another job's output,
a predefined CI variable) is reported as such.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from mlopsgen.policy.readers._util import as_list, as_map, as_str
from mlopsgen.policy.rules._common import declared_inputs
from mlopsgen.policy.view import JobView, PipelineView
from mlopsgen.spec.model import Platform

__all__ = ["MAX_VALUES", "image_values", "resolve_image"]

#: At most this many values per reference (a matrix of matrices stays readable).
MAX_VALUES = 32

_GITHUB_EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_GITLAB_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_AZURE_EXPR = re.compile(
    r"\$\(([\w.]+)\)|\$\[\s*variables(?:\.([\w.]+)|\[\s*'([\w.]+)'\s*\])\s*\]|"
    r"\$\{\{\s*(variables|parameters)\.([\w.]+)\s*\}\}"
)
_LITERAL = re.compile(r"^'((?:[^']|'')*)'$")
_CONTEXT = re.compile(r"^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*$")


def _substitute(
    text: str, pattern: re.Pattern[str], values: Callable[[re.Match[str]], list[str] | None]
) -> list[str] | None:
    """Every text ``text`` can become, or None when one part is unknown before run time."""
    parts: list[list[str]] = []
    last = 0
    for match in pattern.finditer(text):
        options = values(match)
        if options is None:
            return None
        parts += [[text[last : match.start()]], options]
        last = match.end()
    parts.append([text[last:]])
    out = []
    for combo in itertools.islice(itertools.product(*parts), MAX_VALUES):
        out.append("".join(combo))
    return list(dict.fromkeys(out))


def _dig(value: Any, keys: list[str]) -> list[str] | None:
    """The scalar at ``keys`` inside ``value`` (``value`` itself for no keys), as text."""
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    text = as_str(value)
    return None if text is None else [text]


def _matrix_values(job: JobView, keys: list[str]) -> list[str] | None:
    matrix = as_map(job.raw.get("strategy")).get("matrix")
    if not isinstance(matrix, dict) or not keys:
        return None  # computed by an expression (fromJSON of another job's output)
    first, rest = keys[0], keys[1:]
    out: list[str] = []
    rows = [
        *as_list(matrix.get(first)),
        *(as_map(i).get(first) for i in as_list(matrix.get("include"))),
    ]
    for row in rows:
        if row is None:
            continue
        if isinstance(row, str) and "${{" in row:
            return None
        found = _dig(row, rest)
        if found is None:
            return None
        out += found
    return out or None


def _input_values(view: PipelineView, name: str) -> list[str] | None:
    out: list[str] = []
    for declared, spec in declared_inputs(view):
        if declared != name:
            continue
        out += [s for s in (as_str(o) for o in as_list(spec.get("options"))) if s is not None]
        default = as_str(spec.get("default"))
        if default is not None:
            out.append(default)
    return out or None


def _github_expr(view: PipelineView, job: JobView | None, expr: str) -> list[str] | None:
    out: list[str] = []
    for operand in (o.strip() for o in expr.split("||")):
        literal = _LITERAL.match(operand)
        if literal:
            out.append(literal.group(1).replace("''", "'"))
            continue
        if not _CONTEXT.match(operand):
            return None
        head, *keys = operand.split(".")
        values: list[str] | None = None
        if head == "matrix" and job is not None:
            values = _matrix_values(job, keys)
        elif head == "inputs" and keys:
            values = _input_values(view, keys[0])
        elif operand.startswith("github.event.inputs.") and len(keys) == 3:
            values = _input_values(view, keys[2])
        elif head == "env":
            env = {**view.env, **(job.env if job else {})}
            values = [str(env[keys[0]])] if keys and env.get(keys[0]) is not None else None
        if values is None:
            return None
        out += values
    return out


def _variables(value: Any) -> dict[str, str]:
    """Variables of a GitLab ``variables:`` map or an Azure ``variables:`` map or list."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            text = as_str(as_map(item).get("value")) if isinstance(item, dict) else as_str(item)
            if text is not None:
                out[str(key)] = text
    elif isinstance(value, list):
        for item in value:
            item_map = as_map(item)
            name, text = as_str(item_map.get("name")), as_str(item_map.get("value"))
            if name and text is not None:
                out[name] = text
    return out


def _lookup(variables: Mapping[str, str], name: str) -> list[str] | None:
    return [variables[name]] if name in variables else None


def _azure_parameters(view: PipelineView) -> dict[str, list[str]]:
    out = {}
    for param in as_list(view.data.get("parameters")):
        param_map = as_map(param)
        name = as_str(param_map.get("name"))
        values = [s for s in (as_str(v) for v in as_list(param_map.get("values"))) if s]
        default = as_str(param_map.get("default"))
        if name and (values or default is not None):
            out[name] = values or [default or ""]
    if isinstance(view.data.get("parameters"), dict):  # the old map form: name: default
        for name, default in view.data["parameters"].items():
            text = as_str(default)
            if text is not None:
                out[str(name)] = [text]
    return out


def resolve_image(view: PipelineView, job: JobView | None, ref: str) -> list[str] | None:
    """The values an image reference can take; None when one is only known at run time.

    A reference without expressions is its own single value.
    """
    if view.platform is Platform.GITHUB:
        if "${{" not in ref:
            return [ref]
        return _substitute(ref, _GITHUB_EXPR, lambda m: _github_expr(view, job, m.group(1)))
    variables = _variables(view.data.get("variables"))
    if job is not None:
        variables.update(_variables(job.raw.get("variables")))
    if view.platform is Platform.GITLAB:
        if "$" not in ref:
            return [ref]
        # Variables may name other variables: IMAGE: $BASE:$TAG, BASE: python.
        values = [ref]
        for _ in range(3):
            if not any("$" in v for v in values):
                return values
            expanded: list[str] = []
            for value in values:
                sub = _substitute(value, _GITLAB_VAR, lambda m: _lookup(variables, m.group(1)))
                if sub is None:
                    return None
                expanded += sub
            values = expanded[:MAX_VALUES]
        return None
    if "$" not in ref:
        return [ref]
    parameters = _azure_parameters(view)

    def azure(match: re.Match[str]) -> list[str] | None:
        if match.group(4) == "parameters":
            return parameters.get(match.group(5))
        name = match.group(1) or match.group(2) or match.group(3) or match.group(5)
        return _lookup(variables, name)

    resolved = _substitute(ref, _AZURE_EXPR, azure)
    # A variable set from a runtime expression ($[ dependencies... ]) is still unknown.
    if resolved is None or any(_AZURE_EXPR.search(v) or "$[" in v for v in resolved):
        return None
    return resolved


def image_values(view: PipelineView, job: JobView | None, ref: str) -> Mapping[str, str] | None:
    """Each value of ``ref`` mapped to how it was chosen (empty for a literal reference)."""
    values = resolve_image(view, job, ref)
    if values is None:
        return None
    literal = values == [ref]
    return {v: "" if literal else f" (from {ref.strip()!r})" for v in values}
