"""The typed spec: frozen dataclasses with defaults applied, all that later stages see."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CI",
    "REGISTRY_EXAMPLES",
    "REGISTRY_HOSTS",
    "AzureML",
    "Champion",
    "Compute",
    "ComputeEngine",
    "Data",
    "Deploy",
    "DeployPlatform",
    "DeployTarget",
    "Drift",
    "Environment",
    "Estimator",
    "Kubeflow",
    "Kubernetes",
    "Live",
    "MetricBound",
    "MlopsgenInstall",
    "MlopsgenSource",
    "Model",
    "Monitoring",
    "Platform",
    "Policies",
    "Project",
    "SecretItem",
    "SecretProvider",
    "Secrets",
    "Security",
    "Slo",
    "Spec",
    "Triggers",
    "Waiver",
    "registry_host",
]


class Platform(enum.StrEnum):
    """A CI platform that pipelines are rendered for."""

    GITHUB = "github"
    GITLAB = "gitlab"
    AZURE = "azure"


class MlopsgenSource(enum.StrEnum):
    """Where a generated repository's ``make check`` installs mlopsgen from."""

    PYPI = "pypi"
    INDEX = "index"
    GIT = "git"
    WHEEL = "wheel"


class SecretProvider(enum.StrEnum):
    """Where CI jobs (and developers) read secrets from."""

    VAULT = "vault"
    AZURE_KEYVAULT = "azure-keyvault"
    AWS = "aws-secrets-manager"
    GCP = "gcp-secret-manager"
    #: The CI platform's own secrets: GitHub environment secrets, GitLab CI/CD variables,
    #: Azure DevOps variable groups.
    CI = "ci"


class DeployTarget(enum.StrEnum):
    """What the deploy stage ships."""

    WEBSERVICE = "webservice"
    BATCH = "batch"
    EDGE = "edge"
    BROWSER = "browser"
    NONE = "none"


class DeployPlatform(enum.StrEnum):
    """Where a webservice runs (``deploy.platform``)."""

    CONTAINER_SERVICE = "container-service"
    KUBERNETES = "kubernetes"
    KSERVE = "kserve"


@dataclass(frozen=True)
class Project:
    """``project:``: names and owners."""

    name: str
    slug: str
    description: str
    python: str
    owners: tuple[str, ...]


@dataclass(frozen=True)
class Triggers:
    """``ci.triggers:``: events that start the main pipeline."""

    branches: tuple[str, ...]
    pull_requests: bool
    tags: str | None


@dataclass(frozen=True)
class MlopsgenInstall:
    """``ci.mlopsgen:``: where ``make check`` (the first CI job) installs mlopsgen from.

    Only the keys of ``source`` are set: ``index_url`` (index), ``git`` and ``commit``
    (git), ``wheel`` and optionally ``sha256`` (wheel).
    """

    source: MlopsgenSource = MlopsgenSource.PYPI
    index_url: str | None = None
    git: str | None = None
    commit: str | None = None
    wheel: str | None = None
    sha256: str | None = None

    def requirement(self, version: str) -> str:
        """What ``pip install`` gets: ``mlopsgen==<version>``, a pinned git URL or the wheel."""
        if self.source is MlopsgenSource.GIT:
            return f"mlopsgen @ git+{self.git}@{self.commit}"
        if self.source is MlopsgenSource.WHEEL:
            # ./ makes pip read it as a path, never as a requirement name.
            return f"./{self.wheel}"
        return f"mlopsgen=={version}"


@dataclass(frozen=True)
class CI:
    """``ci:``: platforms, triggers and where the first job installs mlopsgen from."""

    platforms: tuple[Platform, ...]
    default_branch: str
    triggers: Triggers
    mlopsgen: MlopsgenInstall = MlopsgenInstall()


@dataclass(frozen=True)
class Security:
    """``security:``: the scans every pipeline runs."""

    sast_tool: str
    sast_fail_on: str
    dependencies_tool: str
    secrets_scan_tool: str
    sbom: str
    model_scan: str


@dataclass(frozen=True)
class SecretItem:
    """One entry of ``secrets.items``."""

    name: str
    ref: str
    stages: tuple[str, ...]
    environments: tuple[str, ...]


@dataclass(frozen=True)
class Secrets:
    """``secrets:``: the provider, how CI authenticates, provider settings and the items.

    ``settings`` holds the provider's section with defaults applied, keyed by name without
    the section (``url``, ``role``, ``audience`` for Vault; ``name``, ``service_connection``
    for Azure Key Vault; ``region``, ``role_arn`` for AWS; ``workload_identity_provider``,
    ``service_account`` for GCP; empty for ``ci``).
    """

    provider: SecretProvider
    auth: str
    settings: Mapping[str, str]
    items: tuple[SecretItem, ...]

    @property
    def static(self) -> bool:
        """True when CI logs in to the provider with a stored credential instead of OIDC."""
        return self.auth == "static" and self.provider is not SecretProvider.CI


@dataclass(frozen=True)
class Data:
    """``data:``: sample set, sources, contract, versioning and the DVC remote."""

    sample: str
    sources: tuple[str, ...]
    contract: str
    versioning: str
    #: The DVC remote (``data.remote``): set exactly when ``versioning`` is ``dvc``.
    remote: str | None = None

    @property
    def dvc(self) -> bool:
        """True when DVC tracks the sources (``versioning: dvc``)."""
        return self.versioning == "dvc"


@dataclass(frozen=True)
class MetricBound:
    """Gate bounds of one metric."""

    min: float | None
    max: float | None


@dataclass(frozen=True)
class Champion:
    """``model.champion:``: challenger-versus-champion comparison."""

    compare: bool
    max_regression: float
    baseline: str
    alias: str


#: Top-level modules of estimators and the PyPI project that installs each; a module not
#: listed needs ``model.estimator.package``. scikit-learn is a dependency of every project.
KNOWN_PACKAGES: Mapping[str, str] = {
    "sklearn": "scikit-learn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
}

#: The sub-modules of sklearn that hold estimators (checked at spec time, without importing).
SKLEARN_MODULES = (
    "calibration",
    "cross_decomposition",
    "discriminant_analysis",
    "dummy",
    "ensemble",
    "gaussian_process",
    "isotonic",
    "kernel_ridge",
    "linear_model",
    "multiclass",
    "multioutput",
    "naive_bayes",
    "neighbors",
    "neural_network",
    "semi_supervised",
    "svm",
    "tree",
)


@dataclass(frozen=True)
class Estimator:
    """``model.estimator:``: an estimator class by import path, its params and its package."""

    cls: str
    params: Mapping[str, object]
    package: str | None = None

    @property
    def requirement(self) -> str | None:
        """What the generated project must install for it; None for scikit-learn."""
        if self.package:
            return self.package
        top = self.cls.split(".", 1)[0]
        return None if top == "sklearn" else KNOWN_PACKAGES.get(top)


@dataclass(frozen=True)
class Model:
    """``model:``: training settings and the gate."""

    task: str
    algorithm: str
    estimator: Estimator | None
    test_size: float
    seed: int
    metrics: Mapping[str, MetricBound]
    champion: Champion
    tracking: str
    registry: str
    registered_model: str

    @property
    def mlflow(self) -> bool:
        """Whether the generated repository tracks its runs in MLflow."""
        return self.tracking == "mlflow"


class ComputeEngine(enum.StrEnum):
    """Where the training pipeline (validate, train, evaluate, gate) runs."""

    LOCAL = "local"
    KUBEFLOW = "kubeflow"
    AZUREML = "azureml"


@dataclass(frozen=True)
class Kubeflow:
    """``compute.kubeflow:``: the KFP endpoint, where runs go, and the image of every step."""

    host: str
    namespace: str
    experiment: str
    image: str
    token_secret: str


@dataclass(frozen=True)
class AzureML:
    """``compute.azureml:``: the Azure Machine Learning workspace and compute cluster."""

    subscription_id: str
    resource_group: str
    workspace: str
    compute: str
    environment_image: str


@dataclass(frozen=True)
class Compute:
    """``compute:``: the engine, what each step asks for, retries and timeouts.

    ``kubeflow`` is set exactly when the engine is kubeflow, ``azureml`` exactly when it
    is azureml.
    """

    engine: ComputeEngine = ComputeEngine.LOCAL
    cpu: str = "1"
    memory: str = "2Gi"
    gpu: int = 0
    retries: int = 0
    timeout_minutes: int = 60
    kubeflow: Kubeflow | None = None
    azureml: AzureML | None = None


@dataclass(frozen=True)
class Environment:
    """One deployment environment."""

    name: str
    approval: str
    url: str | None

    @property
    def needs_approval(self) -> bool:
        """True when a person must approve each deploy to it."""
        return self.approval == "required"


@dataclass(frozen=True)
class Kubernetes:
    """``deploy.kubernetes:``: namespace, replicas and resources of the serving pods.

    ``requests`` and ``limits`` map ``cpu`` and ``memory`` to Kubernetes quantities;
    ``cluster_group`` (Azure) and ``cluster_location`` (AWS, GCP) locate the cluster.
    """

    cluster: str
    namespace: str
    min_replicas: int
    max_replicas: int
    requests: Mapping[str, str]
    limits: Mapping[str, str]
    host: str | None = None
    canary_traffic_percent: int | None = None
    cluster_group: str | None = None
    cluster_location: str | None = None


@dataclass(frozen=True)
class Deploy:
    """``deploy:``: target, cloud and environments in deploy order."""

    target: DeployTarget
    cloud: str
    edge_max_bundle_kb: int
    batch_schedule: str
    environments: tuple[Environment, ...]
    #: ``deploy.browser.max_bundle_kb``: the budget of dist/browser/ (target: browser).
    browser_max_bundle_kb: int = 20480
    #: Image repository prefix (``host/path``) the image is pushed to; None without one.
    registry: str | None = None
    #: The Azure Pipelines service connection that ``cloud: azure`` logs in through.
    service_connection: str = ""
    #: Where a webservice runs; the managed container service unless a cluster is named.
    platform: DeployPlatform = DeployPlatform.CONTAINER_SERVICE
    #: The cluster settings; set exactly when :attr:`platform` is a cluster.
    kubernetes: Kubernetes | None = None

    @property
    def on_cluster(self) -> bool:
        """True when the service runs on Kubernetes (plain or KServe)."""
        return self.platform is not DeployPlatform.CONTAINER_SERVICE


#: The registry hosts each cloud's OIDC login can push to: Azure Container Registry,
#: Amazon ECR (the region is part of the host) and Artifact Registry or Container Registry.
REGISTRY_HOSTS: Mapping[str, re.Pattern[str]] = {
    "azure": re.compile(r"[a-z0-9]{5,50}\.azurecr\.io"),
    "aws": re.compile(r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com"),
    "gcp": re.compile(r"([a-z0-9-]+-docker\.pkg\.dev|([a-z]+\.)?gcr\.io)"),
}
#: An example registry per cloud, for hints.
REGISTRY_EXAMPLES: Mapping[str, str] = {
    "azure": "myregistry.azurecr.io/ml",
    "aws": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ml",
    "gcp": "europe-west1-docker.pkg.dev/my-project/ml",
}


def registry_host(registry: str) -> str:
    """The host of an image repository prefix (``myacr.azurecr.io/ml`` -> ``myacr.azurecr.io``)."""
    return registry.partition("/")[0]


@dataclass(frozen=True)
class Drift:
    """``monitoring.drift:``."""

    schedule: str
    method: str
    threshold: float
    on_drift: str
    batch: str


@dataclass(frozen=True)
class Slo:
    """``monitoring.slo:``: objectives rendered as Prometheus rules and a Grafana dashboard.

    ``availability``, ``error_rate`` and the latency bounds are None when not set (and
    are only ever set for a webservice); ``drift_score`` defaults to the drift threshold.
    """

    job: str
    availability: float | None
    error_rate: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    drift_score: float
    live_metrics: Mapping[str, float]


@dataclass(frozen=True)
class PredictionLog:
    """``monitoring.prediction_log:``."""

    sink: str
    path: str


@dataclass(frozen=True)
class Live:
    """``monitoring.live:``: the window of logged predictions the monitor reads, its gauges."""

    window: str = "7d"
    min_records: int = 100
    min_labels: int = 30
    pushgateway: str | None = None


@dataclass(frozen=True)
class Monitoring:
    """``monitoring:``; ``slo`` is None when the spec has no ``monitoring.slo``."""

    drift: Drift
    prediction_log: PredictionLog
    slo: Slo | None = None
    live: Live = Live()


@dataclass(frozen=True)
class Waiver:
    """One policy waiver."""

    rule: str
    reason: str
    owner: str
    expires: dt.date


@dataclass(frozen=True)
class Policies:
    """``policies:``: packs and waivers."""

    packs: tuple[str, ...]
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class Spec:
    """A validated spec with every default applied."""

    version: int
    project: Project
    ci: CI
    security: Security
    secrets: Secrets
    data: Data
    model: Model
    deploy: Deploy
    monitoring: Monitoring
    policies: Policies
    compute: Compute = Compute()
