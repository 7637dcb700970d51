"""Reading a spec: file checks, YAML with positions, schema validation, semantic checks, model."""

from __future__ import annotations

import datetime as dt
import difflib
import keyword
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from mlopsgen import yamlio
from mlopsgen.diagnostics import Diagnostic, Location, Severity
from mlopsgen.errors import SpecError, UserError
from mlopsgen.resources import REPO_PACKS_DIR, builtin_packs, find_pack
from mlopsgen.spec.cron import cron_problem
from mlopsgen.spec.model import (
    CI,
    KNOWN_PACKAGES,
    REGISTRY_EXAMPLES,
    REGISTRY_HOSTS,
    SKLEARN_MODULES,
    AzureML,
    Champion,
    Compute,
    ComputeEngine,
    Data,
    Deploy,
    DeployPlatform,
    DeployTarget,
    Drift,
    Environment,
    Estimator,
    Kubeflow,
    Kubernetes,
    Live,
    MetricBound,
    MlopsgenInstall,
    MlopsgenSource,
    Model,
    Monitoring,
    Platform,
    Policies,
    PredictionLog,
    Project,
    SecretItem,
    SecretProvider,
    Secrets,
    Security,
    Slo,
    Spec,
    Triggers,
    Waiver,
    registry_host,
)
from mlopsgen.spec.schema import apply_defaults, load_schema
from mlopsgen.spec.secrets import (
    SECRET_ENVIRONMENT_PREFIX,
    STATIC_AUTH_RULE,
    literal_secret,
    ref_problem,
)

__all__ = [
    "MAX_SPEC_BYTES",
    "MAX_SPEC_NODES",
    "derive_slug",
    "load_spec",
    "parse_spec",
    "read_spec_text",
]

#: Real specs are a few kilobytes; anything past this is not a spec.
MAX_SPEC_BYTES = 1024 * 1024
#: Real specs hold a few hundred values; reading stops at this many (aliases count each
#: use), so that no spec of at most MAX_SPEC_BYTES takes long to refuse.
MAX_SPEC_NODES = 10_000

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def read_spec_text(path: Path) -> str:
    """Read a spec file, refusing what cannot be a spec before parsing anything.

    Raises:
        UserError: missing file, a directory or an oversized file.
        SpecError: undecodable bytes, at their line, column and byte offset.
    """
    if not path.exists():
        raise UserError(
            "no such file",
            path=path,
            hint="create one with `mlopsgen new --no-input` or copy one from examples/",
        )
    if path.is_dir():
        candidate = path / "mlops.yaml"
        hint = f"did you mean {candidate}?" if candidate.is_file() else "pass the spec file itself"
        raise UserError("is a directory, expected a spec file", path=path, hint=hint)
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise UserError(
            f"is {size:,} bytes; a spec may be at most {MAX_SPEC_BYTES:,} bytes",
            path=path,
            hint="is this really an mlops.yaml?",
        )
    with path.open("rb") as handle:
        raw = handle.read(MAX_SPEC_BYTES + 1)  # the file may grow between stat and read
    if len(raw) > MAX_SPEC_BYTES:
        raise UserError(f"is larger than {MAX_SPEC_BYTES:,} bytes", path=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", "replace")) + 1
        message = f"not UTF-8 text: byte {exc.start} is {raw[exc.start]:#04x}"
        line = raw.count(b"\n", 0, exc.start) + 1
        diag = _diag(str(path), line, column, "", message, "save the file as UTF-8")
        raise SpecError([diag], path=path) from None


def load_spec(path: Path) -> Spec:
    """Read, validate and type the spec at ``path``.

    Its policy packs may be built-in ones or the packs of the repository it sits in
    (``.mlopsgen/policies/`` beside it).

    Raises:
        UserError: the file cannot be read as text.
        SpecError: every problem found in the spec, one diagnostic each.
    """
    return parse_spec(
        read_spec_text(path), filename=str(path), pack_dirs=[path.parent / REPO_PACKS_DIR]
    )


def parse_spec(text: str, *, filename: str = "mlops.yaml", pack_dirs: Sequence[Path] = ()) -> Spec:
    """Validate spec text and return the typed spec with defaults applied.

    ``pack_dirs``: folders where ``policies.packs`` may name a pack besides the
    built-in ones (a repository's ``.mlopsgen/policies``).

    Raises:
        SpecError: one diagnostic per problem, sorted by position.
    """
    try:
        doc = yamlio.load(text, filename=filename, max_nodes=MAX_SPEC_NODES)
    except yamlio.YamlLoadError as exc:
        raise SpecError(exc.diagnostics, path=Path(filename)) from None
    if doc.data is None:
        raise SpecError(
            [
                _diag(
                    filename,
                    1,
                    1,
                    "",
                    "the spec is empty",
                    "start from `mlopsgen new --no-input` or a file in examples/",
                )
            ],
            path=Path(filename),
        )
    if not isinstance(doc.data, dict):
        raise SpecError(
            [
                _diag(
                    filename,
                    1,
                    1,
                    "",
                    f"expected a mapping at the top level, got {_describe(doc.data)}",
                    "a spec starts with `version: 1` and `project:`",
                )
            ],
            path=Path(filename),
        )
    # Literal secrets first: no other message may repeat such a value.
    leaked = dict(_literal_secrets(doc.data, ()))
    problems = list(_schema_problems(doc, filename, leaked))
    if not problems:
        data = apply_defaults(doc.data)
        shown = {yamlio.format_path(path) for path in leaked}
        problems = [
            d
            for d in _semantic_problems(data, doc, filename, pack_dirs)
            if d.location.json_path not in shown
        ]
    problems += [_leak(doc, filename, path, what) for path, what in leaked.items()]
    if problems:
        problems.sort(key=lambda d: (d.location.line or 0, d.location.column or 0))
        raise SpecError(problems, path=Path(filename))
    return _build(data, _raw_model(doc))


def derive_slug(name: str) -> str:
    """Python package name from a project name: ``"Spam Filter"`` gives ``spam_filter``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


# --- schema errors -----------------------------------------------------------------------


def _diag(
    filename: str,
    line: int | None,
    col: int | None,
    path: str,
    message: str,
    hint: str | None = None,
) -> Diagnostic:
    return Diagnostic(
        "SPEC", Severity.ERROR, message, Location(filename, line, col, path), hint=hint
    )


def _at(
    doc: yamlio.LoadedYaml,
    filename: str,
    path: yamlio.JsonPath,
    message: str,
    hint: str | None = None,
    *,
    key: bool = False,
) -> Diagnostic:
    mark = doc.mark(path, key=key)
    return _diag(
        filename,
        mark.line if mark else None,
        mark.column if mark else None,
        yamlio.format_path(path),
        message,
        hint,
    )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return repr(shown)
    return repr(value)


def _close(word: Any, choices: Iterable[Any]) -> str | None:
    options = [str(c) for c in choices]
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


#: Errors whose message names keys or kinds, never the content of the value they are about.
_KEYS_ONLY = frozenset({"additionalProperties", "required", "type", "minItems", "minProperties"})


def _schema_problems(
    doc: yamlio.LoadedYaml, filename: str, leaked: Mapping[yamlio.JsonPath, str]
) -> Iterator[Diagnostic]:
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = []
    for raw in validator.iter_errors(doc.data):
        errors.append((best_match(raw.context) or raw) if raw.context else raw)
    # One problem per value: a wrong type or an overlong string makes the enum or pattern
    # error beside it noise.
    first = {tuple(e.absolute_path) for e in errors if e.validator in {"type", "maxLength"}}
    for error in errors:
        path = tuple(error.absolute_path)
        if error.validator not in {"type", "maxLength"} and path in first:
            continue
        if _reveals(error, leaked):
            continue
        yield from _explain(error, doc, filename)


def _reveals(error: ValidationError, leaked: Mapping[yamlio.JsonPath, str]) -> bool:
    """Whether the message about ``error`` could show a value that looks like a secret.

    An unknown key beside such a value is still reported: the message names the key.
    """
    path = tuple(error.absolute_path)
    if path in leaked:
        return True
    if error.validator in _KEYS_ONLY or "propertyNames" in error.schema_path:
        return False
    return any(secret[: len(path)] == path for secret in leaked)


def _explain(error: ValidationError, doc: yamlio.LoadedYaml, filename: str) -> Iterator[Diagnostic]:
    path: yamlio.JsonPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    hint = schema.get("x-hint")
    value: Any = error.instance
    wanted_value: Any = error.validator_value
    kind = error.validator
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        for key in value:
            if key not in allowed:
                shown = key if isinstance(key, str) else _yaml11_key(key)
                yield _at(
                    doc,
                    filename,
                    (*path, key),
                    f"unknown key {_describe(shown)}",
                    _close(shown, allowed)
                    or (f"allowed keys: {', '.join(allowed)}" if allowed else None),
                    key=True,
                )
        return
    if kind == "required":
        missing = wanted_value
        for name in missing if isinstance(missing, list) else []:
            if name not in value:
                yield _at(doc, filename, path, f"missing required key {name!r}", hint, key=True)
        return
    if "propertyNames" in error.schema_path:
        # propertyNames validates each key as an instance without extending the path.
        choices = wanted_value if kind == "enum" else []
        yield _at(
            doc,
            filename,
            (*path, value),
            f"unknown name {_describe(value)}",
            _close(value, choices) or f"expected one of {', '.join(map(str, choices))}",
            key=True,
        )
        return
    if kind == "type":
        expected = wanted_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        message = f"expected {wanted}, got {_describe(value)}"
    elif kind == "enum":
        choices = wanted_value
        message = f"expected one of {', '.join(map(str, choices))}; got {_describe(value)}"
        if isinstance(value, float) and str(value) in {str(c)[:3] for c in choices}:
            hint = hint or "quote the value"
        else:
            hint = _close(value, choices) or hint
    elif kind == "const":
        message = f"expected {wanted_value!r}, got {_describe(value)}"
    elif kind == "pattern":
        message = f"{_describe(value)} is not allowed here"
    elif kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        sign = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}[
            kind
        ]
        message = f"expected a number {sign} {wanted_value}, got {_describe(value)}"
    elif kind == "minItems":
        message = f"expected at least {wanted_value} item(s), got {len(value)}"
    elif kind == "uniqueItems":
        seen: set[str] = set()
        dupes: dict[str, None] = {}  # ordered, each once
        for item in map(_describe, value):
            if item in seen:
                dupes[item] = None
            seen.add(item)
        listed = list(dupes)[:5] + (["..."] if len(dupes) > 5 else [])
        message = f"has duplicate items: {', '.join(listed)}"
    elif kind == "minProperties":
        message = "expected at least one key"
    elif kind == "minLength":
        message = f"expected at least {wanted_value} character(s)"
    elif kind == "maxLength":
        message = f"expected at most {wanted_value:,} characters, got {len(value):,}"
        hint = "shorten it"
    else:
        message = error.message
    yield _at(doc, filename, path, message, hint)


def _yaml11_key(key: Any) -> str:
    """Show a key that YAML 1.1 turned into a non-string (``on:`` becomes True)."""
    return {True: "on/yes/true", False: "off/no/false"}.get(key, str(key))


# --- semantic checks ---------------------------------------------------------------------


def _semantic_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str, pack_dirs: Sequence[Path]
) -> Iterator[Diagnostic]:
    project = data["project"]
    if "slug" not in project:
        slug = derive_slug(project["name"])
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", slug) or keyword.iskeyword(slug):
            yield _at(
                doc,
                filename,
                ("project", "name"),
                f"cannot derive a Python package name from {project['name']!r}",
                "set project.slug explicitly, e.g. slug: my_model",
            )
    elif keyword.iskeyword(project["slug"]):
        yield _at(
            doc,
            filename,
            ("project", "slug"),
            f"{project['slug']!r} is a Python keyword",
            "pick another package name",
        )

    yield from _duplicates(
        doc,
        filename,
        ("deploy", "environments"),
        [e["name"] for e in data["deploy"]["environments"]],
        "environment",
    )
    yield from _duplicates(
        doc, filename, ("secrets", "items"), [s["name"] for s in data["secrets"]["items"]], "secret"
    )

    env_names = {e["name"] for e in data["deploy"]["environments"]}
    for i, item in enumerate(data["secrets"]["items"]):
        for j, env in enumerate(item["environments"]):
            if env not in env_names:
                yield _at(
                    doc,
                    filename,
                    ("secrets", "items", i, "environments", j),
                    f"environment {env!r} is not declared in deploy.environments",
                    _close(env, env_names) or "declare it under deploy.environments",
                )

    yield from _secret_problems(data, doc, filename)
    yield from _registry_problems(data, doc, filename)
    yield from _cluster_problems(data, doc, filename)
    yield from _browser_problems(data, doc, filename)
    yield from _cron_problems(data, doc, filename)
    yield from _mlopsgen_problems(data, doc, filename)
    yield from _slo_problems(data, doc, filename)
    yield from _compute_problems(data, doc, filename)

    if data["model"]["registry"] == "mlflow" and data["model"]["tracking"] != "mlflow":
        yield _at(
            doc,
            filename,
            ("model", "registry"),
            "registry mlflow registers the model of an MLflow run, and model.tracking is "
            f"{data['model']['tracking']!r}",
            "set model.tracking: mlflow too (or registry: none)",
        )
    yield from _remote_problems(data, doc, filename)

    yield from _model_problems(data, doc, filename)

    for name, bound in data["model"]["metrics"].items():
        low, high = bound.get("min"), bound.get("max")
        if low is not None and high is not None and low > high:
            yield _at(
                doc,
                filename,
                ("model", "metrics", name),
                f"min {low} is greater than max {high}; no model can pass",
            )

    for i, name in enumerate(data["policies"]["packs"]):
        if find_pack(name, pack_dirs) is None:
            builtin = builtin_packs()
            close = _close(name, builtin)
            yield _at(
                doc,
                filename,
                ("policies", "packs", i),
                f"unknown policy pack {name!r}",
                (f"{close} " if close else "")
                + f"one of {', '.join(builtin)}; or a pack of the repository at "
                f"{REPO_PACKS_DIR}/{name}.yaml",
            )

    for i, waiver in enumerate(data["policies"]["waivers"]):
        try:
            dt.date.fromisoformat(waiver["expires"])
        except ValueError:
            yield _at(
                doc,
                filename,
                ("policies", "waivers", i, "expires"),
                f"{waiver['expires']!r} is not a calendar date",
                "use YYYY-MM-DD",
            )


#: The metrics that fit each kind of task (the generated evaluate task reports exactly these).
TASK_METRICS: Mapping[str, tuple[str, ...]] = {
    "binary": ("accuracy", "f1", "precision", "recall", "roc_auc"),
    "multiclass": ("accuracy", "f1", "precision", "recall", "roc_auc"),
    "regression": ("rmse", "mae", "r2"),
}
#: Shorthands of model.algorithm that fit only one kind of task.
_CLASSIFICATION_ONLY = "logistic_regression"
_REGRESSION_ONLY = "linear_regression"
#: The bundled samples and the task their target fits.
SAMPLE_TASKS: Mapping[str, str] = {
    "spam": "binary",
    "sensors": "binary",
    "loans": "binary",
    "energy": "regression",
}


def _raw_model(doc: yamlio.LoadedYaml) -> Mapping[str, Any]:
    """model: as the user wrote it (before defaults): what was set explicitly."""
    raw = doc.data.get("model") if isinstance(doc.data, dict) else None
    return raw if isinstance(raw, dict) else {}


def _effective_metrics(data: dict[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """model.metrics with the task's default when the user set none."""
    if "metrics" not in raw and data["model"]["task"] == "regression":
        return {"r2": {"min": 0.5}}
    metrics: dict[str, Any] = data["model"]["metrics"]
    return metrics


def _effective_algorithm(data: dict[str, Any], raw: Mapping[str, Any]) -> str:
    """model.algorithm with the task's default when the user set none."""
    if "algorithm" not in raw and data["model"]["task"] == "regression":
        return _REGRESSION_ONLY
    algorithm: str = data["model"]["algorithm"]
    return algorithm


def _model_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    model, raw = data["model"], _raw_model(doc)
    task = model["task"]
    fits = TASK_METRICS[task]
    for name in model["metrics"]:
        if name not in fits:
            yield _at(
                doc,
                filename,
                ("model", "metrics", name),
                f"metric {name!r} does not fit model.task {task}",
                f"the metrics of a {task} model: {', '.join(fits)}"
                + ("" if "task" in raw else "; or set model.task (default binary)"),
                key=True,
            )
    algorithm = _effective_algorithm(data, raw)
    wrong = _CLASSIFICATION_ONLY if task == "regression" else _REGRESSION_ONLY
    if "algorithm" in raw and algorithm == wrong:
        yield _at(
            doc,
            filename,
            ("model", "algorithm"),
            f"algorithm {algorithm!r} does not fit model.task {task}",
            "random_forest and gradient_boosting fit every task; "
            + ("linear_regression" if task == "regression" else "logistic_regression")
            + f" is the linear model of a {task} task",
        )
    sample = data["data"]["sample"]
    if SAMPLE_TASKS[sample] == "regression" and task != "regression":
        yield _at(
            doc,
            filename,
            ("data", "sample"),
            f"sample {sample!r} has a numeric target, which fits model.task regression, not {task}",
            "set model.task: regression, or pick a classification sample (spam, sensors, loans)",
        )
    elif SAMPLE_TASKS[sample] != "regression" and task == "regression":
        yield _at(
            doc,
            filename,
            ("data", "sample"),
            f"sample {sample!r} has a class label, which does not fit model.task regression",
            "use the regression sample (sample: energy), or your own data and contract",
        )
    estimator = model.get("estimator")
    if estimator is None:
        return
    if "algorithm" in raw:
        yield _at(
            doc,
            filename,
            ("model", "algorithm"),
            "model.algorithm and model.estimator are both set; the estimator would win silently",
            "keep one: the shorthand algorithm or the estimator's import path",
            key=True,
        )
    yield from _estimator_problems(estimator, doc, filename)


def _estimator_problems(
    estimator: Mapping[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """What can be known about model.estimator.class without importing it."""
    path = ("model", "estimator", "class")
    module, _, name = estimator["class"].rpartition(".")
    top, _, rest = module.partition(".")
    if top not in KNOWN_PACKAGES and "package" not in estimator:
        close = _close(top, KNOWN_PACKAGES)
        yield _at(
            doc,
            filename,
            path,
            f"unknown estimator module {top!r} in {estimator['class']!r}: mlopsgen cannot "
            "tell which package installs it",
            (f"{close} " if close else "")
            + f"known modules: {', '.join(KNOWN_PACKAGES)}; for another, name its PyPI "
            "project in model.estimator.package",
        )
    elif top == "sklearn":
        sub = rest.split(".", 1)[0]
        if sub not in SKLEARN_MODULES:
            close = _close(sub, SKLEARN_MODULES)
            yield _at(
                doc,
                filename,
                path,
                f"sklearn has no estimator module {sub or '(none)'!r} ({estimator['class']!r})",
                (f"{close} " if close else "")
                + "e.g. sklearn.ensemble.HistGradientBoostingClassifier",
            )
    if not name[:1].isupper():
        yield _at(
            doc,
            filename,
            path,
            f"{estimator['class']!r} does not end in a class name",
            "estimator classes start with a capital letter, e.g. xgboost.XGBClassifier",
        )


#: The settings section of each provider.
def _registry_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """``deploy.registry``: set exactly when a webservice ships to a cloud, on its registry."""
    deploy = data["deploy"]
    cloud, registry = deploy["cloud"], deploy.get("registry")
    if registry is not None and deploy["target"] != "webservice":
        yield _at(
            doc,
            filename,
            ("deploy", "registry"),
            f"deploy.registry is set, but deploy.target {deploy['target']} ships no image",
            "remove deploy.registry, or set deploy.target: webservice",
        )
    elif registry is None and deploy["target"] == "webservice" and cloud != "none":
        yield _at(
            doc,
            filename,
            ("deploy", "cloud"),
            f"deploy.target webservice on cloud {cloud} needs deploy.registry, the image "
            "repository the container-image job pushes to",
            f"add e.g. registry: {REGISTRY_EXAMPLES[cloud]}",
        )
    elif registry is not None and cloud != "none":
        host = registry_host(registry)
        if not REGISTRY_HOSTS[cloud].fullmatch(host):
            yield _at(
                doc,
                filename,
                ("deploy", "registry"),
                f"registry host {host!r} is not a registry of the {cloud} cloud "
                f"(expected {REGISTRY_HOSTS[cloud].pattern})",
                f"the CI logs in to {cloud} through OIDC; use its registry, "
                f"e.g. {REGISTRY_EXAMPLES[cloud]}",
            )


def _browser_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """``deploy.browser`` belongs to the browser target, whose model skl2onnx must convert."""
    target = data["deploy"]["target"]
    written = isinstance(doc.data, dict) and "browser" in (doc.data.get("deploy") or {})
    if target != "browser":
        if written:
            yield _at(
                doc,
                filename,
                ("deploy", "browser"),
                f"deploy.browser is set, but deploy.target is {target}",
                "set deploy.target: browser, or remove deploy.browser",
                key=True,
            )
        return
    estimator = data["model"].get("estimator")
    if estimator is not None and estimator["class"].partition(".")[0] != "sklearn":
        yield _at(
            doc,
            filename,
            ("model", "estimator", "class"),
            f"deploy.target browser exports the model to ONNX with skl2onnx, which converts "
            f"scikit-learn estimators only, not {estimator['class']!r}",
            "use a scikit-learn estimator (model.algorithm logistic_regression, random_forest, "
            "gradient_boosting or linear_regression), or another deploy.target",
        )


def _cluster_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """``deploy.platform`` and ``deploy.kubernetes``: a cluster serves a webservice on a cloud."""
    deploy = data["deploy"]
    platform, section = deploy["platform"], deploy["kubernetes"]
    written = isinstance(doc.data, dict) and "kubernetes" in (doc.data.get("deploy") or {})
    if platform == "container-service":
        if written:
            yield _at(
                doc,
                filename,
                ("deploy", "kubernetes"),
                "deploy.kubernetes is set, but deploy.platform is container-service",
                "set deploy.platform: kubernetes (or kserve), or remove deploy.kubernetes",
            )
        return
    if deploy["target"] != "webservice":
        yield _at(
            doc,
            filename,
            ("deploy", "platform"),
            f"deploy.platform {platform} serves a webservice, and deploy.target is "
            f"{deploy['target']}",
            "set deploy.target: webservice, or remove deploy.platform",
        )
    if deploy["cloud"] == "none":
        yield _at(
            doc,
            filename,
            ("deploy", "platform"),
            f"deploy.platform {platform} needs deploy.cloud: the deploy job gets the "
            "cluster's credentials from the cloud's OIDC login (never a stored kubeconfig)",
            "set deploy.cloud: azure (AKS), aws (EKS) or gcp (GKE)",
        )
    cluster = section.get("cluster")
    if cluster is None:
        yield _at(
            doc,
            filename,
            ("deploy", "platform"),
            f"deploy.platform {platform} needs deploy.kubernetes.cluster, the cluster the "
            "deploy job gets credentials for",
            "add deploy.kubernetes.cluster: {name: <cluster>, "
            + ("resource_group: <group>}" if deploy["cloud"] == "azure" else "location: <region>}"),
        )
    else:
        where = "resource_group" if deploy["cloud"] == "azure" else "location"
        if deploy["cloud"] != "none" and where not in cluster:
            yield _at(
                doc,
                filename,
                ("deploy", "kubernetes", "cluster"),
                f"deploy.cloud {deploy['cloud']} finds the cluster by its {where}",
                f"add {where} to deploy.kubernetes.cluster",
            )
    replicas = section["replicas"]
    if replicas["min"] > replicas["max"]:
        yield _at(
            doc,
            filename,
            ("deploy", "kubernetes", "replicas", "min"),
            f"replicas.min {replicas['min']} is above replicas.max {replicas['max']}",
            "raise max or lower min",
        )
    for kind in ("cpu", "memory"):
        request = _quantity(section["resources"]["requests"][kind])
        limit = _quantity(section["resources"]["limits"][kind])
        if request > limit:
            yield _at(
                doc,
                filename,
                ("deploy", "kubernetes", "resources", "requests", kind),
                f"the {kind} request is above its limit",
                f"a pod cannot be scheduled with more {kind} than it may use; "
                "raise resources.limits or lower resources.requests",
            )
    if "canary_traffic_percent" in section and platform != "kserve":
        yield _at(
            doc,
            filename,
            ("deploy", "kubernetes", "canary_traffic_percent"),
            "canary_traffic_percent splits traffic between KServe revisions, and "
            f"deploy.platform is {platform}",
            "set deploy.platform: kserve, or remove canary_traffic_percent",
        )


_SUFFIXES = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_SUFFIXES |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def _quantity(text: str) -> float:
    """The value of a Kubernetes quantity the schema admitted (``500m``, ``1Gi``)."""
    number = text.rstrip("mkKiMGT")
    return float(number) * _SUFFIXES.get(text[len(number) :], 1)


_SECTIONS = {
    SecretProvider.VAULT: "vault",
    SecretProvider.AZURE_KEYVAULT: "azure_keyvault",
    SecretProvider.AWS: "aws",
    SecretProvider.GCP: "gcp",
}


def _secret_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    secrets = data["secrets"]
    provider = SecretProvider(secrets["provider"])
    needed = _SECTIONS.get(provider)
    if needed and needed not in secrets:
        yield _at(
            doc,
            filename,
            ("secrets", "provider"),
            f"provider '{provider}' needs a secrets.{needed} section",
            f"add secrets.{needed} (see docs/secrets.md)",
        )
    for other, section in _SECTIONS.items():
        if other is not provider and section in secrets:
            yield _at(
                doc,
                filename,
                ("secrets", section),
                f"secrets.{section} configures provider '{other}', but the provider is "
                f"'{provider}'",
                f"set provider: {other}, or remove secrets.{section}",
                key=True,
            )
    if secrets["auth"] == "static" and provider is not SecretProvider.CI:
        waived = any(w["rule"] == STATIC_AUTH_RULE for w in data["policies"]["waivers"])
        if not waived:
            yield _at(
                doc,
                filename,
                ("secrets", "auth"),
                "auth: static keeps a long-lived credential in the CI platform; it needs a "
                f"waiver of {STATIC_AUTH_RULE}",
                f"use auth: oidc, or add {{rule: {STATIC_AUTH_RULE}, reason: ..., owner: ..., "
                "expires: ...}} to policies.waivers",
            )
    for i, item in enumerate(secrets["items"]):
        problem = ref_problem(provider, item["ref"])
        if problem is not None:
            yield _at(doc, filename, ("secrets", "items", i, "ref"), *problem)
        if item["environments"] and "deploy" not in item["stages"]:
            yield _at(
                doc,
                filename,
                ("secrets", "items", i, "environments"),
                "environments scope the deploy stage, which this secret is not read in",
                "add deploy to its stages",
            )
    for i, env in enumerate(data["deploy"]["environments"]):
        if env["name"].startswith(SECRET_ENVIRONMENT_PREFIX):
            yield _at(
                doc,
                filename,
                ("deploy", "environments", i, "name"),
                f"environment names starting with {SECRET_ENVIRONMENT_PREFIX!r} are reserved "
                "for the environments that scope the secrets of jobs that do not deploy",
                "pick another name",
            )


_CRON_REF = "#/$defs/cron"


def _cron_paths(node: dict[str, Any], prefix: yamlio.JsonPath) -> Iterator[yamlio.JsonPath]:
    """The paths of the schema's cron fields (``$ref`` to the cron definition)."""
    for name, sub in node.get("properties", {}).items():
        if sub.get("$ref") == _CRON_REF:
            yield (*prefix, name)
        else:
            yield from _cron_paths(sub, (*prefix, name))


def _cron_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """Every cron field the user wrote, checked as every CI platform reads it.

    Defaults are valid by construction (tests check them); only values present in the file
    are reported, at their own position.
    """
    for path in _cron_paths(load_schema(), ()):
        value: Any = doc.data
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            problem = cron_problem(value)
            if problem is not None:
                yield _at(doc, filename, path, *problem)


#: The keys of ``ci.mlopsgen`` each source reads (besides ``source``).
_MLOPSGEN_KEYS = {
    MlopsgenSource.PYPI: frozenset[str](),
    MlopsgenSource.INDEX: frozenset({"index_url"}),
    MlopsgenSource.GIT: frozenset({"git", "commit"}),
    MlopsgenSource.WHEEL: frozenset({"wheel", "sha256"}),
}
#: Directories of a generated repository that git ignores or ``make clean`` empties: a
#: wheel there would never reach CI, or would vanish.
_UNVENDORABLE = ("build/", "dist/", "reports/", "models/", ".venv/", "venv/", ".mlopsgen/")


def _mlopsgen_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    install = data["ci"]["mlopsgen"]
    source = MlopsgenSource(install["source"])
    for key in install:
        if key != "source" and key not in _MLOPSGEN_KEYS[source]:
            owner = next(s for s, keys in _MLOPSGEN_KEYS.items() if key in keys)
            yield _at(
                doc,
                filename,
                ("ci", "mlopsgen", key),
                f"ci.mlopsgen.{key} is read by source '{owner}', but the source is '{source}'",
                f"set source: {owner}, or remove {key}",
                key=True,
            )
    wheel = install.get("wheel")
    if source is MlopsgenSource.WHEEL and wheel is not None:
        inside = wheel.removeprefix("./")
        if inside.startswith(_UNVENDORABLE):
            yield _at(
                doc,
                filename,
                ("ci", "mlopsgen", "wheel"),
                f"{wheel!r} is in a directory the generated repository git-ignores or "
                "`make clean` empties, so CI would never see the wheel",
                "vendor it under tools/, e.g. tools/" + inside.rsplit("/", 1)[-1],
            )


#: DVC remote schemes a generated repository installs the plugin of (scaffold.DVC_PLUGINS).
_REMOTE_SCHEMES = ("s3", "azure", "gs")
_REMOTE_HINT = (
    "use s3://bucket/path, azure://container/path, gs://bucket/path, or a directory "
    "(absolute, or relative to the repository root)"
)


def _remote_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    section = data["data"]
    remote = section.get("remote")
    if section["versioning"] != "dvc":
        if remote is not None:
            yield _at(
                doc,
                filename,
                ("data", "remote"),
                "data.remote is read only with data.versioning: dvc",
                "set versioning: dvc, or remove remote",
                key=True,
            )
        return
    if remote is None:
        yield _at(
            doc,
            filename,
            ("data", "versioning"),
            "data.versioning is dvc, which needs data.remote: where `make data-push` "
            "stores the data and every CI job's `make data-pull` reads it",
            "add data.remote; " + _REMOTE_HINT,
        )
        return
    problem = _remote_problem(remote)
    if problem is not None:
        yield _at(doc, filename, ("data", "remote"), problem, _REMOTE_HINT)


def _remote_problem(remote: str) -> str | None:
    """What is wrong with a DVC remote URL or path, or None."""
    if any(c in remote for c in "\n\r\t\0"):
        return "the remote holds a control character"
    match = re.fullmatch(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", remote, re.DOTALL)
    if match is None:
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", remote) and not re.match(
            r"[A-Za-z]:[\\/]", remote
        ):
            return f"{remote!r} looks like a URL without //"
        return None
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in _REMOTE_SCHEMES:
        close = _close(scheme, _REMOTE_SCHEMES)
        return f"unsupported remote scheme {scheme + '://'!r}" + (f" ({close})" if close else "")
    bucket = rest.split("/", 1)[0]
    if "@" in bucket:
        return "the remote URL holds credentials; DVC reads them from the environment"
    if not bucket:
        return f"{remote!r} names no {'container' if scheme == 'azure' else 'bucket'}"
    return None


#: Fields whose GUID values are public identifiers (an Azure subscription ID names the
#: subscription and grants nothing), not random secrets.
_IDENTIFIERS = frozenset({("compute", "azureml", "subscription_id")})
_GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _literal_secrets(value: Any, path: yamlio.JsonPath) -> Iterator[tuple[yamlio.JsonPath, str]]:
    """``(path, what it looks like)`` for each string in the spec that looks like a credential."""
    if isinstance(value, str):
        if path in _IDENTIFIERS and _GUID.fullmatch(value):
            return
        what = literal_secret(value)
        if what is not None:
            yield path, what
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from _literal_secrets(sub, (*path, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _literal_secrets(sub, (*path, i))


def _leak(doc: yamlio.LoadedYaml, filename: str, path: yamlio.JsonPath, what: str) -> Diagnostic:
    """The diagnostic for a value that looks like a credential (never showing it)."""
    return _at(
        doc,
        filename,
        path,
        f"looks like a literal secret ({what}); a spec names secrets, it never holds them",
        "revoke it (it is in every clone and log of this file), store it in the "
        "secret provider and reference it with secrets.items[].ref",
    )


def _duplicates(
    doc: yamlio.LoadedYaml, filename: str, path: yamlio.JsonPath, names: list[str], what: str
) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield _at(
                doc,
                filename,
                (*path, i, "name"),
                f"duplicate {what} name {name!r}",
                "names must be unique",
            )
        seen.add(name)


#: SLOs measured on the service's own request metrics: a webservice has them, nothing else.
_SERVICE_SLOS = ("availability", "error_rate", "latency")


def _slo_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    slo = data["monitoring"].get("slo")
    target = data["deploy"]["target"]
    if slo is None or target == DeployTarget.WEBSERVICE:
        return
    for key in _SERVICE_SLOS:
        if key in slo and (key != "latency" or slo[key]):
            yield _at(
                doc,
                filename,
                ("monitoring", "slo", key),
                f"{key} is measured on the service's requests, and deploy.target is "
                f"{target!r}, which serves none",
                "remove it (for batch, edge and none, only drift_score and live_metrics "
                "apply), or set deploy.target: webservice",
            )


#: compute settings an engine does not read (kubeflow reads every one): engine local trains
#: in the CI job; an Azure ML pipeline job takes its resources from the cluster and has no
#: retries, and its CI job is bounded by timeout_minutes.
_UNREAD_COMPUTE: Mapping[str, tuple[str, ...]] = {
    ComputeEngine.LOCAL: ("resources", "retries", "timeout_minutes"),
    ComputeEngine.AZUREML: ("resources", "retries"),
}
#: Why, and what to do instead, where the bare "remove it" says too little.
_UNREAD_COMPUTE_WHY: Mapping[tuple[str, str], tuple[str, str]] = {
    (ComputeEngine.AZUREML, "resources"): (
        ": the compute cluster's VM size sets CPU, memory and GPUs",
        ", or choose compute.azureml.compute (the cluster) for the resources",
    ),
    **{
        (ComputeEngine.LOCAL, key): ("", ", or set compute.engine: kubeflow or azureml")
        for key in _UNREAD_COMPUTE[ComputeEngine.LOCAL]
    },
}


def _compute_problems(
    data: dict[str, Any], doc: yamlio.LoadedYaml, filename: str
) -> Iterator[Diagnostic]:
    """``compute``: each engine's section is there exactly when the engine is chosen."""
    compute = data["compute"]
    engine = compute["engine"]
    if engine == ComputeEngine.LOCAL and compute["resources"]["gpu"] > 0:
        yield _at(
            doc,
            filename,
            ("compute", "resources", "gpu"),
            "a GPU request needs an engine that schedules GPUs; engine local trains in "
            "the CI job, which has none",
            "set compute.engine: kubeflow (with compute.kubeflow) or azureml (with "
            "compute.azureml), or gpu: 0",
        )
    # A setting the chosen engine does not read would be silently dropped: refuse it.
    written = doc.data.get("compute") if isinstance(doc.data, dict) else None
    gpu_refused = engine == ComputeEngine.LOCAL and compute["resources"]["gpu"] > 0
    for key in _UNREAD_COMPUTE.get(engine, ()):
        if (
            isinstance(written, dict)
            and key in written
            and not (
                key == "resources" and gpu_refused  # the GPU's own message says more
            )
        ):
            why, instead = _UNREAD_COMPUTE_WHY.get((engine, key), ("", ""))
            yield _at(
                doc,
                filename,
                ("compute", key),
                f"engine {engine} does not use compute.{key}{why}",
                f"remove it{instead}",
                key=True,
            )
    for section, example in _ENGINE_SECTIONS.items():
        if section in compute and engine != section:
            yield _at(
                doc,
                filename,
                ("compute", section),
                f"compute.{section} configures engine {section}, but the engine is {engine}",
                f"set compute.engine: {section}, or remove compute.{section}",
                key=True,
            )
        elif section not in compute and engine == section:
            yield _at(
                doc,
                filename,
                ("compute", "engine"),
                f"engine {section} needs a compute.{section} section: {example[0]}",
                f"add {section}: {example[1]} under compute (see docs/compute.md)",
            )
    kubeflow, azureml = compute.get("kubeflow"), compute.get("azureml")
    if engine == ComputeEngine.KUBEFLOW and kubeflow is not None:
        token = kubeflow["token_secret"]
        if not any(
            item["name"] == token and "train" in item["stages"] for item in data["secrets"]["items"]
        ):
            yield _at(
                doc,
                filename,
                ("compute", "kubeflow"),
                f"engine kubeflow submits with the bearer token in the secret {token}, which "
                "secrets.items does not declare for stage train",
                f"add {{name: {token}, ref: ..., stages: [train]}} to secrets.items, or set "
                "compute.kubeflow.token_secret to the secret that holds the token",
                key=True,
            )
    if azureml is not None and not _PINNED_IMAGE.search(azureml["environment_image"]):
        yield _at(
            doc,
            filename,
            ("compute", "azureml", "environment_image"),
            f"environment image {azureml['environment_image']!r} is not pinned: it has no "
            "tag and no digest",
            "add a tag (image:20240709.v1) or a digest (image@sha256:<64 hex digits>)",
        )
    if data["model"]["registry"] == "azureml" and engine != ComputeEngine.AZUREML:
        yield _at(
            doc,
            filename,
            ("model", "registry"),
            "model.registry azureml registers the model in the Azure ML workspace of "
            f"compute.azureml, and compute.engine is {engine!r}",
            "set compute.engine: azureml with compute.azureml, or choose another registry",
        )


#: Each engine with a section of its own: what the section holds, and an example of it.
_ENGINE_SECTIONS: dict[str, tuple[str, str]] = {
    ComputeEngine.KUBEFLOW: (
        "the KFP host and the image every step runs",
        "{host: https://kfp.example.com/pipeline, image: <registry>/<repo>@sha256:<digest>}",
    ),
    ComputeEngine.AZUREML: (
        "the workspace and the compute cluster the pipeline job runs on",
        "{subscription_id: <GUID>, resource_group: ml-rg, workspace: ml-ws, "
        "compute: cpu-cluster, environment_image: mcr.microsoft.com/azureml/"
        "openmpi4.1.0-ubuntu22.04:20240709.v1}",
    ),
}

#: A tag after the last path segment, or a digest.
_PINNED_IMAGE = re.compile(r"(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[0-9a-f]{64})$")


# --- the typed model ---------------------------------------------------------------------


def _kubernetes(deploy: dict[str, Any], slug: str) -> Kubernetes | None:
    if deploy["platform"] == DeployPlatform.CONTAINER_SERVICE:
        return None
    k = deploy["kubernetes"]
    cluster = k["cluster"]
    return Kubernetes(
        cluster=cluster["name"],
        cluster_group=cluster.get("resource_group"),
        cluster_location=cluster.get("location"),
        namespace=k.get("namespace") or slug.replace("_", "-"),
        min_replicas=k["replicas"]["min"],
        max_replicas=k["replicas"]["max"],
        requests=dict(k["resources"]["requests"]),
        limits=dict(k["resources"]["limits"]),
        host=k.get("host"),
        canary_traffic_percent=k.get("canary_traffic_percent"),
    )


def _build(d: dict[str, Any], model_raw: Mapping[str, Any]) -> Spec:
    p, ci, sec, secrets = d["project"], d["ci"], d["security"], d["secrets"]
    data, model, deploy, drift = d["data"], d["model"], d["deploy"], d["monitoring"]["drift"]
    provider = SecretProvider(secrets["provider"])
    section = _SECTIONS.get(provider)
    settings = {k: str(v) for k, v in secrets.get(section, {}).items()} if section else {}
    return Spec(
        version=d["version"],
        project=Project(
            name=p["name"],
            slug=p.get("slug") or derive_slug(p["name"]),
            description=p["description"],
            python=p["python"],
            owners=tuple(p["owners"]),
        ),
        ci=CI(
            platforms=tuple(Platform(x) for x in ci["platforms"]),
            default_branch=ci["default_branch"],
            triggers=Triggers(
                branches=tuple(ci["triggers"]["branches"]),
                pull_requests=ci["triggers"]["pull_requests"],
                tags=ci["triggers"]["tags"],
            ),
            mlopsgen=MlopsgenInstall(
                source=MlopsgenSource(ci["mlopsgen"]["source"]),
                **{k: v for k, v in ci["mlopsgen"].items() if k != "source"},
            ),
        ),
        security=Security(
            sast_tool=sec["sast"]["tool"],
            sast_fail_on=sec["sast"]["fail_on"],
            dependencies_tool=sec["dependencies"]["tool"],
            secrets_scan_tool=sec["secrets_scan"]["tool"],
            sbom=sec["sbom"],
            model_scan=sec["model_scan"],
        ),
        secrets=Secrets(
            provider=provider,
            auth=secrets["auth"],
            settings=settings,
            items=tuple(
                SecretItem(
                    name=i["name"],
                    ref=i["ref"],
                    stages=tuple(i["stages"]),
                    environments=tuple(i["environments"]),
                )
                for i in secrets["items"]
            ),
        ),
        data=Data(
            sample=data["sample"],
            sources=tuple(data["sources"]),
            contract=data["contract"],
            versioning=data["versioning"],
            remote=data.get("remote"),
        ),
        model=Model(
            task=model["task"],
            algorithm=_effective_algorithm(d, model_raw),
            estimator=None
            if "estimator" not in model
            else Estimator(
                cls=model["estimator"]["class"],
                params=dict(model["estimator"]["params"]),
                package=model["estimator"].get("package"),
            ),
            test_size=float(model["test_size"]),
            seed=model["seed"],
            metrics={
                k: MetricBound(min=v.get("min"), max=v.get("max"))
                for k, v in _effective_metrics(d, model_raw).items()
            },
            champion=Champion(
                compare=model["champion"]["compare"],
                max_regression=float(model["champion"]["max_regression"]),
                baseline=model["champion"]["baseline"],
                alias=model["champion"]["alias"],
            ),
            tracking=model["tracking"],
            registry=model["registry"],
            registered_model=model.get("registered_model")
            or p.get("slug")
            or derive_slug(p["name"]),
        ),
        deploy=Deploy(
            target=DeployTarget(deploy["target"]),
            cloud=deploy["cloud"],
            edge_max_bundle_kb=deploy["edge"]["max_bundle_kb"],
            browser_max_bundle_kb=deploy["browser"]["max_bundle_kb"],
            batch_schedule=deploy["batch"]["schedule"],
            environments=tuple(
                Environment(name=e["name"], approval=e["approval"], url=e.get("url"))
                for e in deploy["environments"]
            ),
            registry=deploy.get("registry"),
            service_connection=deploy.get("service_connection")
            or f"{p.get('slug') or derive_slug(p['name'])}-deploy",
            platform=DeployPlatform(deploy["platform"]),
            kubernetes=_kubernetes(deploy, p.get("slug") or derive_slug(p["name"])),
        ),
        monitoring=Monitoring(
            drift=Drift(
                schedule=drift["schedule"],
                method=drift["method"],
                threshold=float(drift["threshold"]),
                on_drift=drift["on_drift"],
                batch=drift["batch"],
            ),
            prediction_log=PredictionLog(
                sink=d["monitoring"]["prediction_log"]["sink"],
                path=d["monitoring"]["prediction_log"]["path"],
            ),
            slo=_slo(d, derive=p.get("slug") or derive_slug(p["name"])),
            live=Live(
                window=d["monitoring"]["live"]["window"],
                min_records=d["monitoring"]["live"]["min_records"],
                min_labels=d["monitoring"]["live"]["min_labels"],
                pushgateway=d["monitoring"]["live"].get("pushgateway"),
            ),
        ),
        compute=_compute(d),
        policies=Policies(
            packs=tuple(d["policies"]["packs"]),
            waivers=tuple(
                Waiver(
                    rule=w["rule"],
                    reason=w["reason"],
                    owner=w["owner"],
                    expires=dt.date.fromisoformat(w["expires"]),
                )
                for w in d["policies"]["waivers"]
            ),
        ),
    )


def _compute(d: dict[str, Any]) -> Compute:
    c = d["compute"]
    kf = c.get("kubeflow")
    slug = d["project"].get("slug") or derive_slug(d["project"]["name"])
    return Compute(
        engine=ComputeEngine(c["engine"]),
        cpu=c["resources"]["cpu"],
        memory=c["resources"]["memory"],
        gpu=c["resources"]["gpu"],
        retries=c["retries"],
        timeout_minutes=c["timeout_minutes"],
        kubeflow=Kubeflow(
            host=kf["host"],
            namespace=kf["namespace"],
            experiment=kf.get("experiment") or slug,
            image=kf["image"],
            token_secret=kf["token_secret"],
        )
        if kf is not None
        else None,
        azureml=AzureML(**c["azureml"]) if "azureml" in c else None,
    )


def _slo(d: dict[str, Any], *, derive: str) -> Slo | None:
    slo = d["monitoring"].get("slo")
    if slo is None:
        return None
    latency = slo["latency"]
    return Slo(
        job=slo.get("job", derive),
        availability=_opt_float(slo.get("availability", {}).get("target")),
        error_rate=_opt_float(slo.get("error_rate", {}).get("max")),
        latency_p95_ms=_opt_float(latency.get("p95_ms")),
        latency_p99_ms=_opt_float(latency.get("p99_ms")),
        drift_score=float(
            slo.get("drift_score", {}).get("max", d["monitoring"]["drift"]["threshold"])
        ),
        live_metrics={k: float(v["min"]) for k, v in slo["live_metrics"].items()},
    )


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)
