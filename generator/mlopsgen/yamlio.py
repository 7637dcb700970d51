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
from typing import Any, ClassVar

import yaml
import yaml.constructor
import yaml.resolver
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from mlopsgen.diagnostics import Diagnostic, Location, Severity

__all__ = [
    "Duplicate",
    "JsonPath",
    "LenientYaml",
    "LoadedYaml",
    "Mark",
    "Tagged",
    "YamlLoadError",
    "dump",
    "format_path",
    "load",
    "load_lenient",
    "locate",
]

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


# --- tolerant reading of hand-written pipeline files -----------------------------------

_BOOL_TRUE = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})


@dataclass(frozen=True)
class Tagged:
    """A value under a tag outside YAML's core set, such as GitLab's ``!reference [job, key]``."""

    tag: str
    value: Any


@dataclass(frozen=True)
class Duplicate:
    """A mapping key given twice; readers keep the second value, as CI platforms do."""

    key: str
    first: Mark
    second: Mark


@dataclass
class LenientYaml:
    """Every document of a file as plain data, their node trees (for positions), duplicates.

    Mapping keys stay the strings they are written as (GitHub's ``on:`` stays ``"on"``, not
    the YAML 1.1 boolean ``True``); values follow YAML 1.1 as GitLab and PyYAML read them.
    """

    documents: list[Any]
    nodes: list[yaml.Node]
    duplicates: list[Duplicate] = field(default_factory=list)
    #: Where a mapping key is a sequence or a mapping (``? [a, b]``); no CI platform takes
    #: one, and the entry is left out of the data.
    complex_keys: list[Mark] = field(default_factory=list)


class _LenientLoader(_Loader):  # type: ignore[valid-type,misc]  # CSafeLoader or SafeLoader
    """The C loader with a memoised resolver and no path resolvers (we register none).

    Resolving each plain scalar's tag is PyYAML's hottest Python code on the C path;
    pipeline files repeat the same scalars (``ubuntu-latest``, ``make install``) a lot.
    """

    _memo: ClassVar[dict[str, str]] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._memo.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._memo) < 50_000:
                    self._memo[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


class _Lenient:
    """Builds plain data from composed nodes: fast, tolerant, with a node budget."""

    def __init__(self) -> None:
        self.budget = MAX_NODES
        self.duplicates: list[Duplicate] = []
        self.complex_keys: list[Mark] = []

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooBig(
                node, f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"the document is nested more than {MAX_DEPTH} levels deep")
        tag: str = node.tag
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
        elif isinstance(node, yaml.MappingNode):
            value = self.mapping(node, depth)
        else:
            value = [self.build(item, depth + 1) for item in node.value]
        if tag[0] == "!" and tag != "!":
            return Tagged(tag, value)
        return value

    @staticmethod
    def scalar(node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == "tag:yaml.org,2002:str" or not tag.startswith("tag:yaml.org,2002:"):
            return text
        if tag == "tag:yaml.org,2002:bool":
            return text in _BOOL_TRUE
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:int":
            try:
                return int(text.replace("_", ""), 0)
            except ValueError:
                return text
        if tag == "tag:yaml.org,2002:float":
            try:
                return float(text.replace("_", ""))
            except ValueError:
                return text
        return text  # timestamps, binary and the like stay text

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: list[dict[str, Any]] = []
        seen: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                base = self.build(value_node, depth + 1)
                for item in base if isinstance(base, list) else [base]:
                    if isinstance(item, dict):
                        merged.append(item)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.complex_keys.append(_mark(key_node))
                continue
            key = key_node.value
            if key in seen:
                self.duplicates.append(Duplicate(key, _mark(seen[key]), _mark(key_node)))
            seen[key] = key_node
            out[key] = self.build(value_node, depth + 1)
        for base in merged:
            for key, value in base.items():
                out.setdefault(key, value)
        return out


def load_lenient(text: str, *, filename: str) -> LenientYaml:
    """Read every document of a hand-written pipeline file, taking what CI platforms take.

    Unlike :func:`load` (the strict spec reader), this keeps going where CI platforms do:
    several documents (GitLab's ``spec: inputs`` header), duplicate keys (the last one
    wins; each is recorded), mapping keys that are not scalars (left out; each is
    recorded), merge keys, YAML 1.1 booleans and any tag (``!reference``
    becomes a :class:`Tagged` value). It builds no position table: :func:`locate` finds a
    path's position in the node tree when a finding needs it.

    Raises:
        YamlLoadError: on a syntax error, or a document too big or too deep.
    """
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_LenientLoader) if n is not None]
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
    except (yaml.YAMLError, RecursionError) as exc:
        raise YamlLoadError(
            [Diagnostic("YAML", Severity.ERROR, f"YAML error: {exc}", Location(filename))]
        ) from None
    builder = _Lenient()
    try:
        documents = [builder.build(node, 0) for node in nodes]
    except _TooBig as exc:
        where = _mark(exc.node)
        raise YamlLoadError(
            [
                Diagnostic(
                    "YAML",
                    Severity.ERROR,
                    exc.message,
                    Location(filename, where.line, where.column),
                )
            ]
        ) from None
    return LenientYaml(documents, nodes, builder.duplicates, builder.complex_keys)


def locate(node: yaml.Node | None, path: JsonPath) -> tuple[Mark, Mark] | None:
    """Start and end of the entry at ``path`` in a composed tree (the key for mapping entries).

    Falls back to the nearest ancestor when the path leaves the tree (a value that a merge
    key or an ``extends:`` brought in). Returns None for an empty tree.
    """
    if node is None:
        return None
    start, end = _mark(node), Mark(node.end_mark.line + 1, node.end_mark.column + 1)
    for part in path:
        child: yaml.Node | None = None
        key_node: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    key_node, child = k, v
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
        if child is None:
            break
        start = _mark(key_node if key_node is not None else child)
        end = Mark(child.end_mark.line + 1, child.end_mark.column + 1)
        node = child
    return start, end
