"""``mlopsgen new``: spec to a new repository, rendered in staging and moved into place."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from mlopsgen import __version__, writer, yamlio
from mlopsgen.deplock import lock_dependencies
from mlopsgen.diagnostics import Diagnostic
from mlopsgen.errors import UserError
from mlopsgen.lock import BASE_PATH, LOCK_PATH, dump_base
from mlopsgen.render import render_managed
from mlopsgen.resources import REPO_PACKS_DIR
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import MlopsgenSource, Spec

__all__ = ["NewResult", "create_repository", "spec_from_answers"]


@dataclass(frozen=True)
class NewResult:
    """What ``create_repository`` did (or, for a dry run, would do)."""

    target: Path
    files: tuple[Path, ...]
    dry_run: bool
    spec: Spec
    warnings: tuple[str, ...] = ()
    #: The spec's findings under its own packs (only when they were allowed).
    findings: tuple[Diagnostic, ...] = ()


def create_repository(
    spec_text: str,
    target: Path,
    *,
    filename: str = "mlops.yaml",
    force: bool = False,
    dry_run: bool = False,
    allow_findings: bool = False,
    vendor_wheel: Path | None = None,
    lock: bool = False,
) -> NewResult:
    """Validate ``spec_text``, audit it against its packs, render the repository into ``target``.

    Nothing is written unless the spec is valid, passes its own policy packs (or
    ``allow_findings``) and the whole tree rendered: rendering happens in a staging
    directory beside ``target``. ``vendor_wheel`` (a built mlopsgen wheel) is copied to
    ``ci.mlopsgen.wheel`` in the same move. With ``lock`` the dependencies are resolved
    into ``uv.lock`` there too (uv reaches the package index), so the repository installs
    from its lock from the start; a failed lock writes nothing. ``uv.lock`` is the
    repository's own file, not mlopsgen's (``make lock`` and Dependabot/Renovate move it):
    mlopsgen's lock does not record it. A ``target`` that is a
    symbolic link gets the tree in the directory it points to (the link stays).

    Raises:
        SpecError: the spec is invalid.
        PolicyError: the spec fails its own packs and ``allow_findings`` is false.
        UserError: the target cannot be used, or ``vendor_wheel`` is not the wheel the
            spec declares, or ``uv lock`` failed.
    """
    from mlopsgen.sync import SPEC_FILE, enforce_policy, lock_for, render_tree  # noqa: PLC0415

    pack_dirs = [target / REPO_PACKS_DIR]
    spec = parse_spec(spec_text, filename=filename, pack_dirs=pack_dirs)
    findings = enforce_policy(
        spec_text, file=filename, pack_dirs=pack_dirs, allow_findings=allow_findings
    )
    destination = writer.follow_link(target)
    writer.check_target(destination, force=force)
    warnings = list(_wheel_warnings(spec, target, vendor_wheel))

    managed = render_managed(spec)
    tree = render_tree(spec, spec_text, managed)
    record, base = lock_for(spec_text, tree)
    contents = {rel: f.content for rel, f in tree.items()}
    contents[SPEC_FILE] = spec_text
    contents[BASE_PATH] = dump_base(base)
    contents[LOCK_PATH] = record.dumps()
    with writer.staging_dir(destination) as staging:
        project = staging / "repo"
        writer.write_files(project, contents)
        if vendor_wheel is not None and spec.ci.mlopsgen.wheel is not None:
            vendored = project / spec.ci.mlopsgen.wheel
            vendored.parent.mkdir(parents=True, exist_ok=True)
            vendored.write_bytes(vendor_wheel.read_bytes())
        if lock and not dry_run:
            lock_dependencies(project)
        files = writer.list_files(project) if dry_run else writer.place_tree(project, destination)
    return NewResult(
        target=target,
        files=tuple(files),
        dry_run=dry_run,
        spec=spec,
        warnings=(*managed.warnings, *warnings),
        findings=findings,
    )


def _wheel_warnings(spec: Spec, target: Path, wheel: Path | None) -> list[str]:
    """Check ``wheel`` against ``ci.mlopsgen``; warn when the declared wheel will be missing.

    Raises:
        UserError: the spec does not vendor a wheel, or ``wheel`` is not the one it declares.
    """
    install = spec.ci.mlopsgen
    if install.source is not MlopsgenSource.WHEEL or install.wheel is None:
        if wheel is None:
            return []
        raise UserError(
            f"--vendor-wheel needs ci.mlopsgen.source: wheel in the spec (it is {install.source})",
            hint="add `mlopsgen: {source: wheel, wheel: tools/" + wheel.name + "}` under ci:",
        )
    declared = install.wheel
    if wheel is None:
        if (target / declared).is_file():
            return []
        return [
            f"ci.mlopsgen.wheel {declared} is not in {target}: `make check` and the first CI "
            "job fail until it is committed there (pass --vendor-wheel PATH to copy a built "
            "mlopsgen wheel; see README.md)"
        ]
    if not wheel.is_file():
        raise UserError(
            "no such wheel", path=wheel, hint="build one with `python -m build --wheel`"
        )
    version = _wheel_version(wheel)
    if wheel.name != Path(declared).name:
        raise UserError(
            f"is not named like ci.mlopsgen.wheel ({Path(declared).name}); pip reads the "
            "version from the file name",
            path=wheel,
            hint=f"set ci.mlopsgen.wheel to {Path(declared).parent.as_posix()}/{wheel.name}",
        )
    if install.sha256 is not None:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != install.sha256:
            raise UserError(
                f"has sha256 {digest}, not ci.mlopsgen.sha256 {install.sha256}",
                path=wheel,
                hint="vendor the wheel the spec names, or update ci.mlopsgen.sha256",
            )
    if version != __version__:
        return [
            f"{wheel.name} is mlopsgen {version}, but this repository is rendered by mlopsgen "
            f"{__version__}: `make check` will compare it with {version}'s render"
        ]
    return []


def _wheel_version(wheel: Path) -> str:
    """The version in a wheel's METADATA, after checking that it is a wheel of mlopsgen.

    Raises:
        UserError: not a zip file, or not a wheel of mlopsgen.
    """
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = [
                n
                for n in archive.namelist()
                if n.count("/") == 1 and n.endswith(".dist-info/METADATA")
            ]
            text = archive.read(names[0]).decode("utf-8") if len(names) == 1 else ""
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"is not a wheel ({exc})", path=wheel) from None
    metadata = HeaderParser().parsestr(text)
    if (metadata.get("Name") or "").lower() != "mlopsgen":
        raise UserError(
            "is not a wheel of mlopsgen (no mlopsgen METADATA in it)",
            path=wheel,
            hint="build it in a clone of mlopsgen with `python -m build --wheel`",
        )
    return str(metadata.get("Version"))


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
