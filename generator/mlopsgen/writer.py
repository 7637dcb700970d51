"""Putting rendered trees on disk: staging directories, atomic moves and atomic file writes."""

from __future__ import annotations

import contextlib
import difflib
import enum
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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


# --- transactions -----------------------------------------------------------------------

JOURNAL = ".mlopsgen/journal.json"


def apply_transaction(root: Path, changes: Mapping[str, bytes | None]) -> None:
    """Write (bytes) or delete (None) several files under ``root`` as one unit.

    Every new content is first written to a temp file beside its target and
    fsynced; then a journal naming each rename is made durable; then the renames
    run, and the journal goes. A process killed before the journal exists left
    the old tree (and stray temp files, which :func:`recover` removes); killed
    after, :func:`recover` (which every command runs first) completes the renames,
    giving the new tree. Put the lock file last in ``changes``.
    """
    recover(root)
    steps: list[dict[str, str | None]] = []
    try:
        for rel, data in changes.items():
            target = root / rel
            if data is None:
                steps.append({"target": rel, "temp": None})
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".mlopsgen-tmp", dir=target.parent
            )
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if target.exists():
                Path(tmp).chmod(target.stat().st_mode & 0o7777)
            temp_rel = (PurePosixPath(rel).parent / Path(tmp).name).as_posix()
            steps.append({"target": rel, "temp": temp_rel})
        journal = json.dumps({"steps": steps}).encode()
        atomic_write(root / JOURNAL, journal)
    except BaseException:
        for step in steps:
            if step["temp"]:
                (root / step["temp"]).unlink(missing_ok=True)
        raise
    _finish(root, steps)


def recover(root: Path) -> bool:
    """Complete a transaction that a killed process left half done; True if there was one."""
    journal = root / JOURNAL
    if not journal.is_file():
        # A kill before the journal existed leaves the old tree plus hidden temp files
        # (".name.XXXX.mlopsgen-tmp"); they are inert, and not searched for here so
        # that every command stays fast in repositories with large virtualenvs.
        return False
    steps = json.loads(journal.read_text(encoding="utf-8"))["steps"]
    _finish(root, steps)
    return True


def _finish(root: Path, steps: list[dict[str, str | None]]) -> None:
    for step in steps:
        target = root / str(step["target"])
        temp = step["temp"]
        if temp is None:
            target.unlink(missing_ok=True)
        elif (root / temp).exists():
            (root / temp).replace(target)
    (root / JOURNAL).unlink(missing_ok=True)
