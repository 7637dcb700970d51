"""deploy.platform kubernetes | kserve: deploys log in through OIDC, then get the cluster.

On every CI platform and every cloud, a deploy job installs, logs in to the cloud
(workload identity federation), writes the kubeconfig from that session (AKS, EKS, GKE
credentials commands) and only then runs ``make deploy`` (which runs kubectl); no
pipeline holds or reads a stored kubeconfig.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.diagnostics import Severity
from mlopsgen.pipeline import build_pipelines
from mlopsgen.pipeline.build import SYNC, cluster_credentials
from mlopsgen.platforms import PLATFORMS, azure, github, gitlab, render_text
from mlopsgen.policy import AuditSettings, audit
from mlopsgen.render import render_managed
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import REGISTRY_EXAMPLES, Platform
from tests.platforms.test_platforms_cloud_login import SPEC as CLOUD_SPEC
from tests.platforms.test_platforms_cloud_login import _jobs, _scripts
from tests.policy.cases import TODAY

#: The webservice spec of the cloud-login tests, on a cluster.
SPEC = CLOUD_SPEC.replace(
    "  registry: {registry}\n",
    "  registry: {registry}\n  platform: {platform}\n  kubernetes: {{cluster: {cluster}}}\n",
)
CLUSTERS = {
    "azure": "{name: ml-aks, resource_group: ml-rg}",
    "aws": "{name: ml-eks, location: eu-west-1}",
    "gcp": "{name: ml-gke, location: europe-west1}",
}
#: The first line of each platform's cloud login in a job's command lines.
LOGIN_MARK = {
    "github": ("uses azure/login", "uses aws-actions/", "uses google-github-actions/auth"),
    "gitlab": ("az login --service-principal", 'export CLOUD_LOGIN_DIR="$(mktemp -d)"'),
    # AWS and GCP: the ID-token login script; Azure: AzureCLI@2 on the service connection
    # (each later command runs in its own AzureCLI@2 task, with the session).
    "azure": ("set -euo pipefail", "az account show --output none"),
}


def _spec(cloud: str, platform: str = "kubernetes") -> str:
    return SPEC.format(
        cloud=cloud, registry=REGISTRY_EXAMPLES[cloud], platform=platform, cluster=CLUSTERS[cloud]
    )


@pytest.mark.parametrize("platform", ["kubernetes", "kserve"])
@pytest.mark.parametrize("cloud", sorted(CLUSTERS))
@pytest.mark.parametrize("ci", ["github", "gitlab", "azure"])
def test_deploys_log_in_before_the_cluster_credentials_and_kubectl(
    ci: str, cloud: str, platform: str
) -> None:
    spec = parse_spec(_spec(cloud, platform))
    k8s = spec.deploy.kubernetes
    assert k8s is not None
    credentials = cluster_credentials(cloud, k8s)
    module = {"github": github, "gitlab": gitlab, "azure": azure}[ci]
    main = build_pipelines(spec)[0]
    jobs = _jobs(ci, module.emit((main,)))
    deploys = [j for j in jobs if j.startswith("deploy-")]
    assert deploys == ["deploy-staging", "deploy-production"]
    for job_id in deploys:
        lines = _scripts(ci, jobs[job_id])
        login = next(i for i, x in enumerate(lines) if x.startswith(LOGIN_MARK[ci]))
        first = lines.index(credentials[0])
        assert lines[first : first + len(credentials)] == list(credentials)
        deploy = lines.index(f"make deploy ENV={job_id.removeprefix('deploy-')}")
        assert lines.index(SYNC) < login < first < deploy, lines
        # The cluster pulls the image with its own identity: no registry login here.
        assert not any("docker login" in x or "acr login" in x for x in lines)
        assert main.job(job_id).oidc


@pytest.mark.parametrize("cloud", sorted(CLUSTERS))
def test_no_pipeline_holds_or_reads_a_stored_kubeconfig(cloud: str) -> None:
    spec = parse_spec(_spec(cloud))
    pipelines = build_pipelines(spec)
    for platform in Platform:
        for path, text in render_text(PLATFORMS[platform].emit(pipelines)).items():
            assert "kubeconfig" not in text.lower().replace("update-kubeconfig", "").replace(
                "convert-kubeconfig", ""
            ), path
            assert "insecure-skip-tls-verify" not in text, path


@pytest.mark.parametrize("platform", ["kubernetes", "kserve"])
@pytest.mark.parametrize("cloud", sorted(CLUSTERS))
@pytest.mark.parametrize("pack", ["baseline", "strict"])
def test_rendered_cluster_repositories_audit_clean(
    cloud: str, platform: str, pack: str, tmp_path: Path
) -> None:
    text = _spec(cloud, platform)
    for rel, content in render_managed(parse_spec(text)).files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, encoding="utf-8")
    (tmp_path / "mlops.yaml").write_text(text, encoding="utf-8")
    reports = list(audit([tmp_path], AuditSettings(today=TODAY, packs=(pack,))))
    assert {"ci.yml", ".gitlab-ci.yml", "azure-pipelines.yml"} <= {
        r.file.rsplit("/", 1)[-1] for r in reports
    }
    findings = [
        (r.rule, r.location.file, r.location.line, r.message)
        for report in reports
        for r in report.results
        # The pipelines and the manifests; this minimal spec's own findings (ML-003: no
        # champion comparison) are not about clusters.
        if r.severity is not Severity.INFO and not r.location.file.endswith("mlops.yaml")
    ]
    assert findings == []
