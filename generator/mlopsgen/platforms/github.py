"""GitHub Actions: pipeline model to workflow data and back, secure by default.

Every workflow gets ``permissions: {}`` with least privilege per job, SHA-pinned actions
(the ``# vX.Y.Z`` comment is added to the dumped text by :func:`annotate`, since
emitters return data and YAML data has no comments), ``persist-credentials: false``, a
timeout on every job, concurrency, and environments on deploy jobs. Commands reach
``run:`` verbatim and secrets only through ``env:``.

Secrets: a job that reads them is bound to an environment (zizmor's
``secrets-outside-env``) and logs in to its store after ``make install`` (so installing
third-party code never runs with a secret or a cloud session): Vault through
hashicorp/vault-action, Azure Key Vault through azure/login and ``az keyvault secret
show``, AWS through configure-aws-credentials and aws-secretsmanager-get-secrets, GCP
through google-github-actions/auth and get-secretmanager-secrets; step outputs (masked)
reach only the ``env:`` of the steps that run the job's commands. CI-native secrets are
``${{ secrets.REF }}`` in those same ``env:`` maps.
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
    CLOUD_VARIABLES,
    STORE_REFS,
    PipelineParseError,
    format_refs,
    parse_refs,
    parse_registry_login,
    registry_login,
    secret_readers,
)

__all__ = ["ACTIONS", "NOT_ON_TAGS", "STATIC_CREDENTIALS", "VAULT_MOUNT", "annotate"]

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
SETUP_NODE = ActionPin("actions/setup-node", "a0853c24544627f65ddf259abe73b1d18a591444", "v5.0.0")
CACHE = ActionPin("actions/cache", "0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0")
UPLOAD = ActionPin("actions/upload-artifact", "ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2")
DOWNLOAD = ActionPin(
    "actions/download-artifact", "d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"
)
# Secret stores. Azure/get-keyvault-secrets is archived (deprecated in 2022): Key Vault
# secrets are read with the Azure CLI after azure/login.
VAULT = ActionPin("hashicorp/vault-action", "892a26828f195e65540a40b4768ae4571f51ebfc", "v4.0.0")
AZURE_LOGIN = ActionPin("azure/login", "532459ea530d8321f2fb9bb10d1e0bcf23869a43", "v3.0.0")
AWS_CREDENTIALS = ActionPin(
    "aws-actions/configure-aws-credentials", "e7f100cf4c008499ea8adda475de1042d6975c7b", "v6.2.0"
)
AWS_SECRETS = ActionPin(
    "aws-actions/aws-secretsmanager-get-secrets",
    "2cb1a461cbd4865ac4299648312e4704c646cd53",
    "v3.0.1",
)
GCP_AUTH = ActionPin(
    "google-github-actions/auth", "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"
)
GCP_SECRETS = ActionPin(
    "google-github-actions/get-secretmanager-secrets",
    "bc9c54b29fdffb8a47776820a7d26e77b379d262",
    "v3.0.0",
)
ACTIONS: tuple[ActionPin, ...] = (
    CHECKOUT,
    SETUP_PYTHON,
    SETUP_NODE,
    CACHE,
    UPLOAD,
    DOWNLOAD,
    VAULT,
    AZURE_LOGIN,
    AWS_CREDENTIALS,
    AWS_SECRETS,
    GCP_AUTH,
    GCP_SECRETS,
)
_BY_USES = {a.uses: a for a in ACTIONS}
#: The login action of each cloud (deploy.cloud); the secret stores log in with the same.
LOGIN_ACTIONS: Mapping[str, ActionPin] = {
    "azure": AZURE_LOGIN,
    "aws": AWS_CREDENTIALS,
    "gcp": GCP_AUTH,
}
_CLOUD_OF = {a.repo: cloud for cloud, a in LOGIN_ACTIONS.items()}
#: The login action's inputs of a cloud login, and the CI variables they read.
_CLOUD_INPUTS: Mapping[str, tuple[str, ...]] = {
    "azure": ("client-id", "tenant-id", "subscription-id"),
    "aws": ("role-to-assume", "aws-region"),
    "gcp": ("workload_identity_provider", "service_account"),
}
#: The id of the step that logs in to deploy.cloud (the secret stores' logins have none).
CLOUD_LOGIN_STEP = "cloud-login"

_PR_EXPR = "${{ github.event_name == 'pull_request' }}"
#: actions/cache ``lookup-only``: true (look up, never restore) in tag runs, which release.
NOT_ON_TAGS = "${{ startsWith(github.ref, 'refs/tags/') }}"
_TAG_EXPR = "startsWith(github.ref, 'refs/tags/')"
_BRANCH_EXPR = re.compile(r"github\.ref == 'refs/heads/([^']+)'")
_SECRET = re.compile(r"\$\{\{ secrets\.([A-Za-z_][A-Za-z0-9_]*) \}\}")
_HASH_FILES = re.compile(r"hashFiles\(([^)]*)\)")
_PIN_LINE = re.compile(r"^(\s*(?:- )?uses: )([\w.-]+/[\w./-]+@[0-9a-f]{40})$", re.MULTILINE)
#: Why a job holds a permission beyond ``contents: read`` (zizmor `undocumented-permissions`).
_PERMISSION_LINE = re.compile(r"^\s*id-token: write$", re.MULTILINE)
_OIDC_REASON = "# OIDC: a short-lived token to log in to the secret store or cloud"
#: Lines that carry secret names and references, never values: vault-action and
#: get-secretmanager-secrets ``secrets``, aws-secretsmanager-get-secrets ``secret-ids``,
#: AzureKeyVault@2 ``SecretsFilter``, GitLab ``secret_id`` and GCP ``name``, the fetch
#: scripts' ``STORE_REFS``, and GCP workload identity providers (long, with digits). The
#: generated repository's secret scan (detect-secrets' keyword and entropy rules, gitleaks'
#: generic rule) would read them as values; the spec guard has refused literal secrets.
_REFERENCE_LINE = re.compile(
    r"^\s*(?:- )?(?:(?:secrets|secret-ids|SecretsFilter|secret_id|STORE_REFS"
    r"|workload_identity_provider|GCP_WORKLOAD_IDENTITY_PROVIDER): \S.*"
    r"|name: projects/\S+/secrets/\S+)$",
    re.MULTILINE,
)
_REFERENCE_REASON = "# pragma: allowlist secret gitleaks:allow (references, not values)"

#: Mount of Vault's JWT auth method that trusts GitHub's token issuer (one per CI platform:
#: a JWT mount trusts one issuer).
VAULT_MOUNT = "jwt-github"
#: The id of the step whose (masked) outputs are the job's secrets.
SECRET_STEP = "secrets"  # noqa: S105 - a step id, not a value
#: Repository or environment variables (not secrets: identifiers) azure/login reads.
AZURE_CLIENT_ID = "${{ vars.AZURE_CLIENT_ID }}"
AZURE_TENANT_ID = "${{ vars.AZURE_TENANT_ID }}"
#: The stored credentials static logins read (``auth: static``, a waived exception), as
#: environment secrets of the job's environment.
STATIC_CREDENTIALS: Mapping[SecretProvider, tuple[str, ...]] = {
    SecretProvider.VAULT: ("VAULT_TOKEN",),
    SecretProvider.AZURE_KEYVAULT: ("AZURE_CREDENTIALS",),
    SecretProvider.AWS: ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    SecretProvider.GCP: ("GCP_CREDENTIALS",),
}
#: Reads each ``NAME ref`` line of $STORE_REFS from the vault named $KEY_VAULT into a
#: masked step output NAME (every line of a multi-line value masked; a random heredoc
#: delimiter, so a value cannot end the output early).
KEY_VAULT_SCRIPT = """\
set -euo pipefail
while read -r name ref; do
  [ -n "$name" ] || continue
  value="$(az keyvault secret show --vault-name "$KEY_VAULT" --name "$ref" --query value -o tsv)"
  while IFS= read -r line; do printf '::add-mask::%s\\n' "$line"; done <<< "$value"
  delimiter="EOF-$(uuidgen)"
  printf '%s<<%s\\n%s\\n%s\\n' "$name" "$delimiter" "$value" "$delimiter" >> "$GITHUB_OUTPUT"
done <<< "$STORE_REFS"
"""
_STEP_OUTPUT = re.compile(
    r"\$\{\{ steps\." + SECRET_STEP + r"\.outputs\.([A-Za-z_][A-Za-z0-9_]*) \}\}"
)


def annotate(text: str) -> str:
    """Add the comments that workflow data cannot carry to dumped YAML text.

    ``# vX.Y.Z`` goes after every ``uses:`` line that names a known pin, a reason after
    every ``id-token: write``, and secret scanners' allowlist markers after the inputs that
    carry secret references (any platform's file). The dumper never wraps lines and writes
    these values plain, so line-anchored matches are exact.
    """

    def pin_comment(match: re.Match[str]) -> str:
        pin = _BY_USES.get(match.group(2))
        return match.group(0) + (f" # {pin.version}" if pin else "")

    text = _PIN_LINE.sub(pin_comment, text)
    text = _REFERENCE_LINE.sub(lambda m: f"{m.group(0)} {_REFERENCE_REASON}", text)
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
    if job.oidc or (job.store is not None and job.store.token_login):
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
    if job.node is not None:
        # No npm cache: the job builds what ships (cache poisoning, ART-002); npm ci checks
        # every package against package-lock.json's integrity hashes.
        node_with = {"node-version": job.node, "package-manager-cache": False}
        steps.append({"uses": SETUP_NODE.uses, "with": node_with})
    for cache in job.caches if _caches_allowed(p) else ():
        files = ", ".join(f"'{f}'" for f in cache.key_files)
        steps.append(
            {
                "uses": CACHE.uses,
                "with": {
                    "path": cache.path.rstrip("/"),
                    "key": f"{cache.name}-${{{{ runner.os }}}}-${{{{ hashFiles({files}) }}}}",
                    # Never restored in a tag run (a release): it builds from the lock alone.
                    "lookup-only": NOT_ON_TAGS,
                },
            }
        )
    for need in job.needs:
        art = p.job(need).artifacts
        if art is not None:
            steps.append({"uses": DOWNLOAD.uses, "with": {"name": need, "path": "."}})
    secrets = _reader_env(job.store, job.secrets)
    readers = secret_readers(job.commands)
    fetched = job.store is None and job.cloud_login is None
    for command in job.commands:
        if not fetched and command in readers:
            # After `make install`: installing runs third-party code, which must not see
            # a secret or a cloud session.
            steps.extend(_fetch_steps(job.store, job.secrets))
            steps.extend(_cloud_login_steps(job.cloud_login))
            fetched = True
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


def _reader_env(store: SecretStore | None, secrets: Sequence[Secret]) -> dict[str, str]:
    """The ``env:`` of each step that runs one of the job's commands."""
    if store is None:
        return {}
    if store.provider is SecretProvider.CI:
        return {s.name: f"${{{{ secrets.{s.ref} }}}}" for s in secrets}
    if store.provider is SecretProvider.AWS:
        return {}  # aws-secretsmanager-get-secrets exports each secret to the job's env
    return {s.name: f"${{{{ steps.{SECRET_STEP}.outputs.{s.name} }}}}" for s in secrets}


def _stored(names: Sequence[str]) -> dict[str, str]:
    return {name: f"${{{{ secrets.{name} }}}}" for name in names}


def _login_action(cloud: str, with_: dict[str, Any], **extra: str) -> dict[str, Any]:
    """The step of a cloud's login action (a secret store's, or deploy.cloud's)."""
    return {**extra, "uses": LOGIN_ACTIONS[cloud].uses, "with": with_}


def _cloud_login_steps(login: CloudLogin | None) -> list[dict[str, Any]]:
    """deploy.cloud's OIDC login (identifiers from CI variables), then the registry's."""
    if login is None:
        return []
    with_ = {
        name: f"${{{{ vars.{var} }}}}"
        for name, var in zip(_CLOUD_INPUTS[login.cloud], CLOUD_VARIABLES[login.cloud], strict=True)
    }
    steps = [_login_action(login.cloud, with_, id=CLOUD_LOGIN_STEP)]
    if login.registry is not None:
        steps.append({"run": registry_login(login.cloud, login.registry)})
    return steps


def _fetch_steps(store: SecretStore | None, secrets: Sequence[Secret]) -> list[dict[str, Any]]:
    """The steps that log in to the store and read the secrets (none for CI secrets)."""
    if store is None or store.provider is SecretProvider.CI:
        return []
    provider = store.provider
    if provider is SecretProvider.VAULT:
        with_: dict[str, Any] = {"url": store.need("url")}
        if store.static:
            with_ |= {"method": "token", "token": "${{ secrets.VAULT_TOKEN }}"}
        else:
            with_ |= {"method": "jwt", "path": VAULT_MOUNT, "role": store.need("role")}
            audience = store.get("audience")
            if audience is not None:
                with_["jwtGithubAudience"] = audience
        with_["exportEnv"] = False
        with_["secrets"] = " ;\n".join(
            f"{path} {key} | {s.name}" for s in secrets for path, _, key in [s.ref.rpartition("#")]
        )
        return [{"id": SECRET_STEP, "uses": VAULT.uses, "with": with_}]
    if provider is SecretProvider.AZURE_KEYVAULT:
        login: dict[str, Any] = (
            {"creds": "${{ secrets.AZURE_CREDENTIALS }}"}
            if store.static
            else {"client-id": AZURE_CLIENT_ID, "tenant-id": AZURE_TENANT_ID}
        )
        login["allow-no-subscriptions"] = True
        return [
            _login_action("azure", login),
            {
                "id": SECRET_STEP,
                "env": {"KEY_VAULT": store.need("vault"), STORE_REFS: format_refs(secrets)},
                "run": KEY_VAULT_SCRIPT,
            },
        ]
    if provider is SecretProvider.AWS:
        creds: dict[str, Any] = (
            {
                "aws-access-key-id": "${{ secrets.AWS_ACCESS_KEY_ID }}",
                "aws-secret-access-key": "${{ secrets.AWS_SECRET_ACCESS_KEY }}",
            }
            if store.static
            else {}
        )
        creds |= {"role-to-assume": store.need("role_arn"), "aws-region": store.need("region")}
        return [
            _login_action("aws", creds),
            {
                "id": SECRET_STEP,
                "uses": AWS_SECRETS.uses,
                "with": {
                    "secret-ids": "".join(f"{s.name},{s.ref}\n" for s in secrets),
                    "parse-json-secrets": False,
                },
            },
        ]
    auth: dict[str, Any] = (
        {"credentials_json": "${{ secrets.GCP_CREDENTIALS }}"}
        if store.static
        else {
            "workload_identity_provider": store.need("workload_identity_provider"),
            "service_account": store.need("service_account"),
        }
    )
    return [
        _login_action("gcp", auth),
        {
            "id": SECRET_STEP,
            "uses": GCP_SECRETS.uses,
            "with": {"secrets": "".join(f"{s.name}:{s.ref}\n" for s in secrets)},
        },
    ]


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


class _Store:
    """What a job's steps say about its secret store, gathered while reading them."""

    def __init__(self) -> None:
        self.provider: SecretProvider | None = None
        self.settings: dict[str, str] = {}
        self.static = False
        self.secrets: dict[str, Secret] = {}

    def login(self, provider: SecretProvider, settings: dict[str, Any], *, static: bool) -> None:
        if self.provider is not None and self.provider is not provider:
            raise PipelineParseError(
                f"a job reads secrets from both {self.provider} and {provider}",
                hint="one secret store per job",
            )
        self.provider = provider
        self.settings |= {k: str(v) for k, v in settings.items() if v is not None}
        self.static = self.static or static

    def add(self, secrets: Sequence[Secret]) -> None:
        for secret in secrets:
            self.secrets.setdefault(secret.name, secret)

    def build(self) -> SecretStore | None:
        if not self.secrets or self.provider is None:
            return None
        return SecretStore(
            provider=self.provider,
            settings=tuple(sorted(self.settings.items())),
            static=self.static,
        )


def _vault_refs(text: str) -> list[Secret]:
    """Secrets of vault-action's ``secrets`` input: ``<path> <key> | <NAME>`` entries."""
    out = []
    for entry in re.split(r"[;\n]", text):
        spec, _, name = entry.partition("|")
        parts = spec.split()
        if len(parts) == 2:
            path, key = parts
            out.append(
                Secret(name=name.strip() or re.sub(r"\W", "_", key).upper(), ref=f"{path}#{key}")
            )
    return out


def _pairs(text: str, sep: str) -> list[Secret]:
    """``NAME<sep>ref`` lines (aws-secretsmanager-get-secrets, get-secretmanager-secrets)."""
    out = []
    for line in text.splitlines():
        name, found, ref = line.strip().partition(sep)
        if found and name.strip():
            out.append(Secret(name=name.strip(), ref=ref.strip()))
    return out


def _parse_secret_step(step: dict[str, Any], uses: str, store: _Store) -> bool:
    """Read a secret store's login or fetch step into ``store``; False for any other step."""
    with_ = _mapping(step.get("with"))
    if uses == VAULT.repo:
        static = str(with_.get("method", "token")) == "token"
        store.login(
            SecretProvider.VAULT,
            {
                "url": with_.get("url"),
                "role": None if static else with_.get("role"),
                "audience": None if static else with_.get("jwtGithubAudience"),
            },
            static=static,
        )
        store.add(_vault_refs(str(with_.get("secrets", ""))))
    elif uses == AZURE_LOGIN.repo:
        store.login(SecretProvider.AZURE_KEYVAULT, {}, static="creds" in with_)
    elif "run" in step and step.get("id") == SECRET_STEP:
        env = _mapping(step.get("env"))
        store.login(SecretProvider.AZURE_KEYVAULT, {"vault": env.get("KEY_VAULT")}, static=False)
        store.add(parse_refs(str(env.get(STORE_REFS, ""))))
    elif uses == AWS_CREDENTIALS.repo:
        store.login(
            SecretProvider.AWS,
            {"role_arn": with_.get("role-to-assume"), "region": with_.get("aws-region")},
            static="aws-access-key-id" in with_,
        )
    elif uses == AWS_SECRETS.repo:
        store.add(_pairs(str(with_.get("secret-ids", "")), ","))
    elif uses == GCP_AUTH.repo:
        static = "credentials_json" in with_
        store.login(
            SecretProvider.GCP,
            {
                "workload_identity_provider": with_.get("workload_identity_provider"),
                "service_account": with_.get("service_account"),
            },
            static=static,
        )
    elif uses == GCP_SECRETS.repo:
        store.add(_pairs(str(with_.get("secrets", "")), ":"))
    else:
        return False
    return True


def _parse_job(job_id: str, raw: dict[str, Any]) -> tuple[Job, str]:
    python = ""
    node: str | None = None
    commands: list[str] = []
    store = _Store()
    caches: list[Cache] = []
    artifacts = None
    cloud: str | None = None
    registry: str | None = None
    for raw_step in raw.get("steps") or ():
        step = _mapping(raw_step)
        uses = str(step.get("uses", "")).partition("@")[0]
        with_ = _mapping(step.get("with"))
        if step.get("id") == CLOUD_LOGIN_STEP and uses in _CLOUD_OF:
            cloud = _CLOUD_OF[uses]
            continue
        registry_login_ = parse_registry_login(str(step["run"])) if "run" in step else None
        if registry_login_ is not None:
            registry = registry_login_[1]
            continue
        if _parse_secret_step(step, uses, store):
            continue
        if "run" in step:
            commands.append(str(step["run"]))
            for name, value in _mapping(step.get("env")).items():
                match = _SECRET.fullmatch(str(value))
                if match:
                    store.login(SecretProvider.CI, {}, static=False)
                    store.add([Secret(name=str(name), ref=match.group(1))])
        elif uses == SETUP_PYTHON.repo:
            python = python or str(with_.get("python-version", ""))
        elif uses == SETUP_NODE.repo:
            node = str(with_.get("node-version", ""))
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
    secret_store = store.build()
    job = Job(
        id=job_id,
        kind=_kind(raw.get("name", "")),
        commands=tuple(commands),
        needs=_strings(raw.get("needs")),
        rule=_rule(raw.get("if")),
        timeout_minutes=int(raw.get("timeout-minutes", 360)),
        environment=environment,
        secrets=tuple(store.secrets.values()) if secret_store else (),
        store=secret_store,
        env=tuple(sorted((str(k), str(v)) for k, v in _mapping(raw.get("env")).items())),
        artifacts=artifacts,
        caches=tuple(caches),
        oidc=permissions.get("id-token") == "write",
        cloud_login=CloudLogin(cloud=cloud, registry=registry) if cloud is not None else None,
        exclusive="concurrency" in raw,
        allow_failure=raw.get("continue-on-error") is True,
        node=node,
    )
    return job, python


# --- the platform ------------------------------------------------------------------------

LOSSY: Mapping[str, str] = {
    "Environment.approval": "required reviewers are an environment protection rule in the "
    "repository settings, not workflow YAML",
    "Environment.deployment": "every job on an environment records a deployment "
    "(`deployment: false` is not yet accepted by actionlint 1.7 and action-validator)",
    "Schedule.branch": "scheduled workflows always run on the default branch",
    "Job.caches": "pushes to release branches start the workflow, and a cache restored in a "
    "release run is a cache-poisoning path (ART-002): its jobs install from the lock uncached",
    "Job.oidc": "a job that logs in to its secret store with OIDC holds `id-token: write` "
    "for all its steps",
    "SecretStore.settings": "the settings other platforms use (the Azure service "
    "connection, the CI variable group) and what a static login does not send",
}

#: The store settings a workflow carries, by provider and static login.
_CARRIED: Mapping[tuple[SecretProvider, bool], frozenset[str]] = {
    (SecretProvider.VAULT, False): frozenset({"url", "role", "audience"}),
    (SecretProvider.VAULT, True): frozenset({"url"}),
    (SecretProvider.AZURE_KEYVAULT, False): frozenset({"vault"}),
    (SecretProvider.AZURE_KEYVAULT, True): frozenset({"vault"}),
    (SecretProvider.AWS, False): frozenset({"region", "role_arn"}),
    (SecretProvider.AWS, True): frozenset({"region", "role_arn"}),
    (SecretProvider.GCP, False): frozenset({"workload_identity_provider", "service_account"}),
    (SecretProvider.GCP, True): frozenset(),
    (SecretProvider.CI, False): frozenset(),
}


def _carried(store: SecretStore | None) -> SecretStore | None:
    if store is None:
        return None
    keep = _CARRIED[store.provider, store.static]
    return replace(store, settings=tuple((k, v) for k, v in store.settings if k in keep))


def _caches_allowed(p: Pipeline) -> bool:
    """Whether the workflow may restore caches: not when pushes to release branches start it.

    Tag runs are kept from restoring by :data:`NOT_ON_TAGS`; a push to a ``release*``
    branch releases too, and no ``lookup-only`` expression is accepted for it (zizmor
    ``cache-poisoning``, ART-002), so such a workflow restores no cache at all.
    """
    return not any("release" in branch.lower() for branch in p.triggers.branches)


def expressible(pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
    """The pipelines as a workflow carries them.

    Approvals, schedule branches and the non-deployment mark of environments are dropped,
    and store settings the workflow does not send; caches too where release branches
    start the workflow.
    """
    out = []
    for p in pipelines:
        caching = _caches_allowed(p)
        jobs = tuple(
            replace(
                j,
                caches=j.caches if caching else (),
                environment=replace(j.environment, approval=False, deployment=True)
                if j.environment is not None
                else None,
                store=_carried(j.store),
                oidc=j.oidc or (j.store is not None and j.store.token_login),
                cloud_login=replace(j.cloud_login, service_connection=None)
                if j.cloud_login is not None
                else None,
            )
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
