"""The lock file: what was rendered from which spec, and who owns each file afterwards.

``.mlopsgen/lock.json`` records the spec's hash, the generator and template versions,
and for each file its hash and ownership mode. ``.mlopsgen/base.json`` keeps the
pristine render of every file that ``update`` may merge into, so a later update can
merge three ways (pristine then, pristine now, the user's file) without needing the
old generator.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlopsgen.errors import UserError
from mlopsgen.resources import TOOL_CACHES, template_dir

__all__ = [
    "BASE_PATH",
    "LOCK_PATH",
    "FileEntry",
    "Lock",
    "Mode",
    "read_base",
    "read_lock",
    "sha256",
    "template_version",
]

LOCK_PATH = ".mlopsgen/lock.json"
BASE_PATH = ".mlopsgen/base.json"
LOCK_FORMAT = 1


class Mode(enum.StrEnum):
    """Who owns a rendered file after it is written."""

    MANAGED = "managed"  # mlopsgen's: check compares it with a fresh render
    PATCHED = "patched"  # mlopsgen's, with the user's edits kept and merged on update
    SEED = "seed"  # written once, then the user's: update merges template changes in


def sha256(data: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


@functools.cache
def template_version() -> str:
    """A content hash of the template tree: changes whenever any template file does."""
    digest = hashlib.sha256()
    root = template_dir()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if TOOL_CACHES.intersection(path.parts):
            continue
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class FileEntry:
    """One file of the lock."""

    sha256: str
    mode: Mode


@dataclass(frozen=True)
class Lock:
    """The whole lock file."""

    generator: str
    template: str
    spec_sha256: str
    files: dict[str, FileEntry] = field(default_factory=dict)

    def dumps(self) -> str:
        """Deterministic JSON text (sorted paths, two-space indent, final newline)."""
        data: dict[str, Any] = {
            "format": LOCK_FORMAT,
            "generator": self.generator,
            "template": self.template,
            "spec": {"path": "mlops.yaml", "sha256": self.spec_sha256},
            "files": {
                path: {"sha256": e.sha256, "mode": e.mode.value}
                for path, e in sorted(self.files.items())
            },
        }
        return json.dumps(data, indent=2) + "\n"


def read_lock(repo: Path) -> Lock:
    """Read ``.mlopsgen/lock.json`` of ``repo``.

    Raises:
        UserError: there is no lock, or it is not one we can read.
    """
    path = repo / LOCK_PATH
    if not path.is_file():
        raise UserError(
            "not rendered by mlopsgen: .mlopsgen/lock.json is missing",
            path=repo,
            hint="run `mlopsgen render` once to take the repository over",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != LOCK_FORMAT:
            raise ValueError(f"unknown lock format {data.get('format')!r}")
        return Lock(
            generator=str(data["generator"]),
            template=str(data["template"]),
            spec_sha256=str(data["spec"]["sha256"]),
            files={
                str(p): FileEntry(str(e["sha256"]), Mode(e["mode"]))
                for p, e in data["files"].items()
            },
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"unreadable lock file: {exc}", path=path, hint="restore it from version control"
        ) from None


def read_base(repo: Path) -> dict[str, str]:
    """The pristine contents recorded at the last render (empty when absent)."""
    path = repo / BASE_PATH
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserError(
            f"unreadable base file: {exc}", path=path, hint="restore it from version control"
        ) from None
    return {str(k): str(v) for k, v in data.items()}


def dump_base(contents: dict[str, str]) -> str:
    """Deterministic JSON text of the pristine contents."""
    return json.dumps(dict(sorted(contents.items())), indent=1) + "\n"
