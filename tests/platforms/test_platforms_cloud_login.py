"""Issue 11: cloud jobs log in through OIDC before pushing or deploying, and ship by digest."""

from __future__ import annotations

from typing import Any

import pytest

from mlopsgen.errors import SpecError
from mlopsgen.pipeline import build_pipelines
from mlopsgen.pipeline.build import SYNC
from mlopsgen.platforms import azure, github, gitlab
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import REGISTRY_EXAMPLES

SPEC = """\
version: 1
project: {{name: Spam Filter, python: "3.11"}}
ci: {{platforms: [github, gitlab, azure]}}
deploy:
  target: webservice
  cloud: {cloud}
  registry: {registry}
  environments: [{{name: staging}}, {{name: production, approval: required}}]
"""
LOGINS = {
    "azure": "az acr login --name myregistry",
    "aws": "docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1",
    "gcp": "gcloud auth configure-docker europe-west1-docker.pkg.dev --quiet",
}
SHIPPING = ("make image", "make deploy")


def _scripts(platform: str, job: Any) -> list[str]:
    """Every command line of a job, in order, on its platform."""
    if platform == "github":
        return [
            str(s.get("run") or f"uses {s['uses'].split('@')[0]} {s.get('id', '')}")
            for s in job["steps"]
        ]
    if platform == "gitlab":
        return [str(line) for line in job["script"]]
    steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
    return [
        str(s.get("bash") or (s.get("inputs") or {}).get("inlineScript") or s.get("task", ""))
        for s in steps
    ]


def _jobs(platform: str, files: dict[str, Any]) -> dict[str, Any]:
    if platform == "github":
        return dict(files[".github/workflows/ci.yml"]["jobs"])
    if platform == "gitlab":
        return {k: v for k, v in files[".gitlab-ci.yml"].items() if "script" in v}
    stages = files["azure-pipelines.yml"]["stages"]
    return {s["stage"].replace("_", "-"): s["jobs"][0] for s in stages}


@pytest.mark.parametrize("cloud", sorted(LOGINS))
@pytest.mark.parametrize("platform", ["github", "gitlab", "azure"])
def test_cloud_jobs_log_in_before_shipping_and_never_rebuild(platform: str, cloud: str) -> None:
    spec = parse_spec(SPEC.format(cloud=cloud, registry=REGISTRY_EXAMPLES[cloud]))
    module = {"github": github, "gitlab": gitlab, "azure": azure}[platform]
    main = build_pipelines(spec)[0]
    jobs = _jobs(platform, module.emit((main,)))
    shipping = [j for j in jobs if j == "container-image" or j.startswith("deploy-")]
    assert shipping == ["container-image", "deploy-staging", "deploy-production"]
    for job_id in shipping:
        lines = _scripts(platform, jobs[job_id])
        ships = next(i for i, line in enumerate(lines) if line.startswith(SHIPPING))
        login = next(i for i, line in enumerate(lines) if LOGINS[cloud] in line)
        assert login < ships, f"{platform} {job_id}: no registry login before {lines[ships]}"
        assert lines.index(SYNC) < login  # installing never sees the session
        if job_id.startswith("deploy-"):
            assert not any("docker build" in x or "docker push" in x for x in lines)
            assert "container-image" in main.job(job_id).needs
    # The deploys read dist/image.json, the digest the image job published.
    artifacts = main.job("container-image").artifacts
    assert artifacts is not None and "dist/" in artifacts.paths
    for job_id in shipping:
        job = main.job(job_id)
        assert job.oidc and job.cloud_login is not None and job.cloud_login.cloud == cloud


def test_github_grants_id_token_only_to_the_cloud_jobs() -> None:
    spec = parse_spec(SPEC.format(cloud="azure", registry=REGISTRY_EXAMPLES["azure"]))
    jobs = _jobs("github", github.emit(build_pipelines(spec)[:1]))
    holders = {k for k, v in jobs.items() if v["permissions"].get("id-token") == "write"}
    assert holders == {"container-image", "deploy-staging", "deploy-production"}
    login = next(s for s in jobs["deploy-staging"]["steps"] if s.get("id") == "cloud-login")
    assert login["uses"] == github.AZURE_LOGIN.uses  # the pin the secret stores use
    assert login["with"]["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"


def test_a_cloud_webservice_without_its_registry_is_a_spec_error() -> None:
    for registry, message, hint in (
        ("null", "needs deploy.registry", "registry: 123456789012.dkr.ecr"),
        ("myregistry.azurecr.io/ml", "is not a registry of the aws cloud", "use its registry"),
    ):
        with pytest.raises(SpecError) as caught:
            text = SPEC.format(cloud="aws", registry=registry)
            parse_spec(text.replace("  registry: null\n", ""))
        (problem,) = caught.value.diagnostics
        assert message in problem.message
        assert problem.hint is not None and hint in problem.hint
        assert problem.location.line is not None
