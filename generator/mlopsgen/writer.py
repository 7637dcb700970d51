"""Putting rendered trees on disk: staging directories, atomic moves and atomic file writes."""

from __future__ import annotations

import contextlib
import difflib
import enum
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from mlopsgen.errors import TargetExistsError, UserError

__all__ = [
    "JOURNAL",
    "Action",
    "FileChange",
    "Plan",
    "apply_plan",
    "apply_transaction",
    "atomic_write",
    "check_target",
    "inside",
    "list_files",
    "place_tree",
    "plan_files",
    "recover",
    "staging_dir",
    "write_files",
]


class Action(enum.StrEnum):
    """What writing one file does."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class FileChange:
    """One file of a plan: its path, what is on disk now, and what will be."""

    path: str
    old: str | None
    new: str

    @property
    def action(self) -> Action:
        """Create, update or leave the file."""
        if self.old is None:
            return Action.CREATE
        return Action.UNCHANGED if self.old == self.new else Action.UPDATE

    def diff(self) -> str:
        """Unified diff from the file on disk to the new content."""
        lines = list(
            difflib.unified_diff(
                (self.old or "").splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{self.path}" if self.old is not None else "/dev/null",
                tofile=f"b/{self.path}",
            )
        )
        # Like git, mark a last line without a newline instead of running into the next.
        return "".join(
            ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines
        )


@dataclass(frozen=True)
class Plan:
    """Every file a render would write under ``root``, decided before anything is written."""

    root: Path
    changes: tuple[FileChange, ...]

    def pending(self) -> tuple[FileChange, ...]:
        """The changes that write something."""
        return tuple(c for c in self.changes if c.action is not Action.UNCHANGED)


def plan_files(root: Path, files: Mapping[str, str]) -> Plan:
    """Compare rendered ``files`` (relative path to text) with what is under ``root``."""
    changes = []
    for rel, text in sorted(files.items()):
        path = root / rel
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        changes.append(FileChange(rel, old, text))
    return Plan(root, tuple(changes))


def apply_plan(plan: Plan) -> tuple[FileChange, ...]:
    """Write each pending change atomically; return what was written."""
    pending = plan.pending()
    for change in pending:
        atomic_write(plan.root / change.path, change.new.encode("utf-8"))
    return pending


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write new files under a fresh tree (a staging directory), no comparison needed."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def follow_link(target: Path) -> Path:
    """Where a new tree for ``target`` goes: a symbolic link is followed, and kept.

    ``-o LINK`` with LINK pointing at an empty (or missing) directory renders into that
    directory; renaming the staging tree onto the link itself would fail, and staging
    beside the link could be on another file system than the directory.

    Raises:
        UserError: the link cannot be resolved (a loop).
    """
    if not target.is_symlink():
        return target
    try:
        return target.resolve(strict=False)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise UserError(
            f"is a symbolic link that cannot be followed ({exc})",
            path=target,
            hint="point it at a directory, or choose another output directory",
        ) from None


def check_target(target: Path, *, force: bool) -> None:
    """Refuse a target that is a file, or a non-empty directory without ``force``.

    Raises:
        UserError: the target is a file.
        TargetExistsError: the target directory has content and ``force`` is false.
    """
    if target.exists() and not target.is_dir():
        raise UserError("exists and is not a directory", path=target)
    if target.is_dir() and any(target.iterdir()) and not force:
        raise TargetExistsError(
            "is not empty; refusing to write into it",
            path=target,
            hint="choose a new directory, or pass --force to overwrite "
            "the generated files (other files are kept)",
        )


@contextlib.contextmanager
def staging_dir(near: Path) -> Iterator[Path]:
    """A temporary directory on the same file system as ``near``, removed afterwards."""
    parent = near.parent if near.parent.exists() else Path(tempfile.gettempdir())
    path = Path(tempfile.mkdtemp(prefix=f".{near.name}.mlopsgen-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def list_files(root: Path) -> list[Path]:
    """Every file under ``root``, relative and sorted."""
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def place_tree(rendered: Path, target: Path) -> list[Path]:
    """Move a rendered tree into ``target`` and return the relative paths written.

    A missing or empty target is replaced in one ``rename``: a crash leaves either
    no tree or the whole tree. A non-empty target (``--force``) gets each file
    replaced atomically; files that the render does not produce are left alone.
    """
    files = list_files(rendered)
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.rmdir()
        rendered.rename(target)
        return files
    for rel in files:
        source = rendered / rel
        atomic_write(target / rel, source.read_bytes(), mode=source.stat().st_mode)
    return files


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file, fsync and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            Path(tmp).chmod(mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- paths from outside our control ------------------------------------------------------


def inside(root: Path, rel: object, *, source: Path) -> Path:
    """``root / rel``, refused unless it stays inside ``root`` without following a symlink out.

    ``rel`` comes from a journal, a lock or a render: it must be a relative path
    without ``..``; no directory along it may be a symlink that leaves ``root``;
    and the file itself may not be a symlink (mlopsgen reads and writes regular
    files only). Nothing is touched here.

    Raises:
        UserError: naming ``source`` (the file that listed ``rel``) or the symlink.
    """
    hint = f"mlopsgen writes only inside the repository; restore {source.name} from version control"
    if not isinstance(rel, str) or not rel or "\0" in rel:
        raise UserError(f"entry {rel!r} is not a relative file path", path=source, hint=hint)
    posix = PurePosixPath(rel)
    if posix.is_absolute() or PureWindowsPath(rel).anchor:
        raise UserError(
            f"entry {rel!r} is an absolute path, outside the repository", path=source, hint=hint
        )
    if ".." in posix.parts or not posix.parts:
        raise UserError(f"entry {rel!r} leaves the repository through '..'", path=source, hint=hint)
    real_root = root.resolve()
    path = root
    for part in posix.parts:
        path = path / part
        if not path.is_symlink():
            continue
        if path == root / posix:
            raise UserError(
                f"is a symlink (to {path.readlink()}); refusing to read or replace "
                f"{rel!r} through it",
                path=path,
                hint="replace the symlink with the file itself, or remove it",
            )
        if not path.resolve().is_relative_to(real_root):
            raise UserError(
                f"is a symlink to {path.resolve()}, outside the repository; refusing to "
                f"read or write {rel!r} through it",
                path=path,
                hint="replace the symlink with a directory inside the repository",
            )
    return root / posix


# --- transactions -----------------------------------------------------------------------

JOURNAL = ".mlopsgen/journal.json"
#: Where the journal is written before its atomic rename (a fixed name, so recovery finds it).
_JOURNAL_TEMP = ".mlopsgen/.journal.json.mlopsgen-tmp"
#: A transaction's temp file beside its target: ``.<target name>.<8 chars>.mlopsgen-tmp``.
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.mlopsgen-tmp")

_Step = dict[str, str | None]


def apply_transaction(root: Path, changes: Mapping[str, bytes | None]) -> None:
    """Write (bytes) or delete (None) several files under ``root`` as one unit.

    Every path is checked with :func:`inside` before anything is written. Then a
    *prepare* journal names every temp file about to be made; each new content is
    written to its temp file beside its target and fsynced; then the journal is
    replaced by a *commit* journal; then the renames run, and the journal goes.
    A process killed before the commit journal exists leaves the old tree, and
    :func:`recover` (which every command runs first) removes the temp files; killed
    after, :func:`recover` completes the renames, giving the new tree. Put the lock
    file last in ``changes``.

    Raises:
        UserError: a path leaves the repository, or a journal left behind is unsafe.
    """
    recover(root)
    for rel in changes:
        inside(root, rel, source=root)
    token = secrets.token_hex(4)
    steps: list[_Step] = [
        {"target": rel, "temp": None if data is None else _temp_for(rel, token)}
        for rel, data in changes.items()
    ]
    _write_journal(root, "prepare", steps)
    try:
        for step, data in zip(steps, changes.values(), strict=True):
            if data is None or step["temp"] is None:
                continue
            target = root / str(step["target"])
            target.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(root / step["temp"], flags, 0o666)  # the umask applies
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                (root / step["temp"]).chmod(target.stat().st_mode & 0o7777)
        _write_journal(root, "commit", steps)
    except BaseException:
        _roll_back(root, steps)
        raise
    _finish(root, steps)


def recover(root: Path) -> bool:
    """Complete or undo a transaction that a killed process left; True if there was one.

    A *commit* journal is completed (the new tree); a *prepare* journal is undone by
    removing its temp files (the old tree). Every path in the journal is checked
    with :func:`inside` before anything is touched, and only temp files named as
    ours are removed.

    Raises:
        UserError: the journal is unreadable or names a path outside the repository.
    """
    journal = inside(root, JOURNAL, source=root)
    inside(root, _JOURNAL_TEMP, source=root).unlink(missing_ok=True)
    if not journal.is_file():
        return False
    state, steps = _read_journal(root, journal)
    if state == "prepare":
        _roll_back(root, steps)
    else:
        _finish(root, steps)
    return True


def _temp_for(rel: str, token: str) -> str:
    path = PurePosixPath(rel)
    return (path.parent / f".{path.name}.{token}.mlopsgen-tmp").as_posix()


def _write_journal(root: Path, state: str, steps: list[_Step]) -> None:
    temp = root / _JOURNAL_TEMP
    temp.parent.mkdir(parents=True, exist_ok=True)
    with temp.open("wb") as handle:
        handle.write(json.dumps({"state": state, "steps": steps}).encode())
        handle.flush()
        os.fsync(handle.fileno())
    temp.replace(root / JOURNAL)


def _read_journal(root: Path, journal: Path) -> tuple[str, list[_Step]]:
    """The journal's state and steps, every path checked before any is used."""
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        state = data.get("state", "commit")  # a journal without a state predates prepare
        steps = data["steps"]
        if state not in ("prepare", "commit") or not isinstance(steps, list):
            raise ValueError("expected {'state': 'prepare'|'commit', 'steps': [...]}")
        for step in steps:
            if not isinstance(step, dict) or set(step) != {"target", "temp"}:
                raise ValueError(f"expected a step {{'target': ..., 'temp': ...}}, got {step!r}")
    except (ValueError, KeyError, AttributeError) as exc:
        raise UserError(
            f"unreadable journal of an interrupted write: {exc}",
            path=journal,
            hint="restore the repository from version control, then delete the journal",
        ) from None
    for step in steps:
        target = inside(root, step["target"], source=journal)
        temp = step["temp"]
        if temp is None:
            continue
        inside(root, temp, source=journal)
        named = _TEMP_NAME.fullmatch(PurePosixPath(str(temp)).name)
        if (
            named is None
            or named["name"] != target.name
            or PurePosixPath(str(temp)).parent != PurePosixPath(step["target"]).parent
        ):
            raise UserError(
                f"entry {temp!r} is not a temp file of {step['target']!r}",
                path=journal,
                hint="restore the repository from version control, then delete the journal",
            )
    return state, steps


def _roll_back(root: Path, steps: list[_Step]) -> None:
    for step in steps:
        if step["temp"] is not None:
            (root / step["temp"]).unlink(missing_ok=True)
    (root / JOURNAL).unlink(missing_ok=True)
    (root / _JOURNAL_TEMP).unlink(missing_ok=True)


def _finish(root: Path, steps: list[_Step]) -> None:
    for step in steps:
        target = root / str(step["target"])
        temp = step["temp"]
        if temp is None:
            target.unlink(missing_ok=True)
        elif (root / temp).exists():
            (root / temp).replace(target)
    (root / JOURNAL).unlink(missing_ok=True)
