"""Scheduled pipelines on every platform: monitoring, and batch scoring for target: batch.

Before the batch pipeline existed, ``deploy.batch.schedule`` rendered nothing: no platform
ran the scoring job the spec schedules.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlopsgen.pipeline import BATCH_PIPELINE, MONITOR_PIPELINE, build_pipelines
from mlopsgen.platforms import PLATFORMS
from mlopsgen.platforms.gitlab import SCHEDULE_VAR
from mlopsgen.spec import Spec
from mlopsgen.spec.model import Platform
from tests.platforms.platform_examples import example_spec

SCORE = "make batch-score"


@pytest.fixture
def batch() -> Spec:
    spec = example_spec("loan_batch")
    assert spec.deploy.target == "batch"
    return spec


def _emit(platform: Platform, spec: Spec) -> dict[str, Any]:
    return PLATFORMS[platform].emit(build_pipelines(spec))


def _runs(steps: list[dict[str, Any]]) -> list[str]:
    return [str(s.get("bash", s.get("run", ""))) for s in steps]


def test_github_batch_workflow(batch: Spec) -> None:
    workflow = _emit(Platform.GITHUB, batch)[f".github/workflows/{BATCH_PIPELINE}.yml"]
    assert workflow["on"]["schedule"] == [{"cron": batch.deploy.batch_schedule}]
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (job,) = workflow["jobs"].values()
    runs = [s["run"] for s in job["steps"] if "run" in s]
    # Scores only after the gate passed, with the model just gated.
    assert runs[-2:] == ["make model-gate", SCORE]
    assert runs.index("make train") < runs.index("make evaluate") < runs.index("make model-gate")


def test_gitlab_batch_schedule(batch: Spec) -> None:
    (ci,) = _emit(Platform.GITLAB, batch).values()
    on_batch = f'$CI_PIPELINE_SOURCE == "schedule" && ${SCHEDULE_VAR} == "{BATCH_PIPELINE}"'
    on_monitor = f'$CI_PIPELINE_SOURCE == "schedule" && ${SCHEDULE_VAR} == "{MONITOR_PIPELINE}"'
    rules = {r["if"]: r.get("variables", {}) for r in ci["workflow"]["rules"]}
    assert rules[on_batch]["PIPELINE_SCHEDULE"] == batch.deploy.batch_schedule
    assert rules[on_monitor]["PIPELINE_SCHEDULE"] == batch.monitoring.drift.schedule
    job = ci["batch-score"]
    assert [r["if"] for r in job["rules"]] == [on_batch]
    assert job["script"][-2:] == ["make model-gate", SCORE]
    # Neither scheduled pipeline runs the other's jobs, nor the main pipeline's.
    monitor_job = next(v for k, v in ci.items() if k in {"drift", "retrain-on-drift"})
    assert [r["if"] for r in monitor_job["rules"]] == [on_monitor]
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"', "when": "never"} in ci["train"]["rules"]


def test_gitlab_parses_both_schedules_back(batch: Spec) -> None:
    gitlab = PLATFORMS[Platform.GITLAB]
    pipelines = build_pipelines(batch)
    parsed = gitlab.parse(gitlab.emit(pipelines))
    assert [p.id for p in parsed] == ["ci", MONITOR_PIPELINE, BATCH_PIPELINE]
    assert parsed == gitlab.expressible(pipelines)


def test_azure_batch_pipeline(batch: Spec) -> None:
    pipeline = _emit(Platform.AZURE, batch)[f".azure-pipelines/{BATCH_PIPELINE}.yml"]
    assert pipeline["trigger"] == "none" and pipeline["pr"] == "none"
    (schedule,) = pipeline["schedules"]
    assert schedule["cron"] == batch.deploy.batch_schedule
    assert schedule["branches"] == {"include": [batch.ci.default_branch]}
    (stage,) = pipeline["stages"]
    (job,) = stage["jobs"]
    steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
    assert [r for r in _runs(steps) if r.startswith("make ")][-2:] == ["make model-gate", SCORE]


@pytest.mark.parametrize("name", ["spam_filter", "predictive_maintenance"])
def test_no_batch_pipeline_for_other_targets(name: str) -> None:
    spec = example_spec(name)
    assert spec.deploy.target != "batch"
    assert [p.id for p in build_pipelines(spec)] == ["ci", MONITOR_PIPELINE]


def test_gitlab_reads_a_file_from_before_schedule_variables() -> None:
    """A schedule rule without ``$MLOPSGEN_SCHEDULE`` (files rendered before) is monitoring."""
    gitlab = PLATFORMS[Platform.GITLAB]
    (ci,) = gitlab.emit(build_pipelines(example_spec("spam_filter"))).values()
    old = _without(ci, f' && ${SCHEDULE_VAR} == "{MONITOR_PIPELINE}"')
    assert SCHEDULE_VAR not in repr(old)
    parsed = gitlab.parse({".gitlab-ci.yml": old})
    assert [p.id for p in parsed] == ["ci", MONITOR_PIPELINE]
    assert parsed[1].triggers.schedules[0].cron == "0 3 * * *"


def _without(value: Any, text: str) -> Any:
    """``value`` with ``text`` removed from every string in it."""
    if isinstance(value, str):
        return value.replace(text, "")
    if isinstance(value, dict):
        return {k: _without(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_without(v, text) for v in value]
    return value
