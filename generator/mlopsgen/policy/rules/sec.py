"""Secrets: literal credentials, scope, propagation, leaks, long-lived keys."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, Option, OptionType, PipelineRule
from mlopsgen.policy.readers._util import as_list, as_map, as_str
from mlopsgen.policy.rules._common import env_maps, scripts
from mlopsgen.policy.shell import logical_lines
from mlopsgen.policy.view import PipelineView
from mlopsgen.spec.model import Platform

__all__ = [
    "CloudKeys",
    "CredentialOnCommandLine",
    "DebugLogging",
    "LiteralCredentials",
    "SecretExfiltration",
    "SecretsInherited",
    "SecretsOutsideEnvironment",
    "WholeSecretsContext",
]

#: Token formats with a fixed shape (gitleaks and detect-secrets use the same prefixes).
_TOKENS = re.compile(
    r"(AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}|"
    r"glpat-[A-Za-z0-9_-]{20}|xox[baprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|"
    r"sk_live_[0-9A-Za-z]{24,}|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|"
    r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY-----)"
)
_TOKEN_HINTS = (
    "AKIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "AIza",
    "sk_live_",
    "pypi-",
    "PRIVATE KEY",
)
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?|AUTH)$", re.I
)
_REFERENCE = re.compile(r"\$\{\{|\$\(|\$\{|\$[A-Za-z_]|^\*+$|^<.*>$|^\s*$")


def _high_entropy(value: str) -> bool:
    """Looks like a generated secret: long, no spaces, letters and digits mixed."""
    return (
        len(value) >= 16
        and " " not in value
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not value.startswith(("http://", "https://", "/", "./"))
    )


class LiteralCredentials(PipelineRule):
    """A credential is written into the pipeline file.

    Anything in the YAML is in every clone, fork and log of the repository, forever.
    Reported: well-known token formats (AWS, GitHub, GitLab, Slack, Google, Stripe,
    PyPI, private keys) anywhere in the file; container or registry ``password:`` values
    that are not secret references; and variables named like a secret whose value looks
    generated.

    Anti-pattern::

        container:
          image: registry.example.com/app:1.0
          credentials: {username: ci, password: hunter2hunter2}

    Best practice::

        container:
          image: registry.example.com/app:1.0
          credentials: {username: ci, password: "${{ secrets.REGISTRY_PASSWORD }}"}
    """

    id = "SEC-001"
    severity = Severity.ERROR
    references = (
        "zizmor hardcoded-container-credentials",
        "actionlint credentials",
        "glsec GL006, GL036",
        "gitleaks",
    )

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per literal credential."""
        for source, text, _ in view.files():
            tokens = any(t in text for t in _TOKEN_HINTS)
            for match in _TOKENS.finditer(text) if tokens else ():
                yield Finding(
                    "a credential in a known token format is written in the file",
                    (),
                    snippet=match.group(0),
                    hint="revoke it now, then read it from the secret store",
                    source=source,
                )
        for job in view.jobs:
            containers = [(job.raw.get("container"), (*job.path, "container"))]
            containers += [
                (svc, (*job.path, "services", name))
                for name, svc in as_map(job.raw.get("services")).items()
            ]
            for container, path in containers:
                password = as_str(as_map(as_map(container).get("credentials")).get("password"))
                if password and not _REFERENCE.search(password):
                    yield Finding(
                        f"job {job.id!r} has a literal registry password",
                        (*path, "credentials", "password"),
                        hint="use ${{ secrets.NAME }}",
                    )
        for env, path in env_maps(view):
            for name, value in env.items():
                literal = as_str(value)
                if (
                    literal
                    and _SECRET_NAME.search(str(name))
                    and not _REFERENCE.search(literal)
                    and _high_entropy(literal)
                ):
                    yield Finding(
                        f"variable {name!r} holds what looks like a literal secret",
                        (*path, name),
                        hint="store it as a masked secret and reference it",
                    )


class SecretsOutsideEnvironment(PipelineRule):
    """A job reads secrets without a deployment environment.

    Secrets scoped to an environment are released only to jobs that name it, after its
    protection rules (reviewers, branch policies) pass. Repository-wide secrets reach any
    job on any branch. GitHub: ``secrets.*`` (other than ``GITHUB_TOKEN``) in a job
    without ``environment:``; GitLab: ``secrets:`` in a job without ``environment:``.

    Anti-pattern::

        train:
          runs-on: ubuntu-24.04
          steps: [{run: make train, env: {TOKEN: "${{ secrets.MLFLOW_TOKEN }}"}}]

    Best practice::

        train:
          runs-on: ubuntu-24.04
          environment: training
          steps: [{run: make train, env: {TOKEN: "${{ secrets.MLFLOW_TOKEN }}"}}]
    """

    id = "SEC-002"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITHUB, Platform.GITLAB})
    references = ("zizmor secrets-outside-env",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per job that reads secrets outside an environment."""
        for job in view.jobs:
            if job.environment:
                continue
            if view.platform is Platform.GITHUB:
                names = [s for s in job.secrets if s != "GITHUB_TOKEN"]
            else:
                names = list(as_map(job.raw.get("secrets")))
            if names:
                yield Finding(
                    f"job {job.id!r} reads secret(s) {', '.join(names)} without an environment",
                    job.path,
                    hint="move the secrets to an environment and name it in the job",
                )


class SecretsInherited(PipelineRule):
    """Secrets are passed on wholesale.

    ``secrets: inherit`` gives a reusable workflow every secret of the caller;
    GitLab's ``trigger: forward: pipeline_variables: true`` hands every variable to a
    downstream pipeline. Pass the secrets the callee needs, by name.

    Anti-pattern::

        jobs:
          release:
            uses: org/workflows/.github/workflows/release.yml@<sha>
            secrets: inherit

    Best practice::

        jobs:
          release:
            uses: org/workflows/.github/workflows/release.yml@<sha>
            secrets: {PYPI_TOKEN: "${{ secrets.PYPI_TOKEN }}"}
    """

    id = "SEC-003"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITHUB, Platform.GITLAB})
    references = ("zizmor secrets-inherit", "glsec GL010, GL037")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per wholesale secret propagation."""
        for job in view.jobs:
            if job.raw.get("secrets") == "inherit":
                yield Finding(
                    f"job {job.id!r} passes every secret to {job.uses or 'the callee'}",
                    (*job.path, "secrets"),
                    hint="pass only the secrets it needs, by name",
                )
            forward = as_map(as_map(job.raw.get("trigger")).get("forward"))
            if forward.get("pipeline_variables") is True:
                yield Finding(
                    f"trigger job {job.id!r} forwards every pipeline variable downstream",
                    (*job.path, "trigger", "forward", "pipeline_variables"),
                    hint="set pipeline_variables: false and pass what is needed",
                )


_WHOLE = re.compile(r"toJSON\(\s*secrets\s*\)|secrets\[")


class WholeSecretsContext(PipelineRule):
    """A workflow reads the whole secrets context.

    ``toJSON(secrets)`` or ``secrets[expr]`` makes every repository and organisation
    secret available to the job (and its log-masking guesswork), not the one it needs.

    Anti-pattern::

        env:
          ALL: ${{ toJSON(secrets) }}

    Best practice::

        env:
          TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    """

    id = "SEC-004"
    severity = Severity.MEDIUM
    platforms = frozenset({Platform.GITHUB})
    references = ("zizmor overprovisioned-secrets", "poutine job_all_secrets")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per use of the whole secrets context."""
        for source, text, _ in view.files():
            for match in _WHOLE.finditer(text):
                yield Finding(
                    "the whole secrets context is exposed",
                    (),
                    snippet=match.group(0),
                    hint="reference secrets by name",
                    source=source,
                )


_DEBUG_VARS = frozenset(
    {
        "ACTIONS_STEP_DEBUG",
        "ACTIONS_RUNNER_DEBUG",
        "CI_DEBUG_TRACE",
        "CI_DEBUG_SERVICES",
        "SYSTEM.DEBUG",
        "SYSTEM_DEBUG",
    }
)
_DUMP = re.compile(r"^\s*(?:printenv|env|set)\s*(?:[|>].*)?$|^\s*set\s+-[a-wyz]*x|\bbash\s+-x\b")


class DebugLogging(PipelineRule):
    """Debug logging or an environment dump can print secrets.

    ``ACTIONS_STEP_DEBUG``, ``CI_DEBUG_TRACE`` and ``system.debug`` committed as true log
    every variable, secrets included (GitLab's trace does not mask them all). ``set -x``,
    ``printenv`` or a bare ``env`` print them from the script.

    Anti-pattern::

        variables:
          CI_DEBUG_TRACE: "true"
        deploy:
          script: [set -x, ./deploy.sh]

    Best practice::

        deploy:
          script: [./deploy.sh]
    """

    id = "SEC-006"
    severity = Severity.HIGH
    references = ("poutine debug_enabled", "glsec GL033, GL021")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per debug switch or environment dump."""
        for env, path in env_maps(view):
            for name, value in env.items():
                if str(name).upper() in _DEBUG_VARS and str(value).lower() in {"true", "1"}:
                    yield Finding(f"{name} is switched on in the file", (*path, name))
        if view.platform is Platform.AZURE:
            for i, item in enumerate(as_list(view.data.get("variables"))):
                item_map = as_map(item)
                if str(item_map.get("name", "")).lower() == "system.debug" and str(
                    item_map.get("value", "")
                ).lower() in {"true", "1"}:
                    yield Finding("system.debug is switched on in the file", ("variables", i))
        for job, step, script in scripts(view):
            if not (job.secrets or "secret" in script.lower()):
                continue
            for line in logical_lines(script):
                if _DUMP.search(line):
                    yield Finding(
                        f"job {job.id!r} has secrets and prints its environment or trace: "
                        f"{line.strip()!r}",
                        step.run_path or step.path,
                        snippet=line.strip(),
                        hint="remove the trace or the dump",
                    )


_CLOUD_INPUTS = {
    "aws-actions/configure-aws-credentials": ("aws-secret-access-key", "role-to-assume"),
    "azure/login": ("creds", "client-id"),
    "google-github-actions/auth": ("credentials_json", "workload_identity_provider"),
}
_CLOUD_VARS = frozenset(
    {
        "AWS_SECRET_ACCESS_KEY",
        "AZURE_CREDENTIALS",
        "AZURE_CLIENT_SECRET",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
        "GCP_SA_KEY",
        "GCP_CREDENTIALS",
        "ARM_CLIENT_SECRET",
    }
)
_CLOUD_COMMANDS = re.compile(
    r"(aws\s+configure\s+set\s+aws_secret_access_key|az\s+login\s+--service-principal[^\n]*"
    r"(?:-p|--password)\b|gcloud\s+auth\s+activate-service-account[^\n]*--key-file)"
)


class CloudKeys(PipelineRule):
    """A job logs in to a cloud with a long-lived key where OIDC exists.

    AWS, Azure and Google Cloud all accept the CI platform's short-lived OIDC token
    (GitHub ``id-token: write``, GitLab ``id_tokens``, Azure workload identity
    federation). A stored access key or service-principal secret works for anyone who
    gets it, from anywhere, until someone rotates it.

    Anti-pattern::

        - uses: aws-actions/configure-aws-credentials@<sha>
          with:
            aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
            aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}

    Best practice::

        permissions: {id-token: write, contents: read}
        ...
        - uses: aws-actions/configure-aws-credentials@<sha>
          with: {role-to-assume: "arn:aws:iam::123456789012:role/ci", aws-region: eu-west-1}
    """

    id = "SEC-007"
    severity = Severity.HIGH
    references = ("zizmor use-trusted-publishing (related)", "glsec GL070")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per long-lived cloud credential."""
        for job in view.jobs:
            for step in job.steps:
                action = (step.uses or "").partition("@")[0].lower()
                if action in _CLOUD_INPUTS:
                    key, oidc = _CLOUD_INPUTS[action]
                    if step.inputs.get(key) and not step.inputs.get(oidc):
                        yield Finding(
                            f"job {job.id!r} logs in to the cloud with a stored key ({key})",
                            (*step.path, "with", key),
                            hint=f"use OIDC ({oidc}) with a short-lived token",
                        )
        for env, path in env_maps(view):
            for name in env:
                if str(name).upper() in _CLOUD_VARS:
                    yield Finding(
                        f"{name} passes a long-lived cloud credential",
                        (*path, name),
                        hint="federate the CI identity with OIDC instead",
                    )
        for job, step, script in scripts(view):
            if not ("aws" in script or "az " in script or "gcloud" in script):
                continue
            match = _CLOUD_COMMANDS.search(script)
            if match:
                yield Finding(
                    f"job {job.id!r} logs in with a stored cloud key",
                    step.run_path or step.path,
                    snippet=match.group(0)[:40],
                    hint="federate the CI identity with OIDC instead",
                )


_SECRET_REF = re.compile(
    r"\$\{\{\s*secrets\.|toJSON\(\s*secrets\s*\)|\$\{?[A-Z_]*(?:TOKEN|SECRET|PASSWORD|API_?KEY|JWT)[A-Z0-9_]*\}?|"
    r"\$\([A-Za-z_.]*(?:TOKEN|SECRET|PASSWORD|API_?KEY|Token|Secret|Password)[A-Za-z_.]*\)"
)
_TRANSFER = re.compile(r"\b(curl|wget|Invoke-WebRequest|Invoke-RestMethod|iwr|irm)\b")
#: A credential file sent as the request body (``--data @.secrets``, ``-F f=@~/.netrc``).
_CREDENTIAL_FILE = re.compile(
    r"(?:--data(?:-binary|-raw|-urlencode)?|-d|--form|-F|--upload-file|-T|--post-file|"
    r"--body-file|-InFile)[=\s]+['\"]?(?:[\w-]+=)?@?(?:[~.$\w{}/-]*/)?"
    r"(\.secrets?|\.env|\.netrc|\.npmrc|\.pypirc|\.git-credentials|\.dockercfg|config\.json|"
    r"credentials(?:\.json)?|id_rsa|id_ed25519|kubeconfig|[\w.-]*\.pem|[\w.-]*\.key)\b"
)


class SecretExfiltration(PipelineRule):
    """A secret is sent over the network from a script.

    ``curl`` or ``wget`` with a secret on the command line is how most CI credential
    theft leaves the runner; legitimate calls belong in a reviewed script or action, with
    the secret read from the environment by the tool, not pasted into a URL or header.
    Calls to the CI platform's own token endpoints and to the secret store (the
    ``trusted`` option) are how OIDC logins work, and are not reported. A credential file
    sent as the request body (``--data @.secrets``, ``-F file=@~/.netrc``, ``-T
    kubeconfig``) counts as a secret.

    Anti-pattern::

        - run: |
            curl -H "Authorization: token ${{ secrets.DEPLOY_TOKEN }}" https://example.com/hook

    Best practice::

        - uses: org/notify-action@<sha>
          with: {token: "${{ secrets.DEPLOY_TOKEN }}"}

    Options:
        trusted: text (variables, hosts) that marks a call to a trusted endpoint.
    """

    id = "SEC-008"
    severity = Severity.MEDIUM
    options = (
        Option(
            "trusted",
            OptionType.STRINGS,
            [
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "SYSTEM_OIDCREQUESTURI",
                "System.OidcRequestUri",
                "CI_SERVER_URL",
                "CI_API_V4_URL",
                "VAULT_ADDR",
            ],
            "markers of trusted endpoints (platform token endpoints, the secret store)",
        ),
    )
    references = ("checkov CKV_GHA_3, CKV_GITLABCI_1", "glsec GL025")

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per network call carrying a secret."""
        trusted = [str(t) for t in options["trusted"]]
        for job, step, script in scripts(view):
            if not _TRANSFER.search(script):
                continue
            lines = logical_lines(script)
            # A secret written elsewhere in the step (to a file, a variable) and sent later.
            staged = any(_SECRET_REF.search(x) and not _TRANSFER.search(x) for x in lines)
            for line in lines:
                tool = _TRANSFER.search(line)
                secret = (
                    staged or bool(_SECRET_REF.search(line) or _CREDENTIAL_FILE.search(line))
                    if tool
                    else False
                )
                if tool and secret and not any(t in line for t in trusted):
                    yield Finding(
                        f"job {job.id!r} sends a secret with {tool.group(1)}",
                        step.run_path or step.path,
                        snippet=line.strip()[:60],
                        hint="let a pinned tool read the secret from its environment",
                    )


_CLI_PASSWORD = re.compile(
    r"(docker|podman|helm|buildah)\s+(?:registry\s+)?login\b[^\n]*\s(?:-p|--password)(?:\s|=)(?!-stdin)"
    r"|https?://[^/\s:@]+:[^@\s/]*\$[^@\s/]*@"
)


class CredentialOnCommandLine(PipelineRule):
    """A credential is passed on a command line or inside a URL.

    ``docker login -p $TOKEN`` puts the token in the process list and often the log;
    ``https://user:$TOKEN@host/repo.git`` stores it in ``.git/config`` and error messages.

    Anti-pattern::

        - docker login -u ci -p "$REGISTRY_TOKEN" registry.example.com

    Best practice::

        - echo "$REGISTRY_TOKEN" | docker login -u ci --password-stdin registry.example.com
    """

    id = "SEC-009"
    severity = Severity.MEDIUM
    references = ("glsec GL029, GL035",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per credential on a command line or in a URL."""
        for job, step, script in scripts(view):
            if "login" not in script and "://" not in script:
                continue
            match = _CLI_PASSWORD.search(script)
            if match:
                yield Finding(
                    f"job {job.id!r} passes a credential on the command line or in a URL",
                    step.run_path or step.path,
                    snippet=match.group(0)[:40],
                    hint="use --password-stdin or a credential helper",
                )
