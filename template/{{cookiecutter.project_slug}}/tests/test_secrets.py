"""Secrets for local runs: environment, then .env, then the provider's CLI; values never shown.

Each provider's CLI is a fake executable on PATH that records its arguments and answers
only the exact command the loader must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.module_name }} import secrets
from {{ cookiecutter.module_name }}.settings import SpecError, load_secrets, secrets_from_mapping

from .conftest import REPO, edit_spec

FROM_ENV, FROM_DOTENV, FROM_STORE = "env-Value-71a2", "dotenv-Value-93c4", "store-Value-55e6"
VALUES = (FROM_ENV, FROM_DOTENV, FROM_STORE)
# A resource name whose digits and length look random to the secret scan:
# pragma: allowlist nextline secret
WIP = "projects/123456789012/locations/global/workloadIdentityPools/ci/providers/gh"

#: provider -> (its settings, a reference, the CLI and the arguments the loader must pass)
STORES: dict[str, tuple[dict[str, str], str, str, str]] = {
    "vault": (
        {"url": "https://vault.example.com", "role": "ml-ci"},
        "secret/data/ml/app#token",
        "vault",
        "kv get -mount=secret -field=token ml/app",
    ),
    "azure-keyvault": (
        {"name": "kv-ml"},
        "app-token",
        "az",
        "keyvault secret show --vault-name=kv-ml --name=app-token --query value -o tsv",
    ),
    "aws-secrets-manager": (
        {"region": "eu-west-1"},
        "prod/ml/app-token",
        "aws",
        "secretsmanager get-secret-value --secret-id=prod/ml/app-token --region eu-west-1 "
        "--query SecretString --output text",
    ),
    "gcp-secret-manager": (
        {"workload_identity_provider": WIP},
        "app-token",
        "gcloud",
        "secrets versions access latest --secret=app-token --project=123456789012",
    ),
}
SECTIONS = {
    "vault": "vault",
    "azure-keyvault": "azure_keyvault",
    "aws-secrets-manager": "aws",
    "gcp-secret-manager": "gcp",
}


def fake_cli(bin_dir: Path, name: str, answers: dict[str, str], *, error: str = "") -> Path:
    """An executable `name` that logs each call and prints the answer to its exact arguments.

    Other arguments get `error` on stderr and exit status 1, as a CLI that is not logged in.
    """
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir / f"{name}.log"
    script = bin_dir / name
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    call = {'argv': sys.argv[1:], 'vault_addr': os.environ.get('VAULT_ADDR')}\n"
        "    f.write(json.dumps(call) + '\\n')\n"
        f"answers = {answers!r}\n"
        "key = ' '.join(sys.argv[1:])\n"
        "if key in answers:\n"
        "    print(answers[key])\n"
        "    sys.exit(0)\n"
        f"sys.stderr.write({error or 'ERROR: not found'!r} + '\\n')\n"
        "sys.exit(1)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    """The calls a fake CLI recorded."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def use_store(spec: Path, provider: str, items: list[dict[str, Any]]) -> None:
    """Point the workspace's secrets: section at provider with these items."""
    section: dict[str, Any] = {"provider": provider, "items": items}
    if provider in STORES:
        section[SECTIONS[provider]] = STORES[provider][0]
    edit_spec(spec, secrets=section)


def run_main(spec: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """secrets.main with this spec; no secret value may reach stdout or stderr."""
    code = secrets.main(["--spec", str(spec), *argv])
    out, err = capsys.readouterr()
    for value in VALUES:
        assert value not in out + err, "a secret value was printed"
    return code, out, err


def sources(out: str) -> dict[str, str]:
    """The table of `check`: name -> where it resolves."""
    rows = [line.split(None, 1) for line in out.splitlines() if line.startswith("  ")]
    return {name: where for name, where in rows}


def child_sees(**expected: str | None) -> list[str]:
    """A command that exits 0 when its environment holds exactly these values, else 3."""
    check = " and ".join(f"os.environ.get({k!r}) == {v!r}" for k, v in expected.items())
    return [sys.executable, "-c", f"import os, sys; sys.exit(0 if {check} else 3)"]


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of fake CLIs, first on PATH; no secret of the tests in the environment."""
    fakes = tmp_path / "bin"
    fakes.mkdir()
    monkeypatch.setenv("PATH", f"{fakes}{os.pathsep}{os.environ['PATH']}")
    for name in ("FROM_ENV", "FROM_DOTENV", "FROM_STORE", "VAULT_ADDR"):
        monkeypatch.delenv(name, raising=False)
    return fakes


@pytest.mark.parametrize("provider", sorted(STORES))
def test_env_then_dotenv_then_the_store(
    provider: str,
    spec: Path,
    bin_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, ref, cli, arguments = STORES[provider]
    items = [
        {"name": "FROM_ENV", "ref": ref, "stages": ["train"]},
        {"name": "FROM_DOTENV", "ref": ref, "stages": ["train"]},
        {"name": "FROM_STORE", "ref": ref, "stages": ["deploy"], "environments": ["production"]},
    ]
    use_store(spec, provider, items)
    log = fake_cli(bin_dir, cli, {arguments: FROM_STORE})
    monkeypatch.setenv("FROM_ENV", FROM_ENV)
    (spec.parent / ".env").write_text(
        f"# local values\nFROM_DOTENV={FROM_DOTENV}\nFROM_STORE=\n", encoding="utf-8"
    )

    code, out, _ = run_main(spec, capsys, "check")
    assert code == 0
    assert sources(out) == {
        "FROM_ENV": "environment",
        "FROM_DOTENV": ".env",
        "FROM_STORE": f"{provider} {ref}",
    }
    assert "3 secret(s) resolve" in out
    assert [call["argv"] for call in calls(log)] == [arguments.split()]

    expected = {"FROM_ENV": FROM_ENV, "FROM_DOTENV": FROM_DOTENV, "FROM_STORE": FROM_STORE}
    assert run_main(spec, capsys, "run", "--", *child_sees(**expected))[0] == 0
    assert run_main(spec, capsys, "run", "--", *child_sees(FROM_ENV="other"))[0] == 3


def test_vault_reads_kv_v1_and_other_engines_and_defaults_vault_addr(
    spec: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_store(spec, "vault", [{"name": "FROM_STORE", "ref": "kv/registry#password"}])
    log = fake_cli(bin_dir, "vault", {"read -field=password kv/registry": FROM_STORE})
    assert run_main(spec, capsys, "check")[0] == 0
    monkeypatch.setenv("VAULT_ADDR", "https://vault.internal.example.com")
    assert run_main(spec, capsys, "check")[0] == 0
    assert [c["vault_addr"] for c in calls(log)] == [
        "https://vault.example.com",  # secrets.vault.url
        "https://vault.internal.example.com",  # VAULT_ADDR wins
    ]


def test_a_full_gcp_reference_names_its_project_and_version(spec: Path) -> None:
    use_store(spec, "gcp-secret-manager", [{"name": "T", "ref": "x"}])
    loaded = load_secrets(spec)
    assert secrets.fetch_command(loaded, "projects/shared/secrets/token/versions/3") == (
        *("gcloud", "secrets", "versions", "access", "3"),
        *("--secret=token", "--project=shared"),
    )


@pytest.mark.parametrize("provider", sorted(STORES))
def test_a_failed_fetch_names_the_secret_the_cli_and_the_login(
    provider: str, spec: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, ref, cli, _ = STORES[provider]
    use_store(spec, provider, [{"name": "FROM_STORE", "ref": ref}])
    fake_cli(bin_dir, cli, {}, error="ERROR: the session expired")
    code, _, err = run_main(spec, capsys, "check")
    assert code == 1
    assert f"secrets FAILED: FROM_STORE: `{cli} " in err
    assert "exited 1: ERROR: the session expired" in err
    assert f"Log in ({secrets.STORES[provider].login})" in err  # type: ignore[union-attr]
    code, out, err = run_main(spec, capsys, "run", "--", *child_sees(FROM_STORE=None))
    assert code == 1, "the command must not run without its secrets"
    assert "FROM_STORE" in err


@pytest.mark.parametrize("provider", sorted(STORES))
def test_a_missing_cli_is_named_with_where_to_get_it(
    provider: str,
    spec: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, ref, cli, _ = STORES[provider]
    use_store(spec, provider, [{"name": "FROM_STORE", "ref": ref}])
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("FROM_STORE", raising=False)
    code, _, err = run_main(spec, capsys, "check")
    assert code == 1
    assert f"FROM_STORE: the {cli} CLI is not on PATH; it reads {provider} {ref}" in err
    assert secrets.STORES[provider].install in err  # type: ignore[union-attr]


def test_provider_ci_reads_only_the_environment_and_dotenv(
    spec: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [{"name": "FROM_ENV", "ref": "CI_TOKEN"}, {"name": "FROM_STORE", "ref": "X"}]
    use_store(spec, "ci", items)
    monkeypatch.setenv("FROM_ENV", FROM_ENV)
    code, out, err = run_main(spec, capsys, "check")
    assert code == 1
    assert sources(out) == {"FROM_ENV": "environment", "FROM_STORE": "NOT RESOLVED"}
    assert "FROM_STORE is not set: provider ci has no local store; set it in .env" in err
    (spec.parent / ".env").write_text(f"export FROM_STORE='{FROM_STORE}'\n", encoding="utf-8")
    assert run_main(spec, capsys, "check")[0] == 0


def test_stage_and_environment_select_what_one_job_reads(
    spec: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_store(
        spec,
        "ci",
        [
            {"name": "FROM_ENV", "ref": "A", "stages": ["train"]},
            {"name": "FROM_DOTENV", "ref": "B", "stages": ["deploy"], "environments": ["prod"]},
            {"name": "FROM_STORE", "ref": "C", "stages": ["deploy"]},
        ],
    )
    monkeypatch.setenv("FROM_ENV", FROM_ENV)
    code, out, _ = run_main(spec, capsys, "check", "--stage", "train")
    assert code == 0 and "FROM_DOTENV" not in out and "FROM_STORE" not in out
    loaded = load_secrets(spec).items
    names = [i.name for i in secrets.select(loaded, stage="deploy", environment="staging")]
    assert names == ["FROM_STORE"]
    names = [i.name for i in secrets.select(loaded, stage="deploy", environment="prod")]
    assert names == ["FROM_DOTENV", "FROM_STORE"]


def test_dotenv_lines(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# comment\n\nA=1\nexport B = two words\nC='quoted # not a comment'\n"
        'D="x=y"\nE=plain # a comment\nF=\n',
        encoding="utf-8",
    )
    assert secrets.read_dotenv(path) == {
        "A": "1",
        "B": "two words",
        "C": "quoted # not a comment",
        "D": "x=y",
        "E": "plain",
        "F": "",
    }
    path.write_text(f"A=1\n{FROM_DOTENV}\n", encoding="utf-8")
    with pytest.raises(secrets.TaskError, match=r"^\.env:2: expected NAME=value$"):
        secrets.read_dotenv(path)
    assert secrets.read_dotenv(tmp_path / "absent") == {}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_dotenv_that_git_would_commit_is_refused(
    spec: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_store(spec, "ci", [{"name": "FROM_DOTENV", "ref": "A"}])
    (spec.parent / ".env").write_text(f"FROM_DOTENV={FROM_DOTENV}\n", encoding="utf-8")
    git = shutil.which("git") or "git"
    subprocess.run([git, "init", "-q", str(spec.parent)], check=True)  # noqa: S603
    code, _, err = run_main(spec, capsys, "check")
    assert code == 2
    assert ".env is not ignored by git" in err
    shutil.copy(REPO / ".gitignore", spec.parent / ".gitignore")
    assert run_main(spec, capsys, "check")[0] == 0


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ({"provider": "keepass"}, "secrets.provider"),
        ({"items": {"A": "b"}}, "secrets.items"),
        ({"items": [{"name": "lower", "ref": "x"}]}, r"secrets.items\[0\].name"),
        ({"items": [{"name": "A"}]}, r"secrets.items\[0\].ref"),
        ({"items": [{"name": "A", "ref": "x", "stages": ["build"]}]}, r"secrets.items\[0\].stages"),
        ({"items": [{"name": "A", "ref": "x"}, {"name": "A", "ref": "y"}]}, "more than once"),
    ],
)
def test_bad_sections_name_the_key(section: dict[str, Any], key: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=key):
        secrets_from_mapping({"secrets": section}, root=tmp_path)


def test_a_missing_store_setting_is_named(
    spec: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    items = [{"name": "FROM_STORE", "ref": "x"}]
    edit_spec(spec, secrets={"provider": "aws-secrets-manager", "aws": {}, "items": items})
    code, _, err = run_main(spec, capsys, "check")
    assert code == 2
    assert "secrets.aws.region is not set" in err


def test_no_secrets_pass(spec: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(spec, secrets={"provider": "ci", "items": []})
    code, out, _ = run_main(spec, capsys, "check")
    assert code == 0
    assert out == "secrets check passed: no secret to resolve (secrets.items in mlops.yaml)\n"
    assert run_main(spec, capsys, "run", "--", *child_sees(FROM_ENV=None))[0] == 0


def test_run_needs_a_command(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        secrets.main(["--spec", str(spec), "run"])
    assert exit_info.value.code == 2
    assert "run -- CMD" in capsys.readouterr().err


def test_dotenv_example_lists_every_secret_of_the_spec() -> None:
    declared = [item.name for item in load_secrets(REPO / "mlops.yaml").items]
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line and not line.startswith("#")]
    assert [line.removesuffix("=") for line in entries] == declared, "one empty NAME= per secret"
