"""GitLab CI: pipeline model to ``.gitlab-ci.yml`` data and back, secure by default.

One file holds the main pipeline and the scheduled pipelines: a scheduled pipeline's
jobs run only when ``$CI_PIPELINE_SOURCE == "schedule"`` and the pipeline schedule sets
``$MLOPSGEN_SCHEDULE`` to the pipeline's id (the settings as code create the schedule with
that variable), every other job never runs on a schedule. ``workflow:rules`` decide which
events create a pipeline (``rules:``, never ``only/except``); the image is pinned by
digest; deploys are not interruptible, hold a ``resource_group``, and wait for a person
(``when: manual``, not allowed to fail) where the spec asks for approval.

Secrets come through the ``secrets:`` keyword (``vault``, ``azure_key_vault``,
``aws_secrets_manager``, ``gcp_secret_manager``), resolved by the runner with an ID token
of the provider's audience, only in the jobs that read them; ``file: false`` puts each
value in the variable its commands read (as on GitHub and Azure). A job that reads
secrets and does not deploy gets an ``environment`` with ``action: access``, so
environment-scoped CI/CD variables and protected environments scope them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from mlopsgen.pipeline.model import (
    Artifacts,
    Cache,
    CloudLogin,
    Environment,
    Job,
    JobKind,
    Pipeline,
    Rule,
    Schedule,
    Secret,
    SecretProvider,
    SecretStore,
    Triggers,
)
from mlopsgen.platforms.base import (
    AWS_AUDIENCE,
    AZURE_AUDIENCE,
    PipelineParseError,
    federated_login,
    login_position,
    parse_registry_login,
    registry_login,
)
from mlopsgen.spec.secrets import gcp_provider_parts, vault_ref_parts

__all__ = [
    "IMAGES",
    "SCHEDULE_VAR",
    "STORE_TOKENS",
    "VAULT_MOUNT",
    "gcp_audience",
    "glob_to_regex",
    "regex_to_glob",
]

PATH = ".gitlab-ci.yml"

# NOTE: python:<version>-slim by digest (PIN-007). Renovate's docker datasource bumps
# these; each digest was published for its tag upstream.
_DIGESTS = {
    "3.10": "420fbb0e468d3eaf0f7e93ea6f7a48792cbcadc39d43ac95b96bee2afe4367da",
    "3.11": "9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7",
    "3.12": "78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea",
    "3.13": "6771159cd4fa5d9bba1258caf0b82e6b73458c694d178ad97c5e925c2d0e1a91",
}
IMAGES: Mapping[str, str] = {v: f"python:{v}-slim@sha256:{d}" for v, d in _DIGESTS.items()}
_IMAGE = re.compile(r"python:(\d+\.\d+)")

#: Top-level keys that are not jobs.
RESERVED = frozenset(
    {
        "after_script",
        "before_script",
        "cache",
        "default",
        "image",
        "include",
        "pages",
        "services",
        "spec",
        "stages",
        "variables",
        "workflow",
    }
)

_SCHEDULE = '$CI_PIPELINE_SOURCE == "schedule"'
_MR = '$CI_PIPELINE_SOURCE == "merge_request_event"'
_MR_DUPLICATE = "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS"
_TAG = "$CI_COMMIT_TAG"
_NAME_VAR = "PIPELINE_NAME"
#: Set by each pipeline schedule to the id of the scheduled pipeline it runs.
SCHEDULE_VAR = "MLOPSGEN_SCHEDULE"
_SCHEDULE_ID = re.compile(r" && \$" + SCHEDULE_VAR + r' == "([a-z0-9-]+)"')
_CRON_VAR = "PIPELINE_SCHEDULE"
_OIDC_VARIABLE = "ID_TOKEN"
#: The ID token a job logs in to deploy.cloud with, and its audience per cloud (GitLab
#: expands the variable in ``aud``).
CLOUD_TOKEN = "CLOUD_ID_TOKEN"  # noqa: S105 - a variable name, not a value
_CLOUD_AUDIENCES: Mapping[str, str] = {
    "azure": AZURE_AUDIENCE,
    "aws": AWS_AUDIENCE,
    "gcp": "https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER",
}
#: The ID token each secret provider's ``secrets:`` entries log in with.
STORE_TOKENS: Mapping[SecretProvider, str] = {
    SecretProvider.VAULT: "VAULT_ID_TOKEN",
    SecretProvider.AZURE_KEYVAULT: "AZURE_ID_TOKEN",
    SecretProvider.AWS: "AWS_ID_TOKEN",
    SecretProvider.GCP: "GCP_ID_TOKEN",
}
#: Mount of Vault's JWT auth method that trusts this GitLab instance's token issuer.
VAULT_MOUNT = "jwt-gitlab"
#: Job variables the runner reads to resolve ``secrets:`` (not secret: addresses and ids).
_STORE_VARIABLES = frozenset(
    {
        "VAULT_SERVER_URL",
        "VAULT_AUTH_ROLE",
        "VAULT_AUTH_PATH",
        "AZURE_KEY_VAULT_SERVER_URL",
        "GCP_PROJECT_NUMBER",
        "GCP_WORKLOAD_IDENTITY_FEDERATION_POOL_ID",
        "GCP_WORKLOAD_IDENTITY_FEDERATION_PROVIDER_ID",
    }
)
_KEY_VAULT_URL = re.compile(r"https://([A-Za-z0-9-]+)\.vault\.azure\.net/?")
_GCP_REF = re.compile(r"(projects/[^/]+/secrets/[^/]+)/versions/([^/]+)")
_CI_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_BRANCH_EQ = re.compile(r'\$CI_COMMIT_BRANCH == "([^"]+)"')
_BRANCH_RE = re.compile(r"\$CI_COMMIT_BRANCH =~ /(.+)/")
_TAG_RE = re.compile(r"\$CI_COMMIT_TAG =~ /(.+)/")
_DURATION = re.compile(r"(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:ute)?s?)?)?")
_EXPIRE = re.compile(r"(\d+)\s*(day|week)s?")


def glob_to_regex(glob: str) -> str:
    """GitLab regex (between slashes) matching a branch or tag glob: ``v*`` -> ``^v.*$``."""
    out = "".join({"*": ".*", ".": r"\.", "/": r"\/"}.get(ch, ch) for ch in glob)
    return f"^{out}$"


def regex_to_glob(regex: str) -> str | None:
    """The inverse of :func:`glob_to_regex`, or None for any other regex."""
    if not (regex.startswith("^") and regex.endswith("$")):
        return None
    body = regex[1:-1]
    out, i = [], 0
    while i < len(body):
        pair = body[i : i + 2]
        if pair in {".*", r"\.", r"\/"}:
            out.append({".*": "*", r"\.": ".", r"\/": "/"}[pair])
            i += 2
        elif re.fullmatch(r"[A-Za-z0-9_-]", body[i]):
            out.append(body[i])
            i += 1
        else:
            return None
    return "".join(out)


def _branch_cond(branch: str) -> str:
    if "*" in branch:
        return f"$CI_COMMIT_BRANCH =~ /{glob_to_regex(branch)}/"
    return f'$CI_COMMIT_BRANCH == "{branch}"'


# --- emit --------------------------------------------------------------------------------


def _split(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, list[Pipeline]]:
    main = [p for p in pipelines if not p.triggers.schedules]
    scheduled = [p for p in pipelines if p.triggers.schedules]
    if len(main) != 1:
        raise ValueError("GitLab renders one main pipeline plus scheduled pipelines")
    for p in scheduled:
        s = p.triggers
        if s.branches or s.tags or s.pull_requests or len(s.schedules) != 1:
            raise ValueError("a scheduled GitLab pipeline runs on exactly one schedule only")
    return main[0], scheduled


def schedule_condition(pipeline_id: str) -> str:
    """The ``if:`` of a scheduled pipeline: a schedule whose variable names the pipeline."""
    return f'{_SCHEDULE} && ${SCHEDULE_VAR} == "{pipeline_id}"'


def emit(pipelines: Sequence[Pipeline]) -> dict[str, Any]:
    """``.gitlab-ci.yml`` for the main pipeline plus the scheduled pipelines.

    Raises:
        ValueError: pipelines of another shape, or job ids that clash (a bug, not bad input).
    """
    main, scheduled = _split(pipelines)
    jobs = [*main.jobs, *(j for p in scheduled for j in p.jobs)]
    ids = [j.id for j in jobs]
    if len(set(ids)) != len(ids) or RESERVED & set(ids):
        raise ValueError(f"job ids must be unique and not GitLab keywords: {ids}")
    if main.id != "ci" or "ci" in {p.id for p in scheduled}:
        raise ValueError("the main GitLab pipeline is named ci, and only it")
    if main.python not in IMAGES:
        raise ValueError(f"no pinned image for Python {main.python}")
    rules: list[dict[str, Any]] = []
    for p in scheduled:
        rules.append(
            {
                "if": schedule_condition(p.id),
                "variables": {_NAME_VAR: p.name, _CRON_VAR: p.triggers.schedules[0].cron},
            }
        )
    t = main.triggers
    if t.pull_requests:
        rules.append({"if": _MR})
        # A push to a branch with an open merge request would run a second pipeline.
        rules.append({"if": _MR_DUPLICATE, "when": "never"})
    rules.extend({"if": _branch_cond(b)} for b in t.branches)
    rules.extend({"if": f"$CI_COMMIT_TAG =~ /{glob_to_regex(g)}/"} for g in t.tags)
    data: dict[str, Any] = {
        "variables": {_NAME_VAR: main.name},
        "workflow": {
            "name": f"${_NAME_VAR}",
            "auto_cancel": {"on_new_commit": "interruptible" if main.cancel_superseded else "none"},
            "rules": rules,
        },
        "default": {"image": IMAGES[main.python], "interruptible": main.cancel_superseded},
        "stages": _stages(jobs),
    }
    for job in main.jobs:
        data[job.id] = _job(job, scheduled=None, exclude_schedule=bool(scheduled))
    for p in scheduled:
        for job in p.jobs:
            data[job.id] = _job(job, scheduled=p.id, exclude_schedule=False)
    return {PATH: data}


def _stages(jobs: Sequence[Job]) -> list[str]:
    """Stages of the kinds in use, each after the stages of what its jobs need.

    GitLab refuses a need in a later stage. The kinds' declaration order breaks ties, so
    the main pipeline reads check, test, ... deploy, and a scheduled retrain (a train job
    that needs the monitor job) puts monitor before train.
    """
    order = list(JobKind)
    kind_of = {j.id: j.kind for j in jobs}
    after: dict[JobKind, set[JobKind]] = {j.kind: set() for j in jobs}
    for job in jobs:
        after[job.kind].update(kind_of[n] for n in job.needs if kind_of[n] is not job.kind)
    out: list[str] = []
    while after:
        ready = sorted((k for k, deps in after.items() if not deps), key=order.index)
        if not ready:
            raise ValueError(f"the needs of these kinds form a cycle: {sorted(after)}")
        del after[ready[0]]
        for deps in after.values():
            deps.discard(ready[0])
        out.append(ready[0].value)
    return out


def _rules(job: Job, *, scheduled: str | None, exclude_schedule: bool) -> list[dict[str, Any]]:
    conds: list[str | None] = []
    if job.rule.branch is not None:
        conds.append(_branch_cond(job.rule.branch))
    if job.rule.tags:
        conds.append(_TAG)
    if not conds:
        conds = [None]
    manual = job.environment is not None and job.environment.approval
    rules: list[dict[str, Any]] = []
    if exclude_schedule:
        rules.append({"if": _SCHEDULE, "when": "never"})
    for ref in conds:
        cond = ref
        if scheduled is not None:
            on = schedule_condition(scheduled)
            cond = on if ref is None else f"{on} && {ref}"
        rule: dict[str, Any] = {"if": cond} if cond else {}
        if manual:
            rule["when"] = "manual"
        elif not cond:
            rule["when"] = "on_success"
        rules.append(rule)
    if rules == [{"when": "on_success"}]:
        return []
    return rules


def _job(job: Job, *, scheduled: str | None, exclude_schedule: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"stage": job.stage, "needs": list(job.needs)}
    rules = _rules(job, scheduled=scheduled, exclude_schedule=exclude_schedule)
    if rules:
        out["rules"] = rules
    manual = job.environment is not None and job.environment.approval
    if job.allow_failure or manual:
        # A manual job may fail by default; an approval gate must block what follows.
        out["allow_failure"] = job.allow_failure
    out["timeout"] = f"{job.timeout_minutes} minutes"
    if job.environment is not None:
        env: dict[str, Any] = {"name": job.environment.name}
        if job.environment.url:
            env["url"] = job.environment.url
        if not job.environment.deployment:
            env["action"] = "access"  # reads the environment's variables, deploys nothing
        out["environment"] = env
        if job.environment.deployment:
            out["interruptible"] = False
    if job.exclusive:
        out["resource_group"] = job.environment.name if job.environment else job.id
    store = (
        job.store if job.store is not None and job.store.provider is not SecretProvider.CI else None
    )
    tokens: dict[str, Any] = {}
    if job.cloud_login is not None:
        tokens[CLOUD_TOKEN] = {"aud": _CLOUD_AUDIENCES[job.cloud_login.cloud]}
    elif job.oidc:
        tokens[_OIDC_VARIABLE] = {"aud": "$CI_SERVER_URL"}
    if store is not None:
        tokens[STORE_TOKENS[store.provider]] = {"aud": _store_audience(store)}
    if tokens:
        out["id_tokens"] = tokens
    variables = dict(job.env)
    if store is not None:
        out["secrets"] = {s.name: _secret_entry(store, s) for s in job.secrets}
        variables |= _store_variables(store)
    elif job.store is not None:
        # CI/CD variables reach the job under their own name; expose each as its `name`.
        variables |= {s.name: f"${s.ref}" for s in job.secrets if s.name != s.ref}
    if variables:
        out["variables"] = dict(sorted(variables.items()))
    if job.caches:
        out["cache"] = [
            {"key": {"files": list(c.key_files), "prefix": c.name}, "paths": [c.path]}
            for c in job.caches
        ]
    out["script"] = _script(job)
    if job.artifacts is not None:
        art: dict[str, Any] = {
            "paths": list(job.artifacts.paths),
            "expire_in": f"{job.artifacts.expire_days} days",
        }
        if job.artifacts.keep_on_failure:
            art["when"] = "always"
        out["artifacts"] = art
    return out


def _login_lines(login: CloudLogin) -> tuple[str, ...]:
    registry = (registry_login(login.cloud, login.registry),) if login.registry else ()
    return (*federated_login(login.cloud, CLOUD_TOKEN), *registry)


def _script(job: Job) -> list[str]:
    """The job's commands, with the cloud login after ``make install`` (one shell runs all)."""
    if job.cloud_login is None:
        return list(job.commands)
    at = login_position(job.commands)
    return [*job.commands[:at], *_login_lines(job.cloud_login), *job.commands[at:]]


def _parse_login(
    raw: dict[str, Any], script: tuple[str, ...]
) -> tuple[CloudLogin | None, tuple[str, ...]]:
    """The cloud login of a job (its :data:`CLOUD_TOKEN` and login lines), and the rest."""
    aud = _map(_map(raw.get("id_tokens")).get(CLOUD_TOKEN)).get("aud")
    cloud = next((c for c, a in _CLOUD_AUDIENCES.items() if a == aud), None)
    if cloud is None:
        return None, script
    lines = set(federated_login(cloud, CLOUD_TOKEN))
    registry = None
    rest = []
    for line in script:
        found = parse_registry_login(line)
        if found is not None and found[0] == cloud:
            registry = found[1]
        elif line not in lines:
            rest.append(line)
    return CloudLogin(cloud=cloud, registry=registry), tuple(rest)


def gcp_audience(workload_identity_provider: str) -> str:
    """The default audience of a GCP workload identity provider (what it accepts)."""
    return f"https://iam.googleapis.com/{workload_identity_provider}"


def _store_audience(store: SecretStore) -> str:
    if store.provider is SecretProvider.VAULT:
        return store.need("audience")
    if store.provider is SecretProvider.AZURE_KEYVAULT:
        return AZURE_AUDIENCE
    if store.provider is SecretProvider.AWS:
        return AWS_AUDIENCE
    return gcp_audience(store.need("workload_identity_provider"))


def _store_variables(store: SecretStore) -> dict[str, str]:
    if store.provider is SecretProvider.VAULT:
        return {
            "VAULT_SERVER_URL": store.need("url"),
            "VAULT_AUTH_ROLE": store.need("role"),
            "VAULT_AUTH_PATH": VAULT_MOUNT,
        }
    if store.provider is SecretProvider.AZURE_KEYVAULT:
        return {"AZURE_KEY_VAULT_SERVER_URL": f"https://{store.need('vault')}.vault.azure.net/"}
    if store.provider is SecretProvider.GCP:
        number, pool, provider = gcp_provider_parts(store.need("workload_identity_provider"))
        return {
            "GCP_PROJECT_NUMBER": number,
            "GCP_WORKLOAD_IDENTITY_FEDERATION_POOL_ID": pool,
            "GCP_WORKLOAD_IDENTITY_FEDERATION_PROVIDER_ID": provider,
        }
    return {}


def _secret_entry(store: SecretStore, secret: Secret) -> dict[str, Any]:
    entry: dict[str, Any]
    if store.provider is SecretProvider.VAULT:
        mount, engine, path, key = vault_ref_parts(secret.ref)
        entry = {"vault": {"engine": {"name": engine, "path": mount}, "path": path, "field": key}}
    elif store.provider is SecretProvider.AZURE_KEYVAULT:
        entry = {"azure_key_vault": {"name": secret.ref}}
    elif store.provider is SecretProvider.AWS:
        entry = {
            "aws_secrets_manager": {
                "secret_id": secret.ref,
                "region": store.need("region"),
                "role_arn": store.need("role_arn"),
            }
        }
    else:
        match = _GCP_REF.fullmatch(secret.ref)
        if match is None:
            raise ValueError(f"not a canonical GCP reference: {secret.ref!r}")
        entry = {"gcp_secret_manager": {"name": match.group(1), "version": match.group(2)}}
    entry["token"] = f"${STORE_TOKENS[store.provider]}"
    entry["file"] = False  # the variable holds the value, as on GitHub and Azure
    return entry


# --- parse -------------------------------------------------------------------------------


def parse(files: Mapping[str, Any]) -> tuple[Pipeline, ...]:
    """The main pipeline and, for the jobs that run only on schedules, the scheduled ones."""
    for path, data in files.items():
        if owns(path):
            try:
                return _parse(data if isinstance(data, dict) else {})
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                raise PipelineParseError(f"cannot read the pipeline: {exc}") from None
    return ()


def _minutes(value: Any) -> int:
    match = _DURATION.fullmatch(str(value).strip())
    if not match or not any(match.groups()):
        raise PipelineParseError(f"unsupported timeout {value!r}", hint="write e.g. 30 minutes")
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def _days(value: Any) -> int:
    match = _EXPIRE.fullmatch(str(value).strip())
    if not match:
        raise PipelineParseError(f"unsupported expire_in {value!r}", hint="write e.g. 30 days")
    return int(match.group(1)) * (7 if match.group(2) == "week" else 1)


def _map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse(data: dict[str, Any]) -> tuple[Pipeline, ...]:
    workflow, variables = _map(data.get("workflow")), _map(data.get("variables"))
    default = _map(data.get("default"))
    image = str(default.get("image", data.get("image", "")))
    match = _IMAGE.search(image)
    python = match.group(1) if match else ""
    branches: list[str] = []
    tags: list[str] = []
    pull_requests = False
    #: Scheduled pipeline id -> (name, cron), in the order of the workflow rules.
    schedules: dict[str, tuple[str, str | None]] = {}
    for rule in workflow.get("rules") or ():
        cond = str(rule.get("if", ""))
        scheduled_id = _scheduled_id(cond)
        if scheduled_id is not None and scheduled_id[1] == "":
            rule_vars = _map(rule.get("variables"))
            schedules[scheduled_id[0]] = (
                str(rule_vars.get(_NAME_VAR, scheduled_id[0])),
                str(rule_vars.get(_CRON_VAR, "")) or None,
            )
        elif cond == _MR:
            pull_requests = True
        elif (m := _BRANCH_EQ.fullmatch(cond)) is not None:
            branches.append(m.group(1))
        elif (m := _BRANCH_RE.fullmatch(cond)) is not None and regex_to_glob(m.group(1)):
            branches.append(regex_to_glob(m.group(1)) or "")
        elif cond == _TAG:
            tags.append("*")
        elif (m := _TAG_RE.fullmatch(cond)) is not None and regex_to_glob(m.group(1)):
            tags.append(regex_to_glob(m.group(1)) or "")
    stages = [str(s) for s in data.get("stages") or ("build", "test", "deploy")]
    main_jobs: list[Job] = []
    scheduled_jobs: dict[str, list[Job]] = {}
    raw_jobs = [
        (str(k), v)
        for k, v in data.items()
        if isinstance(v, dict) and k not in RESERVED and not str(k).startswith(".")
    ]
    for key, raw in raw_jobs:
        job, on_schedule = _parse_job(key, raw, raw_jobs, stages)
        if on_schedule is None:
            main_jobs.append(job)
        else:
            scheduled_jobs.setdefault(on_schedule, []).append(job)
    auto_cancel = _map(workflow.get("auto_cancel")).get("on_new_commit")
    out = [
        Pipeline(
            id="ci",
            name=str(variables.get(_NAME_VAR, "gitlab-ci")),
            python=python,
            triggers=Triggers(
                branches=tuple(branches), pull_requests=pull_requests, tags=tuple(tags)
            ),
            jobs=tuple(main_jobs),
            cancel_superseded=auto_cancel == "interruptible" and pull_requests,
        )
    ]
    for pipeline_id in sorted(scheduled_jobs, key=[*schedules, *scheduled_jobs].index):
        name, cron = schedules.get(pipeline_id, (pipeline_id, None))
        out.append(
            Pipeline(
                id=pipeline_id,
                name=name,
                python=python,
                triggers=Triggers(schedules=(Schedule(cron=cron),) if cron else ()),
                jobs=tuple(scheduled_jobs[pipeline_id]),
            )
        )
    return tuple(out)


def _scheduled_id(cond: str) -> tuple[str, str] | None:
    """``(scheduled pipeline id, the rest of the condition)`` of a rule on schedules.

    ``$CI_PIPELINE_SOURCE == "schedule"`` alone (files before schedules carried a
    variable) is the monitoring pipeline; None for a rule not on schedules.
    """
    if cond != _SCHEDULE and not cond.startswith(f"{_SCHEDULE} && "):
        return None
    rest = cond[len(_SCHEDULE) :]
    match = _SCHEDULE_ID.match(rest)
    pipeline_id = match.group(1) if match else "monitor"
    rest = rest[match.end() :] if match else rest
    return pipeline_id, rest.removeprefix(" && ")


def _parse_rules(rules: Any) -> tuple[Rule, str | None, bool]:
    """``(rule, the scheduled pipeline it runs in or None, manual)`` from a job's ``rules:``."""
    branch, tags, manual = None, False, False
    scheduled: str | None = None
    for rule in rules or ():
        cond = str(rule.get("if", "")) if "if" in rule else ""
        if rule.get("when") == "never":
            continue
        manual = manual or rule.get("when") == "manual"
        on_schedule = _scheduled_id(cond)
        if on_schedule is not None:
            scheduled, cond = on_schedule
        if not cond:
            continue
        if (m := _BRANCH_EQ.fullmatch(cond)) is not None:
            branch = m.group(1)
        elif (m := _BRANCH_RE.fullmatch(cond)) is not None and regex_to_glob(m.group(1)):
            branch = regex_to_glob(m.group(1))
        elif cond == _TAG:
            tags = True
        else:
            raise PipelineParseError(
                f"unsupported rule {cond!r}",
                hint="rules on the branch, tag or pipeline source only",
            )
    return Rule(branch=branch, tags=tags), scheduled, manual


def _parse_job(
    key: str, raw: dict[str, Any], raw_jobs: list[tuple[str, Any]], stages: list[str]
) -> tuple[Job, str | None]:
    stage = str(raw.get("stage", "test"))
    rule, scheduled, manual = _parse_rules(raw.get("rules"))
    if "needs" in raw:
        needs = tuple(str(n["job"]) if isinstance(n, dict) else str(n) for n in raw["needs"])
    else:
        # Without needs a job waits for every job of the earlier stages.
        before = stages[: stages.index(stage)] if stage in stages else []
        needs = tuple(k for k, v in raw_jobs if str(v.get("stage", "test")) in before)
    environment = None
    env_raw = raw.get("environment")
    if env_raw is not None:
        env_map = env_raw if isinstance(env_raw, dict) else {"name": env_raw}
        url = env_map.get("url")
        environment = Environment(
            name=str(env_map["name"]),
            url=str(url) if url else None,
            approval=manual,
            deployment=env_map.get("action", "start") in {"start", "stop"},
        )
    variables = {str(k): str(v) for k, v in _map(raw.get("variables")).items()}
    secrets, store = _parse_secrets(raw, variables)
    artifacts = None
    art = raw.get("artifacts")
    if isinstance(art, dict) and art.get("paths"):
        artifacts = Artifacts(
            paths=tuple(str(p) for p in art["paths"]),
            expire_days=_days(art.get("expire_in", "30 days")),
            keep_on_failure=art.get("when") == "always",
        )
    cache_raw = raw.get("cache") or []
    caches = tuple(
        Cache(
            name=str(c["key"].get("prefix", "cache")),
            key_files=tuple(str(f) for f in c["key"].get("files", ())),
            path=str(c["paths"][0]),
        )
        for c in (cache_raw if isinstance(cache_raw, list) else [cache_raw])
        if isinstance(c.get("key"), dict)
    )
    script = raw.get("script")
    login, commands = _parse_login(
        raw, (script,) if isinstance(script, str) else tuple(str(s) for s in script or ())
    )
    job = Job(
        id=key,
        kind=JobKind(stage) if stage in set(JobKind) else JobKind.OTHER,
        commands=commands,
        needs=needs,
        rule=rule,
        timeout_minutes=_minutes(raw.get("timeout", "60 minutes")),
        environment=environment,
        secrets=secrets,
        store=store,
        env=tuple(sorted(variables.items())),
        artifacts=artifacts,
        caches=caches,
        oidc=bool(set(_map(raw.get("id_tokens"))) - _store_tokens(raw)),
        cloud_login=login,
        exclusive="resource_group" in raw,
        allow_failure=raw.get("allow_failure", manual) is True,
    )
    return job, scheduled


def _store_tokens(raw: dict[str, Any]) -> set[str]:
    """The ID tokens a job's ``secrets:`` entries log in with (not ones its commands use)."""
    return {
        str(entry.get("token", "")).lstrip("$")
        for entry in _map(raw.get("secrets")).values()
        if isinstance(entry, dict)
    }


def _parse_secrets(
    raw: dict[str, Any], variables: dict[str, str]
) -> tuple[tuple[Secret, ...], SecretStore | None]:
    """The job's ``secrets:`` as model secrets and their store.

    The variables the runner reads to resolve them are taken out of ``variables``.
    """
    entries = _map(raw.get("secrets"))
    if not entries:
        return (), None
    tokens = _map(raw.get("id_tokens"))
    providers: set[SecretProvider] = set()
    settings: dict[str, str] = {}
    out = []
    for name, raw_entry in entries.items():
        entry = _map(raw_entry)
        if "vault" in entry:
            providers.add(SecretProvider.VAULT)
            ref = _vault_ref(entry["vault"])
        elif "azure_key_vault" in entry:
            providers.add(SecretProvider.AZURE_KEYVAULT)
            ref = str(_map(entry["azure_key_vault"])["name"])
        elif "aws_secrets_manager" in entry:
            providers.add(SecretProvider.AWS)
            aws = entry["aws_secrets_manager"]
            aws = aws if isinstance(aws, dict) else {"secret_id": aws}
            ref = str(aws["secret_id"])
            settings |= {k: str(aws[k]) for k in ("region", "role_arn") if k in aws}
        elif "gcp_secret_manager" in entry:
            providers.add(SecretProvider.GCP)
            gcp = _map(entry["gcp_secret_manager"])
            ref = f"{gcp['name']}/versions/{gcp.get('version', 'latest')}"
        else:
            raise PipelineParseError(
                f"unsupported secret source in {sorted(entry)}",
                hint="vault, azure_key_vault, aws_secrets_manager or gcp_secret_manager",
            )
        out.append(Secret(name=str(name), ref=ref))
    if len(providers) != 1:
        raise PipelineParseError(
            f"a job reads secrets from {len(providers)} stores", hint="one secret store per job"
        )
    (provider,) = providers
    if provider is SecretProvider.VAULT:
        settings |= {
            key: variables[var]
            for key, var in (("url", "VAULT_SERVER_URL"), ("role", "VAULT_AUTH_ROLE"))
            if var in variables
        }
        aud = _map(tokens.get(STORE_TOKENS[provider])).get("aud")
        if isinstance(aud, str):
            settings["audience"] = aud
    elif provider is SecretProvider.AZURE_KEYVAULT:
        match = _KEY_VAULT_URL.fullmatch(variables.get("AZURE_KEY_VAULT_SERVER_URL", ""))
        if match:
            settings["vault"] = match.group(1)
    elif provider is SecretProvider.GCP and "GCP_PROJECT_NUMBER" in variables:
        settings["workload_identity_provider"] = (
            f"projects/{variables['GCP_PROJECT_NUMBER']}/locations/global/workloadIdentityPools/"
            f"{variables.get('GCP_WORKLOAD_IDENTITY_FEDERATION_POOL_ID', '')}/providers/"
            f"{variables.get('GCP_WORKLOAD_IDENTITY_FEDERATION_PROVIDER_ID', '')}"
        )
    for var in _STORE_VARIABLES:
        variables.pop(var, None)
    store = SecretStore(provider=provider, settings=tuple(sorted(settings.items())))
    return tuple(out), store


def _vault_ref(value: Any) -> str:
    """A Vault reference (``path#key``) from ``secrets:vault``, object or string form."""
    if isinstance(value, str):
        # `path/to/secret/field@engine`: KV v2 at mount `engine` (GitLab's short form).
        location, _, mount = value.rpartition("@")
        path, _, field = location.rpartition("/")
        return f"{mount or 'kv-v2'}/data/{path}#{field}"
    entry = _map(value)
    engine = _map(entry.get("engine"))
    mount = str(engine.get("path", "secret"))
    data = "/data" if str(engine.get("name", "kv-v2")) == "kv-v2" else ""
    return f"{mount}{data}/{entry['path']}#{entry['field']}"


# --- the platform ------------------------------------------------------------------------

LOSSY: Mapping[str, str] = {
    "Job.secrets": "CI/CD variables are not named in .gitlab-ci.yml: scope them to the "
    "job's environment (protected, masked) in the project settings",
    "Job.store": "CI/CD variables are project settings, not a store the YAML names",
    "Job.env": "a CI/CD variable whose name differs from the secret's is passed as "
    "`NAME: $REF` in the job's variables",
    "Schedule.branch": "the ref of a pipeline schedule is set with the schedule "
    "(CI/CD > Schedules), not in .gitlab-ci.yml",
    "Pipeline.python": "one default image serves both pipelines of the file",
    "Job.node": "the pinned python image has no Node.js: the job's `make browser-tools` "
    "installs Debian's nodejs and npm (signed apt packages) when they are missing",
    "SecretStore.static": "the secrets: keyword logs in with an ID token only",
    "SecretStore.settings": "the Azure service connection and the GCP service account "
    "(the runner reads GCP secrets as the workload identity principal itself)",
}

#: The store settings .gitlab-ci.yml carries, by provider.
_CARRIED: Mapping[SecretProvider, frozenset[str]] = {
    SecretProvider.VAULT: frozenset({"url", "role", "audience"}),
    SecretProvider.AZURE_KEYVAULT: frozenset({"vault"}),
    SecretProvider.AWS: frozenset({"region", "role_arn"}),
    SecretProvider.GCP: frozenset({"workload_identity_provider"}),
}


def _expressible_job(job: Job) -> Job:
    job = replace(job, node=None)
    if job.cloud_login is not None:
        job = replace(job, cloud_login=replace(job.cloud_login, service_connection=None))
    store = job.store
    if store is None:
        return job
    if store.provider is SecretProvider.CI:
        aliases = {s.name: f"${s.ref}" for s in job.secrets if s.name != s.ref}
        env = dict(job.env) | aliases
        return replace(job, secrets=(), store=None, env=tuple(sorted(env.items())))
    keep = _CARRIED[store.provider]
    return replace(
        job,
        store=replace(
            store, static=False, settings=tuple((k, v) for k, v in store.settings if k in keep)
        ),
    )


def expressible(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
    """The pipelines as ``.gitlab-ci.yml`` carries them."""
    main_python = next((p.python for p in pipelines if not p.triggers.schedules), None)
    out = []
    for p in pipelines:
        out.append(
            replace(
                p,
                python=main_python or p.python,
                jobs=tuple(_expressible_job(j) for j in p.jobs),
                triggers=replace(
                    p.triggers,
                    schedules=tuple(replace(s, branch=None) for s in p.triggers.schedules),
                ),
            )
        )
    return tuple(out)


def owns(path: str) -> bool:
    """The one pipeline file, ``.gitlab-ci.yml`` (local includes are not followed yet)."""
    return path == PATH
