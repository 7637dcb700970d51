"""Small coercions shared by the tolerant readers: hand-written YAML holds anything."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from mlopsgen.yamlio import Tagged

__all__ = [
    "as_list",
    "as_map",
    "as_str",
    "child_nodes",
    "duration_minutes",
    "minutes",
    "node_text",
    "strings",
    "walk_strings",
]


def as_map(value: Any) -> dict[str, Any]:
    """The value if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value as a list: a list as is, None as empty, anything else as one item."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_str(value: Any) -> str | None:
    """Scalars as text (``True`` as ``true``); None for containers and None."""
    if value is None or isinstance(value, dict | list | Tagged):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def strings(value: Any) -> tuple[str, ...]:
    """Every scalar of a scalar or a list, as text."""
    return tuple(s for s in (as_str(v) for v in as_list(value)) if s is not None)


def walk_strings(value: Any) -> Iterator[str]:
    """Every string anywhere in plain data."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from walk_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_strings(v)
    elif isinstance(value, Tagged):
        yield from walk_strings(value.value)


def child_nodes(node: yaml.Node | None) -> dict[str, yaml.Node]:
    """The value nodes of a mapping node by key (the last one wins, like the data)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def node_text(text: str, node: yaml.Node | None) -> str:
    """The source text a node spans (comments included), for fast pattern searches."""
    if node is None:
        return ""
    return text[node.start_mark.index : node.end_mark.index]


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
_UNITS = {
    "": 1 / 60,
    "s": 1 / 60,
    "sec": 1 / 60,
    "secs": 1 / 60,
    "second": 1 / 60,
    "seconds": 1 / 60,
    "m": 1.0,
    "min": 1.0,
    "mins": 1.0,
    "minute": 1.0,
    "minutes": 1.0,
    "h": 60.0,
    "hr": 60.0,
    "hrs": 60.0,
    "hour": 60.0,
    "hours": 60.0,
    "d": 1440.0,
    "day": 1440.0,
    "days": 1440.0,
}


def duration_minutes(value: Any) -> float | None:
    """A GitLab duration (``1h 30m``, ``10 minutes``, ``3600``) in minutes; NaN if unreadable."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 60
    total, matched = 0.0, False
    for number, unit in _DURATION.findall(str(value).lower()):
        factor = _UNITS.get(unit)
        if factor is None:
            return float("nan")
        total += float(number) * factor
        matched = True
    return total if matched else float("nan")


def minutes(value: Any) -> float | None:
    """A timeout in minutes (GitHub, Azure); NaN when an expression sets it."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return float("nan")
