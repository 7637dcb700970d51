"""Putting rendered trees on disk: staging directories, atomic moves and atomic file writes."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mlopsgen.errors import TargetExistsError, UserError

__all__ = ["atomic_write", "check_target", "list_files", "place_tree", "staging_dir"]


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
