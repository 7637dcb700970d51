"""The command line: parse flags, call the library, report, map to an exit code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from mlopsgen import __version__
from mlopsgen.diagnostics import Diagnostic
from mlopsgen.errors import PolicyError, SpecError, UserError

__all__ = ["main"]

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

F = TypeVar("F", bound=Callable[..., Any])


def _report_spec_error(exc: SpecError) -> None:
    for diag in exc.diagnostics:
        click.echo(diag.format(), err=True)
    click.echo(f"error: {exc}", err=True)


_allow_findings = click.option(
    "--allow-findings",
    is_flag=True,
    help="Render even when the spec fails its own policy packs (the findings become warnings).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlopsgen")
def cli() -> None:
    """Turn one policy-checked mlops.yaml into a runnable ML repository and its CI/CD."""


@cli.command()
@click.argument("spec", required=False, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path),
    help="Directory to create (default: ./<project slug>).",
)
@click.option("--force", is_flag=True, help="Write into a non-empty directory.")
@click.option("--dry-run", is_flag=True, help="List the files; write nothing.")
@click.option("--no-input", is_flag=True, help="Without SPEC: take every default, ask nothing.")
@_allow_findings
@click.option(
    "--vendor-wheel",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Copy this built mlopsgen wheel to the spec's ci.mlopsgen.wheel (source: wheel).",
)
@click.option(
    "--no-lock",
    is_flag=True,
    help="Skip `uv lock` (it needs the package index); run `make lock` in the repository later.",
)
def new(
    spec: Path | None,
    output_dir: Path | None,
    force: bool,
    dry_run: bool,
    no_input: bool,
    allow_findings: bool,
    vendor_wheel: Path | None,
    no_lock: bool,
) -> None:
    """Create a repository from SPEC (or from answers to a few questions).

    The spec must pass its own policy packs (policies.packs): findings at or above
    their fail threshold are listed and nothing is written (exit 1), unless
    --allow-findings.
    """
    from mlopsgen.new import create_repository, spec_from_answers  # noqa: PLC0415
    from mlopsgen.spec import read_spec_text  # noqa: PLC0415

    if spec is not None:
        text, filename = read_spec_text(spec), str(spec)
    else:
        text, filename = spec_from_answers(_ask(no_input=no_input)), "mlops.yaml"
    if output_dir is None:
        from mlopsgen.spec import parse_spec  # noqa: PLC0415

        output_dir = Path(parse_spec(text, filename=filename).project.slug.replace("_", "-"))
    result = create_repository(
        text,
        output_dir,
        filename=filename,
        force=force,
        dry_run=dry_run,
        allow_findings=allow_findings,
        vendor_wheel=vendor_wheel,
        lock=not no_lock,
    )
    _warn(result.warnings, result.findings)
    if dry_run:
        for rel in result.files:
            click.echo(str(output_dir / rel))
        click.echo(f"dry run: {len(result.files)} files would be written to {output_dir}", err=True)
    else:
        click.echo(
            f"created {result.spec.project.name!r} in {output_dir} ({len(result.files)} files)"
        )
        first = "make lock && make install" if no_lock else "make install"
        click.echo(f"next: cd {output_dir} && {first} && make all")


def _warn(warnings: Sequence[str], findings: Sequence[Diagnostic]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for finding in findings:
        click.echo(f"warning: {finding.format_finding()}", err=True)


def _ask(*, no_input: bool) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "name": "Spam Filter",
        "description": "Flags spam comments on a blogging platform.",
        "platforms": ["github", "gitlab", "azure"],
        "sample": "spam",
        "target": "webservice",
    }
    if no_input:
        return defaults
    answers = dict(defaults)
    answers["name"] = click.prompt("Project name", default=defaults["name"])
    answers["description"] = click.prompt("Description", default=defaults["description"])
    answers["platforms"] = [
        p.strip()
        for p in click.prompt(
            "CI platforms (comma-separated: github, gitlab, azure)",
            default=",".join(defaults["platforms"]),
        ).split(",")
        if p.strip()
    ]
    answers["sample"] = click.prompt(
        "Sample data set",
        default=defaults["sample"],
        type=click.Choice(["spam", "sensors", "loans"]),
    )
    answers["target"] = click.prompt(
        "Deploy target",
        default=defaults["target"],
        type=click.Choice(["webservice", "batch", "edge", "browser", "none"]),
    )
    return answers


@cli.command()
@click.option(
    "-C",
    "--repo",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path(),
    show_default=True,
    help="Repository root; its mlops.yaml is the spec.",
)
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    type=click.Choice(["github", "gitlab", "azure"]),
    help="Render only this platform (repeatable; default: the spec's ci.platforms).",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of each change.")
@_allow_findings
def render(
    repo: Path, platforms: tuple[str, ...], dry_run: bool, show_diff: bool, allow_findings: bool
) -> None:
    """Re-render the CI pipelines and other managed files of an existing repository.

    Like new, refuses a spec that fails its own policy packs unless --allow-findings.
    """
    from mlopsgen.spec.model import Platform  # noqa: PLC0415
    from mlopsgen.sync import render_repo  # noqa: PLC0415
    from mlopsgen.writer import Action  # noqa: PLC0415

    chosen = [Platform(p) for p in platforms] or None
    result = render_repo(repo, platforms=chosen, dry_run=dry_run, allow_findings=allow_findings)
    _warn(result.warnings, result.findings)
    for change in result.plan.pending():
        click.echo(f"{change.action.value:<7} {change.path}")
        if show_diff:
            click.echo(change.diff(), nl=False)
    counts = {a: sum(1 for c in result.plan.changes if c.action is a) for a in Action}
    verb = "would write" if dry_run else "wrote"
    click.echo(
        f"{verb} {counts[Action.CREATE]} new and {counts[Action.UPDATE]} updated "
        f"file(s); {counts[Action.UNCHANGED]} unchanged",
        err=True,
    )


@cli.command()
@click.argument("repos", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("--no-diff", is_flag=True, help="Name drifted files without their diffs.")
def check(repos: tuple[Path, ...], fmt: str, no_diff: bool) -> None:
    """Check that each repository (default: .) matches a fresh render of its mlops.yaml.

    Exit 1 when a managed file was edited by hand, is out of date with the spec,
    is missing, or is orphaned, or when the spec has findings at or above the fail
    threshold of its own policy packs (waivers apply, as in audit); 2 when the spec
    is invalid or there is no lock.
    """
    import json  # noqa: PLC0415

    from mlopsgen.errors import UserError as _UserError  # noqa: PLC0415
    from mlopsgen.sync import CheckResult  # noqa: PLC0415
    from mlopsgen.sync import check as run_check  # noqa: PLC0415

    targets = list(repos) or [Path()]
    results: list[CheckResult] = []
    errors: dict[Path, str] = {}
    for i, repo in enumerate(targets, 1):
        if len(targets) > 1:
            click.echo(f"[{i}/{len(targets)}] {repo}", err=True)
        try:
            results.append(run_check(repo))
        except SpecError as exc:
            if len(targets) == 1:
                raise
            errors[repo] = f"invalid spec ({len(exc.diagnostics)} problems)"
        except _UserError as exc:
            if len(targets) == 1:
                raise
            errors[repo] = str(exc)
    if fmt == "json":
        doc = [
            {
                "repo": str(r.repo),
                "clean": r.clean,
                "findings": [
                    {
                        "code": d.code,
                        "file": d.location.file,
                        "message": d.message,
                        "hint": d.hint,
                        "diff": r.diffs.get(Path(d.location.file).relative_to(r.repo).as_posix()),
                    }
                    for d in r.findings
                ],
            }
            for r in results
        ]
        doc += [{"repo": str(repo), "clean": False, "error": err} for repo, err in errors.items()]
        click.echo(json.dumps(doc, indent=2))
    else:
        for result in results:
            for diag in result.diagnostics:
                click.echo(diag.format())
                rel = Path(diag.location.file).relative_to(result.repo).as_posix()
                if not no_diff and rel in result.diffs:
                    click.echo(result.diffs[rel], nl=False)
            for diag in result.policy:
                click.echo(diag.format_finding())
        if len(targets) > 1:
            click.echo(f"{'repository':<40} result", err=True)
            for result in results:
                state = "clean" if result.clean else f"{len(result.findings)} finding(s)"
                click.echo(f"{result.repo!s:<40} {state}", err=True)
            for repo, err in errors.items():
                click.echo(f"{repo!s:<40} error: {err}", err=True)
        total = sum(len(r.findings) for r in results)
        click.echo(
            f"check: {len(targets)} repository(ies), {total} finding(s)"
            + (f", {len(errors)} error(s)" if errors else ""),
            err=True,
        )
    if errors and not results:
        raise click.exceptions.Exit(EXIT_USAGE)
    if errors or any(not r.clean for r in results):
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.argument("repos", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of each change.")
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Update even with uncommitted changes (they could be hard to tell apart).",
)
@click.option(
    "--keep-edits",
    "keep",
    multiple=True,
    metavar="FILE",
    help="Keep the hand edits of this managed file, merged with each render.",
)
def update(
    repos: tuple[Path, ...],
    dry_run: bool,
    show_diff: bool,
    allow_dirty: bool,
    keep: tuple[str, ...],
) -> None:
    """Merge today's render of mlops.yaml into each repository (default: .), three ways.

    User edits in seed files and code survive; conflicts get standard markers, are
    listed, and make the exit status 1.
    """
    from mlopsgen.sync import Outcome  # noqa: PLC0415
    from mlopsgen.sync import update as run_update  # noqa: PLC0415

    targets = list(repos) or [Path()]
    conflicts = 0
    rows: list[tuple[Path, str]] = []
    for i, repo in enumerate(targets, 1):
        if len(targets) > 1:
            click.echo(f"[{i}/{len(targets)}] {repo}", err=True)
        result = run_update(repo, dry_run=dry_run, allow_dirty=allow_dirty, keep_edits=keep)
        for rel, outcome in result.outcomes.items():
            note = f"  ({result.notes[rel]})" if rel in result.notes else ""
            click.echo(f"{outcome.value:<8} {repo / rel}{note}")
            if show_diff and rel in result.diffs:
                click.echo(result.diffs[rel], nl=False)
        conflicts += len(result.conflicts)
        changed = sum(1 for o in result.outcomes.values() if o is not Outcome.KEPT)
        rows.append((repo, f"{changed} change(s), {len(result.conflicts)} conflict(s)"))
    if len(targets) > 1:
        click.echo(f"{'repository':<40} result", err=True)
        for repo, text in rows:
            click.echo(f"{repo!s:<40} {text}", err=True)
    verb = "would update" if dry_run else "updated"
    click.echo(f"{verb} {len(targets)} repository(ies); {conflicts} conflict(s)", err=True)
    if conflicts:
        raise click.exceptions.Exit(EXIT_FINDINGS)


@cli.command()
@click.argument("specs", nargs=-1, type=click.Path(path_type=Path))
def validate(specs: tuple[Path, ...]) -> None:
    """Check each SPEC (default: mlops.yaml) against the schema and the semantic rules.

    Every problem of every spec is printed; exit 2 when any spec is invalid. Several
    specs are what the pre-commit hook passes (a repository holds test fixture specs).
    """
    from mlopsgen.spec import load_spec  # noqa: PLC0415

    invalid = 0
    for spec in specs or (Path("mlops.yaml"),):
        try:
            loaded = load_spec(spec)
        except SpecError as exc:
            _report_spec_error(exc)
            invalid += 1
            continue
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            invalid += 1
            continue
        platforms = ", ".join(loaded.ci.platforms)
        click.echo(f"{spec}: valid spec for {loaded.project.name!r} ({platforms})")
    if invalid:
        raise click.exceptions.Exit(EXIT_USAGE)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of mlops.yaml (for editors and other validators)."""
    from mlopsgen.spec import schema_text  # noqa: PLC0415

    click.echo(schema_text(), nl=False)


def _register_policy_commands() -> None:
    from mlopsgen.policy.commands import audit_command, rules_command  # noqa: PLC0415

    cli.add_command(audit_command)
    cli.add_command(rules_command)


_register_policy_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never raises, never calls ``sys.exit``)."""
    try:
        # Without standalone mode, click returns a command's Exit code instead of exiting.
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="mlopsgen",
            standalone_mode=False,
        )
        if isinstance(code, int):
            return code
    except SpecError as exc:
        _report_spec_error(exc)
        return EXIT_USAGE
    except PolicyError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.format_finding(), err=True)
        click.echo(f"error: {exc}", err=True)
        return EXIT_FINDINGS
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception:  # a bug: say so, with what to send us
        click.echo(traceback.format_exc(), err=True)
        click.echo(
            f"mlopsgen {__version__}: internal error; please report it with the traceback above",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
