"""The neutral model refuses what no platform can express, and stays hashable."""

from __future__ import annotations

import pytest

from mlopsgen.pipeline import (
    Artifacts,
    Cache,
    Environment,
    Job,
    JobKind,
    Pipeline,
    Rule,
    Schedule,
    Triggers,
)


def job(
    job_id: str = "a",
    *,
    commands: tuple[str, ...] = ("make test",),
    needs: tuple[str, ...] = (),
    env: tuple[tuple[str, str], ...] = (),
    environment: Environment | None = None,
) -> Job:
    return Job(
        id=job_id,
        kind=JobKind.TEST,
        commands=commands,
        needs=needs,
        env=env,
        environment=environment,
    )


def test_values_are_hashable_and_compare_by_value() -> None:
    a = Pipeline(
        id="ci",
        name="x",
        python="3.11",
        triggers=Triggers(branches=("main",)),
        jobs=(job("a"), job("b", needs=("a",))),
    )
    b = Pipeline(
        id="ci",
        name="x",
        python="3.11",
        triggers=Triggers(branches=("main",)),
        jobs=(job("a"), job("b", needs=("a",))),
    )
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_name_and_stage_derive_from_kind() -> None:
    j = Job(id="deploy-prod", kind=JobKind.DEPLOY, commands=("make deploy ENV=prod",))
    assert j.name == "deploy: deploy-prod"
    assert j.stage == "deploy"


@pytest.mark.parametrize("bad", ["A", "a_b", "-a", "a-", "", "a--b"])
def test_ids_are_lower_kebab(bad: str) -> None:
    with pytest.raises(ValueError, match="job id"):
        job(bad)


def test_needs_must_come_first() -> None:
    with pytest.raises(ValueError, match="must come before"):
        Pipeline(
            id="ci",
            name="x",
            python="3.11",
            triggers=Triggers(),
            jobs=(job("b", needs=("a",)), job("a")),
        )


def test_duplicate_job_ids() -> None:
    with pytest.raises(ValueError, match="duplicate job id"):
        Pipeline(id="ci", name="x", python="3.11", triggers=Triggers(), jobs=(job(), job()))


def test_cancel_superseded_needs_pull_requests() -> None:
    with pytest.raises(ValueError, match="pull-request"):
        Pipeline(
            id="ci",
            name="x",
            python="3.11",
            triggers=Triggers(branches=("main",)),
            jobs=(job(),),
            cancel_superseded=True,
        )


@pytest.mark.parametrize("path", ["reports", "/abs/", "../up/", "a/../b/"])
def test_artifacts_are_relative_directories(path: str) -> None:
    with pytest.raises(ValueError, match="artifact path"):
        Artifacts(paths=(path,))


def test_artifact_limits() -> None:
    with pytest.raises(ValueError, match="90 days"):
        Artifacts(paths=("reports/",), expire_days=91)
    with pytest.raises(ValueError, match="at least one"):
        Artifacts(paths=())


def test_cache_key_files_limit() -> None:
    with pytest.raises(ValueError, match="one or two"):
        Cache(name="pip", key_files=("a", "b", "c"), path=".cache/pip/")


def test_commands_are_single_lines() -> None:
    with pytest.raises(ValueError, match="one non-empty line"):
        job(commands=("make a\nmake b",))
    with pytest.raises(ValueError, match="runs no command"):
        job(commands=())


def test_env_is_sorted() -> None:
    with pytest.raises(ValueError, match="sorted"):
        job(env=(("B", "1"), ("A", "2")))


def test_rule_branch_is_not_a_glob() -> None:
    assert Rule().always
    assert not Rule(branch="main", tags=True).always
    with pytest.raises(ValueError, match="not a glob"):
        Rule(branch="release/*")


def test_trigger_patterns() -> None:
    with pytest.raises(ValueError, match="pattern"):
        Triggers(tags=("v 1",))
    assert Triggers(schedules=(Schedule("0 3 * * *"),)).schedules[0].branch is None


def test_job_lookup() -> None:
    p = Pipeline(
        id="ci",
        name="x",
        python="3.11",
        triggers=Triggers(),
        jobs=(job("a", environment=Environment("prod")),),
    )
    assert p.job("a").environment == Environment("prod")
    with pytest.raises(KeyError):
        p.job("nope")
