"""The only YAML configuration: loading with source positions and deterministic dumping.

Reading uses PyYAML's C loader through ``compose()`` (its nodes carry marks), which is
about 24 times faster than ruamel's round-trip loader on real pipeline files. Dumping
uses one configured ruamel instance: no line wrapping, literal blocks for multi-line
strings, and every string that a YAML 1.1 reader would take for something else
(``on``, ``yes``, ``3.10``, ``1:20``) quoted.
"""

from __future__ import annotations

import io
import math
import re
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

_CORE = "tag:yaml.org,2002:"
#: The scalar tags the strict reader turns into values: JSON's data model plus timestamps,
#: which stay strings. ``merge`` and ``value`` are what the resolver gives a plain ``<<``
#: and ``=`` in a value position; such a scalar is the string it spells.
_SCALAR_TAGS = frozenset(
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_COLLECTION_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: _CORE + "map",
    yaml.SequenceNode: _CORE + "seq",
}
#: Integers beyond 64 bits are no setting of any spec (and Python refuses to print
#: decimal integers of more than 4,300 digits).
MAX_INT = 2**63
#: Longer integer text than this (digits, underscores, a base prefix) is out of range.
_MAX_INT_TEXT = 100


def format_path(path: JsonPath) -> str:
    r"""Render a JSON path the way users write it: ``model.metrics.f1.min`` or ``items[2]``.

    A key with a character that is not printable (a control character, a line separator)
    is shown quoted and escaped, ``project['\x1e']``: a diagnostic stays on one line.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).isprintable():
            out += f"[{str(part)!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


#: A YAML 1.1 timestamp, the one form ``!!timestamp`` accepts (PyYAML's, anchored).
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


class _Composer:
    """Composes one document's node tree from the C parser's events, within bounds.

    libyaml's own composer recurses in C: a few ten thousand ``[`` overflow the C stack
    and kill the process. This one keeps an explicit stack, refuses a document nested
    more than :data:`MAX_DEPTH` levels or expanding to more than ``max_nodes`` nodes
    (an alias counts the nodes it repeats) as soon as it gets there, and a second
    document, an undefined or repeated anchor, or an alias inside its own anchor.
    """

    def __init__(self, text: str, max_nodes: int):
        self.loader = _Loader(text)
        self.max_nodes = max_nodes
        self.anchors: dict[str, tuple[yaml.Node, int]] = {}
        self.open_anchors: set[str] = set()
        # Each open collection: its node, anchor, the node count when it opened, a pending key.
        self.stack: list[tuple[yaml.Node, str | None, int, list[yaml.Node]]] = []
        self.count = 0
        self.root: yaml.Node | None = None

    def compose(self) -> yaml.Node | None:
        documents = 0
        try:
            while self.loader.check_event():
                event: Any = self.loader.get_event()  # type: ignore[no-untyped-call]
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    mark: Any = event.start_mark  # the C parser's mark type
                    if documents > 1:
                        raise yaml.composer.ComposerError(
                            "expected a single document in the stream",
                            None,
                            "but found another document",
                            mark,
                        )
                else:
                    self._event(event)
        finally:
            self.loader.dispose()
        return self.root

    def _event(self, event: Any) -> None:  # C events carry the C parser's marks
        if isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.CollectionStartEvent):
            self._start(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            node, anchor, opened, _ = self.stack.pop()
            node.end_mark = event.end_mark
            if anchor is not None:
                self.open_anchors.discard(anchor)
                self.anchors[anchor] = (node, self.count - opened + 1)
            self._add(node)

    def _tag(self, event: Any, kind: type[yaml.Node]) -> str:
        tag: str | None = event.tag
        if tag is None or tag == "!":
            value = event.value if kind is yaml.ScalarNode else None
            resolved: str = self.loader.resolve(kind, value, event.implicit)  # type: ignore[no-untyped-call]
            return resolved
        return tag

    def _scalar(self, event: Any) -> None:
        node = yaml.ScalarNode(
            self._tag(event, yaml.ScalarNode),
            event.value,
            event.start_mark,
            event.end_mark,
            style=event.style,
        )
        self._grow(node, 1)
        if event.anchor is not None:
            self._check_anchor(event)
            self.anchors[event.anchor] = (node, 1)
        self._add(node)

    def _start(self, event: Any) -> None:
        kind = yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
        node = kind(self._tag(event, kind), [], event.start_mark, None, flow_style=event.flow_style)
        if len(self.stack) >= MAX_DEPTH:
            raise _TooBig(node, f"the document is nested more than {MAX_DEPTH} levels deep")
        self._grow(node, 1)
        if event.anchor is not None:
            self._check_anchor(event)
            self.open_anchors.add(event.anchor)
        self.stack.append((node, event.anchor, self.count, []))

    def _alias(self, event: Any) -> None:
        if event.anchor in self.open_anchors:
            raise yaml.composer.ComposerError(
                None, None, "found an alias inside its own anchor (a cycle)", event.start_mark
            )
        if event.anchor not in self.anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found undefined alias {event.anchor!r}", event.start_mark
            )
        node, size = self.anchors[event.anchor]
        self._grow(node, size)
        self._add(node)

    def _check_anchor(self, event: Any) -> None:
        if event.anchor in self.anchors or event.anchor in self.open_anchors:
            raise yaml.composer.ComposerError(
                None, None, f"found duplicate anchor {event.anchor!r}", event.start_mark
            )

    def _grow(self, node: yaml.Node, size: int) -> None:
        self.count += size
        if self.count > self.max_nodes:
            raise _TooBig(
                node, f"the document expands to more than {self.max_nodes:,} nodes (an alias bomb?)"
            )

    def _add(self, node: yaml.Node) -> None:
        if not self.stack:
            self.root = node
            return
        parent, _, _, pending = self.stack[-1]
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif pending:
            parent.value.append((pending.pop(), node))
        else:
            pending.append(node)


class _Builder:
    """Turns a composed node tree into plain data while recording positions."""

    def __init__(self, filename: str, max_nodes: int):
        self.filename = filename
        self.doc = LoadedYaml(data=None)
        self.problems: list[Diagnostic] = []
        self.max_nodes = max_nodes
        self.budget = max_nodes
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
                node, f"the document expands to more than {self.max_nodes:,} nodes (an alias bomb?)"
            )
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"the document is nested more than {MAX_DEPTH} levels deep")
        self.doc.values[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag != _COLLECTION_TAGS.get(type(node)):
            kind = "mapping" if isinstance(node, yaml.MappingNode) else "list"
            self.problem(
                node,
                path,
                f"unsupported YAML tag {_short_tag(node.tag)} on a {kind}",
                "remove the tag",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]

    def _scalar(self, node: yaml.ScalarNode, path: JsonPath) -> Any:
        tag, text = node.tag, node.value
        if tag in {_CORE + "merge", _CORE + "value"} and text in {"<<", "="}:
            return text
        if tag not in _SCALAR_TAGS:
            self.problem(node, path, f"unsupported YAML tag {_short_tag(tag)}", "remove the tag")
            return None
        if tag == _CORE + "timestamp" and not _TIMESTAMP.fullmatch(text):
            self.problem(node, path, f"{_shorten(text)!r} is not a !!timestamp", "remove the tag")
            return None
        if tag == _CORE + "int" and len(text) > _MAX_INT_TEXT:
            # PyYAML computes 1:2:3:... in base 60 with big integers: quadratic in the length.
            self.problem(node, path, "integer out of range (beyond 64 bits)", None)
            return None
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
            # !!int abc, !!bool maybe, a decimal integer of more than 4,300 digits.
            self.problem(
                node,
                path,
                f"cannot read {_shorten(text)!r} as {_short_tag(tag)}",
                "quote it if it is text; remove the tag if it has one",
            )
            return None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_INT:
            self.problem(node, path, "integer out of range (beyond 64 bits)", None)
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.problem(node, path, f"{_shorten(text)!r} is not a finite number", "give a number")
            return None
        return value

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
            before = len(self.problems)
            key = self._scalar(key_node, path)
            if len(self.problems) > before:
                continue
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


def load(text: str, *, filename: str, max_nodes: int = MAX_NODES) -> LoadedYaml:
    """Parse one YAML document, keeping the position of every value and key.

    ``max_nodes`` bounds the nodes the document may expand to (aliases count each use).

    Raises:
        YamlLoadError: on a syntax error, several documents, duplicate keys,
            unsupported tags, or a document too big or too deep.
    """
    builder = _Builder(filename, max_nodes)
    try:
        node = _Composer(text, max_nodes).compose()
    except _TooBig as exc:
        raise _too_big(exc, filename) from None
    except yaml.reader.ReaderError as exc:
        # libyaml reports the offset in the UTF-8 bytes it read, PyYAML's reader in characters.
        offset = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
        where = _line_column(text, offset if _Loader is not yaml.SafeLoader else exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlLoadError(
            [
                Diagnostic(
                    "YAML",
                    Severity.ERROR,
                    f"character U+{code:04X} is not allowed in YAML ({exc.reason})",
                    Location(filename, *where),
                    hint="remove it, or write it as an escape in a double-quoted string",
                )
            ]
        ) from None
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
    if node is None:
        return builder.doc
    try:
        builder.doc.data = builder.build(node, (), 0)
    except _TooBig as exc:
        raise _too_big(exc, filename) from None
    if builder.problems:
        raise YamlLoadError(builder.problems)
    return builder.doc


def _too_big(exc: _TooBig, filename: str) -> YamlLoadError:
    where = _mark(exc.node)
    return YamlLoadError(
        [
            Diagnostic(
                "YAML",
                Severity.ERROR,
                exc.message,
                Location(filename, where.line, where.column),
                hint="write the values out without aliases"
                if "alias" in exc.message
                else "nothing real nests this deep: check the brackets and indentation",
            )
        ]
    )


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


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
        raise _too_big(exc, filename) from None
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
