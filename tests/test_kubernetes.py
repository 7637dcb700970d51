"""deploy.platform kubernetes | kserve: the manifests validate offline and pass checkov.

What is checked is what the deploy step applies: the overlay of an environment with the
image set to a digest (the kustomization ``make deploy`` writes), built by ``kubectl
kustomize``. kubernetes-validate (a dev dependency) checks every object strictly against
the schemas of its Kubernetes release. KServe's InferenceService has no schema there: its
predictor is a PodSpec with KServe's fields beside it, so the predictor's pod is checked
as a Pod (the object KServe makes from it), and checkov scans it as one too.

System requirements (README, "Test"; ``.ci/run`` installs them): ``kubectl`` (Debian's
``kubernetes-client``) and, for the slow test, ``checkov`` (``$CHECKOV`` or PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from mlopsgen.errors import SpecError
from mlopsgen.kubernetes import IMAGE_NAME, OVERLAYS_DIR, PORT, UID
from mlopsgen.render import render_managed
from mlopsgen.spec import parse_spec
from mlopsgen.spec.model import Spec
from tests.repo_paths import ROOT

SPAM = (ROOT / "examples" / "spam-filter.yaml").read_text(encoding="utf-8")
DIGEST = "sha256:" + "ab" * 32
K8S_VERSION = "1.33"
_CLUSTER = "  cloud: azure\n"
CLUSTER = "cluster: {name: ml-aks, resource_group: ml-rg}"
#: The predictor fields KServe adds to a PodSpec (InferenceService v1beta1 ComponentExtensionSpec).
_KSERVE_FIELDS = {"minReplicas", "maxReplicas", "canaryTrafficPercent"}


def _spec(platform: str, kubernetes: str = "{}") -> Spec:
    text = SPAM.replace(
        _CLUSTER, f"{_CLUSTER}  platform: {platform}\n  kubernetes: {kubernetes}\n", 1
    )
    return parse_spec(text)


SPECS = {
    "kubernetes": _spec("kubernetes", "{host: spam.example.com, " + CLUSTER + "}"),
    "kserve": _spec(
        "kserve", "{canary_traffic_percent: 10, namespace: ml-serving, " + CLUSTER + "}"
    ),
}


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(
            "kubectl not found on PATH: these tests build the overlays with `kubectl "
            "kustomize`. Install Debian's kubernetes-client package, as .ci/run does"
        )
    return found


def _built(spec: Spec, root: Path, env: str) -> list[dict[str, Any]]:
    """The objects `make deploy ENV=<env>` applies: the overlay, the image by digest."""
    for path, text in render_managed(spec).files.items():
        if path.startswith("deploy/"):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    release = root / "dist" / "kubernetes" / env
    release.mkdir(parents=True)
    image = {"name": IMAGE_NAME, "newName": "spamfilter.azurecr.io/ml/spam_filter"}
    release.joinpath("kustomization.yaml").write_text(
        json.dumps(
            {
                "resources": [f"../../../{OVERLAYS_DIR}/{env}"],
                "images": [image | {"digest": DIGEST}],
            }
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [_kubectl(), "kustomize", str(release)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def _pods(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each InferenceService's predictor as the Pod KServe makes of it."""
    out = []
    for obj in objects:
        if obj["kind"] == "InferenceService":
            predictor = obj["spec"]["predictor"]
            pod_spec = {k: v for k, v in predictor.items() if k not in _KSERVE_FIELDS}
            meta = {k: obj["metadata"][k] for k in ("name", "namespace", "labels")}
            out.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec})
    return out


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_every_object_validates_strictly_against_the_kubernetes_schemas(
    platform: str, tmp_path: Path
) -> None:
    spec = SPECS[platform]
    for env in spec.deploy.environments:
        objects = _built(spec, tmp_path / env.name, env.name)
        kinds = {o["kind"] for o in objects}
        if platform == "kserve":
            assert kinds == {"InferenceService", "PodDisruptionBudget", "NetworkPolicy"}
        else:
            assert kinds == {
                "Deployment",
                "Service",
                "HorizontalPodAutoscaler",
                "PodDisruptionBudget",
                "NetworkPolicy",
                "Ingress",
            }
        checked = [o for o in objects if o["kind"] != "InferenceService"] + _pods(objects)
        for obj in checked:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
            assert obj["metadata"]["namespace"] == spec.deploy.kubernetes.namespace  # type: ignore[union-attr]


def _containers(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pods = [o["spec"]["template"]["spec"] for o in objects if o["kind"] == "Deployment"]
    pods += [p["spec"] for p in _pods(objects)]
    assert len(pods) == 1
    assert pods[0]["automountServiceAccountToken"] is False
    assert pods[0]["securityContext"]["runAsNonRoot"] is True
    return list(pods[0]["containers"])


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_the_pod_is_locked_down_and_runs_the_image_by_digest(platform: str, tmp_path: Path) -> None:
    spec = SPECS[platform]
    (container,) = _containers(_built(spec, tmp_path, "production"))
    assert container["image"] == f"spamfilter.azurecr.io/ml/spam_filter@{DIGEST}"
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == UID
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": PORT}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": PORT}
    assert container["resources"] == {
        "requests": {"cpu": "250m", "memory": "512Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    }


def test_kserve_splits_traffic_for_a_canary_and_scales_between_the_bounds(
    tmp_path: Path,
) -> None:
    (isvc,) = [
        o for o in _built(SPECS["kserve"], tmp_path, "staging") if o["kind"] == "InferenceService"
    ]
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    predictor = isvc["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (2, 5)


def test_the_container_service_platform_renders_no_manifest() -> None:
    spec = parse_spec(SPAM)
    assert not [p for p in render_managed(spec).files if p.startswith("deploy/")]


@pytest.mark.parametrize(
    ("kubernetes", "platform", "expected"),
    [
        (
            "{replicas: {min: 4, max: 2}, " + CLUSTER + "}",
            "kubernetes",
            "replicas.min 4 is above replicas.max 2",
        ),
        (
            "{resources: {requests: {memory: 2Gi}}, " + CLUSTER + "}",
            "kubernetes",
            "the memory request is above its limit",
        ),
        (
            "{canary_traffic_percent: 5, " + CLUSTER + "}",
            "kubernetes",
            "canary_traffic_percent splits traffic",
        ),
        ("{namespace: Bad_Name, " + CLUSTER + "}", "kubernetes", "a DNS label"),
        (
            "{namespace: " + "a" * 64 + ", " + CLUSTER + "}",
            "kubernetes",
            "expected at most 63 characters",
        ),
        ("{replicas: {min: 1}}", "container-service", "deploy.platform is container-service"),
    ],
)
def test_bad_cluster_settings_are_spec_errors_with_a_position(
    kubernetes: str, platform: str, expected: str
) -> None:
    text = SPAM.replace(
        _CLUSTER, f"{_CLUSTER}  platform: {platform}\n  kubernetes: {kubernetes}\n", 1
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    (problem,) = caught.value.diagnostics
    assert expected in problem.format()
    assert (problem.location.line or 0) > 0


def test_a_cluster_is_located_the_way_its_cloud_finds_it() -> None:
    text = SPAM.replace(_CLUSTER, f"{_CLUSTER}  platform: kubernetes\n", 1)
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    (problem,) = caught.value.diagnostics
    assert "needs deploy.kubernetes.cluster" in problem.format()
    text = SPAM.replace(
        _CLUSTER, f"{_CLUSTER}  platform: kubernetes\n  kubernetes: {{cluster: {{name: a}}}}\n", 1
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    (problem,) = caught.value.diagnostics
    assert "finds the cluster by its resource_group" in problem.format()


def test_a_cluster_needs_a_cloud_login_and_a_webservice() -> None:
    text = SPAM.replace(_CLUSTER, "  cloud: none\n  platform: kubernetes\n", 1).replace(
        "  registry: spamfilter.azurecr.io/ml\n", ""
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    assert "never a stored kubeconfig" in "".join(d.format() for d in caught.value.diagnostics)


def _checkov() -> str:
    found = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not found:
        pytest.fail(
            "checkov not found ($CHECKOV or PATH): install it in its own venv "
            "(python3 -m venv build/checkov && build/checkov/bin/pip install checkov), "
            "as .ci/run does"
        )
    return found


@pytest.mark.slow
def test_checkov_finds_nothing_in_what_either_platform_applies(tmp_path: Path) -> None:
    scan = tmp_path / "scan"
    scan.mkdir()
    for platform, spec in SPECS.items():
        objects = _built(spec, tmp_path / platform, "production")
        scan.joinpath(f"{platform}.yaml").write_text(
            yaml.safe_dump_all([*objects, *_pods(objects)]), encoding="utf-8"
        )
    done = subprocess.run(
        [_checkov(), "-d", str(scan), "--framework", "kubernetes", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    report = json.loads(done.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert summary["skipped"] == 0
    assert summary["passed"] > 50  # it did scan the Deployment and the predictor's Pod
    assert done.returncode == 0, done.stderr[-2000:]
