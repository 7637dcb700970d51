"""The CI-neutral pipeline model: frozen, hashable values that every platform emits and parses."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlopsgen.spec.model import REGISTRY_HOSTS, SecretProvider
from mlopsgen.spec.secrets import ref_problem

__all__ = [
    "CLOUDS",
    "DEFAULT_EXPIRE_DAYS",
    "STORE_SETTINGS",
    "Artifacts",
    "Cache",
    "CloudLogin",
    "Environment",
    "Job",
    "JobKind",
    "Pipeline",
    "Rule",
    "Schedule",
    "Secret",
    "SecretProvider",
    "SecretStore",
    "Triggers",
]

#: Artifact retention where a platform keeps no per-artifact setting (Azure).
DEFAULT_EXPIRE_DAYS = 30

#: Job and pipeline ids: lower case, digits and ``-``. Azure spells ``-`` as ``_`` (its
#: reference names allow no hyphen), so ids never contain ``_`` and the mapping is exact.
_ID = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
#: Repository-relative directories (``reports/``): each platform stores a directory the same way,
#: while single files lose their folder on GitHub (upload-artifact keeps paths below the
#: least common ancestor only).
_DIR = re.compile(r"(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9._/-]+/")
#: A branch or tag glob as the spec allows it, and one branch name.
_REF_GLOB = re.compile(r"[A-Za-z0-9._/*-]+")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: The settings each secret provider knows. Every key is optional in the model (a platform
#: that has no use for one does not carry it); an emitter that needs one raises without it.
STORE_SETTINGS: Mapping[SecretProvider, frozenset[str]] = {
    SecretProvider.VAULT: frozenset({"url", "role", "audience"}),
    SecretProvider.AZURE_KEYVAULT: frozenset({"vault", "service_connection"}),
    SecretProvider.AWS: frozenset({"region", "role_arn"}),
    SecretProvider.GCP: frozenset({"workload_identity_provider", "service_account"}),
    #: ``group``: the Azure DevOps variable group that holds the job's secrets.
    SecretProvider.CI: frozenset({"group"}),
}


class JobKind(enum.StrEnum):
    """What a job is for; policy rules select jobs by kind (``SECURITY`` may not soft-fail).

    The declaration order is the stage order of platforms that have stages (GitLab).
    """

    CHECK = "check"
    TEST = "test"
    SECURITY = "security"
    DATA = "data"
    TRAIN = "train"
    GATE = "gate"
    PACKAGE = "package"
    DEPLOY = "deploy"
    MONITOR = "monitor"
    #: A job of a hand-written pipeline whose purpose the parser cannot tell.
    OTHER = "other"


def _check_id(value: str, what: str) -> None:
    if not _ID.fullmatch(value):
        raise ValueError(f"{what} {value!r} must match {_ID.pattern}")


@dataclass(frozen=True)
class Environment:
    """A deployment target: its name, its URL, and whether a person approves each deploy.

    ``deployment=False`` marks an environment a job only reads secrets through (GitHub
    environment secrets and OIDC subjects, GitLab environment-scoped variables with
    ``action: access``); no deployment is recorded for it.
    """

    name: str
    url: str | None = None
    approval: bool = False
    deployment: bool = True


@dataclass(frozen=True)
class Artifacts:
    """Directories a job hands to the jobs that need it."""

    paths: tuple[str, ...]
    expire_days: int = DEFAULT_EXPIRE_DAYS
    #: Keep them when the job fails too (a SARIF report matters most then).
    keep_on_failure: bool = False

    def __post_init__(self) -> None:
        if not self.paths:
            raise ValueError("artifacts need at least one path")
        for path in self.paths:
            if not _DIR.fullmatch(path):
                raise ValueError(f"artifact path {path!r} must be a relative directory ending in /")
        if len(set(self.paths)) != len(self.paths):
            raise ValueError(f"duplicate artifact paths in {self.paths}")
        if not 1 <= self.expire_days <= 90:
            raise ValueError("artifacts expire after 1 to 90 days (GitHub's limit)")


@dataclass(frozen=True)
class Cache:
    """A directory restored before the job and saved after it, keyed on the hash of some files."""

    name: str
    #: At most two files: GitLab's ``cache:key:files`` limit.
    key_files: tuple[str, ...]
    path: str

    def __post_init__(self) -> None:
        _check_id(self.name, "cache name")
        if not 1 <= len(self.key_files) <= 2:
            raise ValueError("a cache is keyed on one or two files")
        if not _DIR.fullmatch(self.path):
            raise ValueError(f"cache path {self.path!r} must be a relative directory ending in /")


@dataclass(frozen=True)
class Secret:
    """A secret a job reads: the environment variable its commands see and its reference.

    ``ref`` is in the provider's own format (see :mod:`mlopsgen.spec.secrets`), canonical
    (GCP references are full resource names with a version); never the value.
    """

    name: str
    ref: str

    def __post_init__(self) -> None:
        if not _VARIABLE.fullmatch(self.name):
            raise ValueError(f"secret name {self.name!r} must match {_VARIABLE.pattern}")
        if not self.ref or any(c.isspace() for c in self.ref):
            raise ValueError(f"secret {self.name!r}: the reference must be one word")


@dataclass(frozen=True)
class SecretStore:
    """Where a job's secrets come from and how the job logs in to read them.

    ``static`` jobs log in with a credential stored in the CI platform instead of a
    short-lived OIDC token (``auth: static`` in the spec, a waived exception).
    """

    provider: SecretProvider
    #: Provider settings (:data:`STORE_SETTINGS`), sorted by key.
    settings: tuple[tuple[str, str], ...] = ()
    static: bool = False

    def __post_init__(self) -> None:
        keys = [k for k, _ in self.settings]
        if keys != sorted(set(keys)):
            raise ValueError("store settings must be sorted by key, one value per key")
        unknown = set(keys) - STORE_SETTINGS[self.provider]
        if unknown:
            raise ValueError(f"unknown {self.provider} settings: {sorted(unknown)}")
        if self.static and self.provider is SecretProvider.CI:
            raise ValueError("CI-native secrets have no login, static or not")

    def get(self, key: str) -> str | None:
        """The setting ``key``, or None when this store does not carry it."""
        return dict(self.settings).get(key)

    def need(self, key: str) -> str:
        """The setting ``key``.

        Raises:
            ValueError: the store does not carry it (a platform cannot render it).
        """
        value = self.get(key)
        if value is None:
            raise ValueError(f"the {self.provider} store has no {key!r} setting")
        return value

    @property
    def token_login(self) -> bool:
        """True when jobs log in with a short-lived OIDC token (so they need one)."""
        return not self.static and self.provider is not SecretProvider.CI


#: The clouds a job logs in to through OIDC (``deploy.cloud`` other than ``none``).
CLOUDS = ("azure", "aws", "gcp")
#: Azure DevOps service connection names.
_CONNECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


@dataclass(frozen=True)
class CloudLogin:
    """A job logs in to its cloud through OIDC (workload identity federation), no stored key.

    With ``registry`` (a registry host), it then logs Docker in to that registry, to push
    an image or to let the cloud pull it. The identifiers the login needs (client, tenant,
    role, workload identity provider) are CI variables, never in the YAML.
    ``service_connection`` is the Azure Pipelines service connection of ``cloud: azure``.
    """

    cloud: str
    registry: str | None = None
    service_connection: str | None = None

    def __post_init__(self) -> None:
        if self.cloud not in CLOUDS:
            raise ValueError(f"cloud {self.cloud!r} must be one of {CLOUDS}")
        if self.registry is not None and not REGISTRY_HOSTS[self.cloud].fullmatch(self.registry):
            raise ValueError(f"{self.registry!r} is not a {self.cloud} registry host")
        if self.service_connection is not None and not _CONNECTION.fullmatch(
            self.service_connection
        ):
            raise ValueError(f"bad service connection name {self.service_connection!r}")


@dataclass(frozen=True)
class Rule:
    """When a job runs within its pipeline: always, or only on some refs.

    ``Rule()`` runs on every run of the pipeline. With ``branch`` the job runs on pushes
    to that branch; with ``tags`` on tag pushes the pipeline is triggered by; with both
    on either (a release: the default branch or a tag).
    """

    branch: str | None = None
    tags: bool = False

    def __post_init__(self) -> None:
        if self.branch is not None and not _BRANCH.fullmatch(self.branch):
            raise ValueError(f"rule branch {self.branch!r} must be one branch name, not a glob")

    @property
    def always(self) -> bool:
        """True when the job runs on every run of its pipeline."""
        return self.branch is None and not self.tags


@dataclass(frozen=True)
class Job:
    """One CI job: a repository-local command list plus what it needs around it."""

    id: str
    kind: JobKind
    commands: tuple[str, ...]
    needs: tuple[str, ...] = ()
    rule: Rule = field(default_factory=Rule)
    timeout_minutes: int = 30
    environment: Environment | None = None
    #: The secrets the job reads, exposed as environment variables of its commands (never
    #: of ``make install``), from :attr:`store`.
    secrets: tuple[Secret, ...] = ()
    #: Where :attr:`secrets` come from; set exactly when there are secrets.
    store: SecretStore | None = None
    #: Plain (non-secret) environment variables, sorted by name.
    env: tuple[tuple[str, str], ...] = ()
    artifacts: Artifacts | None = None
    caches: tuple[Cache, ...] = ()
    #: Its commands need a short-lived OIDC token (GitHub ``id-token: write``, GitLab
    #: ``id_tokens``), to deploy to a cloud. Logging in to the secret store is the store's
    #: own token (:attr:`SecretStore.token_login`); GitHub grants one permission for both.
    oidc: bool = False
    #: The job logs in to a cloud (and its registry) after ``make install``, before the
    #: commands that push or deploy; implies :attr:`oidc`.
    cloud_login: CloudLogin | None = None
    #: One run at a time (per environment for deploys): concurrency group, resource group, lock.
    exclusive: bool = False
    #: A soft-failed job; never true for checks, security jobs and gates.
    allow_failure: bool = False
    #: The Node.js major version its commands need (``npm ci``), set up by the platform's
    #: pinned tool step (GitHub: actions/setup-node by SHA; Azure: NodeTool@0); None: none.
    node: str | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "job id")
        if not self.commands:
            raise ValueError(f"job {self.id!r} runs no command")
        if any(not c.strip() or "\n" in c for c in self.commands):
            raise ValueError(f"job {self.id!r}: each command is one non-empty line")
        if self.node is not None and not self.node.isdigit():
            raise ValueError(f"job {self.id!r}: node is a Node.js major version, e.g. '22'")
        if not 1 <= self.timeout_minutes <= 360:
            raise ValueError("a job times out after 1 to 360 minutes (GitHub's limit)")
        if list(self.env) != sorted(dict(self.env).items()):
            raise ValueError("env must be sorted by name, one value per name")
        names = [s.name for s in self.secrets]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate secrets in job {self.id!r}")
        if bool(self.secrets) != (self.store is not None):
            raise ValueError(f"job {self.id!r}: a secret store goes with secrets, and only then")
        if self.store is not None:
            for secret in self.secrets:
                problem = (
                    None
                    if self.store.provider is SecretProvider.CI
                    else ref_problem(self.store.provider, secret.ref)
                )
                if problem is not None or (
                    self.store.provider is SecretProvider.CI and not _VARIABLE.fullmatch(secret.ref)
                ):
                    raise ValueError(f"job {self.id!r}: bad reference {secret.ref!r}")
        if set(names) & {k for k, _ in self.env}:
            raise ValueError(f"job {self.id!r}: a name is both a secret and a variable")
        if self.cloud_login is not None and not self.oidc:
            raise ValueError(f"job {self.id!r}: a cloud login needs an OIDC token (oidc=True)")
        if len({c.name for c in self.caches}) != len(self.caches):
            raise ValueError(f"duplicate cache names in job {self.id!r}")

    @property
    def secret_names(self) -> tuple[str, ...]:
        """The names of the secrets the job reads."""
        return tuple(s.name for s in self.secrets)

    @property
    def name(self) -> str:
        """Display name ``"<kind>: <id>"``; platforms that show names read the kind back from it."""
        return f"{self.kind}: {self.id}"

    @property
    def stage(self) -> str:
        """Stage name on platforms that group jobs in stages."""
        return self.kind.value


@dataclass(frozen=True)
class Schedule:
    """A cron schedule (UTC); ``branch`` None means the repository's default branch."""

    cron: str
    branch: str | None = None


@dataclass(frozen=True)
class Triggers:
    """Events that start a pipeline."""

    #: Pushes to these branches (globs); pull requests target the same branches.
    branches: tuple[str, ...] = ()
    pull_requests: bool = False
    #: Pushed tags matching these globs.
    tags: tuple[str, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    def __post_init__(self) -> None:
        for ref in (*self.branches, *self.tags):
            if not _REF_GLOB.fullmatch(ref):
                raise ValueError(f"branch or tag pattern {ref!r} must match {_REF_GLOB.pattern}")


@dataclass(frozen=True)
class Pipeline:
    """A pipeline: its triggers and its jobs, each job after every job it needs."""

    id: str
    name: str
    python: str
    triggers: Triggers
    jobs: tuple[Job, ...]
    #: A newer pull-request run cancels the older one on the same ref (never a deploy).
    cancel_superseded: bool = False

    def __post_init__(self) -> None:
        _check_id(self.id, "pipeline id")
        if self.cancel_superseded and not self.triggers.pull_requests:
            raise ValueError("cancel_superseded applies to pull-request runs; enable them first")
        if not self.jobs:
            raise ValueError(f"pipeline {self.id!r} has no job")
        seen: set[str] = set()
        for job in self.jobs:
            if job.id in seen:
                raise ValueError(f"duplicate job id {job.id!r}")
            missing = [n for n in job.needs if n not in seen]
            if missing:
                raise ValueError(f"job {job.id!r} needs {missing}, which must come before it")
            if len(set(job.needs)) != len(job.needs):
                raise ValueError(f"job {job.id!r} lists a need twice")
            seen.add(job.id)

    def job(self, job_id: str) -> Job:
        """The job with this id.

        Raises:
            KeyError: no such job.
        """
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)
