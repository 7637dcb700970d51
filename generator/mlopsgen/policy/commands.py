"""The ``audit`` and ``rules`` commands (click objects; cli.py registers them).

Thin adapters: parse flags into settings, call the library, pick a reporter, map the
result to an exit code (0 clean, 1 findings at or above the threshold, 2 bad input).
"""

from __future__ import annotations

import datetime as dt
import difflib
import sys
from pathlib import Path

import click

from mlopsgen.diagnostics import Severity

__all__ = ["audit_command", "rules_command"]

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


def _check_patterns(option: str, patterns: tuple[str, ...]) -> None:
    from mlopsgen.policy.base import matches  # noqa: PLC0415
    from mlopsgen.policy.rules import RULES  # noqa: PLC0415

    for pattern in patterns:
        if not any(matches(r, [pattern]) for r in RULES):
            close = difflib.get_close_matches(pattern, list(RULES), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise click.UsageError(f"{option} {pattern!r} matches no rule{hint}")


@click.command("audit")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "junit", "gitlab-codequality"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here."
)
@click.option(
    "--policy",
    "packs",
    multiple=True,
    help="Policy pack: a built-in name or a YAML file (repeatable). "
    "Default: each repository's policies.packs, else baseline.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    help="Exit 1 on findings at or above this severity (default: the packs' fail_on).",
)
@click.option("--select", multiple=True, help="Run only these rules (ids or prefixes).")
@click.option("--ignore", multiple=True, help="Skip these rules (ids or prefixes).")
@click.option(
    "--platform",
    type=click.Choice(["github", "gitlab", "azure"]),
    help="Audit every pipeline file as this platform instead of detecting it.",
)
@click.option("--show-waived", is_flag=True, help="List waived findings in text output.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge waiver expiry on this date (default: today).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress on stderr (default: when stderr is a terminal).",
)
@click.pass_context
def audit_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    packs: tuple[str, ...],
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    platform: str | None,
    show_waived: bool,
    as_of: dt.datetime | None,
    progress: bool | None,
) -> None:
    """Audit pipeline files, repositories or folders of repositories against policy packs.

    PATHS may be pipeline files (.github/workflows/*.yml, .gitlab-ci.yml,
    azure-pipelines.yml and templates), mlops.yaml specs, repositories, or folders
    holding many repositories. Exit status: 0 clean, 1 findings at or above the fail
    threshold, 2 bad input (a missing path, an invalid pack, an unknown rule).
    """
    from mlopsgen.policy.engine import AuditSettings, audit  # noqa: PLC0415
    from mlopsgen.policy.packs import load_policy  # noqa: PLC0415
    from mlopsgen.policy.reporters import OutputFormat, RunInfo, render  # noqa: PLC0415
    from mlopsgen.spec.model import Platform  # noqa: PLC0415

    _check_patterns("--select", select)
    _check_patterns("--ignore", ignore)
    settings = AuditSettings(
        today=as_of.date() if as_of else dt.date.today(),
        platform=Platform(platform) if platform else None,
        select=select,
        ignore=ignore,
        fail_on=Severity(fail_on) if fail_on else None,
        packs=packs or None,
    )
    if packs:
        load_policy(packs)  # bad packs are bad input: fail before reading any file
    show = progress if progress is not None else sys.stderr.isatty()
    count = 0

    def on_file(file: str) -> None:
        nonlocal count
        count += 1
        if show:
            click.echo(f"\r\x1b[Kaudit: {count} file(s): {file[-60:]}", err=True, nl=False)

    reports = list(audit(list(paths), settings, on_file=on_file))
    if show and count:
        click.echo("\r\x1b[K", err=True, nl=False)
    if packs:
        policy_fail_on = load_policy(packs).fail_on
        shown: tuple[str, ...] = packs
    else:
        policy_fail_on, shown = Severity.HIGH, ("each repository's packs (default baseline)",)
    info = RunInfo(packs=shown, fail_on=settings.fail_on or policy_fail_on, show_waived=show_waived)
    text = render(OutputFormat(fmt), reports, info)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    blocking = any(r.blocking for report in reports for r in report.results)
    ctx.exit(EXIT_FINDINGS if blocking else EXIT_CLEAN)


@click.command("rules")
@click.argument("rule_id", required=False)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text: a table (or one rule explained); markdown: docs/rules.md; json: for tools.",
)
def rules_command(rule_id: str | None, fmt: str) -> None:
    """List the rules, or explain RULE_ID (an id, or a prefix such as GATE)."""
    from mlopsgen.policy import docs  # noqa: PLC0415
    from mlopsgen.policy.base import matches  # noqa: PLC0415
    from mlopsgen.policy.rules import RULES  # noqa: PLC0415

    if fmt == "markdown":
        click.echo(docs.rules_markdown(), nl=False)
        return
    chosen = list(RULES.values())
    if rule_id:
        rule_id = rule_id.upper()
        chosen = [r for r in chosen if matches(r.id, [rule_id])]
        if not chosen:
            close = difflib.get_close_matches(rule_id, list(RULES), 1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise click.UsageError(f"no rule {rule_id}{hint}")
    if fmt == "json":
        click.echo(docs.rules_json(chosen), nl=False)
    elif len(chosen) == 1 and rule_id == chosen[0].id:
        click.echo(docs.explain(chosen[0]), nl=False)
    else:
        click.echo(docs.rules_table(chosen), nl=False)
