"""Score the trained model on the held-out rows and write reports/metrics.json."""

from __future__ import annotations

import json
import sys
from typing import Any

import joblib
import numpy as np
from sklearn import metrics as skm

from .data import load_contract, load_training_frame, sha256_file, split
from .settings import Settings, TaskError, load_settings, task_parser


def compute_metrics(task: str, y_true: Any, y_pred: Any, y_score: Any) -> dict[str, float]:
    """The metrics of settings.task_metrics(task).

    binary: the positive class is the larger label (1), y_score its probability;
    multiclass: f1, precision and recall are macro averages, roc_auc one-vs-rest over
    y_score, the probabilities of every class; regression: y_score is unused. Without
    y_score (None) a classifier's metrics leave out roc_auc.
    """
    if task == "regression":
        values = {
            "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
            "mae": skm.mean_absolute_error(y_true, y_pred),
            "r2": skm.r2_score(y_true, y_pred),
        }
    else:
        average = "binary" if task == "binary" else "macro"
        values = {
            "accuracy": skm.accuracy_score(y_true, y_pred),
            "f1": skm.f1_score(y_true, y_pred, average=average, zero_division=0),
            "precision": skm.precision_score(y_true, y_pred, average=average, zero_division=0),
            "recall": skm.recall_score(y_true, y_pred, average=average, zero_division=0),
        }
        if y_score is not None:
            values["roc_auc"] = (
                skm.roc_auc_score(y_true, y_score, multi_class="ovr")
                if task == "multiclass"
                else skm.roc_auc_score(y_true, y_score)
            )
    return {name: round(float(value), 4) for name, value in values.items()}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON and CSV writers take."""
    return value.item() if isinstance(value, np.generic) else value


def predictions(pipeline: Any, x: Any) -> tuple[list[Any], list[float] | None]:
    """Predicted values and, for a classifier with predict_proba, a probability per row.

    Binary: the probability of the positive class; multiclass: of the predicted class;
    regression (or a classifier without predict_proba): None.
    """
    predicted = [_plain(v) for v in pipeline.predict(x)]
    if getattr(pipeline, "classes_", None) is None or not hasattr(pipeline, "predict_proba"):
        if predicted and isinstance(predicted[0], float):
            predicted = [round(v, 6) for v in predicted]
        return predicted, None
    proba = pipeline.predict_proba(x)
    scores = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
    return predicted, [round(float(p), 6) for p in scores]


def load_model(settings: Settings) -> Any:
    """The pipeline that train saved."""
    if not settings.model_path.is_file():
        raise TaskError(
            f"{settings.display(settings.model_path)}: not found; run the train task first"
        )
    # joblib unpickles: load only models this repository's train task wrote.
    return joblib.load(settings.model_path)


def evaluate(settings: Settings) -> dict[str, Any]:
    """Score the model on the held-out split; return the report that is written."""
    contract = load_contract(settings.contract)
    frame = load_training_frame(settings, contract)
    parts = split(frame, contract, settings)
    pipeline = load_model(settings)
    predicted = pipeline.predict(parts.x_test)
    scores = None
    if settings.classification:
        if not hasattr(pipeline, "predict_proba"):
            raise TaskError(f"{settings.model_name} has no predict_proba: roc_auc needs scores")
        scores = pipeline.predict_proba(parts.x_test)
        scores = scores[:, 1] if settings.task == "binary" else scores
    report: dict[str, Any] = {
        "metrics": compute_metrics(settings.task, parts.y_test, predicted, scores),
        "task": settings.task,
        "algorithm": settings.model_name,
        "test_rows": len(parts.x_test),
    }
    if settings.task == "binary":
        report["positive_rate"] = round(float(parts.y_test.mean()), 4)
    elif settings.task == "multiclass":
        counts = parts.y_test.value_counts(normalize=True).sort_index()
        report["class_shares"] = {str(k): round(float(v), 4) for k, v in counts.items()}
    else:
        report["target_mean"] = round(float(parts.y_test.mean()), 4)
    report["model_sha256"] = sha256_file(settings.model_path)
    return report


def main(argv: list[str] | None = None) -> int:
    """Evaluate and write reports/metrics.json."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        report = evaluate(settings)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = settings.report("metrics.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
{%- if cookiecutter.model_tracking == 'mlflow' %}
    if settings.tracking == "mlflow":
        from .tracking import log_metrics

        try:
            run_id = log_metrics(settings, report["metrics"])
        except TaskError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"logged the metrics to MLflow run {run_id}")
{%- endif %}
    print(
        f"evaluated {report['algorithm']} on {report['test_rows']} held-out rows "
        f"-> {settings.display(out)}"
    )
    for name, value in report["metrics"].items():
        print(f"  {name:<10} {value:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
