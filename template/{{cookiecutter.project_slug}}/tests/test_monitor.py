# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""Monitoring: a replayed window of logged predictions, or a file batch, judged and reported.

Windows are replayed from the held-out rows of the training data, scored by the trained
model and logged as the service logs them (predlog.JsonlWriter), over the days before a
fixed end (--until): clean, with every numeric feature shifted (drift), or with wrong
labels (live performance below the gate's bounds).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from {{ cookiecutter.module_name }} import monitor
from {{ cookiecutter.module_name }}.data import features, load_contract, load_training_frame, split
from {{ cookiecutter.module_name }}.evaluate import load_model, predictions
from {{ cookiecutter.module_name }}.live import UTC, iso
from {{ cookiecutter.module_name }}.predlog import FEEDBACK, PREDICTIONS, JsonlWriter
from {{ cookiecutter.module_name }}.settings import SpecError, load_settings

from .conftest import edit_spec, unreachable
from .test_drift import _shifted_batch

UNTIL = datetime(2026, 3, 10, tzinfo=UTC)
DAYS = 4


def _held_out(spec: Path) -> tuple[pd.DataFrame, pd.Series]:
    settings = load_settings(spec)
    contract = load_contract(settings.contract)
    parts = split(load_training_frame(settings, contract), contract, settings)
    return parts.x_test.reset_index(drop=True), parts.y_test.reset_index(drop=True)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def log_window(
    spec: Path,
    *,
    shift: float = 0.0,
    labels: str = "true",
    rows: int | None = None,
    until: datetime = UNTIL,
    label_every: int = 1,
) -> int:
    """Log the held-out rows as predictions over the DAYS days before until; labels
    true (the real target), wrong (never the real target) or none. Returns the row count."""
    settings = load_settings(spec)
    contract = load_contract(settings.contract)
    x, y = _held_out(spec)
    if rows is not None:
        x, y = x.head(rows), y.head(rows)
    for name in contract.numeric_features:
        x[name] = x[name] + shift * x[name].std()
    predicted, probabilities = predictions(load_model(settings), features(x, contract))
    predictions_log = JsonlWriter(settings.prediction_log_dir, PREDICTIONS)
    feedback_log = JsonlWriter(settings.prediction_log_dir, FEEDBACK)
    values = sorted(y.unique())
    for i, record in enumerate(x.to_dict(orient="records")):
        moment = until - timedelta(days=DAYS) + timedelta(days=DAYS) * (i + 1) / (len(x) + 1)
        request_id = f"r{i:05d}"
        predictions_log.write(
            {
                "request_id": request_id,
                "timestamp": iso(moment),
                "model_version": "abc123",
                "features": {k: _plain(v) for k, v in record.items()},
                "output": {
                    "prediction": predicted[i],
                    "probability": None if probabilities is None else probabilities[i],
                },
            }
        )
        truth = _plain(y[i])
        if labels == "none" or i % label_every:
            continue
        if labels == "wrong":
            if settings.classification:
                truth = _plain(next(v for v in values if v != predicted[i]))
            else:
                truth = float(predicted[i]) + 10 * float(y.std())
        feedback_log.write({"request_id": request_id, "label": truth, "timestamp": iso(until)})
    predictions_log.close()
    feedback_log.close()
    return len(x)


def series(name: str, **labels: str) -> str:
    """A sample's name and labels as the text format writes them."""
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def run(spec: Path, *extra: str) -> int:
    return monitor.main(["--spec", str(spec), "--source", "log", "--until", iso(UNTIL), *extra])


def report(spec: Path) -> dict[str, Any]:
    return json.loads((spec.parent / "reports/monitoring.json").read_text(encoding="utf-8"))


@pytest.fixture
def window_spec(trained_copy: Path) -> Path:
    """A trained workspace that judges windows of 50 predictions and 20 labels or more."""
    edit_spec(
        trained_copy,
        monitoring={
            "drift": {"threshold": 0.2, "on_drift": "alert"},
            "live": {"window": f"{DAYS}d", "min_records": 50, "min_labels": 20},
        },
    )
    return trained_copy


def test_a_clean_window_passes(window_spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = log_window(window_spec)
    model = (window_spec.parent / "models/model.joblib").read_bytes()
    assert run(window_spec) == 0, capsys.readouterr().err
    assert "no breach, nothing to retrain" in capsys.readouterr().out
    found = report(window_spec)
    assert found["status"] == "ok"
    assert found["rows"] == rows
    assert found["breaches"] == []
    assert {r["feature"] for r in found["prediction_drift"]} >= {"prediction"}
    assert found["performance"]["status"] == "judged"
    assert found["performance"]["labelled"] == rows
    assert all(c["passed"] for c in found["performance"]["checks"])
    assert found["performance"]["checks"]
    assert len(found["predictions_by_day"]) >= DAYS
    assert (window_spec.parent / "models/model.joblib").read_bytes() == model
    assert found["reference_model"] == "models/model.joblib"


def test_without_a_model_file_the_seeded_model_is_fitted_in_memory(window_spec: Path) -> None:
    log_window(window_spec)
    model = window_spec.parent / "models/model.joblib"
    model.unlink()
    assert run(window_spec) == 0
    found = report(window_spec)
    assert found["reference_model"] == "fitted in memory (no models/model.joblib)"
    # The same seeded fit as train's: its held-out predictions are the logged ones' source.
    assert [r["score"] for r in found["prediction_drift"]] == [0.0] * len(found["prediction_drift"])
    assert not model.exists()


def test_a_drifted_window_with_alert_fails(
    window_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_window(window_spec, shift=3.0, labels="none")
    model = (window_spec.parent / "models/model.joblib").read_bytes()
    assert run(window_spec) == 1
    err = capsys.readouterr().err
    assert "monitoring.drift.on_drift is alert" in err
    found = report(window_spec)
    assert found["status"] == "breach"
    numeric = load_contract(load_settings(window_spec).contract).numeric_features
    assert set(numeric) <= set(found["drifted"])
    assert f"feature {numeric[0]!r} drifted" in err
    assert found["performance"]["status"] == "too few labels"
    assert (window_spec.parent / "models/model.joblib").read_bytes() == model
    assert not (window_spec.parent / "reports/gate.json").exists()


def test_a_drifted_window_with_retrain_retrains_and_gates(
    window_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        window_spec,
        monitoring={
            "drift": {"threshold": 0.2, "on_drift": "retrain"},
            "live": {"window": f"{DAYS}d", "min_records": 50, "min_labels": 20},
        },
    )
    log_window(window_spec, shift=3.0, labels="none")
    assert run(window_spec) == 0
    assert "the retrained model passed the gate" in capsys.readouterr().out
    gate = json.loads((window_spec.parent / "reports/gate.json").read_text(encoding="utf-8"))
    assert gate["passed"] is True
    assert (window_spec.parent / "reports/lineage.json").is_file()
    assert report(window_spec)["status"] == "breach"


def test_wrong_labels_fail_on_live_performance(
    window_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_window(window_spec, labels="wrong")
    assert run(window_spec) == 1
    err = capsys.readouterr().err
    found = report(window_spec)
    assert found["drifted"] == []
    failed = [c for c in found["performance"]["checks"] if not c["passed"]]
    assert failed
    assert f"breach: live {failed[0]['message']}" in err
    metric = load_settings(window_spec).metrics[0].name
    assert metric in found["performance"]["metrics"]


def test_too_few_predictions_fail_without_retraining(
    window_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(window_spec, monitoring={"drift": {"threshold": 0.2, "on_drift": "retrain"}})
    log_window(window_spec, rows=10)
    assert run(window_spec) == 1
    assert "fewer than monitoring.live.min_records 50" in capsys.readouterr().err
    assert report(window_spec)["status"] == "insufficient"
    assert not (window_spec.parent / "reports/gate.json").exists()


def test_only_the_labelled_predictions_are_judged(window_spec: Path) -> None:
    rows = log_window(window_spec, label_every=2)
    assert run(window_spec) == 0
    performance = report(window_spec)["performance"]
    assert performance["status"] == "judged"
    assert performance["labelled"] == (rows + 1) // 2
    assert all(c["passed"] for c in performance["checks"])


def test_too_few_labels_leave_performance_unjudged(window_spec: Path) -> None:
    edit_spec(window_spec, monitoring={"live": {"min_records": 50, "min_labels": 10_000}})
    log_window(window_spec, labels="wrong")
    assert run(window_spec) == 0
    performance = report(window_spec)["performance"]
    assert performance["status"] == "too few labels"
    assert performance["checks"] == []


def test_the_window_ends_at_until_and_reaches_back_its_length(window_spec: Path) -> None:
    rows = log_window(window_spec)
    later = log_window(window_spec, until=UNTIL + timedelta(days=30))
    assert run(window_spec) == 0
    found = report(window_spec)
    assert found["rows"] == rows
    assert found["window"] == {
        "length": f"{DAYS}d",
        "start": iso(UNTIL - timedelta(days=DAYS)),
        "end": iso(UNTIL),
    }
    assert later == rows


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.svg: str | None = None
        self.inside: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append((tag, found))
        if tag == "svg":
            self.svg = found.get("id")
            self.inside[self.svg or ""] = []
        elif self.svg is not None:
            self.inside[self.svg or ""].append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg = None


def test_the_html_report_is_self_contained_with_its_plots(window_spec: Path) -> None:
    log_window(window_spec)
    assert run(window_spec) == 0
    page = _Page()
    page.feed((window_spec.parent / "reports/monitoring.html").read_text(encoding="utf-8"))
    page.close()
    found = report(window_spec)
    measured = len(found["features"]) + len(found["prediction_drift"])
    assert page.inside["feature-drift"].count("rect") == measured
    assert "line" in page.inside["feature-drift"]  # the threshold
    assert page.inside["performance-over-time"].count("circle") >= DAYS
    assert "polyline" in page.inside["performance-over-time"]
    assert page.inside["predictions-per-day"].count("rect") >= DAYS
    assert not [t for t, _ in page.tags if t in ("script", "link", "img", "iframe")]
    external = [a for _, attrs in page.tags for k, a in attrs.items() if k in ("src", "href")]
    assert external == []


def test_the_gauges_the_slo_rules_read_are_written(window_spec: Path) -> None:
    log_window(window_spec)
    assert run(window_spec) == 0
    text = (window_spec.parent / "reports/monitoring.prom").read_text(encoding="utf-8")
    samples = dict(
        re.fullmatch(r"(\S+) (\S+)", line).groups()  # type: ignore[union-attr]
        for line in text.splitlines()
        if not line.startswith("#")
    )
    for feature in report(window_spec)["features"]:
        assert (
            float(samples[series("model_drift_score", feature=feature["feature"])])
            == (feature["score"])
        )
    metric = load_settings(window_spec).metrics[0].name
    assert series("model_live_metric", metric=metric) in samples
    assert series("model_prediction_drift_score", output="prediction") in samples
    assert samples["model_monitor_breach"] == "0"


@pytest.fixture
def pushgateway() -> Iterator[list[tuple[str, str, bytes]]]:
    """A Pushgateway stand-in on 127.0.0.1: records (method, path, body) of each request."""
    received: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(("PUT", self.path, body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.append(("URL", f"http://127.0.0.1:{server.server_port}", b""))
    yield received
    server.shutdown()
    server.server_close()


def test_the_gauges_are_pushed_to_the_pushgateway(
    window_spec: Path, pushgateway: list[tuple[str, str, bytes]]
) -> None:
    url = pushgateway.pop()[1]
    edit_spec(
        window_spec,
        monitoring={"live": {"min_records": 50, "pushgateway": url}, "slo": {"job": "shop_ml"}},
    )
    log_window(window_spec)
    assert run(window_spec) == 0
    assert [(m, p) for m, p, _ in pushgateway] == [("PUT", "/metrics/job/shop_ml")]
    assert b"model_drift_score{" in pushgateway[0][2]


def test_an_unreachable_pushgateway_is_a_setup_error(
    window_spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        window_spec,
        monitoring={"live": {"min_records": 50, "pushgateway": "http://127.0.0.1:9"}},
    )
    log_window(window_spec)
    assert run(window_spec) == 2
    assert "could not push the monitoring gauges to http://127.0.0.1:9/metrics/job/" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("window", ["7", "0d", "1w", "24 h"])
def test_a_bad_window_is_refused(spec: Path, window: str) -> None:
    edit_spec(spec, monitoring={"live": {"window": window}})
    with pytest.raises(SpecError, match="monitoring.live.window"):
        load_settings(spec)


# --- a file batch (targets without a prediction log) ----------------------------------------


def test_a_clean_batch_passes_without_retraining(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert monitor.main(["--spec", str(spec), "--source", "batch"]) == 0
    assert "no breach, nothing to retrain" in capsys.readouterr().out
    assert not (spec.parent / "models/model.joblib").exists()
    found = report(spec)
    assert (found["source"], found["status"]) == ("batch", "ok")
    assert found["performance"]["status"] == "no labels"
    assert (spec.parent / "reports/monitoring.html").is_file()


def test_drift_with_alert_fails(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_spec(spec, monitoring={"drift": {"threshold": 0.2, "on_drift": "alert"}})
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 1
    assert "on_drift is alert" in capsys.readouterr().err
    assert not (spec.parent / "models/model.joblib").exists()


def test_drift_with_retrain_retrains_and_gates(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(spec, monitoring={"drift": {"threshold": 0.2, "on_drift": "retrain"}})
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 0
    assert "the retrained model passed the gate" in capsys.readouterr().out
    root = spec.parent
    assert (root / "models/model.joblib").is_file()
    gate = json.loads((root / "reports/gate.json").read_text(encoding="utf-8"))
    assert gate["passed"] is True
    assert (root / "reports/lineage.json").is_file()


def test_a_retrained_model_that_fails_the_gate_fails(
    spec: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_spec(
        spec,
        monitoring={"drift": {"threshold": 0.2, "on_drift": "retrain"}},
        model={"metrics": {unreachable(spec): {"min": 0.999}}},
    )
    shifted, _ = _shifted_batch(spec)
    assert monitor.main(["--spec", str(spec), "--batch", str(shifted)]) == 1
    assert "model gate FAILED" in capsys.readouterr().err
