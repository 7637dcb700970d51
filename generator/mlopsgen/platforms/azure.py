"""Azure Pipelines: pipeline model to pipeline YAML data and back, secure by default.

Each job is a stage of its own, so the needs graph maps exactly onto stage ``dependsOn``
(Azure allows job-level ``dependsOn`` only inside one stage). Deploys are ``deployment``
jobs on an ``environment:`` with a sequential lock; every job has ``timeoutInMinutes``
and checks out with ``persistCredentials: false``; no stage can be skipped at queue time.

Secrets reach a script only through its ``env:`` map. Azure Key Vault secrets come from
``AzureKeyVault@2`` over a workload-identity service connection (an explicit
``SecretsFilter``, never ``*``); CI-native secrets from the job's own variable group;
Vault, AWS and GCP secrets from one script step that requests the pipeline's OIDC token
(``System.OidcRequestUri``), exchanges it with the store and sets each value as a secret
variable (``issecret=true``), all after ``make install``.
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
    STORE_REFS,
    PipelineParseError,
    federated_login,
    format_refs,
    parse_refs,
    parse_registry_login,
    registry_login,
    secret_readers,
)

__all__ = ["FETCH_SCRIPTS", "SECRET_STEP", "VAULT_MOUNT"]

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

#: Reference name of the step that reads Vault, AWS or GCP secrets.
SECRET_STEP = "read_secrets"  # noqa: S105 - a step name, not a value
#: Mount of Vault's JWT auth method that trusts this Azure DevOps organization's issuer.
VAULT_MOUNT = "jwt-azure-devops"
_KEY_VAULT_TASK = "AzureKeyVault@2"
#: ``$(name)``: a variable macro (Key Vault secrets may start with a digit or ``-``).
_VARIABLE = re.compile(r"\$\(([A-Za-z0-9_.-]+)\)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The pipeline's own ID token (issuer https://vstoken.dev.azure.com/<organization id>,
# subject p://<organization>/<project>/<pipeline>, audience api://AzureADTokenExchange):
# no service connection and no stored key. See: https://learn.microsoft.com/rest/api/
# azure/devops/distributedtask/oidctoken/create
_REQUEST_ID = """\
set -euo pipefail
id_token="$(curl --fail --silent --show-error --request POST --data '{}' \\
  --header "Authorization: Bearer $SYSTEM_ACCESSTOKEN" --header 'Content-Type: application/json' \\
  "$SYSTEM_OIDCREQUESTURI?api-version=7.1-preview.1" | jq -r .oidcToken)"
"""
# Each value becomes a secret variable: masked in logs, mapped into a script only by env.
# (`issecret=%s` with `true` as an argument: detect-secrets reads `issecret=true` as a value.)
_SET = """\
  printf '##vso[task.setvariable variable=%s;issecret=%s]%s\\n' "$name" true "$value"
done <<< "$STORE_REFS"
"""
_READ = """\
while read -r name ref; do
  [ -n "$name" ] || continue
"""
#: The script of the step that reads secrets, per provider (settings come from its env).
FETCH_SCRIPTS: Mapping[SecretProvider, str] = {
    SecretProvider.VAULT: _REQUEST_ID
    + """\
vault_token="$(jq -n --arg role "$VAULT_ROLE" --arg jwt "$id_token" '{role: $role, jwt: $jwt}' \\
  | curl --fail --silent --show-error --data @- "$VAULT_ADDR/v1/auth/$VAULT_AUTH_PATH/login" \\
  | jq -r .auth.client_token)"
"""
    + _READ
    + """\
  value="$(curl --fail --silent --show-error --header "X-Vault-Token: $vault_token" \\
    "$VAULT_ADDR/v1/${ref%#*}" | jq -r --arg key "${ref##*#}" '(.data.data // .data)[$key]')"
"""
    + _SET,
    SecretProvider.AWS: _REQUEST_ID
    + """\
token_file="$(mktemp)"
trap 'rm -f "$token_file"' EXIT
printf '%s' "$id_token" > "$token_file"
export AWS_WEB_IDENTITY_TOKEN_FILE="$token_file"
"""
    + _READ
    + """\
  value="$(aws secretsmanager get-secret-value --secret-id "$ref" --query SecretString \\
    --output text)"
"""
    + _SET,
    SecretProvider.GCP: _REQUEST_ID
    + """\
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
printf '%s' "$id_token" > "$workdir/token"
gcloud iam workload-identity-pools create-cred-config "$GCP_WORKLOAD_IDENTITY_PROVIDER" \\
  --service-account="$GCP_SERVICE_ACCOUNT" --credential-source-file="$workdir/token" \\
  --output-file="$workdir/credentials.json"
export CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE="$workdir/credentials.json"
"""
    + _READ
    + """\
  value="$(gcloud secrets versions access "$ref")"
"""
    + _SET,
}
#: Reference name of the step that logs in to deploy.cloud.
CLOUD_LOGIN_STEP = "cloud_login"
_AZURE_CLI_TASK = "AzureCLI@2"
#: What a cloud login hands the later steps of its job (each step is a new shell).
_CLOUD_SESSION: Mapping[str, tuple[str, ...]] = {
    "aws": ("AWS_WEB_IDENTITY_TOKEN_FILE",),
    "gcp": ("CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "GOOGLE_APPLICATION_CREDENTIALS"),
}


def _cloud_login_step(login: CloudLogin) -> dict[str, Any]:
    """deploy.cloud's login: AzureCLI@2 on a workload identity service connection (azure).

    AWS and GCP log in with the pipeline's own ID token (as the secret stores do) and hand
    the session's files to the later steps as variables.
    """
    registry = (registry_login(login.cloud, login.registry),) if login.registry else ()
    if login.cloud == "azure":
        return {
            "task": _AZURE_CLI_TASK,
            "name": CLOUD_LOGIN_STEP,
            "displayName": "Log in to azure",
            "inputs": _azure_cli_inputs(
                login, "\n".join((*registry, "az account show --output none"))
            ),
        }
    persist = tuple(
        f"printf '##vso[task.setvariable variable={var}]%s\\n' \"${var}\""
        for var in _CLOUD_SESSION[login.cloud]
    )
    lines = (*federated_login(login.cloud, "id_token"), *persist, *registry)
    return {
        "bash": _REQUEST_ID + "".join(f"{line}\n" for line in lines),
        "name": CLOUD_LOGIN_STEP,
        "displayName": f"Log in to {login.cloud}",
        "env": {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"},
    }


def _azure_cli_inputs(login: CloudLogin, script: str) -> dict[str, Any]:
    if login.service_connection is None:
        raise ValueError("an Azure cloud login needs the service connection to log in through")
    return {
        "azureSubscription": login.service_connection,
        "scriptType": "bash",
        "scriptLocation": "inlineScript",
        "inlineScript": script,
    }


def _parse_cloud_login(step: dict[str, Any]) -> CloudLogin:
    inputs = step.get("inputs") or {}
    script = str(inputs.get("inlineScript", step.get("bash", "")))
    found = [x for x in map(parse_registry_login, script.splitlines()) if x is not None]
    if step.get("task", "") == _AZURE_CLI_TASK:
        cloud = "azure"
    else:
        last = {c: federated_login(c, "id_token")[-1] for c in _CLOUD_SESSION}
        cloud = next((c for c, line in last.items() if line in script), "")
    connection = inputs.get("azureSubscription") if cloud == "azure" else None
    return CloudLogin(
        cloud=cloud,
        registry=found[0][1] if found else None,
        service_connection=str(connection) if connection is not None else None,
    )


#: The fetch step's settings, as environment variables, per provider.
_FETCH_ENV: Mapping[SecretProvider, tuple[tuple[str, str], ...]] = {
    SecretProvider.VAULT: (("url", "VAULT_ADDR"), ("role", "VAULT_ROLE")),
    SecretProvider.AWS: (("role_arn", "AWS_ROLE_ARN"), ("region", "AWS_REGION")),
    SecretProvider.GCP: (
        ("workload_identity_provider", "GCP_WORKLOAD_IDENTITY_PROVIDER"),
        ("service_account", "GCP_SERVICE_ACCOUNT"),
    ),
}
_FETCH_CONSTANTS: Mapping[SecretProvider, dict[str, str]] = {
    SecretProvider.VAULT: {"VAULT_AUTH_PATH": VAULT_MOUNT},
    SecretProvider.AWS: {"AWS_ROLE_SESSION_NAME": "azure-pipelines"},
    SecretProvider.GCP: {},
}
_PROVIDER_NAMES = {
    SecretProvider.VAULT: "HashiCorp Vault",
    SecretProvider.AWS: "AWS Secrets Manager",
    SecretProvider.GCP: "GCP Secret Manager",
}


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
    if job.node is not None:
        steps.append(
            {
                "task": "NodeTool@0",
                "displayName": "Use Node.js",
                "inputs": {"versionSpec": f"{job.node}.x"},
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
    secrets = _reader_env(job.store, job.secrets)
    readers = secret_readers(job.commands)
    login = job.cloud_login
    fetched = job.store is None and login is None
    for command in job.commands:
        if not fetched and command in readers:
            # After `make install`: installing runs third-party code, which must not see
            # a secret or a cloud session.
            steps.extend(_fetch_steps(job.store, job.secrets))
            steps.extend([_cloud_login_step(login)] if login is not None else [])
            fetched = True
        step: dict[str, Any] = {"bash": command, "displayName": command}
        if login is not None and login.cloud == "azure" and command in readers:
            # AzureCLI@2 logs out when its script ends: the commands run inside it.
            step = {
                "task": _AZURE_CLI_TASK,
                "displayName": command,
                "inputs": _azure_cli_inputs(login, command),
            }
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


def _reader_env(store: SecretStore | None, secrets: Sequence[Secret]) -> dict[str, str]:
    if store is None:
        return {}
    if store.provider in {SecretProvider.CI, SecretProvider.AZURE_KEYVAULT}:
        # A variable of the group, or the variable AzureKeyVault@2 names after the secret.
        return {s.name: f"$({s.ref})" for s in secrets}
    return {s.name: f"$({s.name})" for s in secrets}


def _fetch_steps(store: SecretStore | None, secrets: Sequence[Secret]) -> list[dict[str, Any]]:
    if store is None or store.provider is SecretProvider.CI:
        return []
    if store.provider is SecretProvider.AZURE_KEYVAULT:
        return [
            {
                "task": _KEY_VAULT_TASK,
                "displayName": "Read secrets from Azure Key Vault",
                "inputs": {
                    "azureSubscription": store.need("service_connection"),
                    "KeyVaultName": store.need("vault"),
                    "SecretsFilter": ",".join(s.ref for s in secrets),
                },
            }
        ]
    env = {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
    env |= {var: store.need(key) for key, var in _FETCH_ENV[store.provider]}
    env |= _FETCH_CONSTANTS[store.provider]
    env[STORE_REFS] = format_refs(secrets)
    return [
        {
            "bash": FETCH_SCRIPTS[store.provider],
            "name": SECRET_STEP,
            "displayName": f"Read secrets from {_PROVIDER_NAMES[store.provider]}",
            "env": env,
        }
    ]


def _job(p: Pipeline, job: Job) -> dict[str, Any]:
    steps = _steps(p, job)
    out: dict[str, Any]
    if job.environment is not None and job.environment.deployment:
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
    group = job.store.get("group") if job.store is not None else None
    if group is not None:
        # The job's own variable group: the secrets of its scope, and nothing else.
        out["variables"] = [
            {"group": group},
            *({"name": k, "value": v} for k, v in job.env),
        ]
    elif job.env:
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


def _variables(raw: Any) -> tuple[dict[str, str], list[str]]:
    """A job's ``variables:``, mapping or list form: ``(name/value pairs, groups)``."""
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}, []
    pairs: dict[str, str] = {}
    groups: list[str] = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, dict) and "group" in item:
            groups.append(str(item["group"]))
        elif isinstance(item, dict) and "name" in item:
            pairs[str(item["name"])] = str(item.get("value", ""))
    return pairs, groups


def _parse_store(
    fetch: dict[str, Any] | None,
    key_vault: dict[str, Any] | None,
    groups: list[str],
    mapped: dict[str, str],
) -> tuple[tuple[Secret, ...], SecretStore | None]:
    """The job's secrets from its fetch step, Key Vault task, variable group or env maps."""
    if fetch is not None:
        env = {str(k): str(v) for k, v in (fetch.get("env") or {}).items()}
        provider = next(
            (p for p, keys in _FETCH_ENV.items() if keys[0][1] in env), SecretProvider.VAULT
        )
        settings = {key: env[var] for key, var in _FETCH_ENV[provider] if var in env}
        secrets = parse_refs(env.get(STORE_REFS, ""))
        store = SecretStore(provider=provider, settings=tuple(sorted(settings.items())))
        return (secrets, store) if secrets else ((), None)
    if key_vault is not None:
        inputs = {str(k): str(v) for k, v in (key_vault.get("inputs") or {}).items()}
        wanted = {r.strip() for r in inputs.get("SecretsFilter", "").split(",")}
        secrets = tuple(Secret(name=n, ref=r) for n, r in mapped.items() if r in wanted)
        settings = {
            key: inputs[name]
            for key, name in (
                ("vault", "KeyVaultName"),
                ("service_connection", "azureSubscription"),
            )
            if name in inputs
        }
        store = SecretStore(
            provider=SecretProvider.AZURE_KEYVAULT,
            settings=tuple(sorted(settings.items())),
        )
        return (secrets, store) if secrets else ((), None)
    if groups:
        secrets = tuple(Secret(name=n, ref=r) for n, r in mapped.items() if _NAME.fullmatch(r))
        store = SecretStore(provider=SecretProvider.CI, settings=(("group", groups[0]),))
        return (secrets, store) if secrets else ((), None)
    # Without a group, a variable mapped into env under its own name is a secret variable
    # of the pipeline (its settings), any other macro a plain value.
    secrets = tuple(Secret(name=n, ref=r) for n, r in mapped.items() if n == r)
    return (secrets, SecretStore(provider=SecretProvider.CI)) if secrets else ((), None)


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
    node: str | None = None
    commands: list[str] = []
    mapped: dict[str, str] = {}
    fetch: dict[str, Any] | None = None
    key_vault: dict[str, Any] | None = None
    caches: list[Cache] = []
    paths: list[str] = []
    keep = False
    cloud_login: CloudLogin | None = None
    for step in steps:
        task = str(step.get("task", ""))
        if step.get("name") == SECRET_STEP:
            fetch = step
        elif step.get("name") == CLOUD_LOGIN_STEP:
            cloud_login = _parse_cloud_login(step)
        elif "bash" in step or "script" in step or task == _AZURE_CLI_TASK:
            script = (step.get("inputs") or {}).get("inlineScript") if task else None
            commands.append(str(script or step.get("bash", step.get("script"))))
            for key, value in (step.get("env") or {}).items():
                match = _VARIABLE.fullmatch(str(value))
                if match:
                    mapped.setdefault(str(key), match.group(1))
        elif "publish" in step:
            paths.append(str(step["publish"]).rstrip("/") + "/")
            keep = keep or step.get("condition") == _KEEP
        elif task.startswith("UsePythonVersion@"):
            python = python or str((step.get("inputs") or {}).get("versionSpec", ""))
        elif task.startswith("NodeTool@"):
            node = str((step.get("inputs") or {}).get("versionSpec", "")).removesuffix(".x")
        elif task.startswith("AzureKeyVault@"):
            key_vault = step
        elif task.startswith("Cache@"):
            inputs = step.get("inputs") or {}
            parts = [x.strip() for x in str(inputs.get("key", "")).split("|")]
            caches.append(
                Cache(
                    name=parts[0],
                    key_files=tuple(x for x in parts[1:] if not x.startswith('"')),
                    path=str(inputs.get("path", "")).rstrip("/") + "/",
                )
            )
    variables, groups = _variables(raw.get("variables"))
    secrets, store = _parse_store(fetch, key_vault, groups, mapped)
    lock = holder.get("lockBehavior") == "sequential" or stage.get("lockBehavior") == "sequential"
    job = Job(
        id=job_id,
        kind=_kind(holder.get("displayName", raw.get("displayName", ""))),
        commands=tuple(commands),
        needs=tuple(dict.fromkeys((*upstream, *own))),
        rule=_rule(holder.get("condition")),
        timeout_minutes=int(raw.get("timeoutInMinutes", 60)),
        environment=environment,
        secrets=secrets,
        store=store,
        env=tuple(sorted(variables.items())),
        artifacts=Artifacts(paths=tuple(paths), keep_on_failure=keep) if paths else None,
        caches=tuple(caches),
        oidc=cloud_login is not None,
        cloud_login=cloud_login,
        exclusive=lock,
        allow_failure=raw.get("continueOnError") is True,
        node=node,
    )
    return job, python


# --- the platform ------------------------------------------------------------------------

LOSSY: Mapping[str, str] = {
    "Environment.approval": "approvals are checks on the Azure DevOps environment, "
    "configured outside the pipeline YAML",
    "Environment.url": "an Azure DevOps environment has no URL field",
    "Artifacts.expire_days": "pipeline artifacts follow the project's run retention policy",
    "Job.oidc": "workload identity federation lives in the service connection a task uses "
    "(or the pipeline's own ID token a cloud login requests)",
    "Job.environment": "only deployment jobs target an environment; the secrets of other "
    "jobs are scoped by their variable group or the step that reads them",
    "SecretStore.static": "the service connection (or the store's trust of the pipeline's "
    "ID token) decides how a job logs in, not the YAML",
    "SecretStore.settings": "the Vault audience (Azure DevOps ID tokens always carry "
    "api://AzureADTokenExchange)",
}

#: The store settings Azure pipeline YAML carries, by provider.
_CARRIED: Mapping[SecretProvider, frozenset[str]] = {
    SecretProvider.VAULT: frozenset({"url", "role"}),
    SecretProvider.AZURE_KEYVAULT: frozenset({"vault", "service_connection"}),
    SecretProvider.AWS: frozenset({"region", "role_arn"}),
    SecretProvider.GCP: frozenset({"workload_identity_provider", "service_account"}),
    SecretProvider.CI: frozenset({"group"}),
}


def _carried(store: SecretStore | None) -> SecretStore | None:
    if store is None:
        return None
    keep = _CARRIED[store.provider]
    return replace(
        store, static=False, settings=tuple((k, v) for k, v in store.settings if k in keep)
    )


def expressible(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
    """The pipelines as Azure YAML carries them."""
    out = []
    for p in pipelines:
        jobs = []
        for j in p.jobs:
            env = (
                Environment(name=j.environment.name)
                if j.environment is not None and j.environment.deployment
                else None
            )
            art = (
                replace(j.artifacts, expire_days=DEFAULT_EXPIRE_DAYS)
                if j.artifacts is not None
                else None
            )
            login = j.cloud_login
            if login is not None and login.cloud != "azure":
                login = replace(login, service_connection=None)
            jobs.append(
                replace(
                    j,
                    environment=env,
                    artifacts=art,
                    oidc=login is not None,
                    cloud_login=login,
                    store=_carried(j.store),
                )
            )
        out.append(replace(p, jobs=tuple(jobs)))
    return tuple(out)


def owns(path: str) -> bool:
    """``azure-pipelines.yml`` and ``.azure-pipelines/*.yml`` (and ``.yaml``)."""
    if path in {MAIN_PATH, "azure-pipelines.yaml"}:
        return True
    return path.startswith(DIR) and "/" not in path[len(DIR) :] and path.endswith((".yml", ".yaml"))
