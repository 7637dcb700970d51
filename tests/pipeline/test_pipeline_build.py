"""Spec -> pipeline model: the stages every generated pipeline has, in the right graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from mlopsgen.pipeline import (
    BATCH_PIPELINE,
    INSTALL_COMMANDS,
    MAIN_PIPELINE,
    MAKE_TARGETS,
    MONITOR_PIPELINE,
    Environment,
    JobKind,
    Pipeline,
    Rule,
    SecretProvider,
    SecretStore,
    build_pipelines,
)
from mlopsgen.spec import Spec
from mlopsgen.spec.model import ComputeEngine, DeployTarget

SECURITY = ("sast", "audit-deps", "secrets-scan")


def main_of(spec: Spec) -> Pipeline:
    main, *_ = build_pipelines(spec)
    assert main.id == MAIN_PIPELINE
    return main


def test_every_job_installs_the_lock_then_runs_make_targets(example: Spec) -> None:
    for pipeline in build_pipelines(example):
        for job in pipeline.jobs:
            installs = [c for c in job.commands if c in INSTALL_COMMANDS]
            assert installs == list(INSTALL_COMMANDS)
            assert job.commands.index(INSTALL_COMMANDS[-1]) < len(job.commands) - 1
            for command in job.commands:
                if command in INSTALL_COMMANDS:
                    continue
                word, target = command.split()[:2]
                assert word == "make"
                assert target in MAKE_TARGETS
                assert "echo" not in command


def test_main_pipeline_order_and_graph(example: Spec) -> None:
    main = main_of(example)
    ids = [j.id for j in main.jobs]
    # Engine kubeflow evaluates inside the KFP run that the train job submits.
    local = example.compute.engine is ComputeEngine.LOCAL
    training = ["train", "evaluate"] if local else ["train"]
    assert ids[0] == "mlopsgen-check"
    end = 7 + len(training)
    assert ids[1:end] == ["lint-test", *SECURITY, "data-validate", *training, "model-gate"]
    assert main.job("train").needs == ("data-validate",)
    if local:
        assert main.job("evaluate").needs == ("train",)
    assert main.job("model-gate").needs == (training[-1],)
    assert set(main.job("package").needs) == {"lint-test", "model-gate"}
    for job_id in (*training, "model-gate", "package"):
        assert main.job(job_id).artifacts is not None


def test_kubeflow_trains_through_kfp_and_gates_in_ci(load_example: Callable[[str], Spec]) -> None:
    spec = load_example("spam_kubeflow")
    main = main_of(spec)
    train = main.job("train")
    assert train.commands == (*INSTALL_COMMANDS, "make kfp-compile", "make kfp-run")
    # The job outlives the run it waits for (compute.timeout_minutes), never the reverse.
    assert train.timeout_minutes > spec.compute.timeout_minutes == 45
    assert [s.name for s in train.secrets] == ["KFP_TOKEN"]
    assert train.artifacts is not None and "models/" in train.artifacts.paths
    assert "evaluate" not in [j.id for j in main.jobs]
    gate = main.job("model-gate")
    assert gate.commands[-2:] == ("make model-gate", "make lineage")
    # Engine local is exactly today's pipeline.
    local = replace(spec, compute=replace(spec.compute, engine=ComputeEngine.LOCAL, kubeflow=None))
    assert main_of(local).job("train").commands == (*INSTALL_COMMANDS, "make train")


def test_nothing_is_soft_failed_and_every_job_has_a_timeout(example: Spec) -> None:
    for pipeline in build_pipelines(example):
        for job in pipeline.jobs:
            assert not job.allow_failure
            assert 1 <= job.timeout_minutes <= 90


def test_security_jobs_keep_their_reports(example: Spec) -> None:
    sast = main_of(example).job("sast")
    assert sast.kind is JobKind.SECURITY
    assert sast.artifacts is not None and sast.artifacts.keep_on_failure
    assert sast.commands == (*INSTALL_COMMANDS, "make sast")


def test_the_first_job_checks_the_lock_before_installing_from_it(example: Spec) -> None:
    check = main_of(example).job("mlopsgen-check")
    assert check.commands == (
        *INSTALL_COMMANDS[:-1],
        "make lock-check",
        INSTALL_COMMANDS[-1],
        "make check",
    )


def test_deploys_follow_the_spec(example: Spec) -> None:
    main = main_of(example)
    deploys = [j for j in main.jobs if j.kind is JobKind.DEPLOY]
    assert [d.environment.name for d in deploys if d.environment] == [
        e.name for e in example.deploy.environments
    ]
    previous: tuple[str, ...] = ()
    for job, env in zip(deploys, example.deploy.environments, strict=True):
        assert set(job.needs) >= {*SECURITY, "data-validate", "model-gate", "package"}
        assert job.needs[-len(previous) :] == previous if previous else True
        assert job.environment is not None
        assert job.environment.approval == env.needs_approval
        assert job.environment.url == env.url
        assert job.exclusive
        assert job.caches == ()
        assert job.rule == Rule(
            branch=example.ci.default_branch, tags=example.ci.triggers.tags is not None
        )
        assert job.commands[-1] == f"make deploy ENV={env.name}"
        previous = (job.id,)


def test_only_jobs_that_neither_ship_nor_deploy_restore_the_uv_cache(example: Spec) -> None:
    python = example.project.python.replace(".", "")
    for pipeline in build_pipelines(example):
        for job in pipeline.jobs:
            assert ("UV_CACHE_DIR", ".uv-cache") in job.env
            if job.kind in {JobKind.PACKAGE, JobKind.DEPLOY}:
                assert job.caches == (), job.id
                continue
            (cache,) = job.caches
            assert cache.name == f"uv-py{python}"
            assert cache.key_files == ("uv.lock", "requirements-uv.txt")
            assert cache.path == ".uv-cache/"


def test_no_deploy_without_a_target(example: Spec) -> None:
    spec = replace(example, deploy=replace(example.deploy, target=DeployTarget.NONE))
    assert not [j for j in main_of(spec).jobs if j.kind is JobKind.DEPLOY]


@pytest.mark.parametrize(
    ("target", "extra"),
    [
        (DeployTarget.WEBSERVICE, None),
        (DeployTarget.EDGE, "make export"),
        (DeployTarget.BATCH, None),
    ],
)
def test_package_by_target(example: Spec, target: DeployTarget, extra: str | None) -> None:
    spec = replace(example, deploy=replace(example.deploy, target=target))
    commands = main_of(spec).job("package").commands
    assert "make package" in commands
    for other in ("make image", "make export"):
        assert (other in commands) == (other == extra)
    assert ("make sbom" in commands) == (spec.security.sbom != "none")
    assert ("make model-scan" in commands) == (spec.security.model_scan != "none")
    image = [j for j in main_of(spec).jobs if j.id == "container-image"]
    assert bool(image) == (target is DeployTarget.WEBSERVICE)
    if image:
        assert image[0].commands[-1] == "make image"
        deploys = [j for j in main_of(spec).jobs if j.kind is JobKind.DEPLOY]
        assert all("container-image" in j.needs for j in deploys)


@pytest.mark.parametrize("target", list(DeployTarget))
def test_only_the_browser_package_job_sets_up_node(example: Spec, target: DeployTarget) -> None:
    """The browser bundle: Node for npm ci, then build it and test it in Chromium, then ship."""
    spec = replace(example, deploy=replace(example.deploy, target=target))
    main = main_of(spec)
    package = main.job("package")
    browser = ("make browser-tools", "make browser-bundle", "make browser-test")
    if target is DeployTarget.BROWSER:
        assert package.node == "22"
        at = package.commands.index("make package")
        assert package.commands[at + 1 : at + 4] == browser
        assert "dist/" in (package.artifacts.paths if package.artifacts else ())
        deploys = [j for j in main.jobs if j.kind is JobKind.DEPLOY]
        assert deploys and all("package" in j.needs for j in deploys)
    else:
        assert package.node is None
        assert not set(browser) & set(package.commands)
    assert all(j.node is None for j in main.jobs if j.id != "package")


def test_triggers_follow_the_spec(example: Spec) -> None:
    main = main_of(example)
    triggers = example.ci.triggers
    assert main.triggers.branches == triggers.branches
    assert main.triggers.pull_requests == triggers.pull_requests
    assert main.triggers.tags == ((triggers.tags,) if triggers.tags else ())
    assert main.cancel_superseded == triggers.pull_requests
    assert main.python == example.project.python


def test_monitor_pipeline(example: Spec) -> None:
    _, monitor, *_ = build_pipelines(example)
    drift = example.monitoring.drift
    assert monitor.id == MONITOR_PIPELINE
    assert [s.cron for s in monitor.triggers.schedules] == [drift.schedule]
    assert monitor.triggers.schedules[0].branch == example.ci.default_branch
    assert not (
        monitor.triggers.branches or monitor.triggers.tags or monitor.triggers.pull_requests
    )
    assert len(monitor.jobs) == 1
    (job,) = monitor.jobs
    assert job.id == ("retrain-on-drift" if drift.on_drift == "retrain" else "drift")
    assert job.commands[-1] == "make monitor"
    # The monitor's reports matter most when it fails.
    assert job.artifacts is not None and job.artifacts.keep_on_failure


@pytest.mark.parametrize("target", list(DeployTarget))
def test_batch_pipeline_scores_on_its_schedule(example: Spec, target: DeployTarget) -> None:
    spec = replace(example, deploy=replace(example.deploy, target=target))
    scheduled = [p for p in build_pipelines(spec) if p.id == BATCH_PIPELINE]
    assert bool(scheduled) == (target is DeployTarget.BATCH)
    if not scheduled:
        return
    (batch,) = scheduled
    assert [(s.cron, s.branch) for s in batch.triggers.schedules] == [
        (spec.deploy.batch_schedule, spec.ci.default_branch)
    ]
    assert not (batch.triggers.branches or batch.triggers.tags or batch.triggers.pull_requests)
    (job,) = batch.jobs
    # The model is trained, evaluated and gated in the same job; it scores only if it passed.
    assert job.commands == (
        *INSTALL_COMMANDS,
        *(("make data-pull",) if spec.data.dvc else ()),
        "make data-validate",
        "make train",
        "make evaluate",
        "make model-gate",
        "make batch-score",
    )
    assert job.artifacts is not None and "reports/" in job.artifacts.paths


def test_secrets_reach_only_their_stages(load_example: Callable[[str], Spec]) -> None:
    main, monitor, *_ = build_pipelines(load_example("spam_filter"))
    assert main.job("train").secret_names == ("MLFLOW_TRACKING_TOKEN",)
    assert main.job("train").secrets[0].ref == "secret/data/ml#token"
    assert monitor.job("retrain-on-drift").secret_names == ("MLFLOW_TRACKING_TOKEN",)
    assert main.job("deploy-production").secret_names == ("DEPLOY_TOKEN",)
    assert main.job("deploy-staging").secrets == ()
    others = [j for j in main.jobs if j.id not in {"train", "deploy-production"}]
    assert all(not j.secrets and j.store is None for j in others)
    # Vault through OIDC: the jobs that read a secret log in with a token, and only they;
    # no job's commands need one (no cloud deploy).
    assert [j.id for j in main.jobs if j.store and j.store.token_login] == [
        "train",
        "deploy-production",
    ]
    assert not any(j.oidc for j in main.jobs)
    store = main.job("train").store
    assert store == SecretStore(
        provider=SecretProvider.VAULT,
        settings=(("audience", "vault"), ("role", "ml-ci"), ("url", "https://vault.example.com")),
    )
    # A job that reads secrets and does not deploy is bound to the stage's environment.
    assert main.job("train").environment == Environment(name="secrets-train", deployment=False)
    assert monitor.job("retrain-on-drift").environment == main.job("train").environment
    assert main.job("deploy-production").environment.deployment  # type: ignore[union-attr]


def test_cloud_deploys_get_an_id_token(load_example: Callable[[str], Spec]) -> None:
    main, *_ = build_pipelines(load_example("loan_batch"))
    assert main.job("deploy-prod").oidc
    assert main.job("package").secret_names == ("REGISTRY_TOKEN",)
    assert main.job("deploy-prod").secret_names == ("SCORING_DB_PASSWORD",)


def test_build_is_deterministic(example: Spec) -> None:
    assert build_pipelines(example) == build_pipelines(example)
    assert hash(build_pipelines(example)) == hash(build_pipelines(example))
