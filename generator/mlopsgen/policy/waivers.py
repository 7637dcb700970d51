"""Waivers: from the spec and from ``# mlopsgen: waive`` comments; matching and expiry."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import yaml

from mlopsgen.spec.model import Waiver as SpecWaiver

__all__ = ["INLINE_SYNTAX", "InlineProblem", "Waiver", "from_spec", "matching", "parse_inline"]

#: What a waiver comment looks like (documented in docs/policy.md).
INLINE_SYNTAX = (
    '# mlopsgen: waive RULE[,RULE] expires=YYYY-MM-DD owner=NAME reason="why it is fine"'
)
_COMMENT = re.compile(r"#\s*mlopsgen:\s*waive\b(.*)$")
_RULE_ID = re.compile(r"[A-Z]{2,5}-[0-9]{3}")


@dataclass(frozen=True)
class Waiver:
    """One waiver of one rule: why, who, until when, where it was written, what it covers.

    ``scope`` is None for a spec waiver (every file of the repository), else the file and
    the inclusive line range of the YAML entry the comment sits on or above.
    """

    rule: str
    reason: str
    owner: str
    expires: dt.date
    source: str
    line: int | None
    scope: tuple[str, int, int] | None = None

    def covers(self, file: str, line: int | None) -> bool:
        """True when a finding at ``file:line`` is within the waiver's scope."""
        if self.scope is None:
            return True
        scope_file, first, last = self.scope
        return scope_file == file and line is not None and first <= line <= last

    def expired(self, today: dt.date) -> bool:
        """True after the expiry date."""
        return self.expires < today

    def describe(self) -> str:
        """``owner, until date: reason``."""
        return f"{self.owner}, until {self.expires.isoformat()}: {self.reason}"


@dataclass(frozen=True)
class InlineProblem:
    """A ``# mlopsgen: waive`` comment that cannot be used, and why."""

    line: int
    message: str


def from_spec(
    waivers: Iterable[SpecWaiver], *, source: str, lines: list[int | None]
) -> list[Waiver]:
    """Repository-wide waivers from the spec's ``policies.waivers``."""
    return [
        Waiver(w.rule, w.reason, w.owner, w.expires, source, line)
        for w, line in zip(waivers, lines, strict=True)
    ]


def _last_line(node: yaml.Node) -> int:
    """The last line (1-based) a node's text is on.

    A block collection's end mark is where the next entry starts, so its last line is
    its last child's.
    """
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style:
        if not node.value:
            break
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node.end_mark.line + (1 if node.end_mark.column else 0)


def _spans(node: yaml.Node | None) -> dict[int, int]:
    """For each line where a mapping entry or list item starts, the last line it spans."""
    out: dict[int, int] = {}
    todo = [node] if node is not None else []
    while todo:
        current = todo.pop()
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        if isinstance(current, yaml.MappingNode):
            pairs = list(current.value)
        elif isinstance(current, yaml.SequenceNode):
            pairs = [(item, item) for item in current.value]
        for start, end in pairs:
            first = start.start_mark.line + 1
            last = _last_line(end)
            out[first] = max(out.get(first, first), last)
            todo.append(end)
    return out


def _target_line(lines: list[str], index: int) -> int:
    """The line a comment on line ``index`` (0-based) applies to, 1-based."""
    before = lines[index].split("#", 1)[0]
    if before.strip():
        return index + 1
    for j in range(index + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped and not stripped.startswith("#"):
            return j + 1
    return index + 1


def parse_inline(
    text: str, *, file: str, node: yaml.Node | None
) -> tuple[list[Waiver], list[InlineProblem]]:
    """Waiver comments of a pipeline file, scoped to the entry they annotate."""
    if "mlopsgen:" not in text:
        return [], []
    lines = text.splitlines()
    waivers: list[Waiver] = []
    problems: list[InlineProblem] = []
    spans: dict[int, int] | None = None
    for index, line in enumerate(lines):
        match = _COMMENT.search(line)
        if match is None:
            continue
        try:
            words = shlex.split(match.group(1))
        except ValueError as exc:
            problems.append(InlineProblem(index + 1, f"unreadable waiver comment: {exc}"))
            continue
        rules = [w for w in words if "=" not in w]
        fields = dict(w.split("=", 1) for w in words if "=" in w)
        ids = [r for part in rules for r in part.split(",") if r]
        missing = [f for f in ("expires", "owner", "reason") if not fields.get(f)]
        bad_ids = [r for r in ids if not _RULE_ID.fullmatch(r)]
        if not ids or missing or bad_ids:
            what = []
            if not ids:
                what.append("no rule id")
            if bad_ids:
                what.append(f"not rule ids: {', '.join(bad_ids)}")
            if missing:
                what.append(f"missing {', '.join(missing)}")
            problems.append(
                InlineProblem(
                    index + 1, f"waiver not applied ({'; '.join(what)}); write {INLINE_SYNTAX}"
                )
            )
            continue
        try:
            expires = dt.date.fromisoformat(fields["expires"])
        except ValueError:
            problems.append(
                InlineProblem(
                    index + 1,
                    f"waiver not applied: {fields['expires']!r} is not a date (YYYY-MM-DD)",
                )
            )
            continue
        if spans is None:
            spans = _spans(node)
        target = _target_line(lines, index)
        scope = (file, target, spans.get(target, target))
        for rule in ids:
            waivers.append(
                Waiver(rule, fields["reason"], fields["owner"], expires, file, index + 1, scope)
            )
    return waivers, problems


def matching(waivers: Iterable[Waiver], rule: str, file: str, line: int | None) -> Iterator[Waiver]:
    """Waivers of ``rule`` whose scope covers ``file:line``."""
    return (w for w in waivers if w.rule == rule and w.covers(file, line))
