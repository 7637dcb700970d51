"""The one plugin axis of CI platforms (a Protocol), the parse error, and lossiness reports."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mlopsgen.errors import UserError
from mlopsgen.pipeline.build import INSTALL_COMMANDS
from mlopsgen.pipeline.model import Job, Pipeline, Secret
from mlopsgen.spec.model import Platform

__all__ = [
    "AWS_AUDIENCE",
    "AZURE_AUDIENCE",
    "CLOUD_VARIABLES",
    "QUIET",
    "QUIET_ON",
    "STORE_REFS",
    "CIPlatform",
    "Loss",
    "PipelineParseError",
    "PlatformModule",
    "federated_login",
    "format_refs",
    "login_position",
    "losses",
    "parse_refs",
    "parse_registry_login",
    "registry_login",
    "secret_readers",
]

#: Commands that install dependencies: the generated ones, and ``make install`` (older renders).
_INSTALLERS = frozenset({*INSTALL_COMMANDS, "make install"})

#: Audience of the OIDC tokens AWS STS accepts (the IAM OIDC provider's client ID).
AWS_AUDIENCE = "sts.amazonaws.com"
#: Audience of tokens exchanged with Microsoft Entra ID (federated credentials), and of
#: every Azure DevOps pipeline ID token.
AZURE_AUDIENCE = "api://AzureADTokenExchange"
#: Environment variable of a secret-fetching script step: ``NAME ref`` lines, one per secret.
#: (Named without "secret", "token" or "password", and without ``=``, so that secret
#: scanners' keyword rules, which run on the generated repository, do not read the
#: references as values.)
STORE_REFS = "STORE_REFS"
#: Fields whose difference is not a loss: store settings a platform has no use for (the
#: Azure service connection on GitHub, for example), and the environments that only scope
#: secrets (Azure scopes them by variable group or fetch step; GitHub records a deployment
#: on them), and on GitLab the store of CI-native secrets with the ``NAME: $REF`` aliases
#: that replace it (the loss of ``Job.secrets`` itself is reported). docs/secrets.md lists
#: them.
QUIET = frozenset(
    {
        "SecretStore.settings",
        "Environment.deployment",
        "Job.environment",
        "Job.store",
        "Job.env",
        "CloudLogin.service_connection",
    }
)


class CIPlatform(Protocol):
    """What every platform module provides: emit and parse, plus what its YAML cannot say.

    The law every implementation keeps (a property test checks it)::

        parse(emit(pipelines)) == expressible(pipelines)

    and ``expressible`` only drops what :attr:`lossy` names.
    """

    @property
    def platform(self) -> Platform:
        """The platform this implements."""
        ...

    @property
    def lossy(self) -> Mapping[str, str]:
        """Model fields (``"Class.field"``) the platform's YAML cannot carry, with the reason."""
        ...

    def emit(self, pipelines: Sequence[Pipeline]) -> dict[str, Any]:
        """Plain YAML data per repository-relative file path; never touches the disk."""
        ...

    def parse(self, files: Mapping[str, Any]) -> tuple[Pipeline, ...]:
        """Pipelines from loaded YAML data per path (the files :meth:`owns`; others ignored).

        Raises:
            PipelineParseError: a construct outside what the model can represent.
        """
        ...

    def expressible(self, pipelines: Sequence[Pipeline]) -> tuple[Pipeline, ...]:
        """The pipelines with every field in :attr:`lossy` set to what :meth:`parse` reads back."""
        ...

    def owns(self, path: str) -> bool:
        """True when ``path`` (repository-relative, ``/``-separated) is a pipeline file of it."""
        ...


@dataclass(frozen=True)
class PlatformModule:
    """A platform module's functions behind the :class:`CIPlatform` protocol."""

    platform: Platform
    lossy: Mapping[str, str]
    emit: Callable[[Sequence[Pipeline]], dict[str, Any]]
    parse: Callable[[Mapping[str, Any]], tuple[Pipeline, ...]]
    expressible: Callable[[Sequence[Pipeline]], tuple[Pipeline, ...]]
    owns: Callable[[str], bool]


class PipelineParseError(UserError):
    """A pipeline file uses a construct that the CI-neutral model cannot represent."""


@dataclass(frozen=True)
class Loss:
    """One thing the spec asked for that a platform's YAML does not carry."""

    pipeline: str
    job: str | None
    field: str
    reason: str

    def format(self) -> str:
        """Render as ``pipeline/job: Class.field: reason``."""
        where = f"{self.pipeline}/{self.job}" if self.job else self.pipeline
        return f"{where}: {self.field}: {self.reason}"


def secret_readers(commands: Sequence[str]) -> set[str]:
    """The commands of a job that see its secrets.

    All but the install commands (installing dependencies runs third-party build code),
    unless installing is all the job does.
    """
    return {c for c in commands if c not in _INSTALLERS} or set(commands)


# --- cloud logins (deploy.cloud): one set of commands that every platform emits ----------

#: The CI variables (not secrets: identifiers) each cloud's OIDC login reads.
CLOUD_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "azure": ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID"),
    "aws": ("AWS_ROLE_ARN", "AWS_REGION"),
    "gcp": ("GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT"),
}
_ECR_REGION = re.compile(r"[0-9]{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com")
_ACR = ".azurecr.io"
_REGISTRY_LOGINS = (
    (re.compile(r"az acr login --name ([a-z0-9]+)"), "azure"),
    (
        re.compile(
            r"aws ecr get-login-password --region [a-z0-9-]+ \| docker login --username AWS "
            r"--password-stdin (\S+)"
        ),
        "aws",
    ),
    (re.compile(r"gcloud auth configure-docker (\S+) --quiet"), "gcp"),
)


def registry_login(cloud: str, registry: str) -> str:
    """The command that logs Docker in to ``registry`` with the job's cloud session."""
    if cloud == "azure":
        return f"az acr login --name {registry.removesuffix(_ACR)}"
    if cloud == "aws":
        match = _ECR_REGION.fullmatch(registry)
        if match is None:
            raise ValueError(f"{registry!r} is not an ECR registry")
        return (
            f"aws ecr get-login-password --region {match.group(1)} | docker login "
            f"--username AWS --password-stdin {registry}"
        )
    return f"gcloud auth configure-docker {registry} --quiet"


def parse_registry_login(command: str) -> tuple[str, str] | None:
    """``(cloud, registry)`` of a :func:`registry_login` command; None for any other."""
    for pattern, cloud in _REGISTRY_LOGINS:
        match = pattern.fullmatch(command.strip())
        if match:
            registry = match.group(1)
            return cloud, registry + _ACR if cloud == "azure" else registry
    return None


def federated_login(cloud: str, token: str) -> tuple[str, ...]:
    """Shell lines that log in to ``cloud`` with the OIDC token in ``$<token>``.

    Run in one shell (GitLab runs a job's script lines in one); the identifiers come
    from :data:`CLOUD_VARIABLES`. AWS and GCP read the token from a file (the CLI's
    AssumeRoleWithWebIdentity, and a workload identity credential configuration).
    """
    if cloud == "azure":
        return (
            'az login --service-principal --username "$AZURE_CLIENT_ID" '
            f'--tenant "$AZURE_TENANT_ID" --federated-token "${token}" --output none',
            'az account set --subscription "$AZURE_SUBSCRIPTION_ID"',
        )
    token_file = (
        'export CLOUD_LOGIN_DIR="$(mktemp -d)"',
        f'printf \'%s\' "${token}" > "$CLOUD_LOGIN_DIR/token"',
    )
    if cloud == "aws":
        return (
            *token_file,
            'export AWS_WEB_IDENTITY_TOKEN_FILE="$CLOUD_LOGIN_DIR/token"',
            "aws sts get-caller-identity --output text --query Arn",
        )
    return (
        *token_file,
        'gcloud iam workload-identity-pools create-cred-config "$GCP_WORKLOAD_IDENTITY_PROVIDER" '
        '--service-account="$GCP_SERVICE_ACCOUNT" '
        '--credential-source-file="$CLOUD_LOGIN_DIR/token" '
        '--output-file="$CLOUD_LOGIN_DIR/credentials.json"',
        'export CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE="$CLOUD_LOGIN_DIR/credentials.json"',
        'export GOOGLE_APPLICATION_CREDENTIALS="$CLOUD_LOGIN_DIR/credentials.json"',
    )


def login_position(commands: Sequence[str]) -> int:
    """Where a job's store fetch and cloud login go: after ``make install``, before the rest.

    Installing dependencies runs third-party build code, which must not see a secret or a
    cloud session; every later command may need them.
    """
    readers = secret_readers(commands)
    return next((i for i, c in enumerate(commands) if c in readers), len(commands))


def format_refs(secrets: Sequence[Secret]) -> str:
    """The :data:`STORE_REFS` value: ``NAME ref`` lines (neither contains whitespace)."""
    return "".join(f"{s.name} {s.ref}\n" for s in secrets)


def parse_refs(text: str) -> tuple[Secret, ...]:
    """The secrets of a :data:`STORE_REFS` value."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 2:
            out.append(Secret(name=fields[0], ref=fields[1]))
    return tuple(out)


#: Per platform, more fields whose difference is not a loss. GitHub grants one
#: ``id-token: write`` for a job: a store login's token and the commands' are the same.
QUIET_ON: Mapping[Platform, frozenset[str]] = {Platform.GITHUB: frozenset({"Job.oidc"})}


def losses(platform: CIPlatform, pipelines: Sequence[Pipeline]) -> tuple[Loss, ...]:
    """What rendering ``pipelines`` for ``platform`` drops, one :class:`Loss` per field and job.

    Fields in :data:`QUIET` are left out: settings a platform has no use for are not lost.
    """
    out: list[Loss] = []
    for before, after in zip(pipelines, platform.expressible(pipelines), strict=True):
        for job_id, name in _diff(before, after, None):
            if name in QUIET or name in QUIET_ON.get(platform.platform, ()):
                continue
            out.append(
                Loss(
                    before.id,
                    job_id,
                    name,
                    platform.lossy.get(name, "not expressible on this platform"),
                )
            )
    return tuple(dict.fromkeys(out))


def _diff(a: Any, b: Any, job: str | None) -> Iterator[tuple[str | None, str]]:
    """Yield ``(job id, "Class.field")`` for every leaf field where ``a`` and ``b`` differ."""
    if a == b:
        return
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        for x, y in zip(a, b, strict=True):
            yield from _diff(x, y, job)
        return
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        job = a.id if isinstance(a, Job) else job
        for f in dataclasses.fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if x == y:
                continue
            if (dataclasses.is_dataclass(x) and type(x) is type(y)) or (
                isinstance(x, tuple)
                and isinstance(y, tuple)
                and len(x) == len(y)
                and any(dataclasses.is_dataclass(v) for v in x)
            ):
                yield from _diff(x, y, job)
            else:
                yield job, f"{type(a).__name__}.{f.name}"
        return
    yield job, f"{type(a).__name__}"
