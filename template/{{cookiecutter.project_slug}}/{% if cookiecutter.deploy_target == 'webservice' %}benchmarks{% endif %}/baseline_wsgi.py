"""The baseline of the load benchmark: the WSGI app this repository served before FastAPI.

Kept as it was (minus its wsgiref runner), so `benchmarks/load.py` measures the new
service against what it replaced, served as the old Dockerfile served it: gunicorn,
2 sync workers, ``gunicorn baseline_wsgi:app``. Not used by the service itself.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Iterable
from typing import Any

import joblib
import pandas as pd

from {{ cookiecutter.module_name }}.data import Contract, load_contract, sha256_file
from {{ cookiecutter.module_name }}.settings import Settings, TaskError, load_settings

MAX_BODY_BYTES = 1_000_000
MAX_RECORDS = 10_000

StartResponse = Callable[..., Any]


class HTTPError(Exception):
    """An error answer: status line and message."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PredictionApp:
    """The WSGI application around one trained pipeline."""

    def __init__(self, pipeline: Any, contract: Contract, *, model_sha256: str = "") -> None:
        self.pipeline = pipeline
        self.contract = contract
        self.model_sha256 = model_sha256

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Route the request and answer JSON."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        try:
            if path == "/health":
                self._allow(method, "GET")
                body = {"status": "ok", "model_sha256": self.model_sha256}
            elif path == "/predict":
                self._allow(method, "POST")
                body = self.predict(self._records(environ))
            else:
                raise HTTPError("404 Not Found", f"no route {path}")
            status = "200 OK"
        except HTTPError as exc:
            status, body = exc.status, {"error": exc.message}
        payload = json.dumps(body).encode("utf-8")
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    @staticmethod
    def _allow(method: str, expected: str) -> None:
        if method != expected:
            raise HTTPError("405 Method Not Allowed", f"use {expected}")

    @staticmethod
    def _records(environ: dict[str, Any]) -> list[Any]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HTTPError("400 Bad Request", "invalid Content-Length") from None
        if length > MAX_BODY_BYTES:
            raise HTTPError("413 Content Too Large", f"the body is over {MAX_BODY_BYTES} bytes")
        try:
            data = json.loads(environ["wsgi.input"].read(length) or b"null")
        except (ValueError, UnicodeDecodeError):
            raise HTTPError("400 Bad Request", "the body is not valid JSON") from None
        records = data.get("records") if isinstance(data, dict) else data
        if not isinstance(records, list) or not records:
            raise HTTPError(
                "400 Bad Request", 'expected a non-empty list of records or {"records": [...]}'
            )
        if len(records) > MAX_RECORDS:
            raise HTTPError("413 Content Too Large", f"at most {MAX_RECORDS} records per request")
        return records

    def frame(self, records: list[Any]) -> pd.DataFrame:
        """The records as a feature frame; HTTPError 400 names the first bad record and feature."""
        rows = []
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise HTTPError("400 Bad Request", f"record {number}: expected an object")
            missing = [f for f in self.contract.feature_names if f not in record]
            if missing:
                raise HTTPError(
                    "400 Bad Request", f"record {number}: missing feature(s) {', '.join(missing)}"
                )
            row = {}
            for column in self.contract.features:
                value = record[column.name]
                if value is None:
                    row[column.name] = math.nan  # imputed by the pipeline, as an empty CSV cell
                elif column.numeric:
                    if isinstance(value, bool) or not isinstance(value, int | float):
                        raise HTTPError(
                            "400 Bad Request", f"record {number}: {column.name!r} must be a number"
                        )
                    row[column.name] = float(value)
                else:
                    row[column.name] = str(value)
            rows.append(row)
        return pd.DataFrame(rows, columns=self.contract.feature_names)

    def predict(self, records: list[Any]) -> dict[str, Any]:
        """Predicted labels and positive-class probabilities, in the order of the records."""
        features = self.frame(records)
        labels = self.pipeline.predict(features)
        scores = self.pipeline.predict_proba(features)[:, 1]
        return {
            "predictions": [int(v) for v in labels],
            "probabilities": [round(float(p), 6) for p in scores],
        }


def create_app(settings: Settings) -> PredictionApp:
    """Load the trained model and the contract named by the spec."""
    if not settings.model_path.is_file():
        raise TaskError(
            f"{settings.display(settings.model_path)}: not found; run the train task first"
        )
    contract = load_contract(settings.contract)
    # joblib unpickles: serve only models this repository's train task wrote.
    pipeline = joblib.load(settings.model_path)
    return PredictionApp(pipeline, contract, model_sha256=sha256_file(settings.model_path))


@functools.cache
def _default_app() -> PredictionApp:
    return create_app(load_settings(os.environ.get("MLOPS_SPEC", "mlops.yaml")))


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The WSGI entry point for gunicorn; loads the model on the first request."""
    return _default_app()(environ, start_response)
