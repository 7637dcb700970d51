"""Where the template, the policy packs and the nested-template index live."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "REPO_PACKS_DIR",
    "TOOL_CACHES",
    "builtin_packs",
    "data_root",
    "find_pack",
    "policies_dir",
    "template_dir",
]

#: Where a repository keeps its own policy packs, relative to its root.
REPO_PACKS_DIR = ".mlopsgen/policies"

#: Tool caches a developer's run may leave inside template/: never part of a render or
#: of the template's version.
TOOL_CACHES = frozenset({"__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache"})


@functools.cache
def data_root() -> Path:
    """The directory holding ``cookiecutter.json``, ``template/`` and ``policies/``.

    An installed wheel carries them in ``mlopsgen/_data``; a source checkout
    (editable install) has them at the repository root, two levels up.
    """
    packaged = Path(__file__).parent / "_data"
    if (packaged / "cookiecutter.json").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "cookiecutter.json").is_file():
        return checkout
    raise RuntimeError(f"mlopsgen data files not found in {packaged} or {checkout}")


def template_dir() -> Path:
    """The cookiecutter template of an ML repository."""
    return data_root() / "template"


def policies_dir() -> Path:
    """The built-in policy packs."""
    return data_root() / "policies"


def builtin_packs() -> list[str]:
    """Names of the built-in policy packs."""
    return sorted(p.stem for p in policies_dir().glob("*.yaml"))


def find_pack(name: str, search: Sequence[Path] = ()) -> Path | None:
    """The file of a pack: a path (``*.yaml`` or with a ``/``), else a name.

    A name resolves to a built-in pack first, then to ``<folder>/<name>.yaml`` in each
    ``search`` folder in order, so a repository can add packs but not replace one.
    """
    if name.endswith((".yaml", ".yml")) or "/" in name:
        path = Path(name)
        return path if path.is_file() else None
    for folder in (policies_dir(), *search):
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None
