"""What to audit: files, repositories, and folders of many repositories."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlopsgen.errors import UserError
from mlopsgen.policy.source import detect_by_path

__all__ = ["SPEC_NAME", "Unit", "discover"]

SPEC_NAME = "mlops.yaml"
_MARKERS = (
    ".git",
    SPEC_NAME,
    ".github",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    ".azure-pipelines",
)
_SKIP_DIRS = frozenset(
    {
        ".git",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "site-packages",
    }
)
_YAML = (".yml", ".yaml")
#: Folders of a repository that hold pipeline files (searched recursively).
_PIPELINE_DIRS = (
    ".github/workflows",
    ".github/actions",
    ".gitlab",
    ".azure-pipelines",
    ".pipelines",
    ".azuredevops",
)
_ACTION_FILES = ("action.yml", "action.yaml")


@dataclass(frozen=True)
class Unit:
    """Files audited together under one spec: a repository, or loose files.

    ``root`` is the repository root (None for loose files); ``spec`` its ``mlops.yaml``
    when it has one (its packs and waivers apply to every file of the unit); ``audit_spec``
    whether the spec itself is audited; ``complete`` whether every pipeline file of the
    repository is in ``files`` (only then are unused spec waivers reported).
    """

    root: Path | None
    spec: Path | None
    files: tuple[Path, ...]
    audit_spec: bool = False
    complete: bool = False


def is_repository(path: Path) -> bool:
    """True when the folder looks like a repository root."""
    return any((path / m).exists() for m in _MARKERS)


def _repo_root(path: Path) -> Path | None:
    for folder in [path.parent, *path.parent.parents]:
        if (folder / SPEC_NAME).is_file() or (folder / ".git").exists():
            return folder
    return None


def _walk_yaml(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(_YAML):
                yield Path(dirpath) / name


def repository_files(root: Path) -> list[Path]:
    """The pipeline files of a repository, by the platforms' conventional locations."""
    found: dict[Path, None] = {}
    for path in sorted(root.iterdir()):
        name = path.name
        if path.is_file() and name.endswith(_YAML) and detect_by_path(name) is not None:
            found[path] = None
    for sub in _PIPELINE_DIRS:
        folder = root / sub
        if folder.is_dir():
            for path in _walk_yaml(folder):
                if sub == ".github/workflows" and path.parent != folder:
                    continue  # GitHub reads workflows from that folder only
                if sub == ".github/actions" and path.name not in _ACTION_FILES:
                    continue  # an action's other YAML (configs, fixtures) is no pipeline
                found[path] = None
    return list(found)


def _folder_units(folder: Path) -> Iterator[Unit]:
    if is_repository(folder):
        spec = folder / SPEC_NAME
        has_spec = spec.is_file()
        yield Unit(
            folder,
            spec if has_spec else None,
            tuple(repository_files(folder)),
            audit_spec=has_spec,
            complete=True,
        )
        return
    loose: list[Path] = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name not in _SKIP_DIRS:
            yield from _folder_units(entry)
        elif entry.is_file() and entry.name.endswith(_YAML):
            loose.append(entry)
    if loose:
        yield Unit(None, None, tuple(loose))


def discover(paths: Sequence[Path]) -> Iterator[Unit]:
    """Group the paths given on the command line into units.

    A folder that looks like a repository (``.git``, ``mlops.yaml``, ``.github``,
    ``.gitlab-ci.yml``, ``azure-pipelines.yml``) is one unit with its pipeline files and
    spec; another folder is searched for repositories, and its other YAML files are audited
    as loose files. A file is audited as given, under the spec of the repository it is in.

    Units are produced lazily, so a folder of thousands of repositories costs no memory
    up front.

    Raises:
        UserError: a path that does not exist (checked before any unit is produced).
    """
    for path in paths:
        if not path.exists():
            raise UserError("no such file or directory", path=path)
    return _units(paths)


def _units(paths: Sequence[Path]) -> Iterator[Unit]:
    for path in paths:
        if path.is_dir():
            yield from _folder_units(path)
            continue
        root = _repo_root(path.resolve())
        spec = root / SPEC_NAME if root is not None and (root / SPEC_NAME).is_file() else None
        if path.name == SPEC_NAME:
            yield Unit(root, path, (), audit_spec=True)
        else:
            yield Unit(root, spec, (path,))
