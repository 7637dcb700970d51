"""Score the trained model on the held-out rows and write reports/metrics.json."""

from __future__ import annotations

import json
import sys
from typing import Any

import joblib
from sklearn import metrics as skm

from .data import load_contract, load_training_frame, sha256_file, split
from .settings import METRIC_NAMES, Settings, TaskError, load_settings, task_parser


def compute_metrics(y_true: Any, y_pred: Any, y_score: Any) -> dict[str, float]:
    """All metrics of settings.METRIC_NAMES, for a binary label whose positive class is 1."""
    values = {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "f1": skm.f1_score(y_true, y_pred, zero_division=0),
        "precision": skm.precision_score(y_true, y_pred, zero_division=0),
        "recall": skm.recall_score(y_true, y_pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y_true, y_score),
    }
    return {name: round(float(values[name]), 4) for name in METRIC_NAMES}


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
    scores = pipeline.predict_proba(parts.x_test)[:, 1]
    return {
        "metrics": compute_metrics(parts.y_test, predicted, scores),
        "algorithm": settings.algorithm,
        "test_rows": len(parts.x_test),
        "positive_rate": round(float(parts.y_test.mean()), 4),
        "model_sha256": sha256_file(settings.model_path),
    }


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
