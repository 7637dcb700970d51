"""Reporters: every format, SARIF against the SARIF 2.1.0 schema, JUnit and Code Quality shapes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from mlopsgen.diagnostics import Severity
from mlopsgen.policy import AuditSettings, audit
from mlopsgen.policy.engine import FileReport
from mlopsgen.policy.reporters import REPORTERS, OutputFormat, RunInfo, render
from tests.policy.cases import TODAY

SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text())
INFO = RunInfo(packs=("strict",), fail_on=Severity.MEDIUM)

WORKFLOW = """\
on: pull_request_target
jobs:
  sast:
    runs-on: ubuntu-latest
    continue-on-error: true  # mlopsgen: waive GATE-004 expires=2099-01-01 owner=me reason="demo"
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> list[FileReport]:
    root = tmp_path_factory.mktemp("loose")
    (root / "ci.yml").write_text(WORKFLOW)
    (root / "broken.yml").write_text("jobs: [\n")
    (root / "compose.yml").write_text("services: {db: {image: 'postgres:16'}}\n")
    return list(audit([root], AuditSettings(today=TODAY, packs=("strict",))))


def test_every_format_has_a_reporter() -> None:
    assert set(REPORTERS) == set(OutputFormat)


def test_sarif_validates_against_the_schema(reports: list[FileReport]) -> None:
    doc = json.loads(render(OutputFormat.SARIF, reports, INFO))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    run = doc["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for result in run["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        region = result["locations"][0]["physicalLocation"].get("region")
        assert region is None or region["startLine"] >= 1
    waived = [r for r in run["results"] if r.get("suppressions")]
    assert waived and waived[0]["ruleId"] == "GATE-004"
    assert waived[0]["suppressions"][0]["kind"] == "inSource"


def test_sarif_of_a_clean_run_validates() -> None:
    doc = json.loads(render(OutputFormat.SARIF, [FileReport("a.yml", "pipeline")], INFO))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(doc)
    assert doc["runs"][0]["results"] == []


def test_junit_is_well_formed(reports: list[FileReport]) -> None:
    root = ET.fromstring(render(OutputFormat.JUNIT, reports, INFO))  # noqa: S314  # our own output
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 3
    assert int(root.get("failures", "0")) == sum(int(s.get("failures", "0")) for s in suites) > 0
    assert root.find(".//skipped") is not None  # the waived finding


def test_gitlab_codequality_shape(reports: list[FileReport]) -> None:
    items = json.loads(render(OutputFormat.GITLAB_CODEQUALITY, reports, INFO))
    assert items
    for item in items:
        assert set(item) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert item["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert item["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in items}) == len(items)
    assert "GATE-004" not in {i["check_name"] for i in items}  # waived


def test_json_lists_everything(reports: list[FileReport]) -> None:
    doc = json.loads(render(OutputFormat.JSON, reports, INFO))
    rules = {f["rule"] for f in doc["findings"]}
    assert {"PARSE-001", "PARSE-002", "INJ-001", "TRIG-001", "GATE-004"} <= rules
    waived = [f for f in doc["findings"] if f["waived"]]
    assert waived[0]["waived"]["owner"] == "me"
    assert doc["summary"]["files"] == 3 and doc["summary"]["waived"] == 1
    critical = next(f for f in doc["findings"] if f["rule"] == "INJ-001")
    assert critical["severity"] == "error"  # pull_request_target makes it critical
    assert critical["line"] == 8


def test_text_has_positions_and_summary(reports: list[FileReport]) -> None:
    out = render(OutputFormat.TEXT, reports, INFO)
    assert "ci.yml:8:" in out and "INJ-001" in out
    assert "broken.yml:2:1: high PARSE-001 YAML syntax error" in out
    assert out.rstrip().splitlines()[-1].startswith("audited 3 file(s) with strict")
    assert "GATE-004" not in out
    shown = render(
        OutputFormat.TEXT, reports, RunInfo(("strict",), Severity.MEDIUM, show_waived=True)
    )
    assert "waived high GATE-004" in shown and "waived: me, until 2099-01-01: demo" in shown
