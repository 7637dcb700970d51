"""Jobs that talk to Kubernetes clusters: how they get credentials, and TLS."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mlopsgen.diagnostics import Severity
from mlopsgen.policy.base import Finding, PipelineRule
from mlopsgen.policy.rules._common import env_maps, scripts
from mlopsgen.policy.view import PipelineView

__all__ = ["ClusterTlsOff", "StoredKubeconfig"]

#: A variable or input that holds a kubeconfig (KUBECONFIG, KUBE_CONFIG, kubeconfig).
_KUBECONFIG_NAME = re.compile(r"kube_?config", re.IGNORECASE)
#: A reference to a stored value: a GitHub secret, or a CI variable (``$NAME``,
#: ``${NAME}``, Azure ``$(NAME)``) whose name says it is a credential or a kubeconfig.
_STORED = re.compile(
    r"secrets\.|\$\{?\(?[A-Za-z_.]*(?:KUBE|CONFIG|CRED|SECRET|TOKEN|CERT)[A-Za-z0-9_.]*",
    re.IGNORECASE,
)
#: A script line that writes a kubeconfig file (redirect, tee, cp, base64 -d -o).
_WRITES_KUBECONFIG = re.compile(
    r"(?:>>?|\btee\b(?:\s+-a)?|\bbase64\b[^\n]*\s-o|\bcp\b[^\n]*)\s*['\"]?[^\s'\"|;&]*"
    r"(?:\.kube/config|kube_?config)[^\s'\"|;&]*",
    re.IGNORECASE,
)
#: ``--kubeconfig`` pointing at a stored value or at process substitution of one.
_KUBECONFIG_FLAG = re.compile(r"--kubeconfig[=\s]+['\"]?(?:<\()?[^\s'\"]*", re.IGNORECASE)
_SKIP_TLS = re.compile(r"--insecure-skip-tls-verify(?:=(?:true|1|yes))?(?![=\w-])", re.IGNORECASE)
_SKIP_TLS_KEY = re.compile(r"insecure-skip-tls-verify\s*:\s*['\"]?true", re.IGNORECASE)


class StoredKubeconfig(PipelineRule):
    """A job reaches a cluster with a stored kubeconfig.

    A kubeconfig kept as a CI secret or variable usually carries a long-lived client
    certificate or service-account token: it works from anywhere, for anyone who reads
    it, until someone rotates it, and it never shows who deployed. The managed clusters
    take the job's short-lived OIDC identity instead: log in to the cloud with workload
    identity federation, then let its CLI write a kubeconfig that mints tokens from
    that session (``az aks get-credentials`` with ``kubelogin convert-kubeconfig
    --login azurecli``, ``aws eks update-kubeconfig``, ``gcloud container clusters
    get-credentials``). Reported: an environment variable named like a kubeconfig
    (``KUBECONFIG``, ``KUBE_CONFIG``) set from a secret or credential variable; an
    action input ``kubeconfig`` set from one (``azure/k8s-set-context`` with
    ``method: kubeconfig``); a script that writes a kubeconfig file from a stored value,
    or passes one to ``--kubeconfig``.

    Anti-pattern::

        - run: echo "${{ secrets.KUBECONFIG }}" > ~/.kube/config && kubectl apply -k deploy/

    Best practice::

        permissions: {id-token: write, contents: read}
        ...
        - uses: aws-actions/configure-aws-credentials@<sha>
          with: {role-to-assume: "arn:aws:iam::123456789012:role/deploy", aws-region: eu-west-1}
        - run: aws eks update-kubeconfig --name ml --region eu-west-1
        - run: kubectl apply --server-side -k deploy/kubernetes/overlays/production
    """

    id = "KUBE-001"
    severity = Severity.HIGH
    references = ("SEC-007 (related: long-lived cloud keys)",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per stored kubeconfig a job reads."""
        hint = (
            "log in to the cloud with OIDC and let its CLI write the kubeconfig "
            "(az aks get-credentials, aws eks update-kubeconfig, gcloud container "
            "clusters get-credentials)"
        )
        for env, path in env_maps(view):
            for name, value in env.items():
                if _KUBECONFIG_NAME.search(str(name)) and _STORED.search(str(value)):
                    yield Finding(f"{name} is set from a stored value", (*path, name), hint=hint)
        for job in view.jobs:
            for step in job.steps:
                for key, value in step.inputs.items():
                    if _KUBECONFIG_NAME.fullmatch(str(key)) and _STORED.search(str(value)):
                        yield Finding(
                            f"job {job.id!r} hands a stored kubeconfig to {step.uses or 'a step'}",
                            (*step.path, "with", key),
                            hint=hint,
                        )
        for job, step, script in scripts(view):
            if "kube" not in script.lower():
                continue
            for line in script.splitlines():
                if not _STORED.search(line):
                    continue
                match = _WRITES_KUBECONFIG.search(line) or _KUBECONFIG_FLAG.search(line)
                if match is not None:
                    yield Finding(
                        f"job {job.id!r} writes or reads a kubeconfig from a stored value",
                        step.run_path or step.path,
                        snippet=match.group(0).strip()[:60] or line.strip()[:60],
                        hint=hint,
                    )


class ClusterTlsOff(PipelineRule):
    """A job talks to a cluster without checking its TLS certificate.

    ``--insecure-skip-tls-verify`` (kubectl, helm) and ``insecure-skip-tls-verify: true``
    in a kubeconfig accept any certificate: whoever sits on the path gets the job's
    cluster credentials and decides what is deployed. Trust the cluster's CA instead
    (the managed clusters' credentials commands write it into the kubeconfig).

    Anti-pattern::

        - run: kubectl --insecure-skip-tls-verify apply -k deploy/kubernetes/overlays/production

    Best practice::

        - run: aws eks update-kubeconfig --name ml --region eu-west-1
        - run: kubectl apply --server-side -k deploy/kubernetes/overlays/production
    """

    id = "KUBE-002"
    severity = Severity.HIGH
    references = ("ART-004 (related: TLS verification off)",)

    def check(self, view: PipelineView, options: Mapping[str, Any]) -> Iterable[Finding]:
        """Yield a finding per cluster call that skips TLS verification."""
        hint = (
            "remove it; the cluster's CA belongs in the kubeconfig its credentials command writes"
        )
        for job, step, script in scripts(view):
            for match in (*_SKIP_TLS.finditer(script), *_SKIP_TLS_KEY.finditer(script)):
                yield Finding(
                    f"job {job.id!r} skips the cluster's TLS verification",
                    step.run_path or step.path,
                    snippet=match.group(0),
                    hint=hint,
                )
        for job in view.jobs:
            for step in job.steps:
                if step.run is not None:
                    continue  # its script was read above (Azure's inline scripts are inputs too)
                for key, value in step.inputs.items():
                    text = str(value)
                    if _SKIP_TLS.search(text) or _SKIP_TLS_KEY.search(text):
                        yield Finding(
                            f"job {job.id!r} skips the cluster's TLS verification",
                            (*step.path, "with", key),
                            hint=hint,
                        )
