"""Reporters: audit results to text, JSON, SARIF 2.1.0, JUnit XML and GitLab Code Quality.

Findings are data; reporters only format them and return a string (the CLI writes it).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from mlopsgen import __version__
from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Rule
from mlopsgen.policy.engine import FileReport, Result
from mlopsgen.policy.rules import RULES

__all__ = ["REPORTERS", "OutputFormat", "RunInfo", "render"]

_URL = "https://github.com/mlopsgen/mlopsgen/blob/main/docs/rules.md"


class OutputFormat(enum.StrEnum):
    """The formats ``mlopsgen audit --format`` writes."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    GITLAB_CODEQUALITY = "gitlab-codequality"


@dataclass(frozen=True)
class RunInfo:
    """What the run was: the packs, the threshold, and whether to show waived findings."""

    packs: tuple[str, ...]
    fail_on: Severity
    show_waived: bool = False


def _rule_url(rule_id: str) -> str:
    return f"{_URL}#{rule_id.lower()}"


def _fingerprint(result: Result) -> str:
    key = "|".join((result.rule, result.location.file, result.location.json_path, result.message))
    return hashlib.sha256(key.encode()).hexdigest()


def _counts(reports: Sequence[FileReport]) -> dict[str, int]:
    results = [r for f in reports for r in f.results]
    return {
        "files": len(reports),
        "findings": sum(1 for r in results if not r.suppressed),
        "blocking": sum(1 for r in results if r.blocking),
        "waived": sum(1 for r in results if r.suppressed),
        "skipped": sum(len(f.skipped) for f in reports),
    }


def text(reports: Sequence[FileReport], info: RunInfo) -> str:
    """One line per finding, ``file:line:col: severity RULE message``, then a summary."""
    lines = []
    for report in reports:
        for r in report.results:
            if r.suppressed and not info.show_waived:
                continue
            state = "waived " if r.suppressed else ""
            lines.append(f"{r.location}: {state}{r.severity.value} {r.rule} {r.message}")
            if r.note:
                lines.append(f"    note: {r.note}")
            if r.waived_by is not None:
                lines.append(f"    waived: {r.waived_by.describe()}")
            if r.hint:
                lines.append(f"    hint: {r.hint}")
    c = _counts(reports)
    lines.append(
        f"audited {c['files']} file(s) with {'+'.join(info.packs)}: {c['findings']} finding(s), "
        f"{c['blocking']} at or above {info.fail_on.value}, {c['waived']} waived, "
        f"{c['skipped']} rule run(s) skipped"
    )
    return "\n".join(lines) + "\n"


def _result_json(r: Result) -> dict[str, Any]:
    waiver = r.waived_by
    return {
        "rule": r.rule,
        "title": RULES[r.rule].title() if r.rule in RULES else r.rule,
        "severity": r.severity.value,
        "message": r.message,
        "file": r.location.file,
        "line": r.location.line,
        "column": r.location.column,
        "json_path": r.location.json_path,
        "hint": r.hint,
        "note": r.note,
        "blocking": r.blocking,
        "waived": None
        if waiver is None
        else {
            "owner": waiver.owner,
            "reason": waiver.reason,
            "expires": waiver.expires.isoformat(),
            "source": waiver.source,
            "line": waiver.line,
        },
    }


def json_report(reports: Sequence[FileReport], info: RunInfo) -> str:
    """Every finding (waived ones too, marked), every skipped rule, and the counts."""
    doc = {
        "tool": "mlopsgen",
        "version": __version__,
        "packs": list(info.packs),
        "fail_on": info.fail_on.value,
        "summary": _counts(reports),
        "findings": [_result_json(r) for f in reports for r in f.results],
        "skipped": [
            {"file": f.file, "rule": s.rule, "reason": s.reason} for f in reports for s in f.skipped
        ],
        "files": [{"file": f.file, "kind": f.kind, "platform": f.platform} for f in reports],
    }
    return json.dumps(doc, indent=2) + "\n"


_SARIF_LEVEL = {
    Severity.INFO: "note",
    Severity.LOW: "note",
    Severity.MEDIUM: "warning",
    Severity.HIGH: "error",
    Severity.ERROR: "error",
}
#: GitHub code scanning ranks alerts by this (CVSS-like, 0.0 to 10.0).
_SECURITY_SEVERITY = {
    Severity.INFO: "1.0",
    Severity.LOW: "3.0",
    Severity.MEDIUM: "5.5",
    Severity.HIGH: "7.5",
    Severity.ERROR: "9.5",
}


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in rule.title().replace("`", "").split()[:8]),
        "shortDescription": {"text": rule.title()},
        "fullDescription": {
            "text": rule.doc().partition("\n\n")[2].partition("\n\n")[0] or rule.title()
        },
        "help": {"text": rule.doc(), "markdown": rule.doc()},
        "helpUri": _rule_url(rule.id),
        "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", "ci", rule.family().lower()],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }


def sarif(reports: Sequence[FileReport], info: RunInfo) -> str:
    """SARIF 2.1.0 as GitHub code scanning accepts it (waived findings as suppressions)."""
    used = sorted({r.rule for f in reports for r in f.results if r.rule in RULES})
    index = {rule_id: i for i, rule_id in enumerate(used)}
    results = []
    for report in reports:
        for r in report.results:
            location: dict[str, Any] = {
                "artifactLocation": {"uri": r.location.file, "uriBaseId": "%SRCROOT%"}
            }
            if r.location.line:
                location["region"] = {
                    "startLine": r.location.line,
                    "startColumn": r.location.column or 1,
                }
            message = r.message + (f" ({r.note})" if r.note else "")
            if r.hint:
                message += f". Hint: {r.hint}"
            item: dict[str, Any] = {
                "ruleId": r.rule,
                "level": _SARIF_LEVEL[r.severity],
                "message": {"text": message},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"mlopsgen/v1": _fingerprint(r)},
                "properties": {"severity": r.severity.value, "blocking": r.blocking},
            }
            if r.rule in index:
                item["ruleIndex"] = index[r.rule]
            if r.waived_by is not None:
                item["suppressions"] = [
                    {
                        "kind": "inSource" if r.waived_by.scope else "external",
                        "status": "accepted",
                        "justification": r.waived_by.describe(),
                    }
                ]
            results.append(item)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlopsgen",
                        "version": __version__,
                        "informationUri": _URL,
                        "rules": [_sarif_rule(RULES[r]) for r in used],
                    }
                },
                "results": results,
                "properties": {"packs": list(info.packs), "fail_on": info.fail_on.value},
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def junit(reports: Sequence[FileReport], info: RunInfo) -> str:
    """JUnit XML: a test suite per file, a failed test case per finding (GitLab, Azure)."""
    root = ET.Element("testsuites", name="mlopsgen audit")
    total = failures = 0
    for report in reports:
        suite = ET.SubElement(root, "testsuite", name=report.file)
        cases = fails = 0
        for r in report.results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=report.file,
                name=f"{r.rule} line {r.location.line or 0}",
            )
            cases += 1
            if r.suppressed and r.waived_by is not None:
                ET.SubElement(case, "skipped", message=f"waived: {r.waived_by.describe()}")
                continue
            fails += 1
            failure = ET.SubElement(case, "failure", message=r.message, type=r.severity.value)
            failure.text = "\n".join(
                x for x in (str(r.location), r.note or "", f"hint: {r.hint}" if r.hint else "") if x
            )
        if cases == 0:
            ET.SubElement(suite, "testcase", classname=report.file, name="audit")
            cases = 1
        suite.set("tests", str(cases))
        suite.set("failures", str(fails))
        total += cases
        failures += fails
    root.set("tests", str(total))
    root.set("failures", str(failures))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


_CODEQUALITY = {
    Severity.INFO: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.ERROR: "blocker",
}


def gitlab_codequality(reports: Sequence[FileReport], info: RunInfo) -> str:
    """GitLab Code Quality JSON (``artifacts: reports: codequality``); waived findings left out."""
    items = [
        {
            "description": f"{r.rule} {r.message}",
            "check_name": r.rule,
            "fingerprint": _fingerprint(r),
            "severity": _CODEQUALITY[r.severity],
            "location": {"path": r.location.file, "lines": {"begin": r.location.line or 1}},
        }
        for f in reports
        for r in f.results
        if not r.suppressed
    ]
    return json.dumps(items, indent=2) + "\n"


Reporter = Callable[[Sequence[FileReport], RunInfo], str]

#: One reporter per format (a test loops over OutputFormat).
REPORTERS: Mapping[OutputFormat, Reporter] = {
    OutputFormat.TEXT: text,
    OutputFormat.JSON: json_report,
    OutputFormat.SARIF: sarif,
    OutputFormat.JUNIT: junit,
    OutputFormat.GITLAB_CODEQUALITY: gitlab_codequality,
}


def render(fmt: OutputFormat, reports: Sequence[FileReport], info: RunInfo) -> str:
    """Format the reports."""
    return REPORTERS[fmt](reports, info)
