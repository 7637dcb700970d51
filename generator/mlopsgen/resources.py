"""Where the template, the policy packs and the nested-template index live."""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["TOOL_CACHES", "data_root", "policies_dir", "template_dir"]

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
