"""GitOps sync: the full render with ownership modes, ``check`` and ``update``."""

from __future__ import annotations

import enum
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import merge3

from mlopsgen import __version__, writer
from mlopsgen.diagnostics import Diagnostic, Location, Severity
from mlopsgen.dvcfiles import dvc_files
from mlopsgen.errors import PolicyError, UserError
from mlopsgen.headers import with_header
from mlopsgen.lock import (
    BASE_PATH,
    LOCK_PATH,
    FileEntry,
    Lock,
    Mode,
    dump_base,
    read_base,
    read_lock,
    sha256,
    template_version,
)
from mlopsgen.render import Rendered, render_managed
from mlopsgen.resources import REPO_PACKS_DIR, TOOL_CACHES
from mlopsgen.spec import parse_spec, read_spec_text
from mlopsgen.spec.model import Platform, Spec

__all__ = [
    "SPEC_FILE",
    "CheckResult",
    "Outcome",
    "RenderResult",
    "RenderedFile",
    "UpdateResult",
    "check",
    "enforce_policy",
    "lock_for",
    "render_repo",
    "render_tree",
    "update",
]

SPEC_FILE = "mlops.yaml"
#: Seed files that are data, not text to merge: the user's after creation, never updated.
_UNMERGED = ("data/", "models/")


@dataclass(frozen=True)
class RenderedFile:
    """One file of a full render: its content and who owns it afterwards."""

    content: str
    mode: Mode


def _mergeable(path: str) -> bool:
    return not path.startswith(_UNMERGED) and PurePosixPath(path).suffix not in {".csv"}


def render_tree(
    spec: Spec, spec_text: str, managed: Rendered | None = None
) -> dict[str, RenderedFile]:
    """Everything mlopsgen renders for a spec, by relative path, headers applied.

    The scaffold's files are seed-once; the pipelines and other managed files are
    mlopsgen's. ``mlops.yaml`` itself is the user's source and is not listed.
    """
    from mlopsgen import scaffold  # noqa: PLC0415  (imports cookiecutter)

    files: dict[str, RenderedFile] = {}
    with tempfile.TemporaryDirectory(prefix="mlopsgen-render-") as tmp:
        project = scaffold.render_scaffold(spec, spec_text, Path(tmp))
        for rel in writer.list_files(project):
            key = rel.as_posix()
            if key == SPEC_FILE or TOOL_CACHES.intersection(rel.parts):
                continue
            text = (project / rel).read_text(encoding="utf-8")
            files[key] = RenderedFile(with_header(key, text, managed=False), Mode.SEED)
    # With DVC: .dvc/ and the pointer files of the shipped data (hashed as written here).
    tracked = dvc_files(spec, {rel: f.content for rel, f in files.items()})
    for key, text in tracked.items():
        files[key] = RenderedFile(with_header(key, text, managed=False), Mode.SEED)
    files.update(managed_tree(managed or render_managed(spec)))
    return dict(sorted(files.items()))


def managed_tree(rendered: Rendered) -> dict[str, RenderedFile]:
    """The managed files only (what ``render`` and ``check`` need; no cookiecutter)."""
    return {
        rel: RenderedFile(with_header(rel, text, managed=True), Mode.MANAGED)
        for rel, text in rendered.files.items()
    }


def lock_for(
    spec_text: str,
    files: dict[str, RenderedFile],
    previous: Lock | None = None,
    kept: Mapping[str, str] | None = None,
) -> tuple[Lock, dict[str, str]]:
    """The lock and the pristine base for a render (keeping PATCHED modes of ``previous``).

    ``kept`` maps files whose hand edits are kept to what is on disk after the
    merge: the lock records that content and marks the file PATCHED; the base
    keeps the pristine render.
    """
    kept = kept or {}
    entries: dict[str, FileEntry] = {}
    base: dict[str, str] = {}
    for rel, rendered in files.items():
        if rel in kept or _patched(previous, rel):
            entries[rel] = FileEntry(sha256(kept.get(rel, rendered.content)), Mode.PATCHED)
        else:
            entries[rel] = FileEntry(sha256(rendered.content), rendered.mode)
        if _mergeable(rel):
            base[rel] = rendered.content
    lock = Lock(
        generator=__version__,
        template=template_version(),
        spec_sha256=sha256(spec_text),
        files=entries,
    )
    return lock, base


# --- the spec's own policy packs -----------------------------------------------------------


def _spec_policy(
    spec_text: str, *, file: str, pack_dirs: Sequence[Path]
) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]]:
    """The spec's findings under its packs: those at or above their threshold, and the rest."""
    from mlopsgen.policy.engine import audit_spec  # noqa: PLC0415  (loads every rule)

    report = audit_spec(spec_text, file=file, pack_dirs=pack_dirs)
    blocking = tuple(r.diagnostic() for r in report.results if r.blocking)
    others = tuple(r.diagnostic() for r in report.active if not r.blocking)
    return blocking, others


def enforce_policy(
    spec_text: str, *, file: str, pack_dirs: Sequence[Path] = (), allow_findings: bool = False
) -> tuple[Diagnostic, ...]:
    """Audit the spec against its own packs, as ``audit`` does, before anything is rendered.

    Returns every finding that is not waived (for the caller to warn about).

    Raises:
        PolicyError: findings at or above the packs' threshold, unless ``allow_findings``.
        UserError: a pack of the repository that cannot be loaded.
    """
    blocking, others = _spec_policy(spec_text, file=file, pack_dirs=pack_dirs)
    if blocking and not allow_findings:
        raise PolicyError(blocking, path=Path(file))
    return (*blocking, *others)


def _patched(lock: Lock | None, rel: str) -> bool:
    """Whether the lock says the user's edits of ``rel`` are kept (``update --keep-edits``)."""
    return lock is not None and rel in lock.files and lock.files[rel].mode is Mode.PATCHED


def _untouched(entry: FileEntry | None, current: str) -> bool:
    return entry is not None and entry.mode is not Mode.PATCHED and sha256(current) == entry.sha256


def _guard(repo: Path, lock: Lock | None, rendered: Iterable[str]) -> None:
    """Refuse the whole command if a lock entry or a rendered path leaves ``repo``.

    Run before the first file is read or written, so nothing is touched.
    """
    if lock is not None:
        for rel in lock.files:
            writer.inside(repo, rel, source=repo / LOCK_PATH)
    for rel in rendered:
        writer.inside(repo, rel, source=repo)


# --- check -------------------------------------------------------------------------------


class Drift(enum.StrEnum):
    """Why a managed file differs from a fresh render."""

    EDITED = "edited by hand"
    STALE = "out of date"
    MISSING = "missing"
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class CheckResult:
    """Findings of ``check`` for one repository."""

    repo: Path
    #: Drift of the managed files (SYNC-* codes).
    diagnostics: tuple[Diagnostic, ...]
    diffs: dict[str, str] = field(default_factory=dict)
    #: The spec's findings at or above the fail threshold of its own packs.
    policy: tuple[Diagnostic, ...] = ()

    @property
    def findings(self) -> tuple[Diagnostic, ...]:
        """Every finding: drift, then policy."""
        return (*self.diagnostics, *self.policy)

    @property
    def clean(self) -> bool:
        """No finding at all."""
        return not self.findings


def _finding(repo: Path, rel: str, code: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Location(str(repo / rel)), hint=hint)


def check(repo: Path) -> CheckResult:
    """Compare every managed file of ``repo`` with a fresh render of its spec.

    Tells apart a file edited by hand (its hash differs from the lock's) from one
    left behind by a spec or generator change (it still matches the lock), and
    reports missing and orphaned managed files. The spec is audited against its own
    packs too: findings at or above their threshold (waivers applied) are findings of
    ``check``, so the pipelines' first job enforces the packs.

    Raises:
        UserError: no lock, no readable spec, or a pack of the repository that is broken.
        SpecError: the spec is invalid.
    """
    writer.recover(repo)
    lock = read_lock(repo)
    spec_text, spec, pack_dirs = _read_spec(repo)
    policy, _ = _spec_policy(spec_text, file=str(repo / SPEC_FILE), pack_dirs=pack_dirs)
    fresh = managed_tree(render_managed(spec))
    _guard(repo, lock, fresh)
    base = read_base(repo)
    spec_changed = sha256(spec_text) != lock.spec_sha256
    generator_changed = (lock.generator, lock.template) != (__version__, template_version())
    why = (
        "mlops.yaml changed since the last render"
        if spec_changed
        else f"the generator changed since the last render ({lock.generator})"
        if generator_changed
        else "the render changed"
    )
    out: list[Diagnostic] = []
    diffs: dict[str, str] = {}
    for rel, rendered in fresh.items():
        path = repo / rel
        entry = lock.files.get(rel)
        if not path.is_file():
            out.append(
                _finding(
                    repo,
                    rel,
                    "SYNC-MISSING",
                    "managed file is missing",
                    "run `mlopsgen render` to restore it",
                )
            )
            continue
        current = path.read_text(encoding="utf-8")
        expected = rendered.content
        if _patched(lock, rel) and rel in base:
            expected = _merge(base[rel], current, rendered.content)[0]
        if current == expected:
            continue
        change = writer.FileChange(rel, current, expected)
        diffs[rel] = change.diff()
        if entry is not None and sha256(current) == entry.sha256:
            out.append(
                _finding(
                    repo,
                    rel,
                    "SYNC-STALE",
                    f"out of date: {why}",
                    "run `mlopsgen render` and commit the result",
                )
            )
        else:
            out.append(
                _finding(
                    repo,
                    rel,
                    "SYNC-EDITED",
                    "edited by hand: differs from the render of mlops.yaml",
                    "change mlops.yaml instead and run `mlopsgen render`, or keep "
                    "the edit with `mlopsgen update --keep-edits`",
                )
            )
    for rel, entry in sorted(lock.files.items()):
        if entry.mode is not Mode.SEED and rel not in fresh and (repo / rel).exists():
            out.append(
                _finding(
                    repo,
                    rel,
                    "SYNC-ORPHANED",
                    "orphaned: managed file that the spec no longer produces",
                    "run `mlopsgen update` to remove it, or delete it",
                )
            )
    return CheckResult(repo, tuple(out), diffs, policy)


# --- update ------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """What ``update`` did with one file."""

    CREATED = "created"
    UPDATED = "updated"
    MERGED = "merged"
    CONFLICT = "conflict"
    DELETED = "deleted"
    KEPT = "kept"


@dataclass(frozen=True)
class UpdateResult:
    """Per-file outcomes of ``update``, and the diff of each written file."""

    repo: Path
    outcomes: dict[str, Outcome]
    notes: dict[str, str]
    diffs: dict[str, str]
    dry_run: bool

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Files left with conflict markers."""
        return tuple(p for p, o in self.outcomes.items() if o is Outcome.CONFLICT)


def _merge(base: str, yours: str, theirs: str) -> tuple[str, bool]:
    m = merge3.Merge3(
        base.splitlines(keepends=True),
        yours.splitlines(keepends=True),
        theirs.splitlines(keepends=True),
    )
    conflict = any(region[0] == "conflict" for region in m.merge_regions())
    text = "".join(m.merge_lines(name_a="yours", name_b="mlopsgen update"))
    return text, conflict


def dirty_paths(repo: Path) -> list[str] | None:
    """Uncommitted changes (``git status --porcelain``), or None when not a git work tree."""
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    if proc.returncode != 0:
        return None
    return [line[3:] for line in proc.stdout.splitlines() if line.strip()]


def update(
    repo: Path, *, dry_run: bool = False, allow_dirty: bool = False, keep_edits: Iterable[str] = ()
) -> UpdateResult:
    """Merge the render of today's spec, generator and template into ``repo``.

    Raises:
        UserError: a dirty work tree without ``allow_dirty``, no lock, no spec.
        SpecError: the spec is invalid.
    """
    writer.recover(repo)
    if not allow_dirty:
        dirty = dirty_paths(repo)
        if dirty is None:
            raise UserError(
                "is not a git work tree, so uncommitted changes cannot be told apart",
                path=repo,
                hint="commit it to git, or pass --allow-dirty",
            )
        if dirty:
            shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
            raise UserError(
                f"has uncommitted changes ({shown}); refusing to update",
                path=repo,
                hint="commit or stash them, or pass --allow-dirty",
            )
    lock = read_lock(repo)
    base = read_base(repo)
    spec_text, spec, _ = _read_spec(repo)
    fresh = render_tree(spec, spec_text)
    _guard(repo, lock, fresh)
    keep = set(keep_edits)
    writes: dict[str, bytes | None] = {}
    outcomes: dict[str, Outcome] = {}
    notes: dict[str, str] = {}
    diffs: dict[str, str] = {}
    patched: dict[str, str] = {}  # mlopsgen's files with kept edits: what is on disk after

    def put(rel: str, old: str | None, new: str, outcome: Outcome) -> None:
        writes[rel] = new.encode("utf-8")
        outcomes[rel] = outcome
        diffs[rel] = writer.FileChange(rel, old, new).diff()

    for rel, rendered in fresh.items():
        path = repo / rel
        entry = lock.files.get(rel)
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        new = rendered.content
        if current is None:
            if entry is not None and entry.mode is not Mode.MANAGED:
                outcomes[rel], notes[rel] = Outcome.KEPT, "you deleted it; left deleted"
            else:
                put(rel, None, new, Outcome.CREATED)
            continue
        if current == new:
            continue
        pristine = base.get(rel)
        # As last written: overwrite it, unless the user's edits are kept (merged below).
        untouched = _untouched(entry, current)
        if rendered.mode is Mode.MANAGED and (untouched or (entry is None and rel not in keep)):
            if entry is None:
                outcomes[rel] = Outcome.CONFLICT
                notes[rel] = "an unmanaged file is in the way; move it and update again"
                continue
            put(rel, current, new, Outcome.UPDATED)
            continue
        if (
            rendered.mode is Mode.MANAGED
            and entry is not None
            and entry.mode is Mode.MANAGED
            and rel not in keep
        ):
            outcomes[rel] = Outcome.CONFLICT
            notes[rel] = (
                "managed file edited by hand; not touched. Discard the edit with "
                "`mlopsgen render`, or keep it with --keep-edits " + rel
            )
            continue
        if pristine is None or not _mergeable(rel):
            outcomes[rel], notes[rel] = Outcome.KEPT, "yours (not merged)"
            continue
        merged, conflict = _merge(pristine, current, new)
        if rendered.mode is Mode.MANAGED:
            patched[rel] = merged
        if merged != current:
            put(rel, current, merged, Outcome.CONFLICT if conflict else Outcome.MERGED)
        elif conflict:
            outcomes[rel] = Outcome.CONFLICT
    for rel, entry in lock.files.items():
        if rel in fresh or entry.mode is Mode.SEED:
            continue
        path = repo / rel
        if path.is_file():
            if sha256(path.read_bytes()) == entry.sha256:
                writes[rel] = None
                outcomes[rel] = Outcome.DELETED
                diffs[rel] = writer.FileChange(rel, path.read_text(encoding="utf-8"), "").diff()
            else:
                outcomes[rel] = Outcome.CONFLICT
                notes[rel] = "orphaned managed file edited by hand; not deleted"
    new_lock, new_base = lock_for(spec_text, fresh, lock, kept=patched)
    if not dry_run:
        writes[BASE_PATH] = dump_base(new_base).encode("utf-8")
        writes[LOCK_PATH] = new_lock.dumps().encode("utf-8")
        writer.apply_transaction(repo, writes)
    return UpdateResult(repo, dict(sorted(outcomes.items())), notes, diffs, dry_run)


# --- render ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderResult:
    """The plan ``render`` made (and applied unless a dry run), its warnings and findings."""

    plan: writer.Plan
    warnings: tuple[str, ...]
    #: The spec's findings under its own packs (only when they were allowed).
    findings: tuple[Diagnostic, ...] = ()


def render_repo(
    repo: Path,
    *,
    platforms: Iterable[Platform] | None = None,
    dry_run: bool = False,
    allow_findings: bool = False,
) -> RenderResult:
    """Re-render the managed files of ``repo`` and record them in its lock.

    Seed files are left alone (``update`` merges into those). A managed file whose
    hand edits are kept (``update --keep-edits``) gets the new render merged with
    the edits, as ``check`` expects it; when they conflict, nothing is written and
    the user is sent to ``update``, which leaves conflict markers to resolve. A
    repository without a lock gets one listing the managed files only.

    Raises:
        UserError: no readable spec; a path outside the repository; a kept edit
            that conflicts with the new render.
        SpecError: the spec is invalid.
        PolicyError: the spec fails its own packs and ``allow_findings`` is false.
    """
    writer.recover(repo)
    spec_text, spec, pack_dirs = _read_spec(repo)
    findings = enforce_policy(
        spec_text,
        file=str(repo / SPEC_FILE),
        pack_dirs=pack_dirs,
        allow_findings=allow_findings,
    )
    rendered = render_managed(spec, platforms=platforms)
    fresh = managed_tree(rendered)
    try:
        previous: Lock | None = read_lock(repo)
    except UserError:
        previous = None
    _guard(repo, previous, fresh)
    base = read_base(repo)
    kept: dict[str, str] = {}
    conflicts: list[str] = []
    for rel, file in fresh.items():
        path = repo / rel
        if _patched(previous, rel) and rel in base and path.is_file():
            kept[rel], conflict = _merge(base[rel], path.read_text(encoding="utf-8"), file.content)
            if conflict:
                conflicts.append(rel)
    if conflicts:
        raise UserError(
            f"the kept edits of {', '.join(conflicts)} conflict with the new render; "
            "nothing was written",
            path=repo,
            hint="run `mlopsgen update`, which merges them with conflict markers to resolve",
        )
    plan = writer.plan_files(repo, {rel: kept.get(rel, f.content) for rel, f in fresh.items()})
    if not dry_run:
        lock, managed_base = lock_for(spec_text, fresh, previous, kept=kept)
        files = dict(previous.files) if previous else {}
        files.update(lock.files)
        base.update(managed_base)
        merged = Lock(lock.generator, lock.template, lock.spec_sha256, files)
        writes: dict[str, bytes | None] = {c.path: c.new.encode("utf-8") for c in plan.pending()}
        writes[BASE_PATH] = dump_base(base).encode("utf-8")
        writes[LOCK_PATH] = merged.dumps().encode("utf-8")
        writer.apply_transaction(repo, writes)
    return RenderResult(plan, rendered.warnings, findings)


def _read_spec(repo: Path) -> tuple[str, Spec, list[Path]]:
    """The text and model of a repository's spec, and where its own packs live."""
    pack_dirs = [repo / REPO_PACKS_DIR]
    spec_text = read_spec_text(repo / SPEC_FILE)
    return (
        spec_text,
        parse_spec(spec_text, filename=str(repo / SPEC_FILE), pack_dirs=pack_dirs),
        pack_dirs,
    )
