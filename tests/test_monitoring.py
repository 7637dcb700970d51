"""monitoring.slo: Prometheus rules checked and unit-tested by promtool, the Grafana dashboard.

promtool comes from Debian's ``prometheus`` package (``.ci/run`` installs it). These tests
never skip without it: they fail and say how to install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mlopsgen import scaffold, yamlio
from mlopsgen.errors import SpecError
from mlopsgen.monitoring import (
    DASHBOARD_PATH,
    RULES_PATH,
    RULES_TEST_PATH,
    alert_names,
    monitoring_files,
    rule_groups,
    rule_tests,
)
from mlopsgen.render import render_managed
from mlopsgen.spec import load_spec, parse_spec
from mlopsgen.sync import managed_tree
from tests.repo_paths import EXAMPLES, ROOT

SPAM = ROOT / "examples" / "spam-filter.yaml"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool not found on PATH: these tests need it. Install Debian's prometheus "
            "package (apt-get install -y prometheus), as .ci/run does"
        )
    return found


def _promtool_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def _write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root / RULES_PATH


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_promtool_checks_and_unit_tests_the_rules_of_every_example(
    example: Path, tmp_path: Path
) -> None:
    files = {rel: f.content for rel, f in managed_tree(render_managed(load_spec(example))).items()}
    assert {RULES_PATH, RULES_TEST_PATH, DASHBOARD_PATH} <= set(files), example.name
    rules = _write(files, tmp_path)
    checked = _promtool_run("check", "rules", rules.name, cwd=rules.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    tested = _promtool_run("test", "rules", Path(RULES_TEST_PATH).name, cwd=rules.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_each_slo_has_a_breaching_group_that_expects_its_alerts() -> None:
    slo = load_spec(SPAM).monitoring.slo
    assert slo is not None
    tests = rule_tests(slo)["tests"]
    expected = {
        case["alertname"]
        for group in tests[:-1]
        for case in group["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert (
        expected
        == set(alert_names(slo))
        == {
            "SLOAvailabilityBurnRateFast",
            "SLOAvailabilityBurnRateSlow",
            "SLOErrorRateBurnRateFast",
            "SLOErrorRateBurnRateSlow",
            "SLOLatencyP95High",
            "SLOLatencyP99High",
            "SLODriftScoreHigh",
            "SLOLiveMetricLow",
        }
    )
    clean = tests[-1]["alert_rule_test"]
    assert {c["alertname"] for c in clean} == expected
    assert all(c["exp_alerts"] == [] for c in clean)


def test_looser_rules_fail_the_tests_of_stricter_objectives(tmp_path: Path) -> None:
    """The promtool tests can fail: rules whose bounds the breaching series do not cross."""
    text = SPAM.read_text(encoding="utf-8")
    strict = parse_spec(text)
    loose = parse_spec(
        text.replace("target: 0.995", "target: 0.95")
        .replace("p99_ms: 800", "p99_ms: 60000")
        .replace("f1: {min: 0.8}", "f1: {min: 0.01}")
    )
    assert strict.monitoring.slo is not None and loose.monitoring.slo is not None
    folder = tmp_path / "prom"
    folder.mkdir()
    (folder / "rules.yml").write_text(yamlio.dump(rule_groups(loose.monitoring.slo)))
    (folder / "rules.test.yml").write_text(yamlio.dump(rule_tests(strict.monitoring.slo)))
    tested = _promtool_run("test", "rules", "rules.test.yml", cwd=folder)
    assert tested.returncode != 0, tested.stdout
    for alert in ("SLOAvailabilityBurnRateFast", "SLOLatencyP99High", "SLOLiveMetricLow"):
        assert f"alertname: {alert}" in tested.stdout + tested.stderr


# Series written here by hand (not by the generator), as the service and the monitor
# export them: 10 % of /predict answered 500, every request between 1 and 2.5 s, feature
# `text_length` drifted to 0.6 and a live f1 of 0.5.
_HAND_WRITTEN = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: http_requests_total{job="spam_filter",handler="/predict",method="POST",status="200"}
        values: '0+90x90'
      - series: http_requests_total{job="spam_filter",handler="/predict",method="POST",status="500"}
        values: '0+10x90'
      - series: http_requests_total{job="spam_filter",handler="/health",method="GET",status="200"}
        values: '0+1000x90'
      - series: http_request_duration_seconds_bucket{job="spam_filter",handler="/predict",le="0.1"}
        values: '0+0x90'
      - series: http_request_duration_seconds_bucket{job="spam_filter",handler="/predict",le="1"}
        values: '0+0x90'
      - series: http_request_duration_seconds_bucket{job="spam_filter",handler="/predict",le="2.5"}
        values: '0+100x90'
      - series: http_request_duration_seconds_bucket{job="spam_filter",handler="/predict",le="+Inf"}
        values: '0+100x90'
      - series: model_drift_score{job="spam_filter",feature="text_length"}
        values: '0.6+0x90'
      - series: model_live_metric{job="spam_filter",metric="f1"}
        values: '0.5+0x90'
      - series: model_live_metric{job="spam_filter",metric="accuracy"}
        values: '0.97+0x90'
"""


def test_hand_written_breaching_series_fire_the_alerts(tmp_path: Path) -> None:
    slo = load_spec(SPAM).monitoring.slo
    assert slo is not None
    (tmp_path / "rules.yml").write_text(yamlio.dump(rule_groups(slo)))
    (tmp_path / "t.yml").write_text(_HAND_WRITTEN)
    # Each alert alone: a test group that expects no alert fails when it fires.
    fired = {}
    for name in alert_names(slo):
        doc = yamlio.load(_HAND_WRITTEN, filename="t.yml").data
        doc["tests"][0]["alert_rule_test"] = [
            {"eval_time": "90m", "alertname": name, "exp_alerts": []}
        ]
        (tmp_path / "t.yml").write_text(yamlio.dump(doc))
        result = _promtool_run("test", "rules", "t.yml", cwd=tmp_path)
        fired[name] = result.returncode != 0
        if fired[name]:
            assert f"alertname: {name}" in result.stdout + result.stderr
    # 10 % of errors burns the 0.5 % availability budget 20 times over (past 14.4 and 6),
    # the 2 % error-rate budget only 5 times (below 6): no error-rate alert. The /health
    # probes are not counted; with them the share would be 1 %.
    assert fired == {
        "SLOAvailabilityBurnRateFast": True,
        "SLOAvailabilityBurnRateSlow": True,
        "SLOErrorRateBurnRateFast": False,
        "SLOErrorRateBurnRateSlow": False,
        "SLOLatencyP95High": True,
        "SLOLatencyP99High": True,
        "SLODriftScoreHigh": True,
        "SLOLiveMetricLow": True,
    }


def test_dashboard_is_grafana_json_with_a_panel_per_slo_and_valid_promql(tmp_path: Path) -> None:
    spec = load_spec(SPAM)
    board = json.loads(monitoring_files(spec)[DASHBOARD_PATH])
    panels = board["panels"]
    assert [p["title"] for p in panels] == [
        "Availability",
        "Error rate",
        "Latency p95",
        "Latency p99",
        "Drift score",
        "Live metrics",
    ]
    assert len({p["id"] for p in panels}) == len(panels)
    assert board["uid"] and len(board["uid"]) <= 40 and board["schemaVersion"] >= 36
    for p in panels:
        assert set(p["gridPos"]) == {"h", "w", "x", "y"} and p["type"] == "timeseries"
        assert p["targets"] and all(t["expr"] and t["refId"] for t in p["targets"])
    # Every panel query parses as PromQL: promtool checks them as recording rules.
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    rules = {
        "groups": [
            {
                "name": "panels",
                "rules": [{"record": f"panel:{i}", "expr": e} for i, e in enumerate(exprs)],
            }
        ]
    }
    (tmp_path / "panels.yml").write_text(yamlio.dump(rules))
    checked = _promtool_run("check", "rules", "panels.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_no_slo_section_renders_no_monitoring_files() -> None:
    text = SPAM.read_text(encoding="utf-8")
    start = text.index("  slo:\n")
    end = text.index("policies:")
    spec = parse_spec(text[:start] + text[end:])
    assert spec.monitoring.slo is None
    assert not any(rel.startswith("monitoring/") for rel in render_managed(spec).files)


def test_batch_target_gets_drift_and_live_metric_rules_only() -> None:
    spec = load_spec(ROOT / "examples" / "loan-risk-batch.yaml")
    assert spec.monitoring.slo is not None
    assert alert_names(spec.monitoring.slo) == ("SLODriftScoreHigh", "SLOLiveMetricLow")


def test_service_slos_on_a_batch_target_are_a_positioned_error() -> None:
    text = (ROOT / "examples" / "loan-risk-batch.yaml").read_text(encoding="utf-8")
    bad = text.replace("  slo:\n", "  slo:\n    latency: {p99_ms: 500}\n")
    with pytest.raises(SpecError) as caught:
        parse_spec(bad, filename="mlops.yaml")
    (diag,) = caught.value.diagnostics
    assert diag.location.json_path == "monitoring.slo.latency"
    assert diag.location.line == bad.splitlines().index("    latency: {p99_ms: 500}") + 1
    assert "deploy.target is 'batch'" in diag.message and diag.hint


def test_makefile_slo_check_runs_promtool_or_fails_clearly(tmp_path: Path) -> None:
    text = SPAM.read_text(encoding="utf-8")
    spec = parse_spec(text)
    project = scaffold.render_scaffold(spec, text, tmp_path)
    _write(monitoring_files(spec), project)
    ok = subprocess.run(
        ["make", "slo-check", f"PROMTOOL={_promtool()}"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "SUCCESS" in ok.stdout
    missing = subprocess.run(
        ["make", "slo-check", "PROMTOOL=/nonexistent/promtool"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode != 0
    assert "slo-check FAILED: promtool not found" in missing.stderr
    assert "apt-get install prometheus" in missing.stderr
