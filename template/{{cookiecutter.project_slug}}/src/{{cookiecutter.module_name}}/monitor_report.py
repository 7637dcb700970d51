# Created by mlopsgen from mlops.yaml; this file is yours to edit.
# `mlopsgen update` merges later template changes into it.
"""The monitor's outputs: reports/monitoring.json, reports/monitoring.html and its gauges.

The HTML page is self-contained (inline CSS and SVG: no script, no CDN, nothing fetched):
a bar per feature and per output with its drift score against the threshold, the live
metrics per UTC day against the gate's bounds, and the predictions logged per day.

The gauges are the ones docs/monitoring.md promises to the SLO rules (model_drift_score
per feature, model_live_metric per metric) plus model_prediction_drift_score per output
and model_monitor_records per kind, in Prometheus' text format: written to
reports/monitoring.prom (for node-exporter's textfile collector) and, when
monitoring.live.pushgateway is set, PUT to the Pushgateway under the grouping key
job=monitoring.slo.job (default: the project slug).
"""

from __future__ import annotations

import html
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict
from typing import Any

from .live import Assessment
from .settings import LOWER_IS_BETTER, Settings, TaskError

#: Seconds the Pushgateway gets to answer.
PUSH_TIMEOUT = 10
WIDTH = 720
BAR_HEIGHT = 22
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def document(settings: Settings, assessment: Assessment) -> dict[str, Any]:
    """The JSON report."""
    perf = assessment.performance
    return {
        "status": assessment.status,
        "source": assessment.source,
        "project": settings.project_name,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": settings.drift_method,
        "threshold": settings.drift_threshold,
        "on_drift": settings.on_drift,
        "rows": assessment.rows,
        "insufficient": assessment.insufficient,
        "breaches": assessment.breaches,
        "drifted": [r.feature for r in assessment.features if r.drifted],
        "features": [asdict(r) for r in assessment.features],
        "prediction_drift": [asdict(r) for r in assessment.outputs],
        "performance": perf.as_dict(),
        **assessment.details,
    }


# --- SVG ------------------------------------------------------------------------------------


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{html.escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{html.escape(text)}</text>'


def drift_bars(report: dict[str, Any]) -> str:
    """Horizontal bars: one per feature and per output, the threshold as a dashed line."""
    rows = [("feature", r) for r in report["features"]] + [
        ("output", r) for r in report["prediction_drift"]
    ]
    threshold = float(report["threshold"])
    if not rows:
        return '<p class="empty">No drift was measured (see the status above).</p>'
    left, right = 200, 70
    scale_max = max([threshold * 1.5, *(float(r["score"]) for _, r in rows)]) or 1.0
    plot = WIDTH - left - right
    height = BAR_HEIGHT * len(rows) + 40
    parts = [
        f'<svg id="feature-drift" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        f"<title>Drift score per feature and output ({html.escape(report['method'])})</title>",
    ]
    for index, (kind, row) in enumerate(rows):
        y = 10 + index * BAR_HEIGHT
        width = plot * float(row["score"]) / scale_max
        colour = "#d62728" if row["drifted"] else ("#7f7f7f" if kind == "output" else "#1f77b4")
        name = row["feature"] if kind == "feature" else f"output: {row['feature']}"
        parts.append(_text(left - 6, y + 15, name, text_anchor="end"))
        parts.append(
            f'<rect class="bar{" drifted" if row["drifted"] else ""}" x="{left}" y="{y + 3}" '
            f'width="{max(width, 1):.1f}" height="{BAR_HEIGHT - 6}" fill="{colour}">'
            f"<title>{html.escape(name)}: {row['method']} {row['score']:.4f}</title></rect>"
        )
        parts.append(_text(left + max(width, 1) + 4, y + 15, f"{row['score']:.3f}"))
    x = left + plot * threshold / scale_max
    bottom = 10 + BAR_HEIGHT * len(rows)
    parts.append(
        f'<line class="threshold" x1="{x:.1f}" y1="5" x2="{x:.1f}" y2="{bottom}" '
        'stroke="#000" stroke-dasharray="4 3"/>'
    )
    parts.append(_text(x, bottom + 16, f"threshold {threshold:g}", text_anchor="middle"))
    parts.append("</svg>")
    return "\n".join(parts)


def _bounds(settings: Settings, name: str) -> list[float]:
    return [
        value
        for bound in settings.metrics
        if bound.name == name
        for value in (bound.minimum, bound.maximum)
        if value is not None
    ]


def performance_chart(settings: Settings, report: dict[str, Any]) -> str:
    """The gate's metrics per UTC day (a line and a point per day), their bounds dashed."""
    days = report["performance"]["by_day"]
    names = [b.name for b in settings.metrics]
    names = [n for n in dict.fromkeys(names) if any(n in d["metrics"] for d in days)]
    if not days or not names:
        return (
            '<p class="empty">No day of the window has labelled predictions yet: performance '
            "over time appears once labels arrive (POST /feedback or "
            "<code>feedback import</code>).</p>"
        )
    values = [d["metrics"][n] for d in days for n in names if n in d["metrics"]]
    values += [v for n in names for v in _bounds(settings, n)]
    low, high = min([*values, 0.0]), max([*values, 1.0 if settings.classification else 0.0])
    if high - low < 1e-9:
        high = low + 1.0
    left, right, top, height = 60, 150, 20, 270
    plot_w, plot_h = WIDTH - left - right, height - top - 50

    def px(i: int) -> float:
        return left + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h * (1 - (v - low) / (high - low))

    parts = [
        f'<svg id="performance-over-time" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        "<title>Live metrics per UTC day against the gate's bounds</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#000"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#000"/>',
        _text(left - 6, py(high) + 4, f"{high:g}", text_anchor="end"),
        _text(left - 6, py(low) + 4, f"{low:g}", text_anchor="end"),
    ]
    for i, day in enumerate(days):
        parts.append(_text(px(i), top + plot_h + 16, day["day"][5:], text_anchor="middle"))
    labelled: list[float] = []
    for n, name in enumerate(names):
        colour = COLOURS[n % len(COLOURS)]
        points = [
            (px(i), py(d["metrics"][name])) for i, d in enumerate(days) if name in d["metrics"]
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), day in zip(points, [d for d in days if name in d["metrics"]], strict=True):
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                f"<title>{html.escape(day['day'])} {html.escape(name)} "
                f"{day['metrics'][name]:.4f} ({day['labelled']} labels)</title></circle>"
            )
        for bound in _bounds(settings, name):
            parts.append(
                f'<line class="bound" x1="{left}" y1="{py(bound):.1f}" x2="{left + plot_w}" '
                f'y2="{py(bound):.1f}" stroke="{colour}" stroke-dasharray="5 4"/>'
            )
            kind = "max" if name in LOWER_IS_BETTER else "min"
            y = py(bound) + 4
            while any(abs(y - other) < 13 for other in labelled):  # keep the labels apart
                y += 13
            labelled.append(y)
            parts.append(_text(left + plot_w + 6, y, f"{name} {kind} {bound:g}"))
        parts.append(_text(left + 110 * n, top + plot_h + 40, f"— {name}", fill=colour))
    parts.append("</svg>")
    return "\n".join(parts)


def volume_chart(report: dict[str, Any]) -> str:
    """Predictions logged per UTC day of the window."""
    per_day = report.get("predictions_by_day") or {}
    if not per_day:
        return '<p class="empty">No predictions were logged in the window.</p>'
    left, height, top = 60, 160, 10
    plot_w, plot_h = WIDTH - left - 20, height - top - 30
    most = max(per_day.values())
    step = plot_w / len(per_day)
    parts = [
        f'<svg id="predictions-per-day" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',
        "<title>Predictions logged per UTC day</title>",
    ]
    for i, (day, count) in enumerate(per_day.items()):
        h = plot_h * count / most
        x = left + i * step
        parts.append(
            f'<rect class="bar" x="{x + 2:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(step - 4, 1):.1f}" height="{h:.1f}" fill="#1f77b4">'
            f"<title>{html.escape(day)}: {count}</title></rect>"
        )
        parts.append(_text(x + step / 2, top + plot_h + 16, day[5:], text_anchor="middle"))
    parts.append(_text(left - 6, top + 10, str(most), text_anchor="end"))
    parts.append("</svg>")
    return "\n".join(parts)


# --- HTML -----------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 60em; }
.status { display: inline-block; padding: .2em .6em; border-radius: .3em; color: #fff; }
.ok { background: #2ca02c; } .breach { background: #d62728; } .insufficient { background: #ff7f0e; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
td, th { border: 1px solid #ccc; padding: .2em .6em; text-align: left; }
.failed { color: #d62728; font-weight: bold; } .empty { color: #666; }
"""


def _table(headers: list[str], rows: list[list[Any]], failed: list[bool] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        marked = ' class="failed"' if failed and failed[index] else ""
        cells = "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row)
        body.append(f"<tr{marked}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def render_html(settings: Settings, report: dict[str, Any]) -> str:
    """The self-contained HTML page of a report."""
    status = report["status"]
    perf = report["performance"]
    if report["source"] == "log":
        window = report["window"]
        scope = html.escape(
            f"logged predictions of {report['log']} from {window['start']} to {window['end']} "
            f"(monitoring.live.window {window['length']})"
        )
    else:
        scope = f"the file batch {html.escape(report['batch'])}"
    breaches = [report["insufficient"]] if report["insufficient"] else report["breaches"]
    findings = (
        "<ul>" + "".join(f'<li class="failed">{html.escape(b)}</li>' for b in breaches) + "</ul>"
        if breaches
        else "<p>No breach: no feature or output drifted and live performance meets the gate.</p>"
    )
    drift_rows = [
        [r["feature"], r["kind"], r["method"], f"{r['score']:.4f}", "yes" if r["drifted"] else "no"]
        for r in report["features"] + report["prediction_drift"]
    ]
    drift_failed = [r["drifted"] for r in report["features"] + report["prediction_drift"]]
    perf_text = {
        "judged": f"judged on {perf['labelled']} labelled prediction(s)",
        "too few labels": (
            f"not judged: {perf['labelled']} labelled prediction(s), fewer than "
            f"monitoring.live.min_labels {report.get('min_labels')}"
        ),
        "not judged": "not judged: too few predictions in the window",
        "no labels": "not judged: a file batch carries no labels",
    }[perf["status"]]
    checks = _table(
        ["check", "outcome"],
        [[c["name"], c["message"]] for c in perf["checks"]],
        [not c["passed"] for c in perf["checks"]],
    )
    unmeasured = (
        f"<p>Not measurable from the log: {html.escape(', '.join(perf['unmeasured']))}.</p>"
        if perf["unmeasured"]
        else ""
    )
    title = f"{settings.project_name}: model monitoring"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p><span class="status {status}">{status}</span> {report["rows"]} row(s): {scope};
generated {html.escape(report["generated"])}; on breach: {html.escape(report["on_drift"])}.</p>
<h2>Findings</h2>
{findings}
<h2>Drift per feature and output</h2>
<p>{html.escape(report["method"])} against the training data (features) and the model's
predictions on the held-out rows (outputs); threshold {report["threshold"]:g}.</p>
{drift_bars(report)}
{_table(["name", "kind", "method", "score", "drifted"], drift_rows, drift_failed)}
<h2>Live performance</h2>
<p>{html.escape(perf_text)}.</p>
{checks if perf["checks"] else ""}{unmeasured}
<h3>Performance over time (per UTC day)</h3>
{performance_chart(settings, report)}
<h3>Predictions per day</h3>
{volume_chart(report)}
</body>
</html>
"""


# --- Prometheus -----------------------------------------------------------------------------


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def prometheus_text(report: dict[str, Any]) -> str:
    """The monitor's gauges in Prometheus' text exposition format (version 0.0.4)."""
    families = [
        (
            "model_drift_score",
            "Drift score of a feature against the training data (monitoring.drift.method).",
            [({"feature": r["feature"]}, r["score"]) for r in report["features"]],
        ),
        (
            "model_prediction_drift_score",
            "Drift score of the model's outputs against its predictions on the held-out rows.",
            [({"output": r["feature"]}, r["score"]) for r in report["prediction_drift"]],
        ),
        (
            "model_live_metric",
            "Model metric on the labelled live predictions of the monitoring window.",
            [({"metric": k}, v) for k, v in sorted(report["performance"]["metrics"].items())],
        ),
        (
            "model_monitor_records",
            "Predictions and labelled predictions the monitor read.",
            [
                ({"kind": "predictions"}, report["rows"]),
                ({"kind": "labelled"}, report["performance"]["labelled"]),
            ],
        ),
        (
            "model_monitor_breach",
            "1 when the last monitoring run found a breach or too few records, else 0.",
            [({}, 0 if report["status"] == "ok" else 1)],
        ),
        (
            "model_monitor_last_run_timestamp_seconds",
            "When the monitor last ran (Unix time).",
            [({}, round(time.time()))],
        ),
    ]
    lines = []
    for name, help_text, samples in families:
        if not samples:
            continue
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        for labels, value in samples:
            if not math.isfinite(float(value)):
                continue
            pairs = ",".join(f'{k}="{_label(str(v))}"' for k, v in labels.items())
            selector = "{" + pairs + "}" if pairs else ""
            lines.append(f"{name}{selector} {value}")
    return "\n".join(lines) + "\n"


def push(url: str, job: str, text: str) -> None:
    """PUT the gauges to a Pushgateway, replacing the group job=<job>; TaskError on failure."""
    target = f"{url}/metrics/job/{urllib.parse.quote(job, safe='')}"
    if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        raise TaskError(f"monitoring.live.pushgateway: {url!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310  # nosec B310  # the scheme is checked above
        target,
        data=text.encode("utf-8"),
        method="PUT",
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
    open_url = urllib.request.urlopen
    try:
        with open_url(request, timeout=PUSH_TIMEOUT) as answer:  # noqa: S310  # nosec B310
            status = answer.status
    except (urllib.error.URLError, OSError) as exc:
        raise TaskError(f"could not push the monitoring gauges to {target}: {exc}") from None
    if status >= 300:
        raise TaskError(f"the Pushgateway at {target} answered {status}")
