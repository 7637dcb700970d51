"""GitHub Actions: pipeline model to workflow data and back, secure by default.

Every workflow gets ``permissions: {}`` with least privilege per job, SHA-pinned actions
(the ``# vX.Y.Z`` comment is added to the dumped text by :func:`annotate`, since
emitters return data and YAML data has no comments), ``persist-credentials: false``, a
timeout on every job, concurrency, and environments on deploy jobs. Commands reach
``run:`` verbatim and secrets only through ``env:``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mlopsgen.pipeline.model import (
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

__all__ = ["ACTIONS", "GitHubActions", "annotate"]

RUNNER = "ubuntu-24.04"
#: Uploaded beside every artifact's directories. upload-artifact stores files relative to
#: the least common ancestor of its paths, so a lone ``reports/`` would lose its folder;
#: a second, root-level path keeps every artifact rooted at the workspace (and records the
#: spec that produced it). Every generated repository has it; a missing one is skipped.
ROOT_ANCHOR = "mlops.yaml"
WORKFLOWS = ".github/workflows/"


@dataclass(frozen=True)
class ActionPin:
    """A third-party action pinned to a commit, with the release tag that commit carries."""

    repo: str
    sha: str
    version: str

    @property
    def uses(self) -> str:
        """The ``uses:`` value: ``owner/repo@<40-hex sha>``."""
        return f"{self.repo}@{self.sha}"


# NOTE: bump these together with the tag in the comment (Dependabot's github-actions
# ecosystem does both). Each SHA is the commit its tag points at upstream.
CHECKOUT = ActionPin("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2")
SETUP_PYTHON = ActionPin(
    "actions/setup-python", "a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"
)
CACHE = ActionPin("actions/cache", "0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0")
UPLOAD = ActionPin("actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2")
DOWNLOAD = ActionPin(
    "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
)
ACTIONS: tuple[ActionPin, ...] = (CHECKOUT, SETUP_PYTHON, CACHE, UPLOAD, DOWNLOAD)
_BY_USES = {a.uses: a for a in ACTIONS}

_PR_EXPR = "${{ github.event_name == 'pull_request' }}"
_TAG_EXPR = "startsWith(github.ref, 'refs/tags/')"
_BRANCH_EXPR = re.compile(r"github\.ref == 'refs/heads/([^']+)'")
_SECRET = re.compile(r"\$\{\{ secrets\.([A-Za-z_][A-Za-z0-9_]*) \}\}")
_HASH_FILES = re.compile(r"hashFiles\(([^)]*)\)")
_PIN_LINE = re.compile(r"^(\s*(?:- )?uses: )([\w.-]+/[\w./-]+@[0-9a-f]{40})$", re.MULTILINE)
#: Why a job holds a permission beyond ``contents: read`` (zizmor `undocumented-permissions`).
_PERMISSION_LINE = re.compile(r"^\s*id-token: write$", re.MULTILINE)
_OIDC_REASON = "# OIDC: a short-lived token to log in to the secret store or cloud"


def annotate(text: str) -> str:
    """Add the comments that workflow data cannot carry to dumped YAML text.

    ``# vX.Y.Z`` goes after every ``uses:`` line that names a known pin, and a reason
    after every ``id-token: write``. The dumper never wraps lines and writes these values
    plain, so line-anchored matches are exact.
    """

    def pin_comment(match: re.Match[str]) -> str:
        pin = _BY_USES.get(match.group(2))
        return match.group(0) + (f" # {pin.version}" if pin else "")

    text = _PIN_LINE.sub(pin_comment, text)
    return _PERMISSION_LINE.sub(lambda m: f"{m.group(0)} {_OIDC_REASON}", text)


def _path(pipeline_id: str) -> str:
    return f"{WORKFLOWS}{pipeline_id}.yml"


# --- emit --------------------------------------------------------------------------------


def emit(pipelines: Sequence[Pipeline]) -> dict[str, Any]:
    """One workflow per pipeline, at ``.github/workflows/<id>.yml``."""
    return {_path(p.id): _workflow(p) for p in pipelines}


def _workflow(p: Pipeline) -> dict[str, Any]:
    on: dict[str, Any] = {}
    t = p.triggers
    if t.branches or t.tags:
        push: dict[str, Any] = {}
        if t.branches:
            push["branches"] = list(t.branches)
        if t.tags:
            push["tags"] = list(t.tags)
        on["push"] = push
    if t.pull_requests:
        # pull_request, never pull_request_target: fork code runs without secrets.
        on["pull_request"] = {"branches": list(t.branches)} if t.branches else {}
    if t.schedules:
        on["schedule"] = [{"cron": s.cron} for s in t.schedules]
    if t.schedules or not on:
        on["workflow_dispatch"] = {}
    jobs = {job.id: _job(p, job) for job in p.jobs}
    return {
        "name": p.name,
        "on": on,
        "permissions": {},
        "concurrency": {
            "group": "${{ github.workflow }}-${{ github.ref }}",
            "cancel-in-progress": _PR_EXPR if p.cancel_superseded else False,
        },
        "defaults": {"run": {"shell": "bash"}},
        "jobs": jobs,
    }


def _condition(rule: Rule) -> str | None:
    parts = []
    if rule.branch is not None:
        parts.append(f"github.ref == 'refs/heads/{rule.branch}'")
    if rule.tags:
        parts.append(_TAG_EXPR)
    return " || ".join(parts) or None


def _job(p: Pipeline, job: Job) -> dict[str, Any]:
    permissions = {"contents": "read"}
    if job.oidc:
        permissions["id-token"] = "write"
    out: dict[str, Any] = {"name": job.name, "runs-on": RUNNER}
    if job.needs:
        out["needs"] = list(job.needs)
    condition = _condition(job.rule)
    if condition:
        out["if"] = condition
    out["timeout-minutes"] = job.timeout_minutes
    out["permissions"] = permissions
    if job.environment is not None:
        env: dict[str, Any] = {"name": job.environment.name}
        if job.environment.url:
            env["url"] = job.environment.url
        out["environment"] = env
    if job.exclusive:
        group = job.environment.name if job.environment else f"{p.id}-{job.id}"
        out["concurrency"] = {"group": f"deploy-{group}", "cancel-in-progress": False}
    if job.allow_failure:
        out["continue-on-error"] = True
    if job.env:
        out["env"] = dict(job.env)
    steps: list[dict[str, Any]] = [
        {"uses": CHECKOUT.uses, "with": {"persist-credentials": False}},
        {"uses": SETUP_PYTHON.uses, "with": {"python-version": p.python}},
    ]
    for cache in job.caches:
        files = ", ".join(f"'{f}'" for f in cache.key_files)
        steps.append(
            {
                "uses": CACHE.uses,
                "with": {
                    "path": cache.path.rstrip("/"),
                    "key": f"{cache.name}-${{{{ runner.os }}}}-${{{{ hashFiles({files}) }}}}",
                },
            }
        )
    for need in job.needs:
        art = p.job(need).artifacts
        if art is not None:
            steps.append({"uses": DOWNLOAD.uses, "with": {"name": need, "path": "."}})
    secrets = {name: f"${{{{ secrets.{name} }}}}" for name in job.secrets}
    readers = secret_readers(job.commands)
    for command in job.commands:
        step: dict[str, Any] = {"run": command}
        if secrets and command in readers:
            step["env"] = dict(secrets)
        steps.append(step)
    if job.artifacts is not None:
        upload: dict[str, Any] = {"uses": UPLOAD.uses}
        if job.artifacts.keep_on_failure:
            upload["if"] = "${{ !cancelled() }}"
        upload["with"] = {
            "name": job.id,
            "path": "\n".join((*job.artifacts.paths, ROOT_ANCHOR)),
            "retention-days": job.artifacts.expire_days,
            "if-no-files-found": "error",
        }
        steps.append(upload)
    out["steps"] = steps
    return out


# --- parse -------------------------------------------------------------------------------


def parse(files: Mapping[str, Any]) -> tuple[Pipeline, ...]:
    """Pipelines from workflow data, in the order of ``files``."""
    out = []
    for path, data in files.items():
        if owns(path):
            try:
                out.append(_parse_workflow(path, data))
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise PipelineParseError(f"cannot read the workflow: {exc}") from None
    return tuple(out)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _triggers(on: Any) -> Triggers:
    if isinstance(on, str):
        on = {on: None}
    elif isinstance(on, list):
        on = dict.fromkeys(on)
    on = _mapping(on)
    push = _mapping(on.get("push"))
    return Triggers(
        branches=_strings(push.get("branches")),
        pull_requests="pull_request" in on,
        tags=_strings(push.get("tags")),
        schedules=tuple(Schedule(cron=str(s["cron"])) for s in on.get("schedule") or ()),
    )


def _parse_workflow(path: str, data: Any) -> Pipeline:
    data = _mapping(data)
    # PyYAML reads the `on:` key as the boolean True (YAML 1.1).
    on = data["on"] if "on" in data else data.get(True)
    triggers = _triggers(on)
    cancel = _mapping(data.get("concurrency")).get("cancel-in-progress", False)
    jobs_data = _mapping(data.get("jobs"))
    python = ""
    jobs = []
    for job_id, raw in jobs_data.items():
        job, version = _parse_job(str(job_id), _mapping(raw))
        python = python or version
        jobs.append(job)
    return Pipeline(
        id=posixpath.splitext(posixpath.basename(path))[0],
        name=str(data.get("name", path)),
        python=python,
        triggers=triggers,
        jobs=tuple(jobs),
        cancel_superseded=bool(cancel) and triggers.pull_requests,
    )


def _kind(name: Any) -> JobKind:
    prefix = str(name).partition(":")[0]
    return JobKind(prefix) if prefix in set(JobKind) else JobKind.OTHER


def _rule(expr: Any) -> Rule:
    if expr is None:
        return Rule()
    text = str(expr).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    branch, tags = None, False
    for part in text.split(" || "):
        match = _BRANCH_EXPR.fullmatch(part.strip())
        if match and branch is None:
            branch = match.group(1)
        elif part.strip() == _TAG_EXPR and not tags:
            tags = True
        else:
            raise PipelineParseError(
                f"unsupported job condition {text!r}", hint="conditions on github.ref only"
            )
    return Rule(branch=branch, tags=tags)


def _parse_job(job_id: str, raw: dict[str, Any]) -> tuple[Job, str]:
    python = ""
    commands: list[str] = []
    secrets: dict[str, None] = {}
    caches: list[Cache] = []
    artifacts = None
    for raw_step in raw.get("steps") or ():
        step = _mapping(raw_step)
        uses = str(step.get("uses", "")).partition("@")[0]
        with_ = _mapping(step.get("with"))
        if "run" in step:
            commands.append(str(step["run"]))
            for value in _mapping(step.get("env")).values():
                match = _SECRET.fullmatch(str(value))
                if match:
                    secrets[match.group(1)] = None
        elif uses == SETUP_PYTHON.repo:
            python = python or str(with_.get("python-version", ""))
        elif uses == CACHE.repo:
            key = str(with_.get("key", ""))
            files = _HASH_FILES.search(key)
            caches.append(
                Cache(
                    name=key.split("-${{", 1)[0],
                    key_files=tuple(f.strip().strip("'\"") for f in files.group(1).split(","))
                    if files
                    else (),
                    path=str(with_.get("path", "")).rstrip("/") + "/",
                )
            )
        elif uses == UPLOAD.repo:
            artifacts = Artifacts(
                paths=tuple(
                    line.strip()
                    for line in str(with_.get("path", "")).splitlines()
                    if line.strip() and line.strip() != ROOT_ANCHOR
                ),
                expire_days=int(with_.get("retention-days", 90)),
                keep_on_failure="if" in step,
            )
    environment = None
    env_raw = raw.get("environment")
    if env_raw is not None:
        env_map = env_raw if isinstance(env_raw, dict) else {"name": env_raw}
        url = env_map.get("url")
        environment = Environment(name=str(env_map["name"]), url=str(url) if url else None)
    permissions = _mapping(raw.get("permissions"))
    job = Job(
        id=job_id,
        kind=_kind(raw.get("name", "")),
        commands=tuple(commands),
        needs=_strings(raw.get("needs")),
        rule=_rule(raw.get("if")),
        timeout_minutes=int(raw.get("timeout-minutes", 360)),
        environment=environment,
        secrets=tuple(secrets),
        env=tuple(sorted((str(k), str(v)) for k, v in _mapping(raw.get("env")).items())),
        artifacts=artifacts,
        caches=tuple(caches),
        oidc=permissions.get("id-token") == "write",
        exclusive="concurrency" in raw,
        allow_failure=raw.get("continue-on-error") is True,
    )
    return job, python


# --- the platform ------------------------------------------------------------------------

LOSSY: Mapping[str, str] = {
    "Environment.approval": "required reviewers are an environment protection rule in the "
    "repository settings, not workflow YAML",
    "Schedule.branch": "scheduled workflows always run on the default branch",
}


def expressible(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
    """The pipelines as a workflow carries them: approvals and schedule branches dropped."""
    out = []
    for p in pipelines:
        jobs = tuple(
            replace(j, environment=replace(j.environment, approval=False))
            if j.environment is not None
            else j
            for j in p.jobs
        )
        triggers = replace(
            p.triggers, schedules=tuple(replace(s, branch=None) for s in p.triggers.schedules)
        )
        out.append(replace(p, jobs=jobs, triggers=triggers))
    return tuple(out)


def owns(path: str) -> bool:
    """Workflows: ``.github/workflows/*.yml`` and ``*.yaml``."""
    return (
        path.startswith(WORKFLOWS)
        and "/" not in path[len(WORKFLOWS) :]
        and path.endswith((".yml", ".yaml"))
    )


class GitHubActions:
    """GitHub Actions behind the :class:`~mlopsgen.platforms.base.CIPlatform` protocol."""

    platform = Platform.GITHUB
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
