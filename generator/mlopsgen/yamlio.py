"""The only YAML configuration: loading with source positions and deterministic dumping.

Reading uses PyYAML's C loader through ``compose()`` (its nodes carry marks), which is
about 24 times faster than ruamel's round-trip loader on real pipeline files. Dumping
uses one configured ruamel instance: no line wrapping, literal blocks for multi-line
strings, and every string that a YAML 1.1 reader would take for something else
(``on``, ``yes``, ``3.10``, ``1:20``) quoted.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml.constructor
import yaml.resolver
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from mlopsgen.diagnostics import Diagnostic, Location, Severity

__all__ = ["JsonPath", "LoadedYaml", "Mark", "YamlLoadError", "dump", "format_path", "load"]

JsonPath = tuple[str | int, ...]

#: Upper bound on the nodes one document may expand to (aliases count every time
#: they are used), so that an alias bomb fails fast instead of eating memory.
MAX_NODES = 100_000
#: Upper bound on nesting; real specs and pipelines are a few levels deep.
MAX_DEPTH = 64

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column in a source file."""

    line: int
    column: int


@dataclass
class LoadedYaml:
    """A parsed document plus where each value and each mapping key came from."""

    data: Any
    values: dict[JsonPath, Mark] = field(default_factory=dict)
    keys: dict[JsonPath, Mark] = field(default_factory=dict)

    def mark(self, path: JsonPath, *, key: bool = False) -> Mark | None:
        """Position of the value at ``path`` (or of its key), else of its nearest ancestor."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while True:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            if not probe:
                return None
            probe = probe[:-1]


class YamlLoadError(Exception):
    """The text is not a YAML document we accept; carries one diagnostic per problem."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        super().__init__("; ".join(d.format() for d in diagnostics))
        self.diagnostics = tuple(diagnostics)


class _ScalarConstructor(yaml.constructor.SafeConstructor):
    """Safe scalars, except that timestamps stay strings (a date is data, not a datetime)."""


_ScalarConstructor.add_constructor(  # type: ignore[type-var]  # stubs too narrow
    "tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_str
)


def format_path(path: JsonPath) -> str:
    """Render a JSON path the way users write it: ``model.metrics.f1.min`` or ``items[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node tree into plain data while recording positions."""

    def __init__(self, filename: str):
        self.filename = filename
        self.doc = LoadedYaml(data=None)
        self.problems: list[Diagnostic] = []
        self.budget = MAX_NODES
        self.constructor = _ScalarConstructor()

    def problem(self, node: yaml.Node, path: JsonPath, message: str, hint: str | None) -> None:
        mark = _mark(node)
        self.problems.append(
            Diagnostic(
                code="YAML",
                severity=Severity.ERROR,
                message=message,
                location=Location(self.filename, mark.line, mark.column, format_path(path)),
                hint=hint,
            )
        )

    def build(self, node: yaml.Node, path: JsonPath, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooBig(
                node, f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"the document is nested more than {MAX_DEPTH} levels deep")
        self.doc.values[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag.startswith("tag:yaml.org,2002:") or node.tag == "!":
            return self.constructor.construct_object(node)
        self.problem(node, path, f"unsupported YAML tag {node.tag}", "remove the tag")
        return None

    def _mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(
                    key_node, path, "merge keys (<<) are not supported", "write the keys out"
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a mapping key must be a plain scalar", None)
                continue
            key = self.constructor.construct_object(key_node)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            child: JsonPath = (*path, key if isinstance(key, str | int) else str(key))
            if key in out:
                first = self.doc.keys[child]
                self.problem(
                    key_node,
                    child,
                    f"duplicate key {key!r} (first defined on line "
                    f"{first.line}); YAML readers silently keep only one",
                    "remove one of the two",
                )
                continue
            self.doc.keys[child] = _mark(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out


class _TooBig(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node
        self.message = message


def load(text: str, *, filename: str) -> LoadedYaml:
    """Parse one YAML document, keeping the position of every value and key.

    Raises:
        YamlLoadError: on a syntax error, several documents, duplicate keys,
            unsupported tags, or a document too big or too deep.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        message = exc.problem or exc.context or "invalid YAML"
        raise YamlLoadError(
            [
                Diagnostic(
                    "YAML",
                    Severity.ERROR,
                    f"YAML syntax error: {message}",
                    Location(filename, line, col),
                    hint=_syntax_hint(message),
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(
            [Diagnostic("YAML", Severity.ERROR, f"YAML error: {exc}", Location(filename))]
        ) from None
    builder = _Builder(filename)
    if node is None:
        return builder.doc
    try:
        builder.doc.data = builder.build(node, (), 0)
    except _TooBig as exc:
        where = _mark(exc.node)
        raise YamlLoadError(
            [
                Diagnostic(
                    "YAML",
                    Severity.ERROR,
                    exc.message,
                    Location(filename, where.line, where.column),
                    hint="write the values out without aliases",
                )
            ]
        ) from None
    if builder.problems:
        raise YamlLoadError(builder.problems)
    return builder.doc


def _syntax_hint(message: str) -> str | None:
    if "tab" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "a value containing ': ' needs quotes"
    if "but found another document" in message:
        return "a spec is one YAML document; remove the '---' separator"
    return None


# --- dumping --------------------------------------------------------------------------

_RESOLVER = yaml.resolver.Resolver()


def _needs_quotes(value: str) -> bool:
    """True when a YAML 1.1 reader (PyYAML, GitHub, GitLab) would not read ``value`` back as str."""
    if not value:
        return True
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return tag != "tag:yaml.org,2002:str"


def _prepare(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {_prepare(k): _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    if isinstance(value, str):
        if "\n" in value:
            return LiteralScalarString(value if value.endswith("\n") else value + "\n")
        if _needs_quotes(value):
            return DoubleQuotedScalarString(value)
    return value


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 1_000_000  # never wrap: a wrapped `run:` line changes what the shell sees
    y.indent(mapping=2, sequence=4, offset=2)
    y.default_flow_style = False
    y.allow_unicode = True
    return y


def dump(data: Any) -> str:
    """Serialise plain data (dicts, lists, scalars) as deterministic block YAML."""
    stream = io.StringIO()
    _yaml().dump(_prepare(data), stream)
    return stream.getvalue()


def iter_paths(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    """Yield ``(path, value)`` for every node of plain data, depth first."""
    yield path, data
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from iter_paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from iter_paths(value, (*path, i))
