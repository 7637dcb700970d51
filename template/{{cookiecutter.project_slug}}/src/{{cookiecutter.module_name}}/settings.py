"""Read mlops.yaml, the single source of truth for every task's thresholds.

Every default is named once, here. A key that is absent from mlops.yaml takes
its default; a key that is present but wrong raises SpecError naming the key.
Paths in the spec are relative to the directory that holds mlops.yaml.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

SPEC_FILE = "mlops.yaml"
MODEL_FILE = "models/model.joblib"
REPORTS_DIR = "reports"
DIST_DIR = "dist"

TASKS = ("binary", "multiclass", "regression")
#: Shorthands of model.algorithm; logistic_regression is for classification and
#: linear_regression for regression, the other two exist for every task.
ALGORITHMS = ("logistic_regression", "linear_regression", "random_forest", "gradient_boosting")
CLASSIFICATION_METRICS = ("accuracy", "f1", "precision", "recall", "roc_auc")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRIC_NAMES = CLASSIFICATION_METRICS + REGRESSION_METRICS
#: Metrics where a lower value is better: the gate reads their regression upwards.
LOWER_IS_BETTER = ("rmse", "mae")
#: An estimator's import path: dotted Python identifiers, at least module.Class.
IMPORT_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")
DEPLOY_TARGETS = ("webservice", "batch", "edge", "browser", "none")
CLOUDS = ("none", "azure", "aws", "gcp")
#: deploy.platform: where a webservice runs (the cloud's container service, or a cluster).
PLATFORMS = ("container-service", "kubernetes", "kserve")
DRIFT_METHODS = ("psi", "ks")
ON_DRIFT = ("retrain", "alert")
VERSIONING = ("none", "dvc")
TRACKING = ("none", "mlflow")
# azureml: `make aml-register` registers the gated model in the Azure ML workspace (CI).
REGISTRIES = ("none", "mlflow", "azureml")
ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
LOG_SINKS = ("jsonl",)
SECRET_PROVIDERS = ("ci", "vault", "azure-keyvault", "aws-secrets-manager", "gcp-secret-manager")
SECRET_STAGES = ("train", "evaluate", "deploy", "monitor", "package", "data")
#: The section of secrets: that holds each store's settings (vault: {url, role}, ...).
SECRET_SETTINGS = {
    "vault": "vault",
    "azure-keyvault": "azure_keyvault",
    "aws-secrets-manager": "aws",
    "gcp-secret-manager": "gcp",
}
SECRET_NAME = re.compile(r"[A-Z][A-Z0-9_]*")

DEFAULT_SOURCES = ("data/raw/train.csv",)
DEFAULT_CONTRACT = "data/contract.yaml"
DEFAULT_VERSIONING = "none"
DEFAULT_TASK = "binary"
DEFAULT_ALGORITHM = "logistic_regression"
DEFAULT_REGRESSION_ALGORITHM = "linear_regression"
DEFAULT_TEST_SIZE = 0.25
DEFAULT_SEED = 42
DEFAULT_METRICS: Mapping[str, Mapping[str, float]] = {"accuracy": {"min": 0.7}}
DEFAULT_REGRESSION_METRICS: Mapping[str, Mapping[str, float]] = {"r2": {"min": 0.5}}
DEFAULT_CHAMPION_COMPARE = False
DEFAULT_MAX_REGRESSION = 0.01
DEFAULT_CHAMPION_BASELINE = "models/champion/metrics.json"
DEFAULT_TRACKING = "none"
DEFAULT_REGISTRY = "none"
DEFAULT_CHAMPION_ALIAS = "champion"
DEFAULT_DEPLOY_TARGET = "none"
DEFAULT_CLOUD = "none"
#: deploy.kubernetes.namespace when unset: the project slug with - for _ (as mlopsgen renders).
DEFAULT_NAMESPACE = "{{ cookiecutter.project_slug | replace('_', '-') }}"
DEFAULT_MAX_BUNDLE_KB = 512
#: deploy.browser.max_bundle_kb: the page, the model and onnxruntime-web's wasm (about 14.5 MB).
DEFAULT_BROWSER_BUNDLE_KB = 20480
DEFAULT_DRIFT_METHOD = "psi"
DEFAULT_DRIFT_THRESHOLD = 0.2
DEFAULT_DRIFT_SCHEDULE = "0 3 * * *"
DEFAULT_ON_DRIFT = "retrain"
DEFAULT_DRIFT_BATCH = "data/incoming/batch.csv"
DEFAULT_LOG_SINK = "jsonl"
DEFAULT_LOG_PATH = "logs/predictions/"
#: monitoring.live: the monitor reads the logged predictions of the last window (7 days:
#: a whole weekly cycle, and a point per day for the performance-over-time plot).
DEFAULT_WINDOW = "7d"
#: Fewer logged predictions in the window: the monitor fails ("insufficient"), judging nothing.
DEFAULT_MIN_RECORDS = 100
#: Fewer labelled predictions: live performance is reported as not judged (no failure).
DEFAULT_MIN_LABELS = 30
#: monitoring.live.window: a count of hours (h) or days (d).
WINDOW = re.compile(r"([1-9][0-9]{0,3})([hd])")
#: monitoring.live.pushgateway: an http(s) URL without credentials, query or fragment.
PUSHGATEWAY_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+-]*)?")
DEFAULT_STORE = "ci"  # secrets.provider

T = TypeVar("T")


@dataclass(frozen=True)
class Environment:
    """One deployment environment of deploy.environments."""

    name: str
    url: str | None = None
    approval: str = "none"


@dataclass(frozen=True)
class SecretItem:
    """One entry of secrets.items: the variable name, the store's reference, who reads it."""

    name: str
    ref: str
    stages: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecretsSpec:
    """The secrets: section: the store, its settings (url, name, region ...) and the items."""

    root: Path
    provider: str
    settings: Mapping[str, str]
    items: tuple[SecretItem, ...]


class TaskError(Exception):
    """A problem the user can fix (a missing file, a bad value); tasks exit 2."""


class SpecError(TaskError):
    """mlops.yaml is unreadable or holds a value of the wrong kind."""


@dataclass(frozen=True)
class MetricBound:
    """A gate on one metric: it must be >= minimum and/or <= maximum."""

    name: str
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Estimator:
    """model.estimator: a scikit-learn-compatible estimator by import path, and its params."""

    path: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class LiveMonitoring:
    """monitoring.live: the window of logged predictions the monitor reads; its gauges' job.

    ``job`` is monitoring.slo.job (default: the project slug): the Pushgateway grouping key
    when ``pushgateway`` is set.
    """

    window: str = DEFAULT_WINDOW
    min_records: int = DEFAULT_MIN_RECORDS
    min_labels: int = DEFAULT_MIN_LABELS
    pushgateway: str | None = None
    job: str = ""

    @property
    def window_hours(self) -> int:
        """The window in hours."""
        match = WINDOW.fullmatch(self.window)
        if match is None:  # _live() only admits a valid window
            raise SpecError(f"monitoring.live.window: {self.window!r} is not a window")
        return int(match[1]) * (24 if match[2] == "d" else 1)


@dataclass(frozen=True)
class Settings:
    """The parts of mlops.yaml that the tasks read, with defaults applied."""

    root: Path
    project_name: str
    sources: tuple[Path, ...]
    contract: Path
    versioning: str
    task: str
    algorithm: str
    estimator: Estimator | None
    test_size: float
    seed: int
    metrics: tuple[MetricBound, ...]
    champion_compare: bool
    max_regression: float
    champion_baseline: Path
    tracking: str
    registry: str
    registered_model: str
    champion_alias: str
    deploy_target: str
    cloud: str
    #: deploy.registry: the image repository prefix `make image` pushes to (or None). Not
    #: ``registry``, which is model.registry.
    image_registry: str | None
    environments: tuple[Environment, ...]
    max_bundle_kb: int
    drift_method: str
    drift_threshold: float
    drift_schedule: str
    on_drift: str
    drift_batch: Path
    prediction_log_sink: str
    prediction_log_dir: Path
    #: deploy.platform, and the namespace of deploy.kubernetes (kubernetes, kserve).
    platform: str = PLATFORMS[0]
    namespace: str = ""
    live: LiveMonitoring = LiveMonitoring()

    @property
    def classification(self) -> bool:
        """True for the binary and multiclass tasks."""
        return self.task != "regression"

    @property
    def model_name(self) -> str:
        """The estimator as reports name it: the import path, else the shorthand."""
        return self.estimator.path if self.estimator else self.algorithm

    @property
    def model_path(self) -> Path:
        """Where train writes the model and the other tasks read it."""
        return self.root / MODEL_FILE

    @property
    def reports_dir(self) -> Path:
        """Where tasks write their JSON reports."""
        return self.root / REPORTS_DIR

    @property
    def dist_dir(self) -> Path:
        """Where package, export and deploy write what ships."""
        return self.root / DIST_DIR

    def report(self, name: str) -> Path:
        """Path of one report file, e.g. report("metrics.json")."""
        return self.reports_dir / name

    def display(self, path: Path) -> str:
        """A path as the user wrote it: relative to the repository root when possible."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    @property
    def production(self) -> Environment | None:
        """The last environment of deploy.environments: a deploy there promotes the model."""
        return self.environments[-1] if self.environments else None

    def environment(self, name: str) -> Environment:
        """The environment called name; TaskError when deploy.environments does not declare it."""
        for environment in self.environments:
            if environment.name == name:
                return environment
        declared = ", ".join(e.name for e in self.environments) or "none"
        raise TaskError(
            f"environment {name!r} is not declared in deploy.environments (declared: {declared})"
        )


def _section(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(f"{where}{key}: expected a mapping, got {type(value).__name__}")
    return value


def _choice(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise SpecError(f"{key}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _number(value: Any, key: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(f"{key}: expected a number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise SpecError(f"{key}: {value} is outside [{low}, {high}]")
    return float(value)


def _integer(value: Any, key: str, *, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"{key}: expected an integer >= {low}, got {value!r}")
    return value


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def _model_store(
    model: Mapping[str, Any], champion: Mapping[str, Any], slug: str
) -> dict[str, str]:
    """model.tracking, model.registry, model.registered_model and model.champion.alias."""
    tracking = _choice(model.get("tracking", DEFAULT_TRACKING), TRACKING, "model.tracking")
    registry = _choice(model.get("registry", DEFAULT_REGISTRY), REGISTRIES, "model.registry")
    if registry == "mlflow" and tracking != "mlflow":
        raise SpecError("model.registry: mlflow needs model.tracking: mlflow")
    alias = _text(champion.get("alias", DEFAULT_CHAMPION_ALIAS), "model.champion.alias")
    if not ALIAS.fullmatch(alias):
        raise SpecError(f"model.champion.alias: {alias!r} is not an alias (letters, digits, _, -)")
    return {
        "tracking": tracking,
        "registry": registry,
        "registered_model": _text(model.get("registered_model", slug), "model.registered_model"),
        "champion_alias": alias,
    }


def task_metrics(task: str) -> tuple[str, ...]:
    """The metrics evaluate reports, and the gate may check, for a task."""
    return REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS


def _metric_bounds(raw: Any, task: str) -> tuple[MetricBound, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise SpecError("model.metrics: expected a mapping of metric name to {min, max}")
    bounds = []
    for name, spec in raw.items():
        key = f"model.metrics.{name}"
        _choice(name, METRIC_NAMES, key)
        if name not in task_metrics(task):
            raise SpecError(
                f"{key}: {name} does not fit model.task {task} "
                f"(its metrics: {', '.join(task_metrics(task))})"
            )
        if not isinstance(spec, Mapping) or not spec or set(spec) - {"min", "max"}:
            raise SpecError(f"{key}: expected a mapping with min and/or max")
        low = spec.get("min")
        high = spec.get("max")
        bounds.append(
            MetricBound(
                name=name,
                minimum=None if low is None else _number(low, f"{key}.min"),
                maximum=None if high is None else _number(high, f"{key}.max"),
            )
        )
    return tuple(bounds)


def _algorithm(model: Mapping[str, Any], task: str) -> str:
    default = DEFAULT_REGRESSION_ALGORITHM if task == "regression" else DEFAULT_ALGORITHM
    algorithm = _choice(model.get("algorithm", default), ALGORITHMS, "model.algorithm")
    wrong = "logistic_regression" if task == "regression" else "linear_regression"
    if algorithm == wrong:
        raise SpecError(f"model.algorithm: {algorithm} does not fit model.task {task}")
    return algorithm


def _estimator(raw: Any) -> Estimator | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SpecError("model.estimator: expected a mapping with class (and params, package)")
    unknown = set(raw) - {"class", "params", "package"}
    if unknown:
        raise SpecError(f"model.estimator: unknown key(s) {', '.join(sorted(unknown))}")
    path = _text(raw.get("class"), "model.estimator.class")
    if not IMPORT_PATH.fullmatch(path):
        raise SpecError(f"model.estimator.class: {path!r} is not an import path (module.Class)")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise SpecError("model.estimator.params: expected a mapping of parameter to value")
    return Estimator(path=path, params=dict(params))


def _environments(raw: Any) -> tuple[Environment, ...]:
    if not isinstance(raw, list):
        raise SpecError("deploy.environments: expected a list of {name, url, approval}")
    environments = []
    for index, item in enumerate(raw):
        key = f"deploy.environments[{index}]"
        if not isinstance(item, Mapping):
            raise SpecError(f"{key}: expected a mapping with a name")
        url = item.get("url")
        environments.append(
            Environment(
                name=_text(item.get("name"), f"{key}.name"),
                url=None if url is None else _text(url, f"{key}.url"),
                approval=str(item.get("approval", "none")),
            )
        )
    return tuple(environments)


def _live(monitoring: Mapping[str, Any], slug: str) -> LiveMonitoring:
    """monitoring.live, and the job label of monitoring.slo.job (default: the project slug)."""
    live = _section(monitoring, "live", "monitoring.")
    window = _text(live.get("window", DEFAULT_WINDOW), "monitoring.live.window")
    if not WINDOW.fullmatch(window):
        raise SpecError(
            f"monitoring.live.window: {window!r} is not a window: hours or days, e.g. 24h or 7d"
        )
    pushgateway = live.get("pushgateway")
    if pushgateway is not None and not PUSHGATEWAY_URL.fullmatch(
        _text(pushgateway, "monitoring.live.pushgateway")
    ):
        raise SpecError(
            f"monitoring.live.pushgateway: {pushgateway!r} is not an http(s) URL without "
            "credentials, query or fragment"
        )
    slo = _section(monitoring, "slo", "monitoring.")
    return LiveMonitoring(
        window=window,
        min_records=_integer(
            live.get("min_records", DEFAULT_MIN_RECORDS), "monitoring.live.min_records", low=1
        ),
        min_labels=_integer(
            live.get("min_labels", DEFAULT_MIN_LABELS), "monitoring.live.min_labels", low=1
        ),
        pushgateway=None if pushgateway is None else str(pushgateway).rstrip("/"),
        job=_text(slo.get("job", slug), "monitoring.slo.job"),
    )


def settings_from_mapping(raw: Mapping[str, Any], *, root: Path) -> Settings:
    """Apply the defaults to a parsed mlops.yaml and check the values the tasks use."""
    if not isinstance(raw, Mapping):
        raise SpecError("expected a mapping at the top level")
    project = _section(raw, "project", "")
    data = _section(raw, "data", "")
    model = _section(raw, "model", "")
    champion = _section(model, "champion", "model.")
    deploy = _section(raw, "deploy", "")
    target = _choice(deploy.get("target", DEFAULT_DEPLOY_TARGET), DEPLOY_TARGETS, "deploy.target")
    # The size budget of what ships: the edge bundle's, or the browser bundle's.
    bundle = "browser" if target == "browser" else "edge"
    bundle_section = _section(deploy, bundle, "deploy.")
    bundle_default = DEFAULT_BROWSER_BUNDLE_KB if bundle == "browser" else DEFAULT_MAX_BUNDLE_KB
    drift = _section(_section(raw, "monitoring", ""), "drift", "monitoring.")
    prediction_log = _section(_section(raw, "monitoring", ""), "prediction_log", "monitoring.")

    task = _choice(model.get("task", DEFAULT_TASK), TASKS, "model.task")
    default_metrics = DEFAULT_REGRESSION_METRICS if task == "regression" else DEFAULT_METRICS
    sources = data.get("sources", list(DEFAULT_SOURCES))
    if not isinstance(sources, list) or not sources:
        raise SpecError("data.sources: expected a non-empty list of CSV paths")

    return Settings(
        root=root,
        project_name=str(project.get("name", root.name)),
        sources=tuple(root / _text(s, "data.sources[]") for s in sources),
        contract=root / _text(data.get("contract", DEFAULT_CONTRACT), "data.contract"),
        versioning=_choice(
            data.get("versioning", DEFAULT_VERSIONING), VERSIONING, "data.versioning"
        ),
        task=task,
        algorithm=_algorithm(model, task),
        estimator=_estimator(model.get("estimator")),
        test_size=_number(
            model.get("test_size", DEFAULT_TEST_SIZE), "model.test_size", low=0.05, high=0.9
        ),
        seed=_integer(model.get("seed", DEFAULT_SEED), "model.seed"),
        metrics=_metric_bounds(model.get("metrics", default_metrics), task),
        champion_compare=bool(champion.get("compare", DEFAULT_CHAMPION_COMPARE)),
        max_regression=_number(
            champion.get("max_regression", DEFAULT_MAX_REGRESSION),
            "model.champion.max_regression",
            low=0.0,
            high=1.0,
        ),
        champion_baseline=root
        / _text(champion.get("baseline", DEFAULT_CHAMPION_BASELINE), "model.champion.baseline"),
        **_model_store(model, champion, str(project.get("slug", root.name))),
        deploy_target=target,
        cloud=_choice(deploy.get("cloud", DEFAULT_CLOUD), CLOUDS, "deploy.cloud"),
        image_registry=None
        if deploy.get("registry") is None
        else _text(deploy["registry"], "deploy.registry"),
        environments=_environments(deploy.get("environments", [])),
        max_bundle_kb=_integer(
            bundle_section.get("max_bundle_kb", bundle_default),
            f"deploy.{bundle}.max_bundle_kb",
            low=1,
        ),
        drift_method=_choice(
            drift.get("method", DEFAULT_DRIFT_METHOD), DRIFT_METHODS, "monitoring.drift.method"
        ),
        drift_threshold=_number(
            drift.get("threshold", DEFAULT_DRIFT_THRESHOLD), "monitoring.drift.threshold", low=0.0
        ),
        drift_schedule=str(drift.get("schedule", DEFAULT_DRIFT_SCHEDULE)),
        on_drift=_choice(
            drift.get("on_drift", DEFAULT_ON_DRIFT), ON_DRIFT, "monitoring.drift.on_drift"
        ),
        drift_batch=root / _text(drift.get("batch", DEFAULT_DRIFT_BATCH), "monitoring.drift.batch"),
        prediction_log_sink=_choice(
            prediction_log.get("sink", DEFAULT_LOG_SINK),
            LOG_SINKS,
            "monitoring.prediction_log.sink",
        ),
        prediction_log_dir=root
        / _text(prediction_log.get("path", DEFAULT_LOG_PATH), "monitoring.prediction_log.path"),
        platform=_choice(deploy.get("platform", PLATFORMS[0]), PLATFORMS, "deploy.platform"),
        namespace=_text(
            (deploy.get("kubernetes") or {}).get("namespace", DEFAULT_NAMESPACE),
            "deploy.kubernetes.namespace",
        ),
        live=_live(_section(raw, "monitoring", ""), str(project.get("slug", root.name))),
    )


def _strings(value: Any, key: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SpecError(f"{key}: expected a list, got {type(value).__name__}")
    if choices is None:
        return tuple(_text(item, f"{key}[]") for item in value)
    return tuple(_choice(item, choices, f"{key}[]") for item in value)


def _secret_item(raw: Any, key: str) -> SecretItem:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{key}: expected a mapping with name and ref")
    name = _text(raw.get("name"), f"{key}.name")
    if not SECRET_NAME.fullmatch(name):
        raise SpecError(f"{key}.name: {name!r} is not an environment variable name (A-Z, 0-9, _)")
    return SecretItem(
        name=name,
        ref=_text(raw.get("ref"), f"{key}.ref"),
        stages=_strings(raw.get("stages"), f"{key}.stages", SECRET_STAGES),
        environments=_strings(raw.get("environments"), f"{key}.environments"),
    )


def secrets_from_mapping(raw: Mapping[str, Any], *, root: Path) -> SecretsSpec:
    """The secrets: section of a parsed mlops.yaml, with the defaults applied."""
    if not isinstance(raw, Mapping):
        raise SpecError("expected a mapping at the top level")
    section = _section(raw, "secrets", "")
    provider = _choice(section.get("provider", DEFAULT_STORE), SECRET_PROVIDERS, "secrets.provider")
    store = SECRET_SETTINGS.get(provider)
    settings = _section(section, store, "secrets.") if store else {}
    items = section.get("items") or []
    if not isinstance(items, list):
        raise SpecError("secrets.items: expected a list of {name, ref, stages, environments}")
    parsed = tuple(_secret_item(item, f"secrets.items[{i}]") for i, item in enumerate(items))
    names = [item.name for item in parsed]
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise SpecError(f"secrets.items: {', '.join(twice)} declared more than once")
    return SecretsSpec(
        root=root,
        provider=provider,
        settings={str(k): str(v) for k, v in settings.items()},
        items=parsed,
    )


def read_spec(path: str | Path = SPEC_FILE) -> tuple[Mapping[str, Any], Path]:
    """mlops.yaml parsed with PyYAML's safe loader, and the directory that holds it."""
    spec = Path(path)
    try:
        raw = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{spec}: not found (run the task from the repository root)") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{spec}: not valid YAML: {exc}") from None
    return raw or {}, spec.resolve().parent


def _load(path: str | Path, parse: Callable[..., T]) -> T:
    raw, root = read_spec(path)
    try:
        return parse(raw, root=root)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None


def load_settings(path: str | Path = SPEC_FILE) -> Settings:
    """Read mlops.yaml with PyYAML's safe loader and apply the defaults."""
    return _load(path, settings_from_mapping)


def load_secrets(path: str | Path = SPEC_FILE) -> SecretsSpec:
    """Read the secrets: section of mlops.yaml (see secrets.py)."""
    return _load(path, secrets_from_mapping)


def task_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the --spec option that every task takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--spec",
        default=SPEC_FILE,
        help=f"path to the spec; paths in it are relative to its directory (default: {SPEC_FILE})",
    )
    return parser
