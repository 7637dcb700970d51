"""Training on Azure Machine Learning: ``compute.engine: azureml`` -> a pipeline job and its parts.

The files are built as data and dumped by ``yamlio`` (no text templates), then validated
in the tests by azure-ai-ml's own offline loaders (``load_job``, ``load_component``,
``load_environment``). Imports run one way: ``render`` -> ``azureml`` -> ``pipeline``,
``spec``, ``yamlio``.

Thin CI, fat tasks, on the cluster too: each command component runs one of the project's
own tasks (``python -m <pkg>.validate|train|evaluate|gate``) in the repository snapshot
(``code``: the repository root), after installing exactly ``uv.lock`` with the same
commands as every CI job. Data, model and reports pass between the steps as ``uri_folder``
inputs and outputs; CI downloads the model and the reports (``make aml-train``) and runs
the model gate and the lineage on them as with local training.
"""

from __future__ import annotations

from typing import Any

from mlopsgen import yamlio
from mlopsgen.pipeline.build import INSTALL_COMMANDS
from mlopsgen.spec.model import AzureML, ComputeEngine, Spec

__all__ = [
    "AZUREML_DIR",
    "COMPONENTS",
    "ENVIRONMENT_PATH",
    "PIPELINE_PATH",
    "azureml_files",
    "component",
    "component_path",
    "environment",
    "pipeline_job",
]

AZUREML_DIR = "azureml"
PIPELINE_PATH = f"{AZUREML_DIR}/pipeline.yml"
ENVIRONMENT_PATH = f"{AZUREML_DIR}/environment.yml"
_SCHEMA = "https://azuremlschemas.azureedge.net/latest"

#: The steps, in order: (task module, inputs, outputs). Inputs and outputs are uri_folders:
#: ``data`` is the repository's data/ (uploaded with the job), ``model`` holds
#: models/model.joblib, ``reports`` the task's reports/.
COMPONENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("validate", ("data",), ("reports",)),
    ("train", ("data",), ("model",)),
    ("evaluate", ("data", "model"), ("reports",)),
    ("gate", ("reports",), ()),
)
#: Where each folder lives in the repository, and what of it crosses between steps.
_IN = {
    "data": "mkdir -p data && cp -R ${{inputs.data}}/. data/",
    "model": "mkdir -p models && cp ${{inputs.model}}/model.joblib models/model.joblib",
    "reports": "mkdir -p reports && cp -R ${{inputs.reports}}/. reports/",
}
_OUT = {
    "model": "cp models/model.joblib ${{outputs.model}}/",
    "reports": "cp -R reports/. ${{outputs.reports}}/",
}
_DESCRIPTIONS = {
    "validate": "Check the data against data/contract.yaml",
    "train": "Train the model -> models/model.joblib",
    "evaluate": "Score the held-out rows -> reports/metrics.json",
    "gate": "Check the metrics against mlops.yaml and the champion",
}


def component_path(task: str) -> str:
    """Repository-relative path of a task's command component."""
    return f"{AZUREML_DIR}/components/{task}.yml"


def environment(spec: Spec, aml: AzureML) -> dict[str, Any]:
    """The environment every step runs in: the spec's image (uv.lock is installed on top)."""
    return {
        "$schema": f"{_SCHEMA}/environment.schema.json",
        "name": f"{_name(spec)}-env",
        "image": aml.environment_image,
        "description": f"{spec.project.name}: base image of the training steps",
    }


def component(spec: Spec, task: str) -> dict[str, Any]:
    """The command component of one task: install uv.lock, run the task, hand on its output."""
    inputs, outputs = next((i, o) for t, i, o in COMPONENTS if t == task)
    command = " && ".join(
        (
            *(_IN[name] for name in inputs),
            *INSTALL_COMMANDS,
            f".venv/bin/python -m {spec.project.slug}.{task}",
            *(_OUT[name] for name in outputs),
        )
    )
    doc: dict[str, Any] = {
        "$schema": f"{_SCHEMA}/commandComponent.schema.json",
        "type": "command",
        "name": f"{spec.project.slug}_{task}",
        "display_name": task,
        "description": _DESCRIPTIONS[task],
        "version": "1",
        # The repository root (.gitignore and .amlignore leave .venv and caches out).
        "code": "../..",
        "environment": "file:../environment.yml",
        "command": command,
        "inputs": {name: {"type": "uri_folder"} for name in inputs},
    }
    if outputs:
        doc["outputs"] = {name: {"type": "uri_folder"} for name in outputs}
    return doc


def pipeline_job(spec: Spec, aml: AzureML) -> dict[str, Any]:
    """The pipeline job ``make aml-train`` submits: the four steps on the spec's cluster."""
    jobs: dict[str, Any] = {}
    for task, inputs, outputs in COMPONENTS:
        step: dict[str, Any] = {
            "type": "command",
            "component": f"file:./components/{task}.yml",
            "inputs": {name: _SOURCES[name] for name in inputs},
        }
        if outputs:
            step["outputs"] = {name: f"${{{{parent.outputs.{name}_{task}}}}}" for name in outputs}
        jobs[task] = step
    return {
        "$schema": f"{_SCHEMA}/pipelineJob.schema.json",
        "type": "pipeline",
        "display_name": f"{spec.project.name} training",
        "experiment_name": _name(spec),
        "description": "validate -> train -> evaluate -> gate, the tasks of make pipeline",
        "settings": {
            "default_compute": f"azureml:{aml.compute}",
            "continue_on_step_failure": False,
        },
        "inputs": {"data": {"type": "uri_folder", "path": "../data"}},
        # Named outputs: `az ml job download --all` fetches them for the gate in CI.
        "outputs": {
            f"{name}_{task}": {"type": "uri_folder"}
            for task, _, outputs in COMPONENTS
            for name in outputs
        },
        "jobs": jobs,
    }


#: Where a step's input comes from: the job's data, or an earlier step's output (the gate
#: reads the reports of evaluate, which hold the metrics).
_SOURCES = {
    "data": "${{parent.inputs.data}}",
    "model": "${{parent.jobs.train.outputs.model}}",
    "reports": "${{parent.jobs.evaluate.outputs.reports}}",
}


def _name(spec: Spec) -> str:
    return spec.project.slug.replace("_", "-")


def azureml_files(spec: Spec) -> dict[str, str]:
    """The Azure ML files by repository-relative path; none unless ``compute.engine: azureml``."""
    aml = spec.compute.azureml
    if spec.compute.engine is not ComputeEngine.AZUREML or aml is None:
        return {}
    files = {
        PIPELINE_PATH: yamlio.dump(pipeline_job(spec, aml)),
        ENVIRONMENT_PATH: yamlio.dump(environment(spec, aml)),
    }
    for task, _, _ in COMPONENTS:
        files[component_path(task)] = yamlio.dump(component(spec, task))
    return files
