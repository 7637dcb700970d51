"""Audit the locked dependencies with pip-audit --strict and gate on its JSON report.

Exports the locked set, every package of uv.lock with its hashes, to
reports/requirements-audit.txt (``uv export --frozen --all-extras --no-emit-project``: the
local package is not on PyPI to be looked up, and what `make check` installs beside the
lock is not the project's), runs pip-audit --strict over it with
``--format json --output reports/pip-audit.json`` (its log: reports/pip-audit.log),
then fails on every dependency with a known vulnerability or that was not audited.
pip-audit needs a vulnerability service (PyPI or OSV) on the network.
Exit status: 0 no known vulnerabilities, 1 vulnerable, unaudited or pip-audit failed,
2 usage or setup error.
"""

from __future__ import annotations

import json
import re
import subprocess  # nosec B404  # runs uv and pip-audit of this interpreter, see run()
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import TaskError, load_settings, task_parser

REQUIREMENTS = "requirements-audit.txt"
JSON_REPORT = "pip-audit.json"
LOG = "pip-audit.log"
TIMEOUT_SECONDS = 900
_LOG_PREFIX = re.compile(r"^(ERROR|WARNING|INFO):[\w.]+:")


@dataclass(frozen=True)
class AuditResult:
    """pip-audit's exit status and log, the gate's problems, and how many packages it audited."""

    status: int
    problems: list[str]
    log: str
    audited: int = 0


def gate(report: Any) -> list[str]:
    """The problems in a parsed pip-audit JSON report, one sentence each; [] when it is clean.

    A dependency with vulnerabilities names its version, the vulnerability ids (and
    aliases) and the fixed versions; a skipped dependency could not be audited, which
    fails as pip-audit --strict does; a report that audited nothing fails too.
    """
    dependencies = report.get("dependencies") if isinstance(report, Mapping) else None
    if not isinstance(dependencies, list):
        return ["the pip-audit report has no 'dependencies' list"]
    if not dependencies:
        return ["pip-audit audited no dependencies"]
    problems = []
    for dependency in dependencies:
        name = dependency.get("name", "?")
        if "skip_reason" in dependency:
            problems.append(f"{name}: could not be audited: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns") or []:
            ids = [vuln.get("id", "?"), *(vuln.get("aliases") or [])]
            fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
            problems.append(
                f"{name} {dependency.get('version', '?')}: {', '.join(ids)} (fix versions: {fixes})"
            )
    return problems


def last_error_line(log: str) -> str:
    """The last error pip-audit logged (not its closing network tip), without the logger prefix."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR:")]
    errors = [e for e in errors if not _LOG_PREFIX.sub("", e).startswith("Tip:")] or errors
    chosen = (errors or lines or ["no output"])[-1]
    return _LOG_PREFIX.sub("", chosen).strip()


def export_command(requirements: Path) -> list[str]:
    """uv export of the whole lock (every extra), with hashes, without the project itself."""
    return [
        sys.executable,
        "-m",
        "uv",
        "export",
        "--frozen",
        "--format",
        "requirements-txt",
        "--all-extras",
        "--no-emit-project",
        "--quiet",
        "--output-file",
        str(requirements),
    ]


def pip_audit_command(requirements: Path, output: Path) -> list[str]:
    """pip-audit --strict over hashed requirements, without resolving or installing them."""
    return [
        sys.executable,
        "-m",
        "pip_audit",
        "--strict",
        "--require-hashes",
        "--no-deps",
        "--disable-pip",
        "--requirement",
        str(requirements),
        "--format",
        "json",
        "--desc",
        "on",
        "--aliases",
        "on",
        "--output",
        str(output),
        "--progress-spinner",
        "off",
    ]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run one command of this interpreter; capture its output."""
    # Safe: a fixed argument list starting with sys.executable; no shell, no user input.
    return subprocess.run(  # noqa: S603  # nosec B603
        command, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS
    )


def audit(reports: Path) -> AuditResult:
    """Export the locked requirements, run pip-audit over them and gate on its JSON report."""
    reports.mkdir(parents=True, exist_ok=True)
    requirements, output = reports / REQUIREMENTS, reports / JSON_REPORT
    requirements.unlink(missing_ok=True)
    exported = run(export_command(requirements))
    if exported.returncode != 0 or not requirements.is_file():
        raise TaskError(
            f"uv export of uv.lock failed (run `make install` first): "
            f"{last_error_line(exported.stderr)}"
        )
    output.unlink(missing_ok=True)  # never gate on the report of an earlier run
    try:
        result = run(pip_audit_command(requirements, output))
        status, log = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired:
        status, log = 1, f"ERROR:timeout: pip-audit ran longer than {TIMEOUT_SECONDS} s"
    (reports / LOG).write_text(log, encoding="utf-8")
    try:
        document = json.loads(output.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    if document is None or (status != 0 and not gate(document)):
        return AuditResult(status or 1, [], log)
    audited = document.get("dependencies") if isinstance(document, dict) else None
    return AuditResult(status, gate(document), log, len(audited or []))


def main(argv: list[str] | None = None) -> int:
    """Audit the dependencies; write reports/pip-audit.json."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        result = audit(settings.reports_dir)
    except (TaskError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = settings.display(settings.report(JSON_REPORT))
    if result.status != 0 and not result.problems:
        print(
            "dependency audit FAILED: pip-audit --strict could not audit the dependencies "
            f"(no vulnerability service reachable, or a package it cannot look up?): "
            f"{last_error_line(result.log)}",
            file=sys.stderr,
        )
        return 1
    for problem in result.problems:
        print(f"dependency audit FAILED: {problem}", file=sys.stderr)
    if result.problems:
        count = len(result.problems)
        print(f"dependency audit FAILED: {count} problem(s) -> {report}", file=sys.stderr)
        return 1
    print(
        f"dependency audit passed: {result.audited} packages, no known vulnerabilities -> {report}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
