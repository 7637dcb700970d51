"""Train the model: a scikit-learn Pipeline (scaling + one-hot encoding + estimator).

Writes models/model.joblib. The split is deterministic (the spec's seed and
test_size), so evaluate scores the same held-out rows in another process.
{%- if cookiecutter.model_tracking == 'mlflow' %}
With model.tracking mlflow it also logs the run: params, data hashes and the model
with its signature and input example (see tracking.py).
{%- endif %}
"""

from __future__ import annotations

import importlib
import inspect
import pickle  # nosec B403  # dump only, never load: see save_model()
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .data import Contract, Split, load_contract, load_training_frame, split
from .settings import Estimator, Settings, TaskError, load_settings, task_parser

# The shorthands of model.algorithm, per kind of task: (classifier, regressor).
# One entry per name in settings.ALGORITHMS (a test checks they match); None where the
# shorthand does not fit the task (settings refuses that combination).
ALGORITHMS: dict[str, tuple[Callable[[int], Any] | None, Callable[[int], Any] | None]] = {
    "logistic_regression": (
        lambda seed: LogisticRegression(max_iter=1000, random_state=seed),
        None,
    ),
    "linear_regression": (None, lambda seed: LinearRegression()),
    "random_forest": (
        lambda seed: RandomForestClassifier(
            n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
        ),
        lambda seed: RandomForestRegressor(
            n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
        ),
    ),
    "gradient_boosting": (
        lambda seed: GradientBoostingClassifier(random_state=seed),
        lambda seed: GradientBoostingRegressor(random_state=seed),
    ),
}


def import_estimator(estimator: Estimator, seed: int) -> Any:
    """An instance of model.estimator.class with its params (random_state = seed if it takes one).

    Raises TaskError naming the path when the module or class cannot be imported, when it
    is not an estimator (no fit/predict) or when the params do not fit it.
    """
    module_name, _, class_name = estimator.path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TaskError(
            f"model.estimator.class: cannot import {module_name!r} for {estimator.path} ({exc}); "
            "is its package installed? (model.estimator.package, then `make lock install`)"
        ) from None
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise TaskError(f"model.estimator.class: {module_name} has no class {class_name!r}")
    if not (callable(getattr(cls, "fit", None)) and callable(getattr(cls, "predict", None))):
        raise TaskError(
            f"model.estimator.class: {estimator.path} is not an estimator (no fit/predict)"
        )
    params = dict(estimator.params)
    if "random_state" in inspect.signature(cls).parameters:
        params.setdefault("random_state", seed)
    try:
        return cls(**params)
    except TypeError as exc:
        raise TaskError(f"model.estimator.params: {estimator.path}: {exc}") from None


def build_estimator(settings: Settings) -> Any:
    """The estimator of the spec: model.estimator, else the shorthand for the task."""
    if settings.estimator is not None:
        return import_estimator(settings.estimator, settings.seed)
    classifier, regressor = ALGORITHMS[settings.algorithm]
    make = classifier if settings.classification else regressor
    if make is None:
        raise TaskError(f"model.algorithm: {settings.algorithm} does not fit {settings.task}")
    return make(settings.seed)


def build_pipeline(contract: Contract, estimator: BaseEstimator) -> Pipeline:
    """Numeric features: median imputation + scaling; categorical: mode imputation + one-hot."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore")),
        ]
    )
    features = ColumnTransformer(
        [
            ("numeric", numeric, contract.numeric_features),
            ("categorical", categorical, contract.categorical_features),
        ]
    )
    return Pipeline([("features", features), ("model", estimator)])


def save_model(pipeline: Pipeline, path: Path) -> None:
    """Write the model as one plain pickle stream, which joblib.load reads.

    joblib.dump would write numpy arrays as raw bytes between the pickle opcodes, and a
    model scanner (modelscan, `make model-scan`) cannot parse past them; a plain stream
    is scanned end to end.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(pipeline, handle, protocol=pickle.HIGHEST_PROTOCOL)


def fit(settings: Settings, contract: Contract, parts: Split) -> Pipeline:
    """The pipeline fitted on the training part of the split (seeded: the same every run)."""
    pipeline = build_pipeline(contract, build_estimator(settings))
    try:
        pipeline.fit(parts.x_train, parts.y_train)
    except (TypeError, ValueError) as exc:
        raise TaskError(f"{settings.model_name} could not be fitted: {exc}") from None
    return pipeline


def train(settings: Settings) -> tuple[Pipeline, int, int]:
    """Fit the pipeline on the training part of the split and save it.

    Returns the pipeline and the numbers of training and held-out rows.
    """
    contract = load_contract(settings.contract)
    frame = load_training_frame(settings, contract)
    parts = split(frame, contract, settings)
    pipeline = fit(settings, contract, parts)
    save_model(pipeline, settings.model_path)
{%- if cookiecutter.model_tracking == 'mlflow' %}
    if settings.tracking == "mlflow":
        from .data import sha256_file
        from .tracking import log_training

        log_training(
            settings,
            pipeline,
            parts.x_train,
            params={
                "algorithm": settings.algorithm,
                "seed": settings.seed,
                "test_size": settings.test_size,
                "target": contract.target,
                "train_rows": len(parts.x_train),
                "test_rows": len(parts.x_test),
            },
            data_hashes={settings.display(p): sha256_file(p) for p in settings.sources},
        )
{%- endif %}
    return pipeline, len(parts.x_train), len(parts.x_test)


def main(argv: list[str] | None = None) -> int:
    """Train with the task, estimator, seed and test_size of mlops.yaml."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        _, train_rows, test_rows = train(settings)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"trained {settings.model_name} ({settings.task}, seed {settings.seed}) on {train_rows} "
        f"rows, "
        f"{test_rows} held out for evaluate -> {settings.display(settings.model_path)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
