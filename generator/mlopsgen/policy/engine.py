"""The rule engine: run the selected rules over files, apply waivers, collect results.

Problems are collected, never raised: an unreadable file, an invalid spec or a broken
waiver is a result like any other finding, and one bad file never stops an audit.
"""

from __future__ import annotations

import bisect
import datetime as dt
import graphlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlopsgen import yamlio
from mlopsgen.diagnostics import Diagnostic, Location, Severity
from mlopsgen.errors import SpecError, UserError
from mlopsgen.policy.base import Finding, PipelineRule, Rule, SpecRule, matches
from mlopsgen.policy.discover import Unit, discover
from mlopsgen.policy.includes import LocalFiles, longest_prefix, lookup
from mlopsgen.policy.packs import DEFAULT_PACKS, Policy, RuleConfig, load_policy
from mlopsgen.policy.rules import RULES
from mlopsgen.policy.source import MAX_BYTES, ParseProblem, read_pipeline
from mlopsgen.policy.specview import SpecView
from mlopsgen.policy.view import PipelineView
from mlopsgen.policy.waivers import Waiver, from_spec, matching, parse_inline
from mlopsgen.resources import REPO_PACKS_DIR
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import JsonPath

__all__ = [
    "AuditSettings",
    "Engine",
    "FileReport",
    "Result",
    "Skipped",
    "audit",
    "audit_spec",
]


@dataclass(frozen=True)
class AuditSettings:
    """What the caller decides beyond the packs (all optional)."""

    today: dt.date = field(default_factory=dt.date.today)
    #: Audit every pipeline file as this platform instead of detecting it.
    platform: Platform | None = None
    #: Only these rules (ids or prefixes), even those the packs leave off.
    select: tuple[str, ...] = ()
    #: Not these rules (locked rules stay on).
    ignore: tuple[str, ...] = ()
    #: Overrides the packs' fail threshold.
    fail_on: Severity | None = None
    #: Packs to use instead of the specs' (names or paths).
    packs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Result:
    """One finding with its rule, severity, place, and what waivers made of it."""

    rule: str
    severity: Severity
    message: str
    location: Location
    hint: str | None = None
    #: The waiver that suppresses it, if any.
    waived_by: Waiver | None = None
    #: Why a waiver did not apply (expired, locked rule), if one matched.
    note: str | None = None
    #: At or above the fail threshold of its unit's policy (and not waived).
    blocking: bool = False

    @property
    def suppressed(self) -> bool:
        """True when a valid waiver covers it."""
        return self.waived_by is not None

    def diagnostic(self) -> Diagnostic:
        """The shared Diagnostic form."""
        message = f"{self.message} [{self.note}]" if self.note else self.message
        return Diagnostic(self.rule, self.severity, message, self.location, hint=self.hint)


@dataclass(frozen=True)
class Skipped:
    """A rule that did not run on a file, and why (a failed prerequisite)."""

    rule: str
    reason: str


@dataclass
class FileReport:
    """Everything found in one file."""

    file: str
    kind: str
    platform: Platform | None = None
    results: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def active(self) -> list[Result]:
        """Results not suppressed by a waiver."""
        return [r for r in self.results if not r.suppressed]


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


class _Positions:
    """Turns JSON paths and snippets into file, line and column, lazily per file.

    A view merged from several files (local includes, templates) maps each path to the
    file and path it was written at; a job's keys inherited through ``extends:`` point to
    the job that defines them.
    """

    def __init__(self, view: PipelineView):
        self.files = [(view.file, view.text, view.node)]
        self.files += [(s.file, s.text, s.node) for s in view.sources]
        self.index = {f: i for i, (f, _, _) in enumerate(self.files)}
        self.origins = view.origins
        self.aliases = view.aliases
        self._starts: dict[int, list[int]] = {}

    def starts(self, source: int) -> list[int]:
        if source not in self._starts:
            text = self.files[source][1]
            starts, index = [0], text.find("\n")
            while index >= 0:
                starts.append(index + 1)
                index = text.find("\n", index + 1)
            self._starts[source] = starts
        return self._starts[source]

    def _alias(self, path: JsonPath) -> JsonPath:
        found = longest_prefix(self.aliases, path)
        return path if found is None else (*found[0], *found[1])

    def locate(self, finding: Finding) -> tuple[str, int | None, int | None]:
        source = self.index.get(finding.source, 0) if finding.source else 0
        if finding.mark is not None:
            return self.files[source][0], finding.mark.line, finding.mark.column
        path = finding.path
        if finding.source is None:
            path = self._alias(path) if self.aliases else path
            if self.origins:
                source, path = lookup(self.origins, path)
        file, text, node = self.files[source]
        where = yamlio.locate(node, path)
        line, col = (where[0].line, where[0].column) if where else (None, None)
        if finding.snippet:
            starts = self.starts(source)
            begin = starts[line - 1] + (col or 1) - 1 if line else 0
            index = text.find(finding.snippet, begin)
            if index < 0:
                index = text.find(finding.snippet)
            if index < 0 and finding.source is None and len(self.files) > 1:
                # Text a merge brought in from another file: find the file that has it.
                for other, (other_file, other_text, _) in enumerate(self.files):
                    index = other_text.find(finding.snippet)
                    if index >= 0:
                        source, file, starts = other, other_file, self.starts(other)
                        break
            if index >= 0:
                line = bisect.bisect_right(starts, index)
                col = index - starts[line - 1] + 1
        return file, line, col

    def at(self, where: tuple[int, JsonPath]) -> Location:
        """The location of a path in one of the files."""
        file, _, node = self.files[where[0]]
        found = yamlio.locate(node, where[1])
        return Location(file, found[0].line, found[0].column) if found else Location(file)


class Engine:
    """Runs one policy's rules; build it once per policy and reuse it for every file."""

    def __init__(self, policy: Policy, settings: AuditSettings):
        self.policy = policy
        self.settings = settings
        self.fail_on = settings.fail_on or policy.fail_on
        self.config: dict[str, RuleConfig] = dict(policy.rules)
        self.problems: list[Diagnostic] = list(policy.problems)
        enabled = {r for r, c in self.config.items() if c.enabled}
        if settings.select:
            enabled = {r for r in RULES if matches(r, settings.select)}
        for rule_id in [r for r in enabled if matches(r, settings.ignore)]:
            if self.config[rule_id].locked_by:
                self.problems.append(
                    Diagnostic(
                        "GOV-002",
                        self.severity(RULES["GOV-002"]),
                        f"--ignore cannot switch off {rule_id}: pack "
                        f"{self.config[rule_id].locked_by!r} locked it",
                        Location("--ignore"),
                    )
                )
            else:
                enabled.discard(rule_id)
        self.enabled = enabled
        order = graphlib.TopologicalSorter(
            {r: [q for q in RULES[r].requires if q in enabled] for r in enabled}
        ).static_order()
        ordered = [RULES[r] for r in order]
        self.pipeline_rules = [
            (r, self.config[r.id].options) for r in ordered if isinstance(r, PipelineRule)
        ]
        self.spec_rules = [
            (r, self.config[r.id].options) for r in ordered if isinstance(r, SpecRule)
        ]

    def severity(self, rule: Rule, finding: Finding | None = None) -> Severity:
        """The severity of a finding: the pack's override, else the finding's, else the rule's."""
        configured = self.config[rule.id].severity
        if configured is rule.severity and finding is not None and finding.severity is not None:
            return finding.severity
        return configured

    def on(self, rule_id: str) -> bool:
        """True when the rule runs under this policy and selection."""
        return rule_id in self.enabled

    def result(
        self,
        rule: Rule,
        message: str,
        location: Location,
        *,
        hint: str | None = None,
        finding: Finding | None = None,
        waivers: Sequence[Waiver] = (),
        used: set[Waiver] | None = None,
    ) -> Result:
        """Build a result and apply the waivers that cover it."""
        severity = self.severity(rule, finding)
        waived, note = None, None
        candidates = list(matching(waivers, rule.id, location.file, location.line))
        if candidates:
            if used is not None:
                used.update(candidates)
            locked = self.config[rule.id].locked_by
            valid = [w for w in candidates if not w.expired(self.settings.today)]
            if locked:
                note = (
                    f"waiver ({candidates[0].describe()}) not applied: pack {locked!r} locks "
                    f"{rule.id}"
                )
            elif valid:
                waived = valid[0]
            else:
                w = candidates[0]
                note = (
                    f"waiver expired on {w.expires.isoformat()} ({w.owner}: {w.reason}); "
                    "the finding is back"
                )
        return Result(
            rule.id,
            severity,
            message,
            location,
            hint,
            waived,
            note,
            blocking=waived is None and severity.rank >= self.fail_on.rank,
        )

    def engine_result(
        self,
        rule_id: str,
        message: str,
        location: Location,
        hint: str | None = None,
        *,
        severity: Severity | None = None,
    ) -> Result | None:
        """A result of an engine rule, or None when the rule is off."""
        if not self.on(rule_id):
            return None
        finding = Finding(message, severity=severity)
        return self.result(RULES[rule_id], message, location, hint=hint, finding=finding)

    # --- pipelines ---------------------------------------------------------------------

    def pipeline(
        self,
        text: str,
        *,
        file: str,
        path: str,
        waivers: Sequence[Waiver] = (),
        used: set[Waiver] | None = None,
        files: LocalFiles | None = None,
    ) -> FileReport:
        """Audit one pipeline file's text (``files``: where its local includes are read)."""
        view = self.read(text, file=file, path=path, files=files)
        if isinstance(view, ParseProblem):
            return self.unreadable(file, view)
        return self.view(view, waivers=waivers, used=used)

    def unreadable(self, file: str, problem: ParseProblem) -> FileReport:
        """The report of a file that cannot be audited: the problem's engine finding."""
        report = FileReport(file, "pipeline")
        report.results += self.problem_results(file, (problem, *problem.more))
        return report

    def problem_results(self, file: str, problems: Iterable[ParseProblem]) -> list[Result]:
        """The engine findings of parse problems in one file."""
        out = []
        for problem in problems:
            where = Location(file, problem.line, problem.column)
            res = self.engine_result(problem.rule, problem.message, where, problem.hint)
            if res:
                out.append(res)
        return out

    def read(
        self, text: str, *, file: str, path: str, files: LocalFiles | None = None
    ) -> PipelineView | ParseProblem:
        """Read a pipeline file (and what it includes) into its audit view."""
        return read_pipeline(
            text, file=file, path=path, platform=self.settings.platform, files=files
        )

    def view(
        self,
        view: PipelineView,
        *,
        waivers: Sequence[Waiver] = (),
        used: set[Waiver] | None = None,
    ) -> FileReport:
        """Audit a pipeline that is already read, every document of it."""
        file = view.file
        report = FileReport(file, "pipeline", view.platform)
        report.results += self.problem_results(file, view.problems)
        documents = [(doc, _Positions(doc)) for doc in (view, *view.documents)]
        inline: list[Waiver] = []
        parsed: set[str] = set()
        for _, positions in documents:
            for index, (source_file, text, node) in enumerate(positions.files):
                if index and source_file in parsed:
                    continue  # an include that two documents share
                parsed.add(source_file)
                found, problems = parse_inline(text, file=source_file, node=node)
                inline += found
                for problem in problems:
                    res = self.engine_result(
                        "GOV-001", problem.message, Location(source_file, problem.line)
                    )
                    if res:
                        report.results.append(res)
        all_waivers = [*waivers, *inline]
        mine: set[Waiver] = set()
        for doc, positions in documents:
            self._document(doc, positions, report, all_waivers, mine)
        if used is not None:
            used.update(w for w in mine if w.scope is None)
        report.results.sort(
            key=lambda r: (
                r.location.file != file,
                r.location.file,
                r.location.line or 0,
                r.location.column or 0,
            )
        )
        report.results += self.waiver_results(inline, mine)
        return report

    def _document(
        self,
        view: PipelineView,
        positions: _Positions,
        report: FileReport,
        waivers: Sequence[Waiver],
        used: set[Waiver],
    ) -> None:
        """Run the rules over one document of a file, adding to its report."""
        for include in view.include_problems:
            res = self.engine_result(
                "PARSE-004",
                include.message,
                positions.at(include.where),
                include.hint,
                severity=include.severity,
            )
            if res:
                report.results.append(res)
        failed: set[str] = set()
        for rule, options in self.pipeline_rules:
            if view.platform not in rule.platforms:
                continue
            blockers = [q for q in rule.requires if q in failed]
            if blockers:
                skipped = Skipped(rule.id, f"requires {', '.join(blockers)}, which failed")
                if skipped not in report.skipped:
                    report.skipped.append(skipped)
                continue
            for finding in rule.check(view, options):
                where, line, col = positions.locate(finding)
                res = self.result(
                    rule,
                    finding.message,
                    Location(where, line, col, yamlio.format_path(finding.path)),
                    hint=finding.hint,
                    finding=finding,
                    waivers=waivers,
                    used=used,
                )
                report.results.append(res)
                if not res.suppressed:
                    failed.add(rule.id)

    def waiver_results(self, waivers: Iterable[Waiver], used: set[Waiver]) -> list[Result]:
        """GOV findings for waivers: expired, locked, or matching nothing."""
        out: list[Result | None] = []
        for w in waivers:
            where = Location(w.source, w.line)
            config = self.config.get(w.rule)
            if config is None:
                out.append(self.engine_result("GOV-001", f"waiver of unknown rule {w.rule}", where))
            elif config.locked_by:
                out.append(
                    self.engine_result(
                        "GOV-002",
                        f"waiver of {w.rule} is not applied: pack {config.locked_by!r} locks it",
                        where,
                    )
                )
            elif w.expired(self.settings.today):
                out.append(
                    self.engine_result(
                        "GOV-001",
                        f"waiver of {w.rule} ({w.owner}) expired on {w.expires.isoformat()}",
                        where,
                        "renew it with a new expiry and reason, or fix the finding",
                    )
                )
            elif w not in used:
                out.append(
                    self.engine_result(
                        "GOV-001",
                        f"waiver of {w.rule} ({w.owner}) matches no finding",
                        where,
                        "remove it",
                        severity=Severity.INFO,
                    )
                )
        return [r for r in out if r is not None]

    # --- the spec ------------------------------------------------------------------------

    def spec(
        self,
        text: str,
        *,
        file: str,
        waivers: Sequence[Waiver] = (),
        pack_dirs: Sequence[Path] = (),
    ) -> FileReport:
        """Audit a spec's text (waivers: the spec's own, for its findings).

        ``pack_dirs``: where the spec's ``policies.packs`` may be besides the built-ins.
        """
        from mlopsgen.spec import parse_spec  # noqa: PLC0415  # jsonschema: only for specs

        report = FileReport(file, "spec")
        try:
            spec = parse_spec(text, filename=file, pack_dirs=pack_dirs)
        except SpecError as exc:
            for diag in exc.diagnostics:
                res = self.engine_result("SPEC-001", diag.message, diag.location, diag.hint)
                if res:
                    report.results.append(res)
            report.skipped += [
                Skipped(r.id, "requires SPEC-001, which failed") for r, _ in self.spec_rules
            ]
            return report
        doc = yamlio.load(text, filename=file)
        view = SpecView(file, spec, doc, self.settings.today)
        for rule, options in self.spec_rules:
            for finding in rule.check(view, options):
                mark = doc.mark(finding.path, key=True)
                res = self.result(
                    rule,
                    finding.message,
                    Location(
                        file,
                        mark.line if mark else None,
                        mark.column if mark else None,
                        yamlio.format_path(finding.path),
                    ),
                    hint=finding.hint,
                    finding=finding,
                    waivers=waivers,
                )
                report.results.append(res)
        return report


def _read(path: Path, file: str) -> str | ParseProblem:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return ParseProblem("PARSE-002", f"{size:,} bytes: too large to be a pipeline")
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParseProblem("PARSE-001", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return ParseProblem("PARSE-001", f"cannot read the file: {exc.strerror or exc}")


def _spec_waivers(
    text: str, file: str, pack_dirs: Sequence[Path]
) -> tuple[list[Waiver], tuple[str, ...] | None]:
    """Waivers and packs of a spec; empty when the spec is invalid (SPEC-001 says why)."""
    from mlopsgen.spec import parse_spec  # noqa: PLC0415

    try:
        spec = parse_spec(text, filename=file, pack_dirs=pack_dirs)
    except SpecError:
        return [], None
    doc = yamlio.load(text, filename=file)
    lines = []
    for i in range(len(spec.policies.waivers)):
        mark = doc.mark(("policies", "waivers", i))
        lines.append(mark.line if mark else None)
    return from_spec(spec.policies.waivers, source=file, lines=lines), spec.policies.packs


def audit_spec(
    text: str,
    *,
    file: str,
    pack_dirs: Sequence[Path] = (),
    settings: AuditSettings | None = None,
) -> FileReport:
    """Audit a spec against its own packs (``policies.packs``), its waivers applied.

    What ``audit`` does to a spec, for the commands that render one: their results mark
    the findings at or above the packs' threshold as ``blocking``. Pipeline rules do not
    run, so waivers meant for pipeline files are not reported as unused.

    Raises:
        UserError: a pack of the repository that cannot be loaded (PackError).
    """
    settings = settings or AuditSettings()
    waivers, packs = _spec_waivers(text, file, pack_dirs)
    engine = Engine(load_policy(packs or DEFAULT_PACKS, search=pack_dirs), settings)
    return engine.spec(text, file=file, waivers=waivers, pack_dirs=pack_dirs)


def audit(
    paths: Sequence[Path],
    settings: AuditSettings | None = None,
    *,
    on_file: Callable[[str], None] | None = None,
) -> Iterator[FileReport]:
    """Audit files, repositories and folders of repositories; one report per file.

    Packs come from ``settings.packs`` when given, else from each repository's spec
    (``policies.packs``), else ``baseline``. Reports stream: nothing is kept between
    files but the waivers of the current repository.

    Raises:
        UserError: a path that does not exist, an unknown pack, or an invalid pack.
    """
    settings = settings or AuditSettings()
    units = discover(paths)
    engines: dict[tuple[tuple[str, ...], str], Engine] = {}

    def engine_for(packs: Sequence[str], search: Path | None) -> Engine:
        key = (tuple(packs), str(search))
        if key not in engines:
            policy = load_policy(packs, search=[search] if search else [])
            engines[key] = Engine(policy, settings)
        return engines[key]

    default = engine_for(settings.packs or DEFAULT_PACKS, None)
    for problem in default.problems:
        yield FileReport(
            problem.location.file,
            "policy",
            results=[
                Result(
                    problem.code,
                    problem.severity,
                    problem.message,
                    problem.location,
                    blocking=problem.severity.rank >= default.fail_on.rank,
                )
            ],
        )
    for unit in units:
        yield from _audit_unit(unit, settings, engine_for, default, on_file)


def _relative(unit: Unit, path: Path) -> str:
    if unit.root and path.is_relative_to(unit.root):
        return path.relative_to(unit.root).as_posix()
    return path.as_posix()


def _texts(
    unit: Unit, engine: Engine, on_file: Callable[[str], None] | None
) -> Iterator[tuple[Path, str, str | FileReport]]:
    """Each pipeline file of the unit: its path, display name, and text (or why not)."""
    for path in unit.files:
        file = _display(path)
        if on_file is not None:
            on_file(file)
        text = _read(path, file)
        yield (
            path,
            file,
            engine.unreadable(file, text) if isinstance(text, ParseProblem) else text,
        )


def _audit_repository(
    unit: Unit,
    engine: Engine,
    waivers: list[Waiver],
    used: set[Waiver],
    on_file: Callable[[str], None] | None,
) -> Iterator[FileReport]:
    """A repository's pipeline files, each pipeline audited whole with what it includes.

    A file that another pipeline of the repository includes is audited as part of that
    pipeline (alone, a fragment lacks the jobs its deploys depend on); its report holds
    the findings located in it, once even when several pipelines include it.
    """
    views: dict[Path, PipelineView | FileReport] = {}
    for path, file, text in _texts(unit, engine, on_file):
        if isinstance(text, FileReport):
            views[path] = text
            continue
        files = LocalFiles(path, root=unit.root, display=_display)
        read = engine.read(text, file=file, path=_relative(unit, path), files=files)
        views[path] = engine.unreadable(file, read) if isinstance(read, ParseProblem) else read
    resolved = {path.resolve(): path for path in views}
    pipelines = {p: v for p, v in views.items() if isinstance(v, PipelineView)}
    included = {resolved[i] for v in pipelines.values() for i in v.included if i in resolved}
    # Files only pipelines that nothing includes bring in (a cycle leaves its files alone).
    covered = {
        resolved[i]
        for p, v in pipelines.items()
        if p not in included
        for i in v.included
        if i in resolved and resolved[i] != p
    }
    names = {_display(p): p for p in covered}
    moved: dict[Path, dict[tuple[object, ...], Result]] = {p: {} for p in covered}
    reports: dict[Path, FileReport] = {}
    for path, entry in views.items():
        if path in covered:
            continue
        if isinstance(entry, FileReport):
            reports[path] = entry
            continue
        report = engine.view(entry, waivers=waivers, used=used)
        keep = []
        for res in report.results:
            owner = names.get(res.location.file)
            if owner is None or owner == path:
                keep.append(res)
                continue
            loc = res.location
            moved[owner].setdefault((res.rule, loc.line, loc.column, res.message), res)
        report.results = keep
        reports[path] = report
    for path, entry in views.items():
        if path in covered:
            platform = entry.platform if isinstance(entry, PipelineView) else None
            yield FileReport(
                _display(path), "pipeline", platform, results=list(moved[path].values())
            )
        else:
            yield reports[path]


def _audit_unit(
    unit: Unit,
    settings: AuditSettings,
    engine_for: Callable[[Sequence[str], Path | None], Engine],
    default: Engine,
    on_file: Callable[[str], None] | None,
) -> Iterator[FileReport]:
    spec_file = _display(unit.spec) if unit.spec else None
    waivers: list[Waiver] = []
    packs: tuple[str, ...] | None = None
    engine = default
    pack_error: str | None = None
    search = unit.root / REPO_PACKS_DIR if unit.root else None
    pack_dirs = [search] if search else []
    spec_text: str | ParseProblem | None = None
    if unit.spec is not None and spec_file is not None:
        spec_text = _read(unit.spec, spec_file)
        if not isinstance(spec_text, ParseProblem):
            waivers, packs = _spec_waivers(spec_text, spec_file, pack_dirs)
        if settings.packs is None and packs:
            try:
                engine = engine_for(packs, search)
            except UserError as exc:
                pack_error = str(exc)
    used: set[Waiver] = set()
    if unit.complete:
        yield from _audit_repository(unit, engine, waivers, used, on_file)
    else:
        for path, file, content in _texts(unit, engine, on_file):
            if isinstance(content, FileReport):
                yield content
                continue
            yield engine.pipeline(
                content,
                file=file,
                path=_relative(unit, path),
                waivers=waivers,
                used=used,
                files=LocalFiles(path, root=unit.root, display=_display),
            )
    if unit.audit_spec and spec_text is not None and spec_file is not None:
        if on_file is not None:
            on_file(spec_file)
        text = spec_text
        if isinstance(text, ParseProblem):
            report = FileReport(spec_file, "spec")
            res = engine.engine_result(text.rule, text.message, Location(spec_file))
            report.results += [res] if res else []
            yield report
            return
        report = engine.spec(text, file=spec_file, waivers=waivers, pack_dirs=pack_dirs)
        used.update(w for r in report.results for w in ([r.waived_by] if r.waived_by else []))
        if pack_error:
            res = engine.engine_result(
                "SPEC-001",
                f"policies.packs cannot be used ({pack_error}); audited with "
                f"{', '.join(engine.policy.packs)}",
                Location(spec_file),
            )
            report.results += [res] if res else []
        if unit.complete:
            report.results += engine.waiver_results(waivers, used)
        yield report
