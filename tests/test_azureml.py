"""Issue 14, Azure Machine Learning: compute.engine azureml trains on an Azure ML cluster.

The pipeline job, its command components and its environment load with azure-ai-ml's own
offline loaders (no workspace); the CI train stage logs in through OIDC before
``make aml-train`` on every platform; ``make aml-train`` fails loudly without ``az`` or
when ``az`` fails; bad compute settings exit 2 with file:line:column.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlopsgen import yamlio
from mlopsgen.azureml import COMPONENTS, ENVIRONMENT_PATH, PIPELINE_PATH, component_path
from mlopsgen.errors import SpecError
from mlopsgen.pipeline import build_pipelines
from mlopsgen.pipeline.build import REMOTE_JOB_MARGIN
from mlopsgen.platforms import azure, github, gitlab
from mlopsgen.render import render_managed
from mlopsgen.scaffold import render_scaffold
from mlopsgen.spec import load_spec, parse_spec
from tests.platforms.test_platforms_cloud_login import _jobs, _scripts
from tests.repo_paths import ROOT, CliResult

EXAMPLE = ROOT / "examples" / "credit-scoring-azureml.yaml"
LOGIN = {
    "github": "uses azure/login cloud-login",
    "gitlab": "az login --service-principal",
    "azure": "az account show",  # the AzureCLI@2 task on the service connection
}


@pytest.fixture(scope="module")
def aml_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's managed Azure ML files beside a data/ folder (the job's input)."""
    root = tmp_path_factory.mktemp("aml")
    for rel, text in render_managed(load_spec(EXAMPLE)).files.items():
        if rel.startswith("azureml/"):
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def aml() -> Any:
    """azure.ai.ml (a dev dependency: its absence fails the import, never skips)."""
    import azure.ai.ml

    return azure.ai.ml


#: The SDK warns on its own use of marshmallow and on its experimental classes.
sdk_warnings = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning"
)


def test_every_azureml_file_is_rendered_and_nothing_else_without_the_engine() -> None:
    files = render_managed(load_spec(EXAMPLE)).files
    expected = {PIPELINE_PATH, ENVIRONMENT_PATH, *(component_path(t) for t, _, _ in COMPONENTS)}
    assert {rel for rel in files if rel.startswith("azureml/")} == expected
    local = render_managed(load_spec(ROOT / "examples" / "spam-filter.yaml")).files
    assert not any(rel.startswith("azureml/") for rel in local)


@sdk_warnings
def test_the_pipeline_job_loads_offline_and_runs_the_tasks_on_the_cluster(
    aml_repo: Path, aml: Any
) -> None:
    job = aml.load_job(aml_repo / PIPELINE_PATH)
    assert job._validate().passed
    assert job.settings.default_compute == "cpu-cluster"
    assert list(job.jobs) == ["validate", "train", "evaluate", "gate"]
    assert job.inputs["data"]._data.type == "uri_folder"
    for task, inputs, outputs in COMPONENTS:
        step = job.jobs[task]
        assert f"python -m credit_scoring.{task}" in step.component.command
        assert set(step.inputs) == set(inputs)
        assert set(step.outputs) == set(outputs)
    # The gate reads what evaluate wrote; evaluate scores what train wrote.
    assert str(job.jobs["gate"].inputs["reports"]._data) == (
        "${{parent.jobs.evaluate.outputs.reports}}"
    )
    assert str(job.jobs["evaluate"].inputs["model"]._data) == (
        "${{parent.jobs.train.outputs.model}}"
    )
    # make aml-train downloads these named outputs.
    assert {"model_train", "reports_evaluate"} <= set(job.outputs)


@sdk_warnings
@pytest.mark.parametrize("task", [t for t, _, _ in COMPONENTS])
def test_each_component_loads_offline(aml_repo: Path, aml: Any, task: str) -> None:
    comp = aml.load_component(aml_repo / component_path(task))
    assert comp._validate().passed
    assert comp.name == f"credit_scoring_{task}"
    # The same hash-checked install as every CI job, then the project's own task.
    assert "--require-hashes -r requirements-uv.txt" in comp.command
    assert "uv sync --locked" in comp.command
    assert all(i.type == "uri_folder" for i in comp.inputs.values())
    assert all(o.type == "uri_folder" for o in comp.outputs.values())


@sdk_warnings
def test_the_environment_loads_offline(aml_repo: Path, aml: Any) -> None:
    env = aml.load_environment(aml_repo / ENVIRONMENT_PATH)
    assert env.image == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20240709.v1"


@sdk_warnings
def test_the_loaders_reject_a_broken_component(aml_repo: Path, aml: Any, tmp_path: Path) -> None:
    """The offline check can fail: a component name Azure ML refuses does not load."""
    path = aml_repo / component_path("train")
    doc = dict(yamlio.load(path.read_text(encoding="utf-8"), filename=str(path)).data)
    doc["name"] = "credit-scoring-train"
    bad = tmp_path / "train.yml"
    bad.write_text(yamlio.dump(doc), encoding="utf-8")
    with pytest.raises(Exception, match="Component name should only contain"):
        aml.load_component(bad)


@pytest.mark.parametrize("platform", ["github", "gitlab", "azure"])
@pytest.mark.parametrize(
    ("job", "target"), [("train", "aml-train"), ("register-model", "aml-register")]
)
def test_az_ml_runs_after_the_oidc_login_on_every_platform(
    platform: str, job: str, target: str
) -> None:
    module = {"github": github, "gitlab": gitlab, "azure": azure}[platform]
    files = module.emit((build_pipelines(load_spec(EXAMPLE))[0],))
    scripts = _scripts(platform, _jobs(platform, files)[job])
    login = next(i for i, s in enumerate(scripts) if LOGIN[platform] in s)
    run = next(i for i, s in enumerate(scripts) if f"make {target}" in s)
    assert login < run
    # Only the register job holds a cloud session in the package stage.
    package = _scripts(platform, _jobs(platform, files)["package"])
    assert not any(LOGIN[platform] in s for s in package)


def test_a_local_engine_trains_on_the_runner_with_no_login() -> None:
    spec = load_spec(ROOT / "examples" / "predictive-maintenance.yaml")
    train = next(j for j in build_pipelines(spec)[0].jobs if j.id == "train")
    assert train.commands[-1] == "make train"
    assert train.cloud_login is None


def test_azureml_trains_remotely_within_its_timeout_and_evaluates_in_ci() -> None:
    """azureml's CI train job is bounded by compute.timeout_minutes (plus the margin for
    installing and downloading), and its pipeline keeps evaluate between train and gate."""
    spec = parse_spec(
        HEAD + "compute:\n  engine: azureml\n  timeout_minutes: 90\n" + AZUREML.format(**GOOD)
    )
    assert spec.compute.kubeflow is None
    jobs = {j.id: j for j in build_pipelines(spec)[0].jobs}
    assert jobs["train"].commands[-1] == "make aml-train"
    assert jobs["train"].cloud_login is not None
    assert jobs["train"].timeout_minutes == 90 + REMOTE_JOB_MARGIN
    assert jobs["evaluate"].needs == ("train",)
    assert jobs["model-gate"].needs == ("evaluate",)


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec_text = EXAMPLE.read_text(encoding="utf-8")
    return render_scaffold(parse_spec(spec_text), spec_text, tmp_path_factory.mktemp("repo"))


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make(repo: Path, target: str, az: Path | str) -> subprocess.CompletedProcess[str]:
    """``make <target> AZ=<az>`` in the repository, bounded to a minute."""
    return subprocess.run(
        ["make", target, f"AZ={az}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@needs_make
def test_aml_train_without_az_fails_loudly(scaffold: Path) -> None:
    result = _make(scaffold, "aml-train", "/nonexistent/az")
    assert result.returncode != 0
    assert "aml-train FAILED: the Azure CLI (/nonexistent/az) is not installed" in result.stderr


@needs_make
@pytest.mark.parametrize("target", ["aml-train", "aml-register"])
def test_an_unreachable_workspace_fails_the_target(
    scaffold: Path, tmp_path: Path, target: str
) -> None:
    """An ``az`` that cannot reach the workspace (as az does offline) fails make, in time."""
    az = tmp_path / "az"
    az.write_text(
        '#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\n'
        "echo 'ERROR: HTTPSConnectionPool(host=management.azure.com): Max retries exceeded' >&2\n"
        "exit 1\n",
        encoding="utf-8",
    )
    az.chmod(0o755)
    (scaffold / "models").mkdir(exist_ok=True)
    (scaffold / "models" / "model.joblib").write_bytes(b"model")
    result = _make(scaffold, target, az)
    assert result.returncode != 0
    assert "Max retries exceeded" in result.stderr
    calls = (tmp_path / "calls").read_text(encoding="utf-8").splitlines()
    # Stopped at the first failing call, which names the spec's workspace.
    assert len(calls) == 1
    assert (
        "--subscription 3f2b8c1e-5d4a-4e7b-9c1f-2a6d8e0b4c71 --resource-group rg-credit-ml "
        "--workspace-name mlw-credit-scoring" in calls[0]
    )
    verb = "job create --file azureml/pipeline.yml" if target == "aml-train" else "model create"
    assert f"ml {verb}" in calls[0]


AZUREML = """\
  azureml:
    subscription_id: 3f2b8c1e-5d4a-4e7b-9c1f-2a6d8e0b4c71
    resource_group: rg-ml
    workspace: mlw-ml
    compute: {compute}
    environment_image: {image}
"""
HEAD = 'version: 1\nproject: {name: Spam Filter, python: "3.11"}\n'
GOOD = {"compute": "cpu-cluster", "image": "mcr.microsoft.com/azureml/curated:20240709.v1"}


@pytest.mark.parametrize(
    ("case", "text", "where", "message"),
    [
        (
            "engine-without-workspace",
            HEAD + "compute:\n  engine: azureml\n",
            "4:11",
            "engine azureml needs a compute.azureml section",
        ),
        (
            "bad-compute-name",
            HEAD
            + "compute:\n  engine: azureml\n"
            + AZUREML.format(**{**GOOD, "compute": "cpu_cluster!"}),
            "9:14",
            "compute.azureml.compute:",
        ),
        (
            "unpinned-image",
            HEAD
            + "compute:\n  engine: azureml\n"
            + AZUREML.format(**{**GOOD, "image": "mcr.microsoft.com/azureml/curated"}),
            "10:24",
            "is not pinned",
        ),
        (
            "kubeflow-section-on-azureml",
            HEAD
            + "compute:\n  engine: azureml\n"
            + AZUREML.format(**GOOD)
            + "  kubeflow: {host: https://kfp.example.com/pipeline, image: r.example.com/ml/x:1}\n",
            "11:3",
            "compute.kubeflow configures engine kubeflow, but the engine is azureml",
        ),
        (
            "workspace-without-engine",
            HEAD + "compute:\n" + AZUREML.format(**GOOD),
            "4:3",
            "compute.azureml configures engine azureml, but the engine is local",
        ),
        (
            # A setting the engine does not read used to be accepted and dropped.
            "resources-on-azureml",
            HEAD
            + "compute:\n  engine: azureml\n  resources: {cpu: '8'}\n"
            + AZUREML.format(**GOOD),
            "5:3",
            "engine azureml does not use compute.resources: the compute cluster's VM size",
        ),
        (
            "retries-on-local",
            HEAD + "compute:\n  retries: 2\n",
            "4:3",
            "engine local does not use compute.retries",
        ),
        (
            "registry-without-workspace",
            HEAD + "model:\n  registry: azureml\n",
            "4:13",
            "model.registry azureml registers the model in the Azure ML workspace",
        ),
    ],
)
def test_bad_compute_settings_exit_2_with_a_position(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    case: str,
    text: str,
    where: str,
    message: str,
) -> None:
    spec = tmp_path / f"{case}.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 2
    assert f"{spec}:{where}: " in result.err
    assert message in result.err
    assert not out.exists()


def test_a_subscription_id_is_an_identifier_not_a_secret() -> None:
    text = HEAD + "compute:\n  engine: azureml\n" + AZUREML.format(**GOOD)
    assert parse_spec(text).compute.azureml is not None
    # Anywhere else, the same kind of value is still refused as a literal secret.
    with pytest.raises(SpecError) as caught:
        parse_spec(
            "version: 1\nproject: {name: Spam Filter, description: "
            "3f2b8c1e-5d4a-4e7b-9c1f-2a6d8e0b4c71}\n"
        )
    assert "literal secret" in caught.value.diagnostics[0].message


def test_docs_compute_names_the_rendered_files_and_targets() -> None:
    doc = (ROOT / "docs" / "compute.md").read_text(encoding="utf-8")
    tasks = ",".join(task for task, _, _ in COMPONENTS)
    assert f"`azureml/components/{{{tasks}}}.yml`" in doc
    for text in (PIPELINE_PATH, ENVIRONMENT_PATH, "make aml-train", "make aml-register"):
        assert text in doc


@needs_make
def test_aml_train_downloads_the_named_outputs_of_the_job(scaffold: Path) -> None:
    """The Makefile copies out exactly the outputs azureml/pipeline.yml names."""
    job = yamlio.load(
        render_managed(load_spec(EXAMPLE)).files[PIPELINE_PATH], filename=PIPELINE_PATH
    ).data
    dry = subprocess.run(
        ["make", "-n", "aml-train"], cwd=scaffold, capture_output=True, text=True, check=True
    ).stdout
    for output in ("model_train", "reports_evaluate"):
        assert output in job["outputs"]
        assert f"named-outputs/{output}/" in dry
    assert "ml job create --file azureml/pipeline.yml --name credit_scoring-train-" in dry
    assert " --stream " in dry
