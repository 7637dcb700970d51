"""The model gate: the metrics must meet mlops.yaml's thresholds and not regress from the champion.

Reads reports/metrics.json (written by evaluate) and, when model.champion.compare
is true, the champion's baseline. Writes reports/gate.json. Exit status: 0 all
checks passed, 1 a check failed, 2 usage or setup error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .settings import LOWER_IS_BETTER, Settings, TaskError, load_settings, task_parser


@dataclass(frozen=True)
class Check:
    """One gate check and its outcome, described in a sentence."""

    name: str
    passed: bool
    message: str


def read_metrics(path: Path, settings: Settings, *, what: str, hint: str = "") -> dict[str, float]:
    """The "metrics" mapping of a metrics.json file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskError(f"{settings.display(path)}: {what} not found{hint}") from None
    except json.JSONDecodeError as exc:
        raise TaskError(f"{settings.display(path)}: not valid JSON: {exc}") from None
    metrics = raw.get("metrics") if isinstance(raw, dict) else None
    if not isinstance(metrics, dict):
        raise TaskError(f"{settings.display(path)}: expected an object with a 'metrics' mapping")
    return {str(k): float(v) for k, v in metrics.items()}


def _pair(value: float, threshold: float) -> tuple[str, str]:
    """Both numbers with 3 decimals, or 4 when 3 would print them the same."""
    digits = 3 if f"{value:.3f}" != f"{threshold:.3f}" or value == threshold else 4
    return f"{value:.{digits}f}", f"{threshold:.{digits}f}"


def threshold_checks(settings: Settings, metrics: dict[str, float]) -> list[Check]:
    """One check per bound in model.metrics."""
    checks = []
    for bound in settings.metrics:
        value = metrics.get(bound.name)
        if value is None:
            checks.append(Check(bound.name, False, f"{bound.name} is missing from the metrics"))
            continue
        if bound.minimum is not None:
            ok = value >= bound.minimum
            relation = "meets the minimum" if ok else "is below the minimum"
            shown, limit = _pair(value, bound.minimum)
            checks.append(Check(bound.name, ok, f"{bound.name} = {shown} {relation} {limit}"))
        if bound.maximum is not None:
            ok = value <= bound.maximum
            relation = "is within the maximum" if ok else "is above the maximum"
            shown, limit = _pair(value, bound.maximum)
            checks.append(Check(bound.name, ok, f"{bound.name} = {shown} {relation} {limit}"))
    return checks


def champion_checks(
    settings: Settings,
    metrics: dict[str, float],
    champion: dict[str, float],
    who: str = "the champion",
) -> list[Check]:
    """Every metric that both runs report may regress at most max_regression from the champion.

    A regression is a drop, or for an error metric (rmse, mae) a rise, in the metric's units.
    """
    checks = []
    allowed = settings.max_regression
    for name in sorted(set(metrics) & set(champion)):
        value, best = metrics[name], champion[name]
        drop = value - best if name in LOWER_IS_BETTER else best - value
        if drop > allowed + 1e-12:
            message = (
                f"{name} = {value:.3f} regressed {drop:.3f} from {who}'s {best:.3f} "
                f"(more than max_regression {allowed:.3f})"
            )
            checks.append(Check(f"champion:{name}", False, message))
        else:
            message = f"{name} = {value:.3f} vs {who}'s {best:.3f} (max_regression {allowed:.3f})"
            checks.append(Check(f"champion:{name}", True, message))
    if not checks:
        checks.append(Check("champion", False, f"{who} shares no metric with this run"))
    return checks


{% if cookiecutter.model_tracking == 'mlflow' %}def registry_checks(settings: Settings, metrics: dict[str, float]) -> list[Check]:
    """The challenger against the registered version that holds the champion alias."""
    from .tracking import champion, redact, tracking_uri

    found = champion(settings)
    if found is None:
        message = (
            f"no version of {settings.registered_model} holds the alias "
            f"{settings.champion_alias!r} at {redact(tracking_uri(settings))} yet: "
            "nothing to compare with (`make promote` sets it)"
        )
        return [Check("champion", True, message)]
    version, champion_metrics = found
    who = f"the champion ({version.name} version {version.version}, @{settings.champion_alias})"
    return champion_checks(settings, metrics, champion_metrics, who)


{% endif %}def run_gate(settings: Settings, metrics_path: Path | None = None) -> list[Check]:
    """All checks of the gate, in order: thresholds, then the champion comparison."""
    metrics = read_metrics(
        metrics_path or settings.report("metrics.json"), settings, what="metrics report"
    )
    checks = threshold_checks(settings, metrics)
{%- if cookiecutter.model_tracking == 'mlflow' %}
    if settings.champion_compare and settings.registry == "mlflow":
        return checks + registry_checks(settings, metrics)
{%- endif %}
    if settings.champion_compare:
        champion = read_metrics(
            settings.champion_baseline,
            settings,
            what="champion baseline",
            hint="; run `make promote`, or set model.champion.compare: false",
        )
        checks += champion_checks(settings, metrics, champion)
    return checks


def report(checks: list[Check]) -> dict[str, Any]:
    """The JSON document written to reports/gate.json."""
    return {"passed": all(c.passed for c in checks), "checks": [asdict(c) for c in checks]}


def main(argv: list[str] | None = None) -> int:
    """Run the gate on reports/metrics.json (or --metrics FILE)."""
    parser = task_parser(__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=Path, help="metrics file (default: reports/metrics.json)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.spec)
        checks = run_gate(settings, args.metrics)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = settings.report("gate.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report(checks), indent=2) + "\n", encoding="utf-8")
    failed = [c for c in checks if not c.passed]
    for check in failed:
        print(f"model gate FAILED: {check.message}", file=sys.stderr)
    if failed:
        return 1
    print(f"model gate passed: {len(checks)} check(s)")
    for check in checks:
        print(f"  ok  {check.message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
