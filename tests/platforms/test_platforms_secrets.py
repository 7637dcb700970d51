"""Secrets per provider and platform: only the declared jobs get a secret and a token.

The specs of tests/cases/secrets/ (one per provider, plus a static Vault login) name the
same three secrets: one for the train and evaluate stages, one for package, one for the
production deploy only. Each is rendered for every platform and read back as raw YAML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsgen.pipeline import INSTALL_COMMANDS, SecretProvider, build_pipelines
from mlopsgen.platforms import PLATFORMS, losses, render_text
from mlopsgen.platforms.azure import SECRET_STEP as AZ_STEP
from mlopsgen.platforms.github import SECRET_STEP as GH_STEP
from mlopsgen.platforms.github import STATIC_CREDENTIALS
from mlopsgen.platforms.gitlab import STORE_TOKENS
from mlopsgen.spec import Spec, load_spec
from mlopsgen.spec.model import Platform
from tests.platforms.ci_schemas import schema_errors

CASES = Path(__file__).parents[1] / "cases" / "secrets"
PROVIDERS = [p.value for p in SecretProvider]

#: Which jobs read which secret, as the specs declare it.
EXPECTED = {
    # model-gate reads the champion from the registry: it carries the evaluate stage.
    "MLFLOW_TRACKING_TOKEN": {"train", "evaluate", "model-gate", "retrain-on-drift"},
    "REGISTRY_PASSWORD": {"package"},
    "DEPLOY_TOKEN": {"deploy-production"},
}
_GH_REF = re.compile(r"\$\{\{ (secrets\.|steps\.secrets\.outputs\.)")
_AZ_REF = re.compile(r"\$\(([A-Za-z0-9_.-]+)\)")


def case(name: str) -> Spec:
    return load_spec(CASES / f"{name}.yaml")


def rendered(spec: Spec, platform: Platform) -> dict[str, Any]:
    texts = render_text(PLATFORMS[platform].emit(build_pipelines(spec)))
    return {path: yaml.safe_load(text) for path, text in texts.items()}


def expected(spec: Spec) -> dict[str, set[str]]:
    """Jobs by secret name, for the secrets the spec has."""
    names = {item.name for item in spec.secrets.items}
    return {name: jobs for name, jobs in EXPECTED.items() if name in names}


def _invert(found: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for job, names in found.items():
        for name in names:
            out.setdefault(name, set()).add(job)
    return out


# --- what each platform's YAML gives each job ------------------------------------------


def github_jobs(files: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for data in files.values() for k, v in data["jobs"].items()}


def github_secrets(job: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for step in job["steps"]:
        if step.get("id") == GH_STEP and "uses" in step and "secret-ids" in step["with"]:
            names |= {line.split(",")[0] for line in step["with"]["secret-ids"].splitlines()}
        if "run" in step and step.get("id") != GH_STEP:
            names |= {k for k, v in (step.get("env") or {}).items() if _GH_REF.search(str(v))}
    return names


def gitlab_jobs(files: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ((_, data),) = files.items()
    return {k: v for k, v in data.items() if isinstance(v, dict) and "script" in v}


def gitlab_secrets(job: dict[str, Any]) -> set[str]:
    aliases = {k for k, v in (job.get("variables") or {}).items() if str(v).startswith("$")}
    return set(job.get("secrets") or {}) | aliases


def azure_jobs(files: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for data in files.values():
        for stage in data["stages"]:
            (job,) = stage["jobs"]
            out[stage["stage"].replace("_", "-")] = job
    return out


def azure_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    if "deployment" in job:
        return list(job["strategy"]["runOnce"]["deploy"]["steps"])
    return list(job["steps"])


def azure_secrets(job: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for step in azure_steps(job):
        # (The cloud login maps only its own ID token request, no secret.)
        runs = "bash" in step or step.get("task") == "AzureCLI@2"  # cloud: azure runs in it
        if runs and step.get("name") not in {AZ_STEP, "cloud_login"}:
            names |= {k for k, v in (step.get("env") or {}).items() if _AZ_REF.fullmatch(str(v))}
    return names


# --- the tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_declared_jobs_get_secrets_on_github(provider: str) -> None:
    spec = case(provider)
    jobs = github_jobs(rendered(spec, Platform.GITHUB))
    found = {job_id: github_secrets(job) for job_id, job in jobs.items()}
    assert _invert(found) == expected(spec)
    cloud = spec.deploy.cloud != "none"
    for job_id, job in jobs.items():
        reads = bool(found[job_id])
        token = job["permissions"].get("id-token") == "write"
        # The image job pushes to the cloud's registry; the deploys update the service.
        ships = job_id.startswith("deploy-") or job_id == "container-image"
        # id-token: write only where a job logs in to the store (or ships to a cloud).
        assert token == ((reads and provider != "ci") or (ships and cloud)), job_id
        assert set(job["permissions"]) <= {"contents", "id-token"}
        if reads:
            # zizmor secrets-outside-env: every job that reads secrets has an environment.
            assert job["environment"]["name"] in {"production", f"secrets-{_stage(job_id)}"}
            steps = job["steps"]
            install = next(i for i, s in enumerate(steps) if s.get("run") == INSTALL_COMMANDS[-1])
            stores = [i for i, s in enumerate(steps) if _store_step(s)]
            assert all(i > install for i in stores), "the store login comes after install"
        else:
            assert not any(_store_step(s) for s in job["steps"]), job_id
            assert "environment" not in job or job_id.startswith("deploy-")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_declared_jobs_get_secrets_on_gitlab(provider: str) -> None:
    spec = case(provider)
    jobs = gitlab_jobs(rendered(spec, Platform.GITLAB))
    found = {job_id: gitlab_secrets(job) for job_id, job in jobs.items()}
    envs = {job_id: (job.get("environment") or {}).get("name") for job_id, job in jobs.items()}
    if provider == "ci":
        # CI/CD variables reach a job by the environment scope; renamed ones are aliased.
        assert _invert(found) == {"MLFLOW_TRACKING_TOKEN": EXPECTED["MLFLOW_TRACKING_TOKEN"]}
        scoped = {j for j, e in envs.items() if e and e.startswith("secrets-")}
        assert scoped == {j for jobs_ in EXPECTED.values() for j in jobs_} - {"deploy-production"}
    else:
        assert _invert(found) == expected(spec)
    cloud = spec.deploy.cloud != "none"
    for job_id, job in jobs.items():
        tokens = set(job.get("id_tokens") or {})
        store_token = {STORE_TOKENS[SecretProvider(provider)]} if provider != "ci" else set()
        reads = bool(found[job_id]) or (provider == "ci" and bool(envs[job_id]))
        wanted = set(store_token) if reads and provider != "ci" else set()
        if (job_id.startswith("deploy-") or job_id == "container-image") and cloud:
            wanted.add("CLOUD_ID_TOKEN")  # deploy.cloud's login, with the cloud's audience
        assert tokens == wanted, job_id
        for entry in (job.get("secrets") or {}).values():
            assert entry["token"] == f"${STORE_TOKENS[SecretProvider(provider)]}"
            assert entry["file"] is False
        env = envs[job_id]
        if env and env.startswith("secrets-"):
            assert job["environment"]["action"] == "access"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_declared_jobs_get_secrets_on_azure(provider: str) -> None:
    spec = case(provider)
    jobs = azure_jobs(rendered(spec, Platform.AZURE))
    found = {job_id: azure_secrets(job) for job_id, job in jobs.items()}
    assert _invert(found) == expected(spec)
    for job_id, job in jobs.items():
        steps = azure_steps(job)
        fetch = [s for s in steps if s.get("name") == AZ_STEP or "AzureKeyVault" in str(s)]
        groups = [v["group"] for v in job.get("variables") or [] if "group" in v]
        if found[job_id]:
            install = next(i for i, s in enumerate(steps) if s.get("bash") == INSTALL_COMMANDS[-1])
            assert all(steps.index(s) > install for s in fetch)
            if provider == "ci":
                assert groups == [f"churn_model-secrets-{_scope(job_id)}"]
            else:
                assert len(fetch) == 1 and not groups
        else:
            assert not fetch and not groups, job_id
        for step in fetch:
            if step.get("name") == AZ_STEP:
                refs = step["env"]["STORE_REFS"].splitlines()
                assert {r.split()[0] for r in refs} == found[job_id]
            else:  # AzureKeyVault@2 reads exactly the job's secrets, never "*"
                assert step["inputs"]["SecretsFilter"] != "*"
                assert len(step["inputs"]["SecretsFilter"].split(",")) == len(found[job_id])


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_cases_render_schema_valid_and_round_trip(name: str, platform: Platform) -> None:
    spec = case(name)
    ps = build_pipelines(spec)
    impl = PLATFORMS[platform]
    files = rendered(spec, platform)
    assert impl.parse(files) == impl.expressible(ps)
    if platform is not Platform.AZURE or name in {"vault", "ci"}:  # Azure's schema is slow
        for path, data in files.items():
            assert schema_errors(platform, data) == [], path


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "ci"])
def test_static_logins_read_environment_secrets_on_github(provider: str) -> None:
    spec = case(provider)
    spec = replace(spec, secrets=replace(spec.secrets, auth="static"))
    jobs = github_jobs(rendered(spec, Platform.GITHUB))
    for job_id in EXPECTED["MLFLOW_TRACKING_TOKEN"]:
        job = jobs[job_id]
        assert "id-token" not in job["permissions"], job_id
        text = json.dumps(job["steps"])
        for name in STATIC_CREDENTIALS[SecretProvider(provider)]:
            assert f"${{{{ secrets.{name} }}}}" in text
        assert job["environment"]["name"].startswith("secrets-")
    # GitLab and Azure cannot say "static": render warns.
    ps = build_pipelines(spec)
    for platform in (Platform.GITLAB, Platform.AZURE):
        assert "SecretStore.static" in {loss.field for loss in losses(PLATFORMS[platform], ps)}


def test_no_secret_value_or_echo_in_any_rendering() -> None:
    for path in CASES.glob("*.yaml"):
        spec = load_spec(path)
        for platform in Platform:
            for text in render_text(PLATFORMS[platform].emit(build_pipelines(spec))).values():
                assert "secrets: inherit" not in text
                assert "echo $" not in text and "printenv" not in text and "set -x" not in text
                assert "toJSON(secrets)" not in text


ZIZMOR = shutil.which("zizmor")


@pytest.fixture(scope="module")
def github_workflows(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("secret-workflows")
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        spec = load_spec(path)
        ps = build_pipelines(spec)
        for rel, text in render_text(PLATFORMS[Platform.GITHUB].emit(ps)).items():
            target = root / path.stem / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            out.append(target)
    return out


def test_zizmor_auditor_is_clean(github_workflows: list[Path]) -> None:
    """secrets-outside-env, overprovisioned-secrets, excessive-permissions and the rest."""
    assert ZIZMOR is not None, "zizmor is not installed: pip install -e '.[dev]'"
    result = subprocess.run(
        [
            ZIZMOR,
            *("--offline", "--no-config", "--persona", "auditor", "--format", "json"),
            *("--no-progress", "--color", "never"),
            *map(str, github_workflows),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert result.returncode == 0, result.stderr


def _store_step(step: dict[str, Any]) -> bool:
    uses = str(step.get("uses", ""))
    if step.get("id") == "cloud-login":  # deploy.cloud's login, not a store's
        return False
    return step.get("id") == GH_STEP or uses.startswith(
        ("hashicorp/", "azure/login", "aws-actions/", "google-github-actions/")
    )


def _stage(job_id: str) -> str:
    return {"retrain-on-drift": "train", "model-gate": "evaluate"}.get(job_id, job_id)


def _scope(job_id: str) -> str:
    return job_id.removeprefix("deploy-") if job_id.startswith("deploy-") else _stage(job_id)


def test_reference_lines_carry_scanner_allowlist_markers() -> None:
    """The generated repository's secret scan must not read references as values."""
    keys = re.compile(r"^\s*(?:- )?(secrets|secret-ids|SecretsFilter|secret_id|STORE_REFS): \S")
    seen = set()
    for path in CASES.glob("*.yaml"):
        ps = build_pipelines(load_spec(path))
        for platform in Platform:
            for text in render_text(PLATFORMS[platform].emit(ps)).values():
                for line in text.splitlines():
                    match = keys.match(line)
                    if match:
                        seen.add(match.group(1))
                        assert "# pragma: allowlist secret gitleaks:allow" in line, line
                    assert "issecret=true" not in line
    assert seen == {"secrets", "secret-ids", "SecretsFilter", "secret_id", "STORE_REFS"}
