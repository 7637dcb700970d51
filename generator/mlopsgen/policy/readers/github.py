"""GitHub Actions workflows to the audit view, tolerantly."""

from __future__ import annotations

import re
from typing import Any

import yaml

from mlopsgen.pipeline.model import JobKind
from mlopsgen.policy.classify import classify
from mlopsgen.policy.readers._util import (
    as_list,
    as_map,
    as_str,
    child_nodes,
    minutes,
    node_text,
    strings,
)
from mlopsgen.policy.view import ImageRef, JobView, PipelineView, StepView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import Duplicate, JsonPath

__all__ = ["read"]

_SECRET = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_-]*)")


def _triggers(on: Any) -> frozenset[str]:
    events: set[str] = set()
    if isinstance(on, str):
        events.add(on)
    elif isinstance(on, list):
        events.update(str(e) for e in on)
    elif isinstance(on, dict):
        events.update(on)
        if as_map(on.get("push")).get("tags") is not None:
            events.add("tag")
    if "workflow_dispatch" in events:
        events.add("manual")
    return frozenset(events)


def _steps(
    job_id: str, raw: dict[str, Any], *, prefix: tuple[str, ...] | None = None
) -> tuple[StepView, ...]:
    out = []
    base: tuple[str, ...] = prefix if prefix is not None else ("jobs", job_id)
    for i, step in enumerate(as_list(raw.get("steps"))):
        if not isinstance(step, dict):
            continue
        path: JsonPath = (*base, "steps", i)
        run = step.get("run")
        out.append(
            StepView(
                path=path,
                name=as_str(step.get("name")) or "",
                run=as_str(run),
                run_path=(*path, "run") if run is not None else None,
                uses=as_str(step.get("uses")),
                inputs=as_map(step.get("with")),
                env=as_map(step.get("env")),
                soft_fail=step.get("continue-on-error") is True,
                condition=as_str(step.get("if")),
                raw=step,
            )
        )
    return tuple(out)


def _images(job_id: str, raw: dict[str, Any], steps: tuple[StepView, ...]) -> tuple[ImageRef, ...]:
    out = []
    container = raw.get("container")
    if isinstance(container, str):
        out.append(ImageRef(container, ("jobs", job_id, "container")))
    elif isinstance(container, dict) and as_str(container.get("image")):
        out.append(ImageRef(str(container["image"]), ("jobs", job_id, "container", "image")))
    for name, service in as_map(raw.get("services")).items():
        image = as_str(as_map(service).get("image"))
        if image:
            out.append(ImageRef(image, ("jobs", job_id, "services", name, "image")))
    for step in steps:
        if step.uses and step.uses.startswith("docker://"):
            out.append(ImageRef(step.uses[len("docker://") :], (*step.path, "uses")))
    return tuple(out)


def _action_job(data: dict[str, Any]) -> JobView:
    """A composite or Docker action (``action.yml``): its steps as one job, ``action``."""
    runs = as_map(data.get("runs"))
    steps = _steps("runs", {"steps": runs.get("steps")}, prefix=("runs",))
    images = [
        ImageRef(s.uses[len("docker://") :], (*s.path, "uses"))
        for s in steps
        if s.uses and s.uses.startswith("docker://")
    ]
    image = as_str(runs.get("image"))
    if image and image.startswith("docker://"):
        images.append(ImageRef(image[len("docker://") :], ("runs", "image")))
    return JobView(
        id="action",
        path=("runs",),
        name=as_str(data.get("name")) or "action",
        kind=JobKind.OTHER,
        steps=steps,
        env=as_map(runs.get("env")),
        images=tuple(images),
        raw=runs,
    )


def read(
    data: dict[str, Any],
    *,
    file: str,
    text: str,
    node: yaml.Node | None,
    duplicates: tuple[Duplicate, ...] = (),
) -> PipelineView:
    """Read a workflow (the ``on:`` key stays the string ``"on"`` in lenient data)."""
    action = "jobs" not in data and isinstance(data.get("runs"), dict)
    on = data.get("on", data.get("true"))
    top_perms = data.get("permissions")
    top_oidc = as_map(top_perms).get("id-token") == "write" or top_perms == "write-all"
    top_concurrency = "concurrency" in data
    job_nodes = child_nodes(child_nodes(node).get("jobs"))
    jobs = []
    for job_id, raw in as_map(data.get("jobs")).items():
        if not isinstance(raw, dict):
            continue
        steps = _steps(job_id, raw)
        env_raw = raw.get("environment")
        environment = as_str(as_map(env_raw).get("name")) if isinstance(env_raw, dict) else None
        if environment is None:
            environment = as_str(env_raw)
        name = as_str(raw.get("name")) or job_id
        commands = [s.run for s in steps if s.run] + [s.uses for s in steps if s.uses]
        perms = raw.get("permissions")
        oidc = (
            as_map(perms).get("id-token") == "write"
            or perms == "write-all"
            or (perms is None and top_oidc)
        )
        job_text = node_text(text, job_nodes.get(job_id))
        runs_on = raw.get("runs-on")
        runner = (
            strings(as_map(runs_on).get("labels")) + strings(as_map(runs_on).get("group"))
            if isinstance(runs_on, dict)
            else strings(runs_on)
        )
        jobs.append(
            JobView(
                id=job_id,
                path=("jobs", job_id),
                name=name,
                kind=classify([name, job_id], commands, deployment=environment is not None),
                steps=steps,
                needs=strings(raw.get("needs")),
                env=as_map(raw.get("env")),
                environment=environment,
                deployment=environment is not None,
                allow_failure=raw.get("continue-on-error") is True,
                allow_failure_path=("jobs", job_id, "continue-on-error")
                if "continue-on-error" in raw
                else None,
                timeout_minutes=minutes(raw.get("timeout-minutes")),
                images=_images(job_id, raw, steps),
                runner=runner,
                condition=as_str(raw.get("if")),
                secrets=tuple(dict.fromkeys(_SECRET.findall(job_text))),
                oidc=oidc,
                exclusive="concurrency" in raw or top_concurrency,
                uses=as_str(raw.get("uses")),
                raw=raw,
            )
        )
    if action:
        jobs.append(_action_job(data))
    return PipelineView(
        platform=Platform.GITHUB,
        file=file,
        text=text,
        data=data,
        node=node,
        name=as_str(data.get("name")) or "",
        triggers=_triggers(on),
        jobs=tuple(jobs),
        env=as_map(data.get("env")),
        # An action's steps run inside the calling workflow's jobs.
        template=action,
        action=action,
        duplicates=duplicates,
    )
