# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""Monitoring on live traffic: the logged predictions of the last window, measured.

The service logs every prediction to monitoring.prediction_log (predlog.py) and the
ground-truth labels that arrive later to the feedback log. For the window
monitoring.live.window that ends now (or at ``until``), this module measures:

- feature drift: every feature of the contract in the logged requests against the
  training data (drift.measure: PSI or KS, monitoring.drift.method and threshold);
- prediction drift: the logged outputs against the model's predictions on the held-out
  split (evaluate's validation rows): the predicted classes and the probability, or a
  regressor's predicted values, with the same method and threshold. The model is
  models/model.joblib, or without one the model of this commit fitted in memory (training
  is seeded: the model the main pipeline gated);
- live performance: the gate's metrics (model.metrics) on the predictions whose label
  arrived, against the gate's bounds, over the window and per UTC day.

Fewer than monitoring.live.min_records predictions in the window is "insufficient": the
monitor judges nothing and fails. Fewer than monitoring.live.min_labels labelled
predictions leaves live performance unjudged (labels come late or never); the report says so.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd

from .data import Contract, Split, load_training_frame, split
from .drift import FeatureDrift, ks_statistic, measure, psi_categorical, psi_numeric
from .evaluate import compute_metrics, load_model, predictions
from .feedback import latest_labels
from .gate import Check, threshold_checks
from .predlog import PREDICTIONS, read_records
from .settings import Settings, TaskError
from .train import fit

#: UTC (spelled so on every Python the project supports, 3.10 and up).
UTC = timezone(timedelta(0))
#: Labelled predictions a UTC day needs before the performance plot shows its metrics.
MIN_LABELS_PER_DAY = 2


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``...Z`` or with an offset; a naive time is UTC) as an aware UTC time."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TaskError(f"{text!r} is not an ISO 8601 time, e.g. 2026-01-31T00:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """A UTC time as the prediction log writes it, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Window:
    """The well-formed prediction records of one window, and the labels that arrived for them."""

    start: datetime
    end: datetime
    records: list[dict[str, Any]]
    labels: dict[str, Any]
    #: Lines in the window's files that are not prediction records (no features, no output).
    skipped: int = 0


def _well_formed(record: dict[str, Any]) -> bool:
    output = record.get("output")
    return (
        isinstance(record.get("request_id"), str)
        and isinstance(record.get("timestamp"), str)
        and isinstance(record.get("features"), dict)
        and isinstance(output, dict)
        and "prediction" in output
    )


def read_window(settings: Settings, end: datetime) -> Window:
    """The predictions logged in (end - monitoring.live.window, end], with their labels."""
    start = end - timedelta(hours=settings.live.window_hours)
    days = {
        (start + timedelta(days=n)).strftime("%Y-%m-%d")
        for n in range((end.date() - start.date()).days + 1)
    }
    records, skipped = [], 0
    for record in read_records(settings.prediction_log_dir, PREDICTIONS, days):
        if not _well_formed(record):
            skipped += 1
            continue
        try:
            moment = parse_time(record["timestamp"])
        except TaskError:
            skipped += 1
            continue
        if start < moment <= end:
            records.append(record)
    wanted = {r["request_id"] for r in records}
    labels = {
        i: label for i, label in latest_labels(settings.prediction_log_dir).items() if i in wanted
    }
    return Window(start=start, end=end, records=records, labels=labels, skipped=skipped)


def feature_frame(records: list[dict[str, Any]], contract: Contract) -> pd.DataFrame:
    """The logged requests' features as a frame with the contract's feature columns."""
    frame = pd.DataFrame([r["features"] for r in records]).reindex(columns=contract.feature_names)
    for name in contract.numeric_features:
        frame[name] = pd.to_numeric(frame[name], errors="coerce")
    return frame


def output_frame(records: list[dict[str, Any]], labels: dict[str, Any]) -> pd.DataFrame:
    """One row per logged prediction: day, prediction, probability, label (NaN when none)."""
    return pd.DataFrame(
        {
            "day": [r["timestamp"][:10] for r in records],
            "prediction": [r["output"]["prediction"] for r in records],
            "probability": pd.to_numeric(
                pd.Series([r["output"].get("probability") for r in records], dtype=object),
                errors="coerce",
            ),
            "label": [labels.get(r["request_id"], np.nan) for r in records],
        }
    )


def _score(reference: pd.Series, current: pd.Series, *, numeric: bool, method: str) -> float:
    if numeric and method == "ks":
        return ks_statistic(reference, current)
    if numeric:
        return psi_numeric(reference, current)
    return psi_categorical(reference.astype(str), current.astype(str))


def reference_model(settings: Settings, contract: Contract, parts: Split) -> tuple[Any, str]:
    """models/model.joblib, or without it the model train would write (seeded), in memory.

    The second value says which, for the report. Fitting in memory keeps the scheduled job
    free of `make train` (and of the tracking server that train logs to).
    """
    if settings.model_path.is_file():
        return load_model(settings), settings.display(settings.model_path)
    return fit(settings, contract, parts), "fitted in memory (no models/model.joblib)"


def prediction_drift(
    settings: Settings, contract: Contract, outputs: pd.DataFrame
) -> tuple[list[FeatureDrift], str]:
    """The logged outputs against the model's predictions on the held-out split.

    Returns the scores and where the reference model came from.
    """
    parts = split(load_training_frame(settings, contract), contract, settings)
    model, origin = reference_model(settings, contract, parts)
    predicted, probabilities = predictions(model, parts.x_test)
    reference = {"prediction": pd.Series(predicted)}
    if probabilities is not None and outputs["probability"].notna().any():
        reference["probability"] = pd.Series(probabilities, dtype=float)
    method, threshold = settings.drift_method, settings.drift_threshold
    results = []
    for name, ref in reference.items():
        numeric = name == "probability" or not settings.classification
        current = outputs[name].astype(float) if numeric else outputs[name]
        score = _score(ref, current, numeric=numeric, method=method)
        used = method if numeric else "psi"
        kind = "numeric" if numeric else "categorical"
        results.append(FeatureDrift(name, kind, used, round(score, 4), score > threshold))
    return results, origin


def live_metrics(settings: Settings, labelled: pd.DataFrame) -> dict[str, float]:
    """The task's metrics on labelled outputs: roc_auc only for a binary classifier whose
    probabilities were logged and whose labels hold both classes; finite values only."""
    y_true = labelled["label"].tolist()
    y_pred = labelled["prediction"].tolist()
    scores = None
    if settings.task == "binary" and labelled["probability"].notna().all() and len(set(y_true)) > 1:
        scores = labelled["probability"].to_numpy(dtype=float)
    if settings.task == "regression":
        y_true = [float(v) for v in y_true]
        y_pred = [float(v) for v in y_pred]
    metrics = compute_metrics(settings.task, y_true, y_pred, scores)
    return {name: value for name, value in metrics.items() if math.isfinite(value)}


@dataclass(frozen=True)
class Performance:
    """Live performance on the labelled predictions of the window."""

    #: judged | too few labels | not judged (too few predictions) | no labels (a file batch)
    status: str
    labelled: int
    metrics: dict[str, float] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    #: Gate metrics the log cannot measure (roc_auc of a multiclass model, one class only).
    unmeasured: list[str] = field(default_factory=list)
    #: [{day, labelled, metrics}], one per UTC day with MIN_LABELS_PER_DAY labels or more.
    by_day: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failed(self) -> list[Check]:
        """The gate checks that live traffic fails."""
        return [c for c in self.checks if not c.passed]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {**asdict(self), "checks": [asdict(c) for c in self.checks]}


def performance(settings: Settings, outputs: pd.DataFrame) -> Performance:
    """The gate's bounds (model.metrics) checked on the labelled predictions of the window."""
    labelled = outputs[outputs["label"].notna()]
    count = len(labelled)
    by_day = []
    for day, rows in labelled.groupby("day", sort=True):
        if len(rows) >= MIN_LABELS_PER_DAY:
            by_day.append(
                {"day": str(day), "labelled": len(rows), "metrics": live_metrics(settings, rows)}
            )
    if count < settings.live.min_labels:
        return Performance("too few labels", count, by_day=by_day)
    metrics = live_metrics(settings, labelled)
    wanted = [bound.name for bound in settings.metrics]
    checks = [c for c in threshold_checks(settings, metrics) if c.name in metrics]
    unmeasured = [name for name in dict.fromkeys(wanted) if name not in metrics]
    return Performance("judged", count, metrics, checks, unmeasured, by_day)


@dataclass(frozen=True)
class Assessment:
    """What the monitor found in one window (or one file batch)."""

    source: str
    features: list[FeatureDrift]
    outputs: list[FeatureDrift]
    performance: Performance
    rows: int
    #: Set when there were too few rows to judge: why.
    insufficient: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def breaches(self) -> list[str]:
        """Every finding that calls for on_drift, as a sentence."""
        found = [
            f"{kind} {r.feature!r} drifted: {r.method} = {r.score:.3f} > {self.threshold:.3f}"
            for kind, results in (("feature", self.features), ("output", self.outputs))
            for r in results
            if r.drifted
        ]
        found += [f"live {c.message}" for c in self.performance.failed]
        return found

    @property
    def threshold(self) -> float:
        """The drift threshold the scores were judged against."""
        return float(self.details.get("threshold", 0.0))

    @property
    def status(self) -> str:
        """ok | breach | insufficient."""
        if self.insufficient:
            return "insufficient"
        return "breach" if self.breaches else "ok"


def assess_window(settings: Settings, contract: Contract, window: Window) -> Assessment:
    """Measure one window of logged predictions."""
    details: dict[str, Any] = {
        "threshold": settings.drift_threshold,
        "window": {
            "length": settings.live.window,
            "start": iso(window.start),
            "end": iso(window.end),
        },
        "log": settings.display(settings.prediction_log_dir),
        "skipped_lines": window.skipped,
        "model_versions": dict(Counter(str(r.get("model_version")) for r in window.records)),
        "predictions_by_day": dict(
            sorted(Counter(r["timestamp"][:10] for r in window.records).items())
        ),
        "min_records": settings.live.min_records,
        "min_labels": settings.live.min_labels,
    }
    rows = len(window.records)
    outputs = output_frame(window.records, window.labels)
    if rows < settings.live.min_records:
        reason = (
            f"{rows} prediction(s) logged in the window {iso(window.start)} .. {iso(window.end)} "
            f"of {settings.display(settings.prediction_log_dir)}, fewer than "
            f"monitoring.live.min_records {settings.live.min_records}: too few to judge drift "
            "or performance"
        )
        return Assessment(
            "log", [], [], Performance("not judged", len(window.labels)), rows, reason, details
        )
    reference = load_training_frame(settings, contract)
    features = measure(
        reference,
        feature_frame(window.records, contract),
        contract,
        method=settings.drift_method,
        threshold=settings.drift_threshold,
    )
    outputs_drift, details["reference_model"] = prediction_drift(settings, contract, outputs)
    return Assessment(
        "log",
        features,
        outputs_drift,
        performance(settings, outputs),
        rows,
        None,
        details,
    )
