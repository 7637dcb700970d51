"""Azure Pipelines: pipeline model to pipeline YAML data and back, secure by default.

Each job is a stage of its own, so the needs graph maps exactly onto stage ``dependsOn``
(Azure allows job-level ``dependsOn`` only inside one stage). Deploys are ``deployment``
jobs on an ``environment:`` with a sequential lock; every job has ``timeoutInMinutes``
and checks out with ``persistCredentials: false``; no stage can be skipped at queue time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mlopsgen.pipeline.model import (
    DEFAULT_EXPIRE_DAYS,
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
from mlopsgen.platforms.base import PipelineParseError, secret_readers
from mlopsgen.spec.model import Platform

__all__ = ["AzurePipelines"]

MAIN_PATH = "azure-pipelines.yml"
MAIN_ID = "ci"
DIR = ".azure-pipelines/"
VM_IMAGE = "ubuntu-24.04"
_RUN_NUMBER = " $(Date:yyyyMMdd)$(Rev:.r)"
_WORKDIR = "$(System.DefaultWorkingDirectory)/"
_REF = "variables['Build.SourceBranch']"
_TAG_COND = f"startsWith({_REF}, 'refs/tags/')"
_BRANCH_COND = re.compile(re.escape(f"eq({_REF}, 'refs/heads/") + r"([^']+)'\)")
_KEEP = "succeededOrFailed()"


def _path(pipeline_id: str) -> str:
    return MAIN_PATH if pipeline_id == MAIN_ID else f"{DIR}{pipeline_id}.yml"


def _name(job_id: str) -> str:
    """Azure reference names allow letters, digits and ``_`` only."""
    return job_id.replace("-", "_")


def _id(name: Any) -> str:
    return str(name).replace("_", "-").lower()


def _artifact(job_id: str, path: str) -> str:
    return f"{job_id}-{path.rstrip('/').replace('/', '-')}"


# --- emit --------------------------------------------------------------------------------


def emit(pipelines: Sequence[Pipeline]) -> dict[str, Any]:
    """``azure-pipelines.yml`` for pipeline ``ci``, ``.azure-pipelines/<id>.yml`` for others."""
    return {_path(p.id): _pipeline(p) for p in pipelines}


def _pipeline(p: Pipeline) -> dict[str, Any]:
    t = p.triggers
    trigger: Any = "none"
    if t.branches or t.tags:
        trigger = {}
        if t.branches:
            trigger["branches"] = {"include": list(t.branches)}
        if t.tags:
            trigger["tags"] = {"include": list(t.tags)}
    pr: Any = "none"
    if t.pull_requests:
        pr = {"autoCancel": p.cancel_superseded}
        if t.branches:
            pr["branches"] = {"include": list(t.branches)}
    out: dict[str, Any] = {"name": p.name + _RUN_NUMBER, "trigger": trigger, "pr": pr}
    if t.schedules:
        schedules = []
        for s in t.schedules:
            entry: dict[str, Any] = {"cron": s.cron, "displayName": p.name}
            if s.branch is not None:
                entry["branches"] = {"include": [s.branch]}
            # Monitoring runs on its schedule even when the code has not changed.
            entry["always"] = True
            schedules.append(entry)
        out["schedules"] = schedules
    out["pool"] = {"vmImage": VM_IMAGE}
    out["stages"] = [_stage(p, job) for job in p.jobs]
    return out


def _condition(rule: Rule) -> str | None:
    parts = []
    if rule.branch is not None:
        parts.append(f"eq({_REF}, 'refs/heads/{rule.branch}')")
    if rule.tags:
        parts.append(_TAG_COND)
    if not parts:
        return None
    ref = parts[0] if len(parts) == 1 else f"or({', '.join(parts)})"
    return f"and(succeeded(), {ref})"


def _stage(p: Pipeline, job: Job) -> dict[str, Any]:
    stage: dict[str, Any] = {
        "stage": _name(job.id),
        "displayName": job.name,
        # Without dependsOn a stage waits for the previous one; [] means none.
        "dependsOn": [_name(n) for n in job.needs],
    }
    condition = _condition(job.rule)
    if condition:
        stage["condition"] = condition
    if job.exclusive:
        stage["lockBehavior"] = "sequential"
    stage["isSkippable"] = False
    stage["jobs"] = [_job(p, job)]
    return stage


def _steps(p: Pipeline, job: Job) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"checkout": "self", "persistCredentials": False}]
    steps.append(
        {
            "task": "UsePythonVersion@0",
            "displayName": "Use Python",
            "inputs": {"versionSpec": p.python},
        }
    )
    for cache in job.caches:
        key = " | ".join((cache.name, '"$(Agent.OS)"', *cache.key_files))
        steps.append(
            {
                "task": "Cache@2",
                "displayName": f"Cache {cache.name}",
                "inputs": {"key": key, "path": cache.path.rstrip("/")},
            }
        )
    for need in job.needs:
        art = p.job(need).artifacts
        for path in art.paths if art is not None else ():
            steps.append(
                {
                    "task": "DownloadPipelineArtifact@2",
                    "displayName": f"Download {_artifact(need, path)}",
                    "inputs": {
                        "buildType": "current",
                        "artifactName": _artifact(need, path),
                        "targetPath": _WORKDIR + path.rstrip("/"),
                    },
                }
            )
    secrets = {name: f"$({name})" for name in job.secrets}
    readers = secret_readers(job.commands)
    for command in job.commands:
        step: dict[str, Any] = {"bash": command, "displayName": command}
        if secrets and command in readers:
            # Secret variables reach a script only when mapped into its env.
            step["env"] = dict(secrets)
        steps.append(step)
    if job.artifacts is not None:
        for path in job.artifacts.paths:
            publish: dict[str, Any] = {
                "publish": path.rstrip("/"),
                "artifact": _artifact(job.id, path),
                "displayName": f"Publish {_artifact(job.id, path)}",
            }
            if job.artifacts.keep_on_failure:
                publish["condition"] = _KEEP
            steps.append(publish)
    return steps


def _job(p: Pipeline, job: Job) -> dict[str, Any]:
    steps = _steps(p, job)
    out: dict[str, Any]
    if job.environment is not None:
        # A deployment job downloads every artifact unless told not to.
        out = {
            "deployment": _name(job.id),
            "displayName": job.name,
            "environment": job.environment.name,
        }
        body: dict[str, Any] = {
            "strategy": {"runOnce": {"deploy": {"steps": [{"download": "none"}, *steps]}}}
        }
    else:
        out = {"job": _name(job.id), "displayName": job.name}
        body = {"steps": steps}
    out["timeoutInMinutes"] = job.timeout_minutes
    if job.allow_failure:
        out["continueOnError"] = True
    if job.env:
        out["variables"] = dict(job.env)
    out.update(body)
    return out


# --- parse -------------------------------------------------------------------------------


def parse(files: Mapping[str, Any]) -> tuple[Pipeline, ...]:
    """Pipelines from Azure pipeline data, in the order of ``files``."""
    out = []
    for path, data in files.items():
        if owns(path):
            try:
                out.append(_parse(path, data if isinstance(data, dict) else {}))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise PipelineParseError(f"cannot read the pipeline: {exc}") from None
    return tuple(out)


def _includes(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, dict):
        return tuple(str(v) for v in value.get("include") or ())
    return ()


def _parse(path: str, data: dict[str, Any]) -> Pipeline:
    # Without a trigger: key Azure runs on pushes to every branch, and likewise for pr:.
    trigger = data.get("trigger", ["*"])
    branches: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    if isinstance(trigger, list):
        branches = tuple(str(b) for b in trigger)
    elif isinstance(trigger, dict):
        branches, tags = _includes(trigger.get("branches")), _includes(trigger.get("tags"))
    pr = data.get("pr")
    pull_requests = pr != "none"
    cancel = isinstance(pr, dict) and pr.get("autoCancel", True) is True
    schedules = tuple(
        Schedule(cron=str(s["cron"]), branch=(_includes(s.get("branches")) or (None,))[0])
        for s in data.get("schedules") or ()
    )
    name = str(data.get("name", path))
    if name.endswith(_RUN_NUMBER):
        name = name[: -len(_RUN_NUMBER)]
    stages = data.get("stages")
    if stages is None:
        stages = [
            {
                "stage": "main",
                "jobs": data.get("jobs") or [{"job": "main", "steps": data.get("steps") or []}],
            }
        ]
    jobs: list[Job] = []
    python = ""
    previous: list[str] = []
    stage_jobs: dict[str, list[str]] = {}
    for stage in stages:
        stage_name = str(stage.get("stage", "main"))
        if "dependsOn" in stage:
            deps = stage["dependsOn"]
            deps = [deps] if isinstance(deps, str) else list(deps or [])
        else:
            deps = previous[-1:]
        upstream = [j for d in deps for j in stage_jobs.get(str(d), [])]
        ids = []
        for raw in stage.get("jobs") or ():
            job, version = _parse_job(raw, stage, upstream, len(stage.get("jobs") or ()) == 1)
            python = python or version
            jobs.append(job)
            ids.append(job.id)
        stage_jobs[stage_name] = ids
        previous.append(stage_name)
    base = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Pipeline(
        id=MAIN_ID if path == MAIN_PATH else _id(base),
        name=name,
        python=python,
        triggers=Triggers(
            branches=branches, pull_requests=bool(pull_requests), tags=tags, schedules=schedules
        ),
        jobs=tuple(jobs),
        cancel_superseded=cancel and bool(pull_requests),
    )


def _kind(name: Any) -> JobKind:
    prefix = str(name).partition(":")[0]
    return JobKind(prefix) if prefix in set(JobKind) else JobKind.OTHER


def _rule(condition: Any) -> Rule:
    if condition is None:
        return Rule()
    text = str(condition).strip()
    match = re.fullmatch(r"and\(succeeded\(\), (.*)\)", text)
    if not match:
        raise PipelineParseError(
            f"unsupported condition {text!r}", hint="conditions on Build.SourceBranch only"
        )
    inner = match.group(1)
    parts = [inner]
    if inner.startswith("or(") and inner.endswith(")"):
        parts = [x.strip() for x in re.split(r",\s(?=startsWith|eq)", inner[3:-1])]
    branch, tags = None, False
    for part in parts:
        if (m := _BRANCH_COND.fullmatch(part)) is not None:
            branch = m.group(1)
        elif part == _TAG_COND:
            tags = True
        else:
            raise PipelineParseError(
                f"unsupported condition {text!r}", hint="conditions on Build.SourceBranch only"
            )
    return Rule(branch=branch, tags=tags)


def _parse_job(
    raw: dict[str, Any], stage: dict[str, Any], upstream: list[str], alone: bool
) -> tuple[Job, str]:
    if "deployment" in raw:
        job_id = _id(raw["deployment"])
        strategy = raw.get("strategy") or {}
        steps = (strategy.get("runOnce") or {}).get("deploy", {}).get("steps") or []
        env_raw = raw.get("environment")
        env_name = env_raw.get("name") if isinstance(env_raw, dict) else env_raw
        environment = Environment(name=str(env_name).split(".", 1)[0])
    else:
        job_id = _id(raw.get("job", "main"))
        steps = raw.get("steps") or []
        environment = None
    deps = raw.get("dependsOn")
    own = [_id(d) for d in ([deps] if isinstance(deps, str) else deps or [])]
    # One job per stage (what emit writes): the stage carries the name, condition and lock.
    holder = stage if alone else raw
    python = ""
    commands: list[str] = []
    secrets: dict[str, None] = {}
    caches: list[Cache] = []
    paths: list[str] = []
    keep = False
    for step in steps:
        if "bash" in step or "script" in step:
            commands.append(str(step.get("bash", step.get("script"))))
            for key, value in (step.get("env") or {}).items():
                if str(value) == f"$({key})":
                    secrets[str(key)] = None
        elif "publish" in step:
            paths.append(str(step["publish"]).rstrip("/") + "/")
            keep = keep or step.get("condition") == _KEEP
        elif str(step.get("task", "")).startswith("UsePythonVersion@"):
            python = python or str((step.get("inputs") or {}).get("versionSpec", ""))
        elif str(step.get("task", "")).startswith("Cache@"):
            inputs = step.get("inputs") or {}
            parts = [x.strip() for x in str(inputs.get("key", "")).split("|")]
            caches.append(
                Cache(
                    name=parts[0],
                    key_files=tuple(x for x in parts[1:] if not x.startswith('"')),
                    path=str(inputs.get("path", "")).rstrip("/") + "/",
                )
            )
    lock = holder.get("lockBehavior") == "sequential" or stage.get("lockBehavior") == "sequential"
    job = Job(
        id=job_id,
        kind=_kind(holder.get("displayName", raw.get("displayName", ""))),
        commands=tuple(commands),
        needs=tuple(dict.fromkeys((*upstream, *own))),
        rule=_rule(holder.get("condition")),
        timeout_minutes=int(raw.get("timeoutInMinutes", 60)),
        environment=environment,
        secrets=tuple(secrets),
        env=tuple(sorted((str(k), str(v)) for k, v in (raw.get("variables") or {}).items()))
        if isinstance(raw.get("variables"), dict)
        else (),
        artifacts=Artifacts(paths=tuple(paths), keep_on_failure=keep) if paths else None,
        caches=tuple(caches),
        exclusive=lock,
        allow_failure=raw.get("continueOnError") is True,
    )
    return job, python


# --- the platform ------------------------------------------------------------------------

LOSSY: Mapping[str, str] = {
    "Environment.approval": "approvals are checks on the Azure DevOps environment, "
    "configured outside the pipeline YAML",
    "Environment.url": "an Azure DevOps environment has no URL field",
    "Artifacts.expire_days": "pipeline artifacts follow the project's run retention policy",
    "Job.oidc": "workload identity federation lives in the service connection a task uses",
}


def expressible(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
    """The pipelines as Azure YAML carries them."""
    out = []
    for p in pipelines:
        jobs = []
        for j in p.jobs:
            env = Environment(name=j.environment.name) if j.environment is not None else None
            art = (
                replace(j.artifacts, expire_days=DEFAULT_EXPIRE_DAYS)
                if j.artifacts is not None
                else None
            )
            jobs.append(replace(j, environment=env, artifacts=art, oidc=False))
        out.append(replace(p, jobs=tuple(jobs)))
    return tuple(out)


def owns(path: str) -> bool:
    """``azure-pipelines.yml`` and ``.azure-pipelines/*.yml`` (and ``.yaml``)."""
    if path in {MAIN_PATH, "azure-pipelines.yaml"}:
        return True
    return path.startswith(DIR) and "/" not in path[len(DIR) :] and path.endswith((".yml", ".yaml"))


class AzurePipelines:
    """Azure Pipelines behind the :class:`~mlopsgen.platforms.base.CIPlatform` protocol."""

    platform = Platform.AZURE
    lossy = LOSSY

    def emit(self, pipelines: Sequence[Pipeline]) -> dict[str, Any]:
        """See :func:`emit`."""
        return emit(pipelines)

    def parse(self, files: Mapping[str, Any]) -> tuple[Pipeline, ...]:
        """See :func:`parse`."""
        return parse(files)

    def expressible(self, pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
        """See :func:`expressible`."""
        return expressible(pipelines)

    def owns(self, path: str) -> bool:
        """See :func:`owns`."""
        return owns(path)
