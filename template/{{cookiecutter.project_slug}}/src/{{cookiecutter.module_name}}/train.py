"""Train the model: a scikit-learn Pipeline (scaling + one-hot encoding + classifier).

Writes models/model.joblib. The split is deterministic (the spec's seed and
test_size), so evaluate scores the same held-out rows in another process.
{%- if cookiecutter.model_tracking == 'mlflow' %}
With model.tracking mlflow it also logs the run: params, data hashes and the model
with its signature and input example (see tracking.py).
{%- endif %}
"""

from __future__ import annotations

import pickle  # nosec B403  # dump only, never load: see save_model()
import sys
from collections.abc import Callable
from pathlib import Path

from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .data import Contract, load_contract, load_training_frame, split
from .settings import Settings, TaskError, load_settings, task_parser

# One entry per name in settings.ALGORITHMS (a test checks they match).
ALGORITHMS: dict[str, Callable[[int], ClassifierMixin]] = {
    "logistic_regression": lambda seed: LogisticRegression(max_iter=1000, random_state=seed),
    "random_forest": lambda seed: RandomForestClassifier(
        n_estimators=200, min_samples_leaf=2, random_state=seed, n_jobs=1
    ),
    "gradient_boosting": lambda seed: GradientBoostingClassifier(random_state=seed),
}


def build_pipeline(contract: Contract, algorithm: str, seed: int) -> Pipeline:
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
    return Pipeline([("features", features), ("model", ALGORITHMS[algorithm](seed))])


def save_model(pipeline: Pipeline, path: Path) -> None:
    """Write the model as one plain pickle stream, which joblib.load reads.

    joblib.dump would write numpy arrays as raw bytes between the pickle opcodes, and a
    model scanner (modelscan, `make model-scan`) cannot parse past them; a plain stream
    is scanned end to end.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(pipeline, handle, protocol=pickle.HIGHEST_PROTOCOL)


def train(settings: Settings) -> tuple[Pipeline, int, int]:
    """Fit the pipeline on the training part of the split and save it.

    Returns the pipeline and the numbers of training and held-out rows.
    """
    contract = load_contract(settings.contract)
    frame = load_training_frame(settings, contract)
    parts = split(frame, contract, settings)
    pipeline = build_pipeline(contract, settings.algorithm, settings.seed)
    pipeline.fit(parts.x_train, parts.y_train)
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
    """Train with the algorithm, seed and test_size of mlops.yaml."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        _, train_rows, test_rows = train(settings)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"trained {settings.algorithm} (seed {settings.seed}) on {train_rows} rows, "
        f"{test_rows} held out for evaluate -> {settings.display(settings.model_path)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
