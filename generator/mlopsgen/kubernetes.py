"""Kubernetes manifests for ``deploy.platform: kubernetes | kserve``, as managed files.

Everything is built as data (dicts and lists) and dumped by ``yamlio``; no text templates.
Imports run one way: ``render`` -> ``kubernetes`` -> ``spec``, ``yamlio``.

Layout: a kustomize base (``deploy/kubernetes/base/``, one object a file) and one overlay
per environment (``deploy/kubernetes/overlays/<env>/``). Kustomize rather than one file
per environment because the objects are the same in every environment: one copy to
review, the overlay says only what differs (the environment label), and ``kubectl
apply -k`` reads it with no other tool. The image is never a tag: the deploy step
(``make deploy ENV=<env>``) writes ``dist/kubernetes/<env>/kustomization.yaml``, which
takes the overlay and sets the image to the digest the container-image job recorded in
``dist/image.json`` (kustomize ``images: [{name, newName, digest}]``), then applies it
with ``kubectl apply --server-side`` and waits with ``kubectl rollout status`` (KServe:
``kubectl wait --for=condition=Ready``).

The pods follow the restricted Pod Security Standard: non-root with a fixed high UID
(the image's ``app`` user), read-only root filesystem (an ``emptyDir`` on ``/tmp``), every
capability dropped, no privilege escalation, the runtime's default seccomp profile, no
service account token; requests and limits from the spec; liveness on ``/health`` and
readiness on ``/ready``. A NetworkPolicy admits only the namespace's pods (and, with
``host``, the ingress controller's namespace) and lets the pods resolve names, nothing
else.
"""

from __future__ import annotations

from typing import Any

from mlopsgen import yamlio
from mlopsgen.spec.model import DeployPlatform, Kubernetes, Spec

__all__ = [
    "BASE_DIR",
    "IMAGE_NAME",
    "INGRESS_NAMESPACE",
    "KUBERNETES_DIR",
    "OVERLAYS_DIR",
    "PORT",
    "UID",
    "base_objects",
    "kubernetes_files",
    "workload",
]

KUBERNETES_DIR = "deploy/kubernetes"
BASE_DIR = f"{KUBERNETES_DIR}/base"
OVERLAYS_DIR = f"{KUBERNETES_DIR}/overlays"
#: The port the image's gunicorn listens on (the Dockerfile's EXPOSE).
PORT = 8000
#: The UID and GID of the image's ``app`` user (the Dockerfile's useradd).
UID = 10001
#: The namespace of the ingress controller that may reach the pods when ``host`` is set.
INGRESS_NAMESPACE = "ingress-nginx"
#: The image name in the manifests; the deploy step points it at the pushed digest.
IMAGE_NAME = "model-image"
_CONTAINER = "model"
_KSERVE_CONTAINER = "kserve-container"
_PROBE_TIMINGS = {"periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3}


def _name(spec: Spec) -> str:
    return spec.project.slug.replace("_", "-")


def _settings(spec: Spec) -> Kubernetes:
    if spec.deploy.kubernetes is None:
        raise ValueError("deploy.kubernetes is set exactly when deploy.platform is a cluster")
    return spec.deploy.kubernetes


def _labels(spec: Spec) -> dict[str, str]:
    return {"app.kubernetes.io/name": _name(spec), "app.kubernetes.io/part-of": "mlopsgen"}


def _meta(spec: Spec, name: str | None = None) -> dict[str, Any]:
    k = _settings(spec)
    return {"name": name or _name(spec), "namespace": k.namespace, "labels": _labels(spec)}


def _object(spec: Spec, api_version: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """A namespaced object named after the project, with its labels."""
    return {"apiVersion": api_version, "kind": kind, "metadata": _meta(spec), "spec": body}


def _pod_selector(spec: Spec) -> dict[str, str]:
    """The labels of the serving pods (KServe labels its pods by InferenceService)."""
    if spec.deploy.platform is DeployPlatform.KSERVE:
        return {"serving.kserve.io/inferenceservice": _name(spec)}
    return {"app.kubernetes.io/name": _name(spec)}


def _security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _pod_security_context() -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def _container(spec: Spec, name: str) -> dict[str, Any]:
    k = _settings(spec)

    def probe(path: str, delay: int) -> dict[str, Any]:
        return {
            "httpGet": {"path": path, "port": PORT},
            "initialDelaySeconds": delay,
            **_PROBE_TIMINGS,
        }

    return {
        "name": name,
        "image": IMAGE_NAME,
        "imagePullPolicy": "Always",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "livenessProbe": probe("/health", 10),
        "readinessProbe": probe("/ready", 5),
        "resources": {"requests": dict(k.requests), "limits": dict(k.limits)},
        "securityContext": _security_context(),
        # The read-only root filesystem leaves /tmp to an emptyDir (gunicorn's heartbeat).
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108  # nosec B108
    }


def _pod(spec: Spec, container: str) -> dict[str, Any]:
    return {
        "automountServiceAccountToken": False,
        "securityContext": _pod_security_context(),
        "containers": [_container(spec, container)],
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
    }


def workload(spec: Spec) -> dict[str, Any]:
    """The Deployment (kubernetes) or the InferenceService (kserve) that serves the model."""
    k = _settings(spec)
    if spec.deploy.platform is DeployPlatform.KSERVE:
        predictor: dict[str, Any] = {"minReplicas": k.min_replicas, "maxReplicas": k.max_replicas}
        if k.canary_traffic_percent is not None:
            predictor["canaryTrafficPercent"] = k.canary_traffic_percent
        predictor |= _pod(spec, _KSERVE_CONTAINER)
        return {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {
                **_meta(spec),
                # Plain Deployments and Services, no Knative: the cluster needs KServe only.
                "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"},
            },
            "spec": {"predictor": predictor},
        }
    selector = _pod_selector(spec)
    return _object(
        spec,
        "apps/v1",
        "Deployment",
        # No replicas: the HorizontalPodAutoscaler owns the count (server-side apply
        # would otherwise reset it on every deploy).
        {
            "selector": {"matchLabels": selector},
            "revisionHistoryLimit": 5,  # what `kubectl rollout undo` can go back to
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "template": {
                "metadata": {"labels": {**_labels(spec), **selector}},
                "spec": _pod(spec, _CONTAINER),
            },
        },
    )


def _service(spec: Spec) -> dict[str, Any]:
    return _object(
        spec,
        "v1",
        "Service",
        {
            "type": "ClusterIP",
            "selector": _pod_selector(spec),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    )


def _autoscaler(spec: Spec) -> dict[str, Any]:
    k = _settings(spec)
    return _object(
        spec,
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": _name(spec)},
            "minReplicas": k.min_replicas,
            "maxReplicas": k.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    )


def _disruption_budget(spec: Spec) -> dict[str, Any]:
    return _object(
        spec,
        "policy/v1",
        "PodDisruptionBudget",
        # One pod at a time: a node drain never takes the service down, and never blocks
        # on a single replica either.
        {"maxUnavailable": 1, "selector": {"matchLabels": _pod_selector(spec)}},
    )


def _network_policy(spec: Spec) -> dict[str, Any]:
    k = _settings(spec)
    sources: list[dict[str, Any]] = [{"podSelector": {}}]
    if k.host is not None:
        sources.append(
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}
                }
            }
        )
    dns = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
    return _object(
        spec,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        {
            "podSelector": {"matchLabels": _pod_selector(spec)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": sources, "ports": [{"port": PORT, "protocol": "TCP"}]}],
            # The model is in the image: the pods talk to nothing but the cluster's DNS.
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            }
                        }
                    ],
                    "ports": dns,
                }
            ],
        },
    )


def _ingress(spec: Spec, host: str) -> dict[str, Any]:
    service = _name(spec)
    if spec.deploy.platform is DeployPlatform.KSERVE:
        service = f"{service}-predictor"  # the Service KServe's raw deployment creates
    return _object(
        spec,
        "networking.k8s.io/v1",
        "Ingress",
        {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [host], "secretName": f"{_name(spec)}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": service, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    )


def base_objects(spec: Spec) -> dict[str, dict[str, Any]]:
    """The base's objects by file name (KServe creates its own Service and autoscaler)."""
    objects = {"workload.yaml": workload(spec)}
    if spec.deploy.platform is DeployPlatform.KUBERNETES:
        objects["service.yaml"] = _service(spec)
        objects["autoscaler.yaml"] = _autoscaler(spec)
    objects["disruption-budget.yaml"] = _disruption_budget(spec)
    objects["network-policy.yaml"] = _network_policy(spec)
    host = _settings(spec).host
    if host is not None:
        objects["ingress.yaml"] = _ingress(spec, host)
    return objects


def kubernetes_files(spec: Spec) -> dict[str, str]:
    """The manifests by repository-relative path; none unless deploy.platform is a cluster."""
    if not spec.deploy.on_cluster:
        return {}
    objects = base_objects(spec)
    files = {f"{BASE_DIR}/{name}": yamlio.dump(obj) for name, obj in objects.items()}
    files[f"{BASE_DIR}/kustomization.yaml"] = yamlio.dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": list(objects),
        }
    )
    for env in spec.deploy.environments:
        files[f"{OVERLAYS_DIR}/{env.name}/kustomization.yaml"] = yamlio.dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": ["../../base"],
                # Annotations, not labels: selectors stay the same in every environment.
                "commonAnnotations": {"mlopsgen.dev/environment": env.name},
            }
        )
    return files
