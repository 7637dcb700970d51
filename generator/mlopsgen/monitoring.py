"""SLOs as code: ``monitoring.slo`` -> Prometheus rules, their promtool tests, a Grafana dashboard.

Everything is built as data (dicts and lists) and dumped by ``yamlio`` or ``json``; no
text templates. Imports run one way: ``render`` -> ``monitoring`` -> ``spec``, ``yamlio``.

The rules read the metrics the generated service and its monitor export (the contract in
docs/monitoring.md):

- ``http_requests_total{handler,method,status}`` and
  ``http_request_duration_seconds_bucket{handler,le}``: the service, per request;
- ``model_drift_score{feature}`` and ``model_live_metric{metric}``: the monitor job.

Availability and error rate get multi-window burn-rate alerts over a 30-day budget
(Google SRE workbook, chapter 5: 1h and 5m at 14.4 times the budget pages, 6h and 30m at
6 times opens a ticket); latency quantiles, drift scores and live metrics get threshold
alerts. The promtool test file feeds, per objective, series that breach it and expects
its alerts, and a clean group that expects none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlopsgen import yamlio
from mlopsgen.spec.model import Slo, Spec

__all__ = [
    "DASHBOARD_PATH",
    "HANDLER",
    "RULES_PATH",
    "RULES_TEST_PATH",
    "alert_names",
    "dashboard",
    "monitoring_files",
    "rule_groups",
    "rule_tests",
]

RULES_PATH = "monitoring/prometheus/rules.yml"
RULES_TEST_PATH = "monitoring/prometheus/rules.test.yml"
DASHBOARD_PATH = "monitoring/grafana/dashboard.json"
#: The handler label of the prediction endpoint: the SLOs cover predictions, not probes.
HANDLER = "/predict"

#: Burn-rate alerts: (speed, severity, long window, short window, budget multiple, for).
_BURNS = (
    ("Fast", "page", "1h", "5m", 14.4, "2m"),
    ("Slow", "ticket", "6h", "30m", 6.0, "15m"),
)
_WINDOWS = ("5m", "30m", "1h", "6h")
#: promtool test groups: one sample a minute for two hours, evaluated at the end.
_INTERVAL = "1m"
_SAMPLES = 120
_EVAL = "2h"
#: Requests a minute in the test series.
_RATE = 1000


def _num(value: float) -> str:
    return format(value, ".10g")


def _sel(**labels: str) -> str:
    """A PromQL label selector; ``status`` and ``le`` values that start with ``~`` are regexes."""
    parts = []
    for key, raw in labels.items():
        op, value = ("=~", raw[1:]) if raw.startswith("~") else ("=", raw)
        parts.append(f'{key}{op}"{value}"')
    return "{" + ",".join(parts) + "}"


@dataclass(frozen=True)
class _Series:
    metric: str
    labels: dict[str, str]
    values: str

    def data(self) -> dict[str, str]:
        inner = ", ".join(f'{k}="{v}"' for k, v in self.labels.items())
        return {"series": f"{self.metric}{{{inner}}}", "values": self.values}


def _counter(per_minute: float) -> str:
    return f"0+{_num(per_minute)}x{_SAMPLES}"


def _gauge(value: float) -> str:
    return f"{_num(value)}+0x{_SAMPLES}"


@dataclass(frozen=True)
class _Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    #: Labels of the alerts this rule raises from the breach series, beyond job/slo/severity.
    fired: tuple[dict[str, str], ...] = ({},)
    #: Labels of the rule beyond slo/severity (rules sharing a name must differ in them).
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class _Panel:
    title: str
    description: str
    unit: str
    #: (PromQL, legend) per line.
    targets: tuple[tuple[str, str], ...]
    #: Where the objective's bound is drawn (None: no single bound).
    threshold: float | None


@dataclass(frozen=True)
class _Objective:
    """One SLO: its recording rules, alerts, dashboard panel and breaching test series."""

    slo: str
    records: tuple[tuple[str, str], ...]
    alerts: tuple[_Alert, ...]
    panel: _Panel
    breach: tuple[_Series, ...]
    clean: tuple[_Series, ...] = field(default=())


def _requests(job: str, good: float, bad: float, bad_status: str) -> tuple[_Series, ...]:
    common = {"job": job, "handler": HANDLER, "method": "POST"}
    return (
        _Series("http_requests_total", {**common, "status": "200"}, _counter(good)),
        _Series("http_requests_total", {**common, "status": bad_status}, _counter(bad)),
    )


_STATUS_WORDS = {
    "availability": "with a server error (5xx)",
    "error_rate": "with an error (4xx or 5xx)",
}


def _ratio(slo: Slo, kind: str, bad_status: str, budget: float, title: str) -> _Objective:
    """Availability (bad: 5xx) or error rate (bad: 4xx and 5xx) with burn-rate alerts."""
    job = slo.job
    record = f"slo:{kind}_errors:ratio_rate"
    requests = _sel(job=job, handler=HANDLER)
    bad_requests = _sel(job=job, handler=HANDLER, status=bad_status)
    records = tuple(
        (
            f"{record}{w}",
            f"sum by (job) (rate(http_requests_total{bad_requests}[{w}]))\n"
            f"/\nsum by (job) (rate(http_requests_total{requests}[{w}]))",
        )
        for w in _WINDOWS
    )
    camel = "".join(part.title() for part in kind.split("_"))
    alerts = tuple(
        _Alert(
            name=f"SLO{camel}BurnRate{speed}",
            expr=(
                f"{record}{long}{_sel(job=job)} > ({_num(factor)} * {_num(budget)})\n"
                f"and\n{record}{short}{_sel(job=job)} > ({_num(factor)} * {_num(budget)})"
            ),
            for_=wait,
            severity=severity,
            summary=f"{{{{ $labels.job }}}}: {title.lower()} error budget burning {_num(factor)}x",
            description=(
                f"The share of {HANDLER} requests answered {_STATUS_WORDS[kind]} over the last "
                f"{long} and {short} is above {_num(factor)} times the 30-day budget of "
                f"{_num(budget)}: at this pace the budget is gone in "
                f"{_num(round(30 / factor, 1))} days."
            ),
        )
        for speed, severity, long, short, factor, wait in _BURNS
    )
    # Breaching traffic: an error share halfway between the fast-burn bound and 100 %.
    share = (1 + 14.4 * budget) / 2
    bad = round(share * _RATE)
    expr = (
        f"1 - {record}5m{_sel(job=job)}" if kind == "availability" else f"{record}5m{_sel(job=job)}"
    )
    panel = _Panel(
        title=title,
        description=f"{title} of {HANDLER} over 5 minutes; objective "
        + (f"{_num(1 - budget)}" if kind == "availability" else f"at most {_num(budget)}"),
        unit="percentunit",
        targets=((expr, "{{job}}"),),
        threshold=1 - budget if kind == "availability" else budget,
    )
    example_status = "503" if kind == "availability" else "422"
    return _Objective(
        slo=kind,
        records=records,
        alerts=alerts,
        panel=panel,
        breach=_requests(job, _RATE - bad, bad, example_status),
    )


def _latency(slo: Slo, quantile: str, bound_ms: float) -> _Objective:
    job = slo.job
    q = int(quantile[1:]) / 100
    bound = bound_ms / 1000
    record = f"slo:http_request_duration_seconds:{quantile}_rate5m"
    expr = (
        f"histogram_quantile({_num(q)}, sum by (job, le) "
        f"(rate(http_request_duration_seconds_bucket{_sel(job=job, handler=HANDLER)}[5m])))"
    )
    alert = _Alert(
        name=f"SLOLatency{quantile.upper()}High",
        expr=f"{record}{_sel(job=job)} > {_num(bound)}",
        for_="10m",
        severity="page",
        summary=f"{{{{ $labels.job }}}}: {quantile} latency of {HANDLER} above {_num(bound_ms)} ms",
        description=(
            f"The {quantile} latency of {HANDLER} over 5 minutes has been above "
            f"{_num(bound)} s for 10 minutes."
        ),
    )
    panel = _Panel(
        title=f"Latency {quantile}",
        description=f"{quantile} latency of {HANDLER}; objective at most {_num(bound_ms)} ms",
        unit="s",
        targets=((f"{record}{_sel(job=job)}", "{{job}}"),),
        threshold=bound,
    )
    # Every request takes between 2 and 4 times the bound: any quantile is above it.
    return _Objective(
        slo=f"latency_{quantile}",
        records=((record, expr),),
        alerts=(alert,),
        panel=panel,
        breach=_histogram(job, bound * 2, (bound / 2, bound * 2, bound * 4)),
    )


def _histogram(job: str, floor: float, bounds: tuple[float, ...]) -> tuple[_Series, ...]:
    """Bucket series where every request takes just over ``floor`` (one of ``bounds``)."""
    labels = {"job": job, "handler": HANDLER}
    out = [
        _Series(
            "http_request_duration_seconds_bucket",
            {**labels, "le": _num(b)},
            _counter(_RATE if b > floor else 0),
        )
        for b in bounds
    ]
    out.append(
        _Series("http_request_duration_seconds_bucket", {**labels, "le": "+Inf"}, _counter(_RATE))
    )
    return tuple(out)


#: The feature name the drift test series carry.
_FEATURE = "feature_a"


def _drift(slo: Slo) -> _Objective:
    job = slo.job
    alert = _Alert(
        name="SLODriftScoreHigh",
        expr=f"max by (job, feature) (model_drift_score{_sel(job=job)}) > {_num(slo.drift_score)}",
        for_="5m",
        severity="ticket",
        summary="{{ $labels.job }}: feature {{ $labels.feature }} has drifted",
        description=(
            "The monitor's drift score of feature {{ $labels.feature }} on live traffic is "
            f"above {_num(slo.drift_score)}."
        ),
        fired=({"feature": _FEATURE},),
    )
    panel = _Panel(
        title="Drift score",
        description="Drift score per feature from the monitor; objective at most "
        + _num(slo.drift_score),
        unit="none",
        targets=((f"model_drift_score{_sel(job=job)}", "{{feature}}"),),
        threshold=slo.drift_score,
    )
    return _Objective(
        slo="drift_score",
        records=(),
        alerts=(alert,),
        panel=panel,
        breach=(
            _Series(
                "model_drift_score", {"job": job, "feature": _FEATURE}, _gauge(slo.drift_score * 2)
            ),
        ),
        clean=(
            _Series(
                "model_drift_score", {"job": job, "feature": _FEATURE}, _gauge(slo.drift_score / 2)
            ),
        ),
    )


def _live(slo: Slo) -> _Objective:
    job = slo.job
    alerts = tuple(
        _Alert(
            name="SLOLiveMetricLow",
            expr=f"min by (job, metric) (model_live_metric{_sel(job=job, metric=name)})"
            f" < {_num(floor)}",
            for_="5m",
            severity="ticket",
            summary=f"{{{{ $labels.job }}}}: live {name} below {_num(floor)}",
            description=(
                f"The monitor's {name} on live traffic with ground-truth labels is below "
                f"its floor of {_num(floor)}."
            ),
            fired=({"metric": name},),
            labels=(("metric", name),),
        )
        for name, floor in slo.live_metrics.items()
    )
    panel = _Panel(
        title="Live metrics",
        description="Model metrics on live traffic from the monitor; floors "
        + ", ".join(f"{k} {_num(v)}" for k, v in slo.live_metrics.items()),
        unit="percentunit",
        targets=((f"model_live_metric{_sel(job=job)}", "{{metric}}"),),
        threshold=max(slo.live_metrics.values()) if len(slo.live_metrics) == 1 else None,
    )

    def series(pick: Any) -> tuple[_Series, ...]:
        return tuple(
            _Series("model_live_metric", {"job": job, "metric": k}, _gauge(pick(v)))
            for k, v in slo.live_metrics.items()
        )

    return _Objective(
        slo="live_metrics",
        records=(),
        alerts=alerts,
        panel=panel,
        breach=series(lambda floor: floor / 2),
        clean=series(lambda floor: (1 + floor) / 2),
    )


def _objectives(slo: Slo) -> Iterator[_Objective]:
    if slo.availability is not None:
        yield _ratio(slo, "availability", "~5..", 1 - slo.availability, "Availability")
    if slo.error_rate is not None:
        yield _ratio(slo, "error_rate", "~[45]..", slo.error_rate, "Error rate")
    for quantile, bound in (("p95", slo.latency_p95_ms), ("p99", slo.latency_p99_ms)):
        if bound is not None:
            yield _latency(slo, quantile, bound)
    yield _drift(slo)
    if slo.live_metrics:
        yield _live(slo)


def _clean_series(slo: Slo, objectives: tuple[_Objective, ...]) -> list[_Series]:
    """Healthy traffic: no errors, fast requests, no drift, live metrics above their floors."""
    out: list[_Series] = []
    if slo.availability is not None or slo.error_rate is not None:
        out += _requests(slo.job, _RATE, 0, "500")
    bounds = [b / 1000 for b in (slo.latency_p95_ms, slo.latency_p99_ms) if b is not None]
    if bounds:
        low = min(bounds)
        out += _histogram(slo.job, 0, (low / 2,))
    for objective in objectives:
        out += objective.clean
    return out


def rule_groups(slo: Slo) -> dict[str, Any]:
    """The Prometheus rule file (``groups:``): recording rules, then alerting rules."""
    objectives = tuple(_objectives(slo))
    records = [{"record": name, "expr": expr} for o in objectives for name, expr in o.records]
    alerts = [
        {
            "alert": a.name,
            "expr": a.expr,
            "for": a.for_,
            "labels": {"severity": a.severity, "slo": o.slo, **dict(a.labels)},
            "annotations": {"summary": a.summary, "description": a.description},
        }
        for o in objectives
        for a in o.alerts
    ]
    groups = []
    if records:
        groups.append({"name": f"{slo.job}-slo-records", "rules": records})
    groups.append({"name": f"{slo.job}-slo-alerts", "rules": alerts})
    return {"groups": groups}


def alert_names(slo: Slo) -> tuple[str, ...]:
    """Every alert name the rules define, in order, once each."""
    return tuple(dict.fromkeys(a.name for o in _objectives(slo) for a in o.alerts))


def _expand(text: str, labels: dict[str, str]) -> str:
    for key, value in labels.items():
        text = text.replace(f"{{{{ $labels.{key} }}}}", value)
    return text


def rule_tests(slo: Slo, rules_file: str = "rules.yml") -> dict[str, Any]:
    """The promtool unit tests: per objective, breaching series that fire its alerts; a clean group.

    ``rules_file`` is relative to the test file, as promtool reads it.
    """
    objectives = tuple(_objectives(slo))
    tests: list[dict[str, Any]] = []
    for o in objectives:
        expected: dict[str, list[dict[str, Any]]] = {}
        for a in o.alerts:
            for extra in a.fired:
                labels = {"job": slo.job, **extra, "severity": a.severity, "slo": o.slo}
                expected.setdefault(a.name, []).append(
                    {
                        "exp_labels": labels,
                        "exp_annotations": {
                            "summary": _expand(a.summary, labels),
                            "description": _expand(a.description, labels),
                        },
                    }
                )
        tests.append(
            {
                "name": f"{o.slo} breached: its alerts fire",
                "interval": _INTERVAL,
                "input_series": [s.data() for s in o.breach],
                "alert_rule_test": [
                    {"eval_time": _EVAL, "alertname": name, "exp_alerts": alerts}
                    for name, alerts in expected.items()
                ],
            }
        )
    tests.append(
        {
            "name": "every objective met: no alert fires",
            "interval": _INTERVAL,
            "input_series": [s.data() for s in _clean_series(slo, objectives)],
            "alert_rule_test": [
                {"eval_time": _EVAL, "alertname": name, "exp_alerts": []}
                for name in alert_names(slo)
            ],
        }
    )
    return {"rule_files": [rules_file], "evaluation_interval": _INTERVAL, "tests": tests}


def dashboard(spec: Spec, slo: Slo) -> dict[str, Any]:
    """A Grafana dashboard (JSON model, schemaVersion 39) with one time-series panel per SLO."""
    source = {"type": "prometheus", "uid": "${datasource}"}
    panels: list[dict[str, Any]] = []
    for i, o in enumerate(_objectives(slo)):
        p = o.panel
        steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
        if p.threshold is not None:
            # Red past the bound: below a floor (availability, live metrics), above a ceiling.
            floor = o.slo in {"availability", "live_metrics"}
            steps = (
                [{"color": "red", "value": None}, {"color": "green", "value": p.threshold}]
                if floor
                else [*steps, {"color": "red", "value": p.threshold}]
            )
        panels.append(
            {
                "id": i + 1,
                "type": "timeseries",
                "title": p.title,
                "description": p.description,
                "datasource": source,
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": 8 * (i // 2)},
                "fieldConfig": {
                    "defaults": {
                        "unit": p.unit,
                        "thresholds": {"mode": "absolute", "steps": steps},
                        "custom": {"thresholdsStyle": {"mode": "line"}},
                    },
                    "overrides": [],
                },
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": [
                    {
                        "refId": chr(ord("A") + j),
                        "datasource": source,
                        "expr": expr,
                        "legendFormat": legend,
                    }
                    for j, (expr, legend) in enumerate(p.targets)
                ],
            }
        )
    return {
        "uid": f"mlopsgen-{slo.job}"[:40],
        "title": f"{spec.project.name}: SLOs",
        "description": "Rendered by mlopsgen from monitoring.slo in mlops.yaml; "
        "do not edit by hand.",
        "tags": ["mlopsgen", "slo"],
        "editable": False,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"},
        "timezone": "utc",
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                }
            ]
        },
        "annotations": {"list": []},
        "panels": panels,
    }


def monitoring_files(spec: Spec) -> dict[str, str]:
    """The SLO files by repository-relative path; none when the spec has no ``monitoring.slo``."""
    slo = spec.monitoring.slo
    if slo is None:
        return {}
    return {
        RULES_PATH: yamlio.dump(rule_groups(slo)),
        RULES_TEST_PATH: yamlio.dump(rule_tests(slo)),
        DASHBOARD_PATH: json.dumps(dashboard(spec, slo), indent=2) + "\n",
    }
