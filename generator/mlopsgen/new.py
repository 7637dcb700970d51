"""``mlopsgen new``: spec to a new repository, rendered in staging and moved into place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlopsgen import writer, yamlio
from mlopsgen.deplock import lock_dependencies
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
    lock: bool = False,
) -> NewResult:
    """Validate ``spec_text`` and render the repository into ``target``.

    Nothing is written unless the spec is valid and the whole tree rendered:
    rendering happens in a staging directory beside ``target``. With ``lock`` the
    dependencies are resolved into ``uv.lock`` there too (uv reaches the package index), so
    the repository installs from its lock from the start; a failed lock writes nothing.
    ``uv.lock`` is the repository's own file, not mlopsgen's (``make lock`` and
    Dependabot/Renovate move it): mlopsgen's lock does not record it.

    Raises:
        SpecError: the spec is invalid.
        UserError: the target cannot be used, or ``uv lock`` failed.
    """
    spec = parse_spec(spec_text, filename=filename)
    writer.check_target(target, force=force)
    from mlopsgen.sync import SPEC_FILE, lock_for, render_tree  # noqa: PLC0415

    managed = render_managed(spec)
    tree = render_tree(spec, spec_text, managed)
    record, base = lock_for(spec_text, tree)
    contents = {rel: f.content for rel, f in tree.items()}
    contents[SPEC_FILE] = spec_text
    contents[BASE_PATH] = dump_base(base)
    contents[LOCK_PATH] = record.dumps()
    with writer.staging_dir(target) as staging:
        project = staging / "repo"
        writer.write_files(project, contents)
        if lock and not dry_run:
            lock_dependencies(project)
        files = writer.list_files(project) if dry_run else writer.place_tree(project, target)
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
