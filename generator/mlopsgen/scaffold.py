"""Rendering the repository scaffold through cookiecutter's low-level API.

We call ``generate_files`` with a fully computed context instead of the
``cookiecutter()`` main function: the latter renders ``extra_context`` values as
Jinja (a project called ``{{ 7*7 }}`` would become 49), reads ``~/.cookiecutterrc``
and writes replay files to ``$HOME``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from mlopsgen import __version__
from mlopsgen.dvcfiles import dvc_plugin
from mlopsgen.resources import template_dir
from mlopsgen.spec.model import ComputeEngine, Spec

__all__ = ["CONTEXT_KEYS", "build_context", "render_scaffold"]

#: The variables the template declares; ``build_context`` computes each of them.
CONTEXT_KEYS = (
    "project_name",
    "project_slug",
    "module_name",
    "description",
    "python_version",
    "owners",
    "sample",
    "deploy_target",
    "sast_fail_on",
    "secrets_scan_tool",
    "data_versioning",
    "model_tracking",
    "model_registry",
    "dvc",
    "model",
    "secrets",
    "azureml",
    "mlopsgen_version",
    "mlopsgen_install",
    "compute",
)


def build_context(spec: Spec, spec_text: str) -> dict[str, Any]:
    """The cookiecutter context for ``spec``; ``spec_text`` becomes ``mlops.yaml`` verbatim."""
    install = spec.ci.mlopsgen
    context: dict[str, Any] = {
        "project_name": spec.project.name,
        "project_slug": spec.project.slug.replace("_", "-"),
        "module_name": spec.project.slug,
        "description": spec.project.description,
        "python_version": spec.project.python,
        "owners": ",".join(spec.project.owners),
        "sample": spec.data.sample,
        "deploy_target": str(spec.deploy.target),
        "sast_fail_on": spec.security.sast_fail_on,
        "secrets_scan_tool": spec.security.secrets_scan_tool,
        "data_versioning": spec.data.versioning,
        # tracking mlflow adds mlflow to the dependencies and tracking.py; the model name and
        # the alias are read from mlops.yaml at run time.
        "model_tracking": spec.model.tracking,
        "model_registry": spec.model.registry,
        # With data.versioning dvc: the sources `make data-push` adds, and the DVC plugin
        # of the remote's scheme (none for a directory remote). A dict: cookiecutter's
        # dict variable.
        "dvc": {
            "sources": list(spec.data.sources) if spec.data.dvc else [],
            "remote": spec.data.remote or "",
            "plugin": (dvc_plugin(spec.data.remote) or "") if spec.data.remote else "",
        },
        # pyproject.toml's dependencies gain model.estimator's package (scikit-learn is
        # always there). A dict: cookiecutter's dict variable.
        "model": {
            "packages": [
                requirement
                for requirement in [
                    spec.model.estimator.requirement if spec.model.estimator else None
                ]
                if requirement
            ]
        },
        # .env.example and the fallback mlops.yaml list them; the repository's own
        # secrets.py reads mlops.yaml at run time. A dict: cookiecutter's dict variable.
        "secrets": {
            "provider": str(spec.secrets.provider),
            "settings": dict(spec.secrets.settings),
            "items": [
                {
                    "name": item.name,
                    "ref": item.ref,
                    "stages": list(item.stages),
                    "environments": list(item.environments),
                }
                for item in spec.secrets.items
            ],
        },
        # compute.engine azureml: the workspace `make aml-train` and `make aml-register` use
        # (empty otherwise: no Azure ML targets), and whether the model is registered there.
        "azureml": _azureml(spec),
        # The Makefile's MLOPSGEN pin: `make check` installs the version that rendered it.
        "mlopsgen_version": __version__,
        # Where `make check` installs mlopsgen from (ci.mlopsgen): the Makefile's MLOPSGEN
        # requirement, and the index (source index) or the wheel's hash (source wheel).
        "mlopsgen_install": {
            "source": str(install.source),
            "requirement": install.requirement(__version__),
            "index_url": install.index_url or "",
            "sha256": install.sha256 or "",
        },
        # Where the training pipeline runs (compute): the kfp_pipeline.py of engine kubeflow
        # reads the resources, retries, timeout and the KFP settings from it.
        "compute": _compute(spec),
    }
    declared = json.loads((template_dir() / "cookiecutter.json").read_text(encoding="utf-8"))
    # Private keys (_copy_without_render, _extensions ...) configure cookiecutter itself.
    context.update({k: v for k, v in declared.items() if k.startswith("_")})
    context["_spec_text"] = spec_text
    return context


def _azureml(spec: Spec) -> dict[str, str]:
    aml = spec.compute.azureml
    if spec.compute.engine is not ComputeEngine.AZUREML or aml is None:
        return {}
    return {
        "subscription_id": aml.subscription_id,
        "resource_group": aml.resource_group,
        "workspace": aml.workspace,
        "model_name": spec.project.slug.replace("_", "-"),
    }


def _compute(spec: Spec) -> dict[str, Any]:
    compute = spec.compute
    kubeflow = compute.kubeflow
    return {
        "engine": str(compute.engine),
        "cpu": compute.cpu,
        "memory": compute.memory,
        "gpu": compute.gpu,
        "retries": compute.retries,
        "timeout_minutes": compute.timeout_minutes,
        "kubeflow": {
            "host": kubeflow.host,
            "namespace": kubeflow.namespace,
            "experiment": kubeflow.experiment,
            "image": kubeflow.image,
            "token_secret": kubeflow.token_secret,
        }
        if kubeflow is not None
        else {},
    }


def render_scaffold(spec: Spec, spec_text: str, staging: Path) -> Path:
    """Render the template into ``staging`` and return the generated project directory."""
    from cookiecutter.generate import generate_files  # noqa: PLC0415  (slow import, deferred)

    logging.getLogger("cookiecutter").setLevel(logging.WARNING)
    context = {"cookiecutter": build_context(spec, spec_text)}
    project = generate_files(
        repo_dir=str(template_dir()),
        context=context,
        output_dir=str(staging),
        overwrite_if_exists=False,
        accept_hooks=False,
    )
    return Path(project)
