"""The files mlopsgen owns beside the scaffold: pipelines, schema, settings, update config.

With ``monitoring.slo``, the Prometheus rules, their promtool tests and a Grafana
dashboard under ``monitoring/`` (see monitoring.py) are managed files too; so are the
Azure ML pipeline job and its parts under ``azureml/`` with ``compute.engine: azureml``
(see azureml.py), and so is the kustomize base with an overlay per environment of
``deploy.platform: kubernetes | kserve`` (see kubernetes.py).

The dependency-update configuration (Dependabot, Renovate) keeps uv.lock current.

What a platform's YAML cannot say (environment approvals, schedule refs) is written
as Terraform beside the pipelines, under ``ci-settings/<platform>/``; what neither
can carry is reported as a warning, so nothing the spec says is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from mlopsgen import yamlio
from mlopsgen.azureml import azureml_files
from mlopsgen.kubernetes import kubernetes_files
from mlopsgen.monitoring import monitoring_files
from mlopsgen.pipeline import build_pipelines
from mlopsgen.platforms import PLATFORMS, losses, render_text
from mlopsgen.platforms.terraform import COVERS, SETTINGS_DIR, settings_files, settings_text
from mlopsgen.platforms.updates import RENOVATE, update_configs
from mlopsgen.spec import schema_text
from mlopsgen.spec.model import DeployTarget, Platform, Spec

__all__ = ["SCHEMA_PATH", "Rendered", "render_managed"]

#: Where a rendered repository keeps the spec's schema (editors and check-jsonschema read it).
SCHEMA_PATH = ".mlopsgen/mlops.schema.json"


@dataclass(frozen=True)
class Rendered:
    """Managed files by repository-relative path, and what a platform could not express."""

    files: dict[str, str]
    warnings: tuple[str, ...]


def render_managed(spec: Spec, *, platforms: Iterable[Platform] | None = None) -> Rendered:
    """Render the pipelines and settings for ``platforms`` (default: the spec's), and the schema.

    Warnings name each construct a platform's YAML cannot carry and the Terraform
    settings do not carry either, one per field with every job it concerns.
    """
    pipelines = build_pipelines(spec)
    files = {SCHEMA_PATH: schema_text()}
    # monitoring.slo: Prometheus rules, their promtool tests and a Grafana dashboard.
    files.update(monitoring_files(spec))
    # compute.engine azureml: the pipeline job, its command components and environment.
    files.update(azureml_files(spec))
    # deploy.platform kubernetes | kserve: a kustomize base and one overlay per environment.
    files.update(kubernetes_files(spec))
    chosen = tuple(platforms if platforms is not None else spec.ci.platforms)
    # Dependabot or Renovate keep the lock current: the spec's platforms decide which,
    # so a render of one platform (`render --platform`) does not drop the other's.
    for path, config in update_configs(
        spec.ci.platforms, npm=spec.deploy.target is DeployTarget.BROWSER
    ).items():
        if path == RENOVATE or any(p is Platform.GITHUB for p in chosen):
            files[path] = (
                json.dumps(config, indent=2) + "\n"
                if path.endswith(".json")
                else yamlio.dump(config)
            )
    warnings: list[str] = []
    for platform in chosen:
        impl = PLATFORMS[platform]
        files.update(render_text(impl.emit(pipelines)))
        settings = settings_text(
            settings_files(
                platform, pipelines, owners=spec.project.owners, project=spec.project.slug
            )
        )
        files.update(settings)
        grouped: dict[tuple[str, str], list[str]] = {}
        for loss in losses(impl, pipelines):
            if settings and loss.field in COVERS[platform]:
                continue
            where = f"{loss.pipeline}/{loss.job}" if loss.job else loss.pipeline
            grouped.setdefault((loss.field, loss.reason), []).append(where)
        warnings += [
            f"{platform}: {field} ({', '.join(wheres)}) is not in the YAML: {reason}"
            for (field, reason), wheres in grouped.items()
        ]
        if settings:
            warnings.append(
                f"{platform}: approvals and schedules live in settings, not YAML: apply "
                f"{SETTINGS_DIR}/{platform}/ with terraform (see its README)"
            )
    return Rendered(files=dict(sorted(files.items())), warnings=tuple(warnings))
