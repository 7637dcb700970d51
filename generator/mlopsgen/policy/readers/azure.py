"""Azure Pipelines files to the audit view, tolerantly: stages, jobs, deployments, templates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from mlopsgen.policy.classify import classify
from mlopsgen.policy.readers._util import as_list, as_map, as_str, minutes, strings
from mlopsgen.policy.view import ImageRef, IncludeRef, JobView, PipelineView, StepView
from mlopsgen.spec.model import Platform
from mlopsgen.yamlio import Duplicate, JsonPath

__all__ = ["read"]

_SCRIPT_KEYS = ("script", "bash", "powershell", "pwsh")
_MACRO = re.compile(r"\$\(([A-Za-z_][\w.]*)\)")
_SECRETISH = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL|PAT\b)", re.I
)
_TOP_PIPELINE = (
    "trigger",
    "pr",
    "schedules",
    "resources",
    "pool",
    "extends",
    "name",
    "lockBehavior",
)
_DEPLOY_PHASES = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def _items(value: Any, path: JsonPath) -> Iterator[tuple[Any, JsonPath]]:
    """List items with ``${{ if/else/each }}`` blocks opened in place."""
    for i, item in enumerate(as_list(value)):
        item_path = (*path, i)
        if isinstance(item, dict) and len(item) == 1:
            (key,) = item
            if key.startswith("${{"):
                yield from _items(item[key], (*item_path, key))
                continue
        yield item, item_path


def _steps(value: Any, path: JsonPath) -> list[StepView]:
    out = []
    for step, step_path in _items(value, path):
        if not isinstance(step, dict):
            continue
        run = run_path = None
        for key in _SCRIPT_KEYS:
            if key in step:
                run, run_path = as_str(step[key]), (*step_path, key)
                break
        uses = None
        if "task" in step:
            uses = as_str(step["task"])
        elif "template" in step:
            uses = f"template: {as_str(step['template'])}"
        elif "checkout" in step:
            uses = f"checkout: {as_str(step['checkout'])}"
        out.append(
            StepView(
                path=step_path,
                name=as_str(step.get("displayName")) or "",
                run=run,
                run_path=run_path,
                uses=uses,
                inputs=as_map(step.get("inputs")) or step,
                env=as_map(step.get("env")),
                soft_fail=step.get("continueOnError") is True
                or as_str(step.get("continueOnError")) == "true",
                condition=as_str(step.get("condition")),
                raw=step,
            )
        )
    return out


def _deployment_steps(job: dict[str, Any], path: JsonPath) -> list[StepView]:
    strategy = as_map(job.get("strategy"))
    out: list[StepView] = []
    for name, body in strategy.items():
        body_map = as_map(body)
        for phase in _DEPLOY_PHASES:
            phase_map = as_map(body_map.get(phase))
            out += _steps(phase_map.get("steps"), (*path, "strategy", name, phase, "steps"))
        for outcome in ("failure", "success"):
            on_map = as_map(as_map(as_map(body_map.get("on")).get(outcome)))
            out += _steps(on_map.get("steps"), (*path, "strategy", name, "on", outcome, "steps"))
    return out


class _Reader:
    def __init__(self, data: dict[str, Any]):
        self.data = data
        containers = as_list(as_map(data.get("resources")).get("containers"))
        self.containers = {
            as_str(as_map(c).get("container")): as_str(as_map(c).get("image")) for c in containers
        }
        self.pool = data.get("pool")
        self.jobs: list[JobView] = []

    def image(self, value: Any, path: JsonPath) -> ImageRef | None:
        ref = as_str(as_map(value).get("image")) if isinstance(value, dict) else as_str(value)
        if ref is None or ref in self.containers:
            return None  # an alias of resources.containers, reported there
        return ImageRef(ref, path)

    def job(
        self,
        raw: dict[str, Any],
        path: JsonPath,
        *,
        stage: str | None,
        upstream: tuple[str, ...],
        stage_condition: str | None,
        stage_lock: bool,
    ) -> None:
        deployment = "deployment" in raw
        name = as_str(raw.get("deployment") if deployment else raw.get("job")) or "job"
        if "template" in raw and "job" not in raw and not deployment:
            name = f"template: {as_str(raw['template'])}"
        job_id = f"{stage}.{name}" if stage else name
        steps = _steps(raw.get("steps"), (*path, "steps"))
        if deployment:
            steps += _deployment_steps(raw, path)
        env_raw = raw.get("environment")
        environment = (
            as_str(as_map(env_raw).get("name")) if isinstance(env_raw, dict) else as_str(env_raw)
        )
        if environment:
            environment = environment.split(".", 1)[0]
        own_needs = tuple(f"{stage}.{n}" if stage else n for n in strings(raw.get("dependsOn")))
        images = []
        container = self.image(raw.get("container"), (*path, "container"))
        if container:
            images.append(container)
        for svc_name, svc in as_map(raw.get("services")).items():
            ref = self.image(svc, (*path, "services", svc_name))
            if ref:
                images.append(ref)
        pool = raw.get("pool", self.pool)
        runner = (
            strings(as_map(pool).get("vmImage")) + strings(as_map(pool).get("name"))
            if isinstance(pool, dict)
            else strings(pool)
        )
        display = as_str(raw.get("displayName")) or name
        secrets = []
        for step in steps:
            for value in (*step.env.values(), step.run or ""):
                for macro in _MACRO.findall(str(value)):
                    if _SECRETISH.search(macro):
                        secrets.append(macro)
        condition = as_str(raw.get("condition")) or stage_condition
        soft = raw.get("continueOnError") is True or as_str(raw.get("continueOnError")) == "true"
        self.jobs.append(
            JobView(
                id=job_id,
                path=path,
                name=display,
                kind=classify(
                    [display, name],
                    [s.run for s in steps if s.run],
                    deployment=bool(deployment),
                    stage=stage,
                ),
                steps=tuple(steps),
                needs=own_needs + upstream,
                stage=stage,
                env=as_map(raw.get("variables")),
                environment=environment,
                deployment=deployment,
                allow_failure=soft,
                allow_failure_path=(*path, "continueOnError") if "continueOnError" in raw else None,
                timeout_minutes=minutes(raw.get("timeoutInMinutes")),
                images=tuple(images),
                runner=runner,
                condition=condition,
                secrets=tuple(dict.fromkeys(secrets)),
                exclusive=stage_lock or as_str(self.data.get("lockBehavior")) == "sequential",
                uses=f"template: {as_str(raw['template'])}" if "template" in raw else None,
                raw=raw,
            )
        )

    def stages(self, value: Any, path: JsonPath) -> None:
        previous: str | None = None
        stage_jobs: dict[str, list[str]] = {}
        for stage, stage_path in _items(value, path):
            stage_map = as_map(stage)
            name = as_str(stage_map.get("stage"))
            if name is None:
                continue
            if "dependsOn" in stage_map:
                deps = strings(stage_map.get("dependsOn"))
            else:
                deps = (previous,) if previous else ()
            upstream = tuple(j for d in deps for j in stage_jobs.get(d, ()))
            before = len(self.jobs)
            for job, job_path in _items(stage_map.get("jobs"), (*stage_path, "jobs")):
                if isinstance(job, dict):
                    self.job(
                        job,
                        job_path,
                        stage=name,
                        upstream=upstream,
                        stage_condition=as_str(stage_map.get("condition")),
                        stage_lock=as_str(stage_map.get("lockBehavior")) == "sequential",
                    )
            stage_jobs[name] = [j.id for j in self.jobs[before:]]
            previous = name


def _triggers(data: dict[str, Any], template: bool) -> frozenset[str]:
    if template:
        return frozenset()
    events = set()
    trigger, pr = data.get("trigger", True), data.get("pr", True)
    if trigger != "none" and trigger is not False:
        events.add("push")
        if as_map(trigger).get("tags") is not None:
            events.add("tag")
    if pr != "none" and pr is not False:
        events.add("pull_request")
    if data.get("schedules"):
        events.add("schedule")
    events.add("manual")
    return frozenset(events)


def _includes(data: dict[str, Any]) -> tuple[IncludeRef, ...]:
    out = []
    repos = as_list(as_map(data.get("resources")).get("repositories"))
    for i, repo in enumerate(repos):
        repo_map = as_map(repo)
        target = as_str(repo_map.get("name")) or as_str(repo_map.get("repository")) or ""
        out.append(
            IncludeRef(
                f"repository:{as_str(repo_map.get('type')) or 'git'}",
                target,
                as_str(repo_map.get("ref")),
                ("resources", "repositories", i),
            )
        )
    extends = as_map(data.get("extends"))
    if as_str(extends.get("template")):
        out.append(IncludeRef("template", str(extends["template"]), None, ("extends", "template")))
    return tuple(out)


def read(
    data: dict[str, Any],
    *,
    file: str,
    text: str,
    node: yaml.Node | None,
    duplicates: tuple[Duplicate, ...] = (),
) -> PipelineView:
    """Read an Azure Pipelines file or template (stages, jobs or steps at the top)."""
    reader = _Reader(data)
    if "stages" in data:
        reader.stages(data["stages"], ("stages",))
    elif "jobs" in data:
        for job, job_path in _items(data["jobs"], ("jobs",)):
            if isinstance(job, dict):
                reader.job(
                    job, job_path, stage=None, upstream=(), stage_condition=None, stage_lock=False
                )
    elif "steps" in data:
        reader.job(data, (), stage=None, upstream=(), stage_condition=None, stage_lock=False)
    template = not any(k in data for k in _TOP_PIPELINE) or (
        "parameters" in data and "trigger" not in data and "pr" not in data
    )
    images = []
    for i, container in enumerate(as_list(as_map(data.get("resources")).get("containers"))):
        ref = as_str(as_map(container).get("image"))
        if ref:
            images.append(ImageRef(ref, ("resources", "containers", i, "image")))
    return PipelineView(
        platform=Platform.AZURE,
        file=file,
        text=text,
        data=data,
        node=node,
        name=as_str(data.get("name")) or "",
        triggers=_triggers(data, template),
        jobs=tuple(reader.jobs),
        images=tuple(images),
        includes=_includes(data),
        env=as_map(data.get("variables")),
        template=template,
        duplicates=duplicates,
    )
