"""``mlopsgen new``: spec to a new repository, rendered in staging and moved into place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen import writer, yamlio
from mlopsgen.lock import BASE_PATH, LOCK_PATH, dump_base
from mlopsgen.render import render_managed
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import Spec

__all__ = ["NewResult", "create_repository", "spec_from_answers"]


@dataclass(frozen=True)
class NewResult:
    """What ``create_repository`` did (or, for a dry run, would do)."""

    target: Path
    files: tuple[Path, ...]
    dry_run: bool
    spec: Spec
    warnings: tuple[str, ...] = ()


def create_repository(
    spec_text: str,
    target: Path,
    *,
    filename: str = "mlops.yaml",
    force: bool = False,
    dry_run: bool = False,
) -> NewResult:
    """Validate ``spec_text`` and render the repository into ``target``.

    Nothing is written unless the spec is valid and the whole tree rendered:
    rendering happens in a staging directory beside ``target``. A ``target`` that is a
    symbolic link gets the tree in the directory it points to (the link stays).

    Raises:
        SpecError: the spec is invalid.
        UserError: the target cannot be used.
    """
    spec = parse_spec(spec_text, filename=filename)
    destination = writer.follow_link(target)
    writer.check_target(destination, force=force)
    from mlopsgen.sync import SPEC_FILE, lock_for, render_tree  # noqa: PLC0415

    managed = render_managed(spec)
    tree = render_tree(spec, spec_text, managed)
    lock, base = lock_for(spec_text, tree)
    contents = {rel: f.content for rel, f in tree.items()}
    contents[SPEC_FILE] = spec_text
    contents[BASE_PATH] = dump_base(base)
    contents[LOCK_PATH] = lock.dumps()
    with writer.staging_dir(destination) as staging:
        project = staging / "repo"
        writer.write_files(project, contents)
        files = writer.list_files(project) if dry_run else writer.place_tree(project, destination)
    return NewResult(
        target=target, files=tuple(files), dry_run=dry_run, spec=spec, warnings=managed.warnings
    )


def spec_from_answers(answers: dict[str, Any]) -> str:
    """Spec text for the answers of the interactive ``mlopsgen new``.

    Keys: ``name``, ``description``, ``platforms`` (list), ``sample``, ``target``.
    """
    environments: list[dict[str, str]] = []
    if answers["target"] != "none":
        environments = [{"name": "staging"}, {"name": "production", "approval": "required"}]
    data = {
        "version": 1,
        "project": {
            "name": answers["name"],
            "description": answers["description"],
            "python": "3.11",
            "owners": [],
        },
        "ci": {"platforms": list(answers["platforms"])},
        "data": {"sample": answers["sample"]},
        "model": {"metrics": {"accuracy": {"min": 0.8}}, "champion": {"compare": True}},
        "deploy": {"target": answers["target"], "environments": environments},
        "policies": {"packs": ["baseline"]},
    }
    return "# mlopsgen spec; reference: docs/spec.md, schema: `mlopsgen schema`\n" + yamlio.dump(
        data
    )
