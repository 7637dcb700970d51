"""The secrets guide (docs/secrets.md), generated from the constants the emitters use.

Action pins, Vault mounts, token names and audiences, variable names and the stage to
environment mapping all come from the modules that write the YAML, so the guide cannot
describe a pipeline other than the one rendered. A test compares the file with
:func:`render_secrets_doc`; regenerate it with
``python -m mlopsgen.platforms.secrets_doc > docs/secrets.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlopsgen.pipeline.build import secret_scopes
from mlopsgen.platforms import azure, github, gitlab
from mlopsgen.platforms.base import AWS_AUDIENCE, AZURE_AUDIENCE, STORE_REFS
from mlopsgen.spec.model import SecretProvider
from mlopsgen.spec.secrets import SECRET_ENVIRONMENT_PREFIX, STATIC_AUTH_RULE, literal_kinds

__all__ = ["LOCAL_COMMANDS", "LocalCommand", "render_secrets_doc"]

_GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
_GITLAB_ISSUER = "https://gitlab.com"
_AZURE_ISSUER = "https://vstoken.dev.azure.com/<organization id>"
_GITHUB_SUBJECT = "repo:<owner>/<repo>:environment:<environment>"
_GITLAB_SUBJECT = "project_path:<group>/<project>:ref_type:branch:ref:<branch>"
_AZURE_SUBJECT = "p://<organization>/<project>/<pipeline>"


def _pin(pin: github.ActionPin) -> str:
    return f"`{pin.repo}` {pin.version}"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """A Markdown table; cells are built from short strings so the source stays readable."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


_REFERENCES = [
    (
        "`vault`",
        "`<path>#<key>`: the API path vault-action reads (KV v2 paths carry `/data/`); "
        "the first segment is the mount",
        "`secret/data/ml/mlflow#token` (KV v2), `kv/registry#password` (KV v1)",
    ),
    ("`azure-keyvault`", "the secret's name, `[0-9A-Za-z-]{1,127}`", "`mlflow-tracking-token`"),
    (
        "`aws-secrets-manager`",
        "the secret's name or full ARN; the whole `SecretString` is read (GitHub's and "
        "Azure's readers cannot select a JSON key: store such a value as a secret of its own)",
        "`prod/ml/mlflow-token`",
    ),
    (
        "`gcp-secret-manager`",
        "`projects/<project>/secrets/<name>[/versions/<version>]`, or `<name>`: resolved in "
        "the project of the workload identity provider; the version defaults to `latest`",
        "`mlflow-tracking-token`",
    ),
    (
        "`ci`",
        "the CI platform's own secret (variable) name; it reaches the commands as `name`",
        "`MLFLOW_TOKEN`",
    ),
]


def _intro() -> str:
    scopes = _table(
        ("stage", "jobs", "environment"),
        [
            (
                f"`{stage}`",
                ", ".join(f"`{j}`" for j in jobs),
                f"`{SECRET_ENVIRONMENT_PREFIX}{stage}`"
                if stage != "data"
                else f"`{SECRET_ENVIRONMENT_PREFIX}data` (`data-validate`, `model-gate`); "
                "the others their own stage's",
            )
            for stage, jobs in secret_scopes().items()
        ]
        + [("`deploy`", "`deploy-<environment>`", "the deployment environment")],
    )
    refs = _table(("provider", "`ref`", "example"), _REFERENCES)
    static = ", ".join(
        f"{p}: " + ", ".join(f"`{n}`" for n in names)
        for p, names in github.STATIC_CREDENTIALS.items()
    )
    bad_ref = (
        "mlops.yaml:14:38: secrets.items[0].ref: 'mlflow token' is not a vault reference\n"
        "  (hint: expected <path>#<key>, e.g. secret/data/ml/mlflow#token)"
    )
    leak = (
        "mlops.yaml:7:12: secrets.items[0].ref: looks like a literal secret (an AWS access\n"
        "  key ID); a spec names secrets, it never holds them (hint: revoke it ...)"
    )
    kinds = ", ".join(literal_kinds())
    return f"""\
# Secrets: one spec, five providers, three CI platforms

<!-- Generated from generator/mlopsgen/platforms/secrets_doc.py (the constants the
     emitters use) by `python -m mlopsgen.platforms.secrets_doc > docs/secrets.md`;
     a test fails when it is stale. -->

A spec names secrets; it never holds them. Each item says which environment variable
the job's commands read (`name`), where the provider keeps it (`ref`), and which stages
and deployment environments may read it:

```yaml
secrets:
  provider: vault   # vault | azure-keyvault | aws-secrets-manager | gcp-secret-manager | ci
  auth: oidc        # oidc (default) | static (needs a waiver of {STATIC_AUTH_RULE})
  vault: {{url: "https://vault.example.com", role: ml-ci, audience: vault}}
  items:
    - {{name: MLFLOW_TRACKING_TOKEN, ref: "secret/data/ml/mlflow#token", stages: [train]}}
    - {{name: DEPLOY_TOKEN, ref: "secret/data/deploy#token", stages: [deploy],
       environments: [production]}}
```

## References

{refs}
A reference of the wrong shape is a spec error with its position, like any other:

```
{bad_ref}
```

## No literal secrets in the spec

Every string in `mlops.yaml` is checked before anything is rendered. A value that looks
like a credential is refused (exit status 2), naming the field and never repeating the
value: {kinds}.

```
{leak}
```

URLs (without credentials), ARNs, e-mail addresses, hex digests (sha256, commit SHAs),
dates, cron schedules and identifiers made of words and numbers are never reported.

## Static credentials

`auth: oidc` (the default) gives each job a short-lived token. `auth: static` keeps a
long-lived credential in the CI platform; the spec is refused unless
`policies.waivers` waives `{STATIC_AUTH_RULE}` (with a reason, an owner and an expiry;
the policy engine stops honouring it when it expires):

```yaml
policies:
  waivers:
    - {{rule: {STATIC_AUTH_RULE}, reason: "JWT auth arrives in Q3", owner: platform,
       expires: 2026-09-30}}
```

Only GitHub workflows change: the login reads environment secrets instead of a token
({static}).
GitLab's `secrets:` keyword logs in with an ID token only, and on Azure Pipelines the
service connection (or the store's trust) decides; `mlopsgen render` warns about both.

## Which jobs read which secret

A job reads a secret only when the spec names its stage (and, for deploys, its
environment). Its commands see it in their environment; `make install` never does
(installing runs third-party code), and the store login happens after it. Nothing is
echoed, written to an artifact, or passed on (`secrets: inherit` and its equivalents are
never generated). A job that reads secrets and does not deploy is bound to the
environment of its stage, which scopes GitHub environment secrets, GitLab
environment-scoped variables and the OIDC subject:

{scopes}
Only these jobs get an OIDC token (`id-token: write`, `id_tokens:`), and only when they
log in to a store with it (or deploy to a cloud).
"""


def _idioms() -> str:
    tokens = gitlab.STORE_TOKENS
    vault, akv = SecretProvider.VAULT, SecretProvider.AZURE_KEYVAULT
    aws, gcp = SecretProvider.AWS, SecretProvider.GCP
    rows = [
        (
            "`vault`",
            f"{_pin(github.VAULT)}: `method: jwt`, `path: {github.VAULT_MOUNT}`, `role`, "
            "`jwtGithubAudience: <audience>`, `exportEnv: false`; masked step outputs mapped "
            "into the commands' `env:`",
            f"`id_tokens: {tokens[vault]}: {{aud: <audience>}}`, `secrets: NAME: {{vault: "
            f"{{engine, path, field}}, token: ${tokens[vault]}, file: false}}`, variables "
            f"`VAULT_SERVER_URL`, `VAULT_AUTH_ROLE`, `VAULT_AUTH_PATH: {gitlab.VAULT_MOUNT}`",
            f"a script step (`name: {azure.SECRET_STEP}`) requests the pipeline's ID token "
            f"(`System.OidcRequestUri`), logs in at `auth/{azure.VAULT_MOUNT}` and sets each "
            "value as a secret variable (`issecret=true`)",
        ),
        (
            "`azure-keyvault`",
            f"{_pin(github.AZURE_LOGIN)} (`client-id`, `tenant-id` from the repository "
            "variables `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`; `allow-no-subscriptions: true`), "
            "then `az keyvault secret show` into masked step outputs "
            "(Azure/get-keyvault-secrets is archived)",
            f"`id_tokens: {tokens[akv]}: {{aud: {AZURE_AUDIENCE}}}`, `secrets: NAME: "
            "{azure_key_vault: {name}, ...}`, variable `AZURE_KEY_VAULT_SERVER_URL`",
            "`AzureKeyVault@2` over the workload-identity service connection, `SecretsFilter` "
            "listing exactly the job's secrets",
        ),
        (
            "`aws-secrets-manager`",
            f"{_pin(github.AWS_CREDENTIALS)} (`role-to-assume`, `aws-region`), then "
            f"{_pin(github.AWS_SECRETS)} (`NAME,<ref>` lines, `parse-json-secrets: false`; the "
            "values are masked environment variables of the job's later steps)",
            f"`id_tokens: {tokens[aws]}: {{aud: {AWS_AUDIENCE}}}`, `secrets: NAME: "
            "{aws_secrets_manager: {secret_id, region, role_arn}, ...}` (GitLab Runner 18.3+)",
            "the script step assumes the role with the pipeline's ID token "
            "(`AWS_WEB_IDENTITY_TOKEN_FILE`) and reads each secret with the AWS CLI",
        ),
        (
            "`gcp-secret-manager`",
            f"{_pin(github.GCP_AUTH)} (`workload_identity_provider`, `service_account`), then "
            f"{_pin(github.GCP_SECRETS)} into masked step outputs",
            f"`id_tokens: {tokens[gcp]}: {{aud: https://iam.googleapis.com/<provider>}}`, "
            "`secrets: NAME: {gcp_secret_manager: {name, version}, ...}`, variables "
            "`GCP_PROJECT_NUMBER`, `GCP_WORKLOAD_IDENTITY_FEDERATION_POOL_ID`, "
            "`GCP_WORKLOAD_IDENTITY_FEDERATION_PROVIDER_ID`",
            "the script step writes a credential configuration for the pipeline's ID token "
            "(`gcloud iam workload-identity-pools create-cred-config`) and reads each secret "
            "with `gcloud secrets versions access`",
        ),
        (
            "`ci`",
            "`NAME: ${{ secrets.<ref> }}` in the `env:` of the steps that run the job's "
            "commands, on the job's environment",
            "the CI/CD variable `<ref>` (masked, protected, scoped to the job's environment), "
            "passed as `NAME: $<ref>` when the names differ",
            "the job links its own variable group `<slug>-secrets-<stage or environment>`; "
            "`NAME: $(<ref>)` in the steps' `env:`",
        ),
    ]
    table = _table(("provider", "GitHub Actions", "GitLab CI", "Azure Pipelines"), rows)
    return f"""
## What each platform renders

{table}
Every script reads the job's references from `{STORE_REFS}` (`NAME ref` lines) in its
`env:`. On Azure Pipelines, a value set by the script step must be one line (a logging
command carries it); store multi-line values (keys, certificates) base64-encoded.
"""


@dataclass(frozen=True)
class LocalCommand:
    """What a generated repository's ``secrets.py`` runs to read ``ref`` (a test runs it)."""

    provider: SecretProvider
    settings: tuple[tuple[str, str], ...]
    ref: str
    command: str


_WIP = "projects/123456789/locations/global/workloadIdentityPools/ci/providers/gh"
#: One example per provider (two for Vault: KV v2 and any other path). The generated
#: module builds these from ``secrets:`` at run time; tests/test_secrets.py checks it does.
LOCAL_COMMANDS = (
    LocalCommand(
        SecretProvider.VAULT,
        (("url", "https://vault.example.com"),),
        "secret/data/ml/mlflow#token",
        "vault kv get -mount=secret -field=token ml/mlflow",
    ),
    LocalCommand(
        SecretProvider.VAULT,
        (("url", "https://vault.example.com"),),
        "kv/registry#password",
        "vault read -field=password kv/registry",
    ),
    LocalCommand(
        SecretProvider.AZURE_KEYVAULT,
        (("name", "kv-ml"),),
        "mlflow-tracking-token",
        "az keyvault secret show --vault-name=kv-ml --name=mlflow-tracking-token "
        "--query value -o tsv",
    ),
    LocalCommand(
        SecretProvider.AWS,
        (("region", "eu-west-1"),),
        "prod/ml/mlflow-token",
        "aws secretsmanager get-secret-value --secret-id=prod/ml/mlflow-token "
        "--region eu-west-1 --query SecretString --output text",
    ),
    LocalCommand(
        SecretProvider.GCP,
        (("workload_identity_provider", _WIP),),
        "mlflow-tracking-token",
        "gcloud secrets versions access latest --secret=mlflow-tracking-token --project=123456789",
    ),
)


def _local() -> str:
    rows = [
        (
            f"`{c.provider}`",
            ", ".join(f"`{k}: {v}`" for k, v in c.settings),
            f"`{c.ref}`",
            f"`{c.command}`",
        )
        for c in LOCAL_COMMANDS
    ]
    rows.append(("`ci`", "", "", "none: the environment or `.env` only"))
    table = _table(("provider", "settings", "`ref`", "command (log in first)"), rows)
    return f"""
## Local runs

The generated repository reads the same section at run time, so a developer's run uses
the secrets the spec names, and nothing else. `.env.example` lists each `name` with an
empty value and a comment giving its `ref`, stages and environments; copy it to `.env`,
which `.gitignore` keeps out of git, as it does `.env.*` (except `.env.example`),
`gha-creds-*.json`, `*.pem` and `*.key`. Then:

```sh
make secrets-check                                   # where each secret resolves, never a value
python -m <package>.secrets run -- make train        # the command gets them in its environment
python -m <package>.secrets run --stage deploy --env staging -- make deploy ENV=staging
```

Each value comes from the environment, else `.env` (an empty value counts as unset),
else the provider, through its own CLI (`VAULT_ADDR` defaults to `secrets.vault.url`; a
short GCP name is read in the project of the workload identity provider, as in CI):

{table}
A missing CLI or a failed fetch names the secret, the CLI and what to do (install it, log
in, or set the variable in `.env`), with exit status 1; a `.env` that git would commit is
refused (exit 2). The secret scan (`make secrets-scan` and the pre-commit hook) reads every
file git tracks, `data/` and `models/` included: a credential file forced into git is
scanned like any other. It allows only mlopsgen's records (`.mlopsgen/base.json`, the
hashes in `.mlopsgen/lock.json`) and, in `mlops.yaml`, references that are resource names
(an AWS Secrets Manager ARN, a GCP secret or workload identity provider); `mlopsgen check`
refuses literal secrets in the spec.
"""


def _setup() -> str:
    issuers = _table(
        ("platform", "issuer", "subject of a job's token", "audience"),
        [
            (
                "GitHub Actions",
                f"`{_GITHUB_ISSUER}`",
                f"`{_GITHUB_SUBJECT}` (every secret job has an environment)",
                "per provider, below",
            ),
            (
                "GitLab CI",
                f"`{_GITLAB_ISSUER}` (or your instance's URL)",
                f"`{_GITLAB_SUBJECT}`; the token also carries `environment` and "
                "`ref_protected` claims",
                "the `aud` in `id_tokens`",
            ),
            (
                "Azure Pipelines",
                f"`{_AZURE_ISSUER}`",
                f"`{_AZURE_SUBJECT}` (the pipeline's own token); a service connection's "
                "federated credential is shown on its page",
                f"`{AZURE_AUDIENCE}`",
            ),
        ],
    )
    aws_trust = _table(
        ("platform", "provider URL", "audience (`aud`)", "subject condition (`sub`)"),
        [
            ("GitHub Actions", f"`{_GITHUB_ISSUER}`", f"`{AWS_AUDIENCE}`", f"`{_GITHUB_SUBJECT}`"),
            ("GitLab CI", f"`{_GITLAB_ISSUER}`", f"`{AWS_AUDIENCE}`", f"`{_GITLAB_SUBJECT}`"),
            ("Azure Pipelines", f"`{_AZURE_ISSUER}`", f"`{AZURE_AUDIENCE}`", f"`{_AZURE_SUBJECT}`"),
        ],
    )
    gh, gl, az = github.VAULT_MOUNT, gitlab.VAULT_MOUNT, azure.VAULT_MOUNT
    return f"""
## Set-up on the store's side, per provider and platform

Each CI platform signs its tokens with its own issuer, so each needs its own trust:

{issuers}
### HashiCorp Vault

One JWT auth mount per platform (a mount trusts one issuer): `{gh}`, `{gl}`, `{az}`.
A role named like `secrets.vault.role` on each, bound to the audience and subject, with a
policy that reads the referenced paths:

```sh
vault auth enable -path={gh} jwt
vault write auth/{gh}/config \\
    oidc_discovery_url={_GITHUB_ISSUER} bound_issuer={_GITHUB_ISSUER}
vault write auth/{gh}/role/ml-ci role_type=jwt user_claim=sub \\
    bound_audiences=<secrets.vault.audience> bound_claims_type=glob \\
    bound_claims='{{"sub": "repo:<owner>/<repo>:environment:*"}}' \\
    token_policies=ml-ci token_ttl=10m

vault auth enable -path={gl} jwt
vault write auth/{gl}/config oidc_discovery_url={_GITLAB_ISSUER} bound_issuer={_GITLAB_ISSUER}
vault write auth/{gl}/role/ml-ci role_type=jwt user_claim=sub \\
    bound_audiences=<secrets.vault.audience> \\
    bound_claims='{{"project_path": "<group>/<project>", "ref_protected": "true"}}' \\
    token_policies=ml-ci token_ttl=10m

vault auth enable -path={az} jwt
vault write auth/{az}/config oidc_discovery_url={_AZURE_ISSUER}
vault write auth/{az}/role/ml-ci role_type=jwt user_claim=sub \\
    bound_audiences={AZURE_AUDIENCE} bound_subject={_AZURE_SUBJECT} \\
    token_policies=ml-ci token_ttl=10m
```

Azure DevOps: allow the pipeline's jobs to use the OAuth token (the script maps
`$(System.AccessToken)`), and note that its tokens always carry `{AZURE_AUDIENCE}`, not
`secrets.vault.audience`.

### Azure Key Vault

Grant the CI identity **Key Vault Secrets User** on the vault named in
`secrets.azure_keyvault.name` (RBAC permission model).

- **GitHub**: an app registration (or user-assigned managed identity) with a federated
  credential per environment: issuer `{_GITHUB_ISSUER}`, subject `{_GITHUB_SUBJECT}`,
  audience `{AZURE_AUDIENCE}`. Set the repository variables (not secrets) `AZURE_CLIENT_ID`
  and `AZURE_TENANT_ID`.
- **GitLab**: a federated credential with issuer `{_GITLAB_ISSUER}`, subject
  `{_GITLAB_SUBJECT}`, audience `{AZURE_AUDIENCE}`; CI/CD variables `AZURE_CLIENT_ID` and
  `AZURE_TENANT_ID` (`AZURE_KEY_VAULT_SERVER_URL` is in the YAML).
- **Azure Pipelines**: an Azure Resource Manager service connection using workload identity
  federation, named as `secrets.azure_keyvault.service_connection`; grant its identity the
  role and the pipeline permission to use the connection.

### AWS Secrets Manager

An IAM OIDC identity provider per platform, and the role in `secrets.aws.role_arn` trusting
it (`sts:AssumeRoleWithWebIdentity`) with conditions on the audience and the subject;
the role may `secretsmanager:GetSecretValue` on the referenced secrets (and
`kms:Decrypt` on a customer-managed key). GitHub's get-secrets action also calls
`secretsmanager:ListSecrets`.

{aws_trust}
### GCP Secret Manager

A workload identity pool with one OIDC provider per platform
(`secrets.gcp.workload_identity_provider` names the one the YAML uses), mapping
`google.subject=assertion.sub` and an attribute condition on the repository or project.

- **GitHub**: issuer `{_GITHUB_ISSUER}`, default audience. Grant
  `roles/iam.workloadIdentityUser` on the service account in `secrets.gcp.service_account`
  to the pool's principal set, and the service account `roles/secretmanager.secretAccessor`
  on the secrets.
- **GitLab**: issuer `{_GITLAB_ISSUER}`, default audience
  (`https://iam.googleapis.com/<provider>`, what the YAML asks for). The runner reads the
  secrets as the federated principal itself, not as the service account: grant
  `roles/secretmanager.secretAccessor` to `principal://iam.googleapis.com/<pool>/subject/<sub>`
  (or a principal set).
- **Azure Pipelines**: issuer `{_AZURE_ISSUER}`, allowed audience `{AZURE_AUDIENCE}`; the
  service account as for GitHub.

### CI-native secrets (`provider: ci`)

- **GitHub**: one environment secret per `ref`, in each environment the table above names:
  `gh secret set <ref> --env <environment>` (`ci-settings/github/README.md` lists them).
- **GitLab**: masked, protected CI/CD variables named `<ref>`, with the job's environment as
  their environment scope.
- **Azure Pipelines**: a variable group per scope, `<slug>-secrets-<stage or environment>`,
  holding `<ref>` as secret variables (or linked to a Key Vault); authorize the pipeline
  to use each group.

## What the other platforms' settings mean here

Settings a platform has no use for are not reported as lost: the Azure service connection
on GitHub and GitLab, the Vault audience on Azure Pipelines (always
`{AZURE_AUDIENCE}`), the GCP service account on GitLab (see above), the variable group
on GitHub and GitLab. GitHub records a deployment for each job on an environment,
secret-scoping ones included, and grants `id-token: write` per job: the commands of a job
that logs in with OIDC could request a token too (GitLab's store token is the runner's,
and on Azure Pipelines the script step's).
"""


def render_secrets_doc() -> str:
    """The whole guide as Markdown."""
    return _intro() + _idioms() + _local() + _setup()


if __name__ == "__main__":  # pragma: no cover
    print(render_secrets_doc(), end="")  # noqa: T201
