"""The secrets section of a spec: references per provider, static logins, literal secrets.

And docs/secrets.md, generated from the emitters' constants, must be current.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsgen.errors import SpecError
from mlopsgen.new import create_repository
from mlopsgen.platforms.secrets_doc import LOCAL_COMMANDS, render_secrets_doc
from mlopsgen.spec import load_spec, parse_spec
from mlopsgen.spec.model import SecretProvider
from mlopsgen.spec.secrets import canonical_ref, literal_secret, ref_problem, vault_ref_parts
from tests.repo_paths import EXAMPLES, ROOT, CliResult

CASES = ROOT / "tests" / "cases" / "secrets"
HEAD = "version: 1\nproject:\n  name: Spam Filter\n"
SECTIONS = {
    "vault": 'vault: {url: "https://vault.example.com", role: ml-ci}',
    "azure-keyvault": "azure_keyvault: {name: kv-spam}",
    "aws-secrets-manager": "aws: {region: eu-west-1, "
    'role_arn: "arn:aws:iam::123456789012:role/ci"}',
    "gcp-secret-manager": "gcp: {workload_identity_provider: projects/42/locations/global/"
    "workloadIdentityPools/p/providers/q, "
    "service_account: ci@proj-1.iam.gserviceaccount.com}",
    "ci": "",
}
#: The key of an AWS documentation example, assembled so no scanner flags this file.
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"


def spec_text(provider: str, ref: str, *, extra: str = "") -> str:
    section = f"  {SECTIONS[provider]}\n" if SECTIONS[provider] else ""
    return (
        HEAD
        + f"secrets:\n  provider: {provider}\n{section}"
        + f"  items:\n    - {{name: TOKEN, ref: '{ref}', stages: [train]}}\n"
        + extra
    )


# --- references ----------------------------------------------------------------------------

VALID = [
    ("vault", "secret/data/ml/mlflow#token"),
    ("vault", "secret/data/p1/mlflow#token"),  # a digit in a segment is no secret
    ("vault", "kv/team-2/ml-v2/mlflow#token2"),
    ("vault", "kv/registry#password"),
    ("vault", "database/creds/ml-ro#password"),
    ("azure-keyvault", "mlflow-tracking-token"),
    ("azure-keyvault", "A1-" + "b" * 124),
    ("aws-secrets-manager", "prod/ml/mlflow-token"),
    ("aws-secrets-manager", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/t-AbCdEf"),
    ("gcp-secret-manager", "mlflow-token"),
    ("gcp-secret-manager", "projects/my-project/secrets/mlflow-token"),
    ("gcp-secret-manager", "projects/123/secrets/mlflow-token/versions/7"),
    ("ci", "MLFLOW_TOKEN"),
]
INVALID = [
    ("vault", "secret/data/ml/mlflow", "is not a vault reference"),
    ("vault", "mlflow#token", "is not a vault reference"),
    ("vault", "secret/data#token", "names a KV v2 mount but no secret under it"),
    ("vault", "secret/ml mlflow#token", "is not a vault reference"),
    ("azure-keyvault", "mlflow_token", "is not a azure-keyvault reference"),
    ("azure-keyvault", "a" * 128, "is not a azure-keyvault reference"),
    ("aws-secrets-manager", "prod/db#password", "selects a JSON key"),
    ("aws-secrets-manager", "arn:aws:iam::123456789012:role/x", "is not a aws-secrets-manager"),
    ("gcp-secret-manager", "projects/p/secrets/s/versions/v1", "is not a gcp-secret-manager"),
    ("gcp-secret-manager", "my secret", "is not a gcp-secret-manager"),
    ("ci", "mlflow-token", "is not a ci reference"),
    ("ci", "GITHUB_TOKEN", "reserved"),
]


@pytest.mark.parametrize(("provider", "ref"), VALID)
def test_valid_references(provider: str, ref: str) -> None:
    assert ref_problem(SecretProvider(provider), ref) is None
    spec = parse_spec(spec_text(provider, ref))
    assert spec.secrets.items[0].ref == ref


@pytest.mark.parametrize(("provider", "ref", "message"), INVALID)
def test_invalid_references_are_positioned_errors(provider: str, ref: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(spec_text(provider, ref))
    (diag,) = info.value.diagnostics
    assert diag.location.json_path == "secrets.items[0].ref"
    line = 8 if SECTIONS[provider] else 7  # after the provider's settings line, if any
    assert (diag.location.line, diag.location.column) == (line, 26)
    assert message in diag.message
    assert diag.hint


def test_canonical_references() -> None:
    settings = {"workload_identity_provider": "projects/42/locations/global/x/providers/y"}
    gcp = SecretProvider.GCP
    with pytest.raises(ValueError, match="workload identity provider"):
        canonical_ref(gcp, "t", settings)
    settings["workload_identity_provider"] = (
        "projects/42/locations/global/workloadIdentityPools/p/providers/q"
    )
    assert canonical_ref(gcp, "t", settings) == "projects/42/secrets/t/versions/latest"
    assert canonical_ref(gcp, "projects/a/secrets/t", settings) == (
        "projects/a/secrets/t/versions/latest"
    )
    assert canonical_ref(gcp, "projects/a/secrets/t/versions/3", settings).endswith("/3")
    assert canonical_ref(SecretProvider.VAULT, "a/b#c", settings) == "a/b#c"
    assert vault_ref_parts("secret/data/ml/mlflow#token") == (
        "secret",
        "kv-v2",
        "ml/mlflow",
        "token",
    )
    assert vault_ref_parts("kv/registry#password") == ("kv", "kv-v1", "registry", "password")


# --- the rest of the secrets section -------------------------------------------------------


def test_static_auth_needs_a_waiver() -> None:
    text = spec_text("vault", "secret/data/ml#token").replace(
        "provider: vault\n", "provider: vault\n  auth: static\n"
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    (diag,) = info.value.diagnostics
    assert diag.location.json_path == "secrets.auth"
    assert "needs a waiver of SPEC-003" in diag.message
    waived = text + (
        "policies:\n  waivers: [{rule: SPEC-003, reason: JWT auth comes in Q3, owner: platform,"
        " expires: 2030-01-01}]\n"
    )
    spec = parse_spec(waived)
    assert spec.secrets.static
    # CI-native secrets have no login: static means nothing there.
    assert not parse_spec(
        spec_text("ci", "X").replace("ci\n", "ci\n  auth: static\n", 1)
    ).secrets.static


@pytest.mark.parametrize(
    ("extra", "path", "message"),
    [
        (
            "  aws: {region: eu-west-1, role_arn: 'arn:aws:iam::123456789012:role/x'}\n",
            "secrets.aws",
            "configures provider 'aws-secrets-manager', but the provider is 'vault'",
        ),
    ],
)
def test_settings_of_another_provider(extra: str, path: str, message: str) -> None:
    text = spec_text("vault", "secret/data/ml#token").replace("  items:", extra + "  items:")
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    (diag,) = info.value.diagnostics
    assert diag.location.json_path == path
    assert message in diag.message


def test_environments_need_the_deploy_stage_and_a_free_name() -> None:
    text = (
        HEAD
        + "secrets:\n  items: [{name: T, ref: T, stages: [train], environments: [prod]}]\n"
        + "deploy:\n  target: batch\n  environments: [{name: prod}, {name: secrets-x}]\n"
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    messages = {d.location.json_path: d.message for d in info.value.diagnostics}
    assert "scope the deploy stage" in messages["secrets.items[0].environments"]
    assert "reserved" in messages["deploy.environments[1].name"]


def test_settings_reach_the_typed_spec() -> None:
    spec = load_spec(CASES / "azure-keyvault.yaml")
    assert spec.secrets.provider is SecretProvider.AZURE_KEYVAULT
    assert dict(spec.secrets.settings) == {
        "name": "kv-churn",
        "service_connection": "churn-keyvault-oidc",
    }


# --- literal secrets -----------------------------------------------------------------------

LITERALS = [
    (AWS_KEY, "an AWS access key ID"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY", "a high-entropy token"),
    ("ghp_" + "a1B2c3D4" * 4 + "e5F6", "a GitHub token"),
    ("github_pat_" + "11ABCDEFG0" * 3, "a GitHub fine-grained token"),
    ("glpat-" + "abcdefghij" * 2, "a GitLab token"),
    ("xoxb-" + "1234567890-abcdef", "a Slack token"),
    ("-----BEGIN RSA PRIVATE" + " KEY-----", "a private key"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n", "a JSON"),
    ("AccountKey=" + "Ab1/" * 21 + "Cd==", "an Azure storage key"),
    ("https://ci:hunter2hunter2@example.com/x", "a password in a URL"),
    ("git+ssh://ci:hunter2hunter2@example.com/x", "a password in a URL"),
    ("Xk9p:Lq2w:Zr7t:Mv4n:Bc8x", "a high-entropy token"),
    ("x" * 2000 + " kJ8s7dF6g5h4J3k2L1mN0bV9", "a high-entropy token"),
]
NOT_SECRETS = [
    "sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7",
    "11bd71901bbe5b1630ceea73d27597364c9af683",
    "https://spam-filter.staging.example.com/v1/score",
    "0 3 * * *",
    "arn:aws:iam::123456789012:role/GitHubActionsDeployRole",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/ml/token-AbC123",
    "projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/gh-1",
    "ci-runner@my-project-123.iam.gserviceaccount.com",
    "secret/data/ml/mlflow#token",
    "secret/data/p1/mlflow#token",
    "registry.example.com/x:1.0",
    "registry.example.com/team/model-v2:1.4.0-rc1",
    "registry-token-2024-prod",
    "My-Service-Connection-2025-Prod",
    "Flags spam in reader comments before they are published on the blog.",
]


@pytest.mark.parametrize(("value", "what"), LITERALS)
def test_literal_secrets_are_recognized(value: str, what: str) -> None:
    found = literal_secret(value)
    assert found is not None and found.startswith(what)


@pytest.mark.parametrize("value", NOT_SECRETS)
def test_structured_values_are_not_secrets(value: str) -> None:
    assert literal_secret(value) is None


@pytest.mark.parametrize("path", [*EXAMPLES, *sorted(CASES.glob("*.yaml"))], ids=lambda p: p.stem)
def test_examples_and_cases_are_not_flagged(path: Path) -> None:
    load_spec(path)


def test_a_literal_token_exits_2_naming_the_field(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(
        HEAD
        + "  description: 'token ghp_"
        + "a1B2c3D4" * 4
        + "e5F6 for the registry'\n"
        + "secrets:\n  provider: aws-secrets-manager\n"
        + f"  {SECTIONS['aws-secrets-manager']}\n"
        + f"  items:\n    - {{name: AWS_KEY, ref: {AWS_KEY}, stages: [train]}}\n"
    )
    out = tmp_path / "out"
    result = run_cli("new", str(spec), "-o", str(out))
    assert result.code == 2
    assert not out.exists(), "nothing may be written"
    assert (
        f"{spec}:9:28: secrets.items[0].ref: looks like a literal secret (an AWS access key ID)"
        in result.err
    )
    assert f"{spec}:4:16: project.description: looks like a literal secret (a GitHub token)" in (
        result.err
    )
    assert AWS_KEY not in result.err and "ghp_" not in result.err, "never repeat the value"
    assert "Traceback" not in result.err
    result = run_cli("validate", str(spec))
    assert result.code == 2


def test_a_literal_anywhere_is_refused_even_in_an_invalid_spec() -> None:
    text = HEAD + "  pyton: '3.11'\npolicies:\n  waivers: [{rule: X-001, reason: '" + AWS_KEY
    text += "', owner: me, expires: 2030-01-01}]\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    lines = [d.format() for d in info.value.diagnostics]
    assert any("policies.waivers[0].reason: looks like a literal secret" in ln for ln in lines)
    assert any("unknown key 'pyton'" in ln for ln in lines)
    assert not any(AWS_KEY in ln for ln in lines)


def test_an_unknown_key_beside_a_literal_is_still_reported() -> None:
    """The unknown key and its close-key hint are not hidden behind the secret's message."""
    text = HEAD + f"deploy:\n  targt: {AWS_KEY}\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    lines = [d.format() for d in info.value.diagnostics]
    assert lines == [
        "mlops.yaml:5:3: deploy.targt: unknown key 'targt' (hint: did you mean 'target'?)",
        "mlops.yaml:5:10: deploy.targt: looks like a literal secret (an AWS access key ID); a "
        "spec names secrets, it never holds them (hint: revoke it (it is in every clone and log "
        "of this file), store it in the secret provider and reference it with "
        "secrets.items[].ref)",
    ]


def test_an_image_reference_under_an_unknown_key_is_an_unknown_key() -> None:
    text = HEAD + 'deploy:\n  targe: "registry.example.com/x:1.0"\n'
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    assert [d.format() for d in info.value.diagnostics] == [
        "mlops.yaml:5:3: deploy.targe: unknown key 'targe' (hint: did you mean 'target'?)"
    ]


def test_a_duplicated_literal_is_not_shown_by_the_duplicate_message() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(HEAD + f"  owners: [{AWS_KEY}, {AWS_KEY}]\n")
    lines = [d.format() for d in info.value.diagnostics]
    assert len(lines) == 2 and all("looks like a literal secret" in ln for ln in lines)
    assert not any(AWS_KEY in ln for ln in lines)


# --- docs ----------------------------------------------------------------------------------


def test_secrets_doc_is_current() -> None:
    on_disk = (ROOT / "docs" / "secrets.md").read_text(encoding="utf-8")
    assert on_disk == render_secrets_doc(), (
        "docs/secrets.md is stale: run `python -m mlopsgen.platforms.secrets_doc > docs/secrets.md`"
    )


def test_secrets_doc_names_every_provider_and_pin() -> None:
    text = render_secrets_doc()
    for provider in SecretProvider:
        assert f"`{provider}`" in text
    for pin in re.findall(r"`([\w-]+/[\w-]+)` v\d+\.\d+\.\d+", text):
        assert pin in text


def test_local_commands_are_what_the_generated_loader_runs(tmp_path: Path) -> None:
    """docs/secrets.md's table of CLI commands, checked against a rendered secrets.py."""
    out = tmp_path / "repo"
    create_repository(HEAD, out)
    rows = [[str(c.provider), dict(c.settings), c.ref] for c in LOCAL_COMMANDS]
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from spam_filter.secrets import fetch_command\n"
        "from spam_filter.settings import SecretsSpec\n"
        "rows = json.loads(sys.argv[1])\n"
        "print(json.dumps([' '.join(fetch_command(SecretsSpec(Path('.'), p, s, ()), r))"
        " for p, s, r in rows]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, json.dumps(rows)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(out / "src")},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [c.command for c in LOCAL_COMMANDS]
    assert {c.provider for c in LOCAL_COMMANDS} == set(SecretProvider) - {SecretProvider.CI}


def test_the_generated_settings_take_every_secret_stage_of_the_schema() -> None:
    """The generated repository reads mlops.yaml's secrets itself: its stages must be the
    schema's (the stage `data` was missing there, failing every DVC repository's tests)."""
    import ast
    import json

    settings = next((ROOT / "template").glob("*/src/*/settings.py")).read_text()
    line = next(x for x in settings.splitlines() if x.startswith("SECRET_STAGES = "))
    stages = ast.literal_eval(line.split("=", 1)[1].strip())
    schema = json.loads((ROOT / "generator/mlopsgen/spec/schema.json").read_text())
    items = schema["properties"]["secrets"]["properties"]["items"]["items"]
    assert set(stages) == set(items["properties"]["stages"]["items"]["enum"])
