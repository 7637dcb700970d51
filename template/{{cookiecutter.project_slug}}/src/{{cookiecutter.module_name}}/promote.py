"""Promote the current model's metrics to the champion baseline that the gate compares against.

Runs the model gate first and refuses to promote a model that fails it. Copies
reports/metrics.json (and reports/lineage.json when present) to the directory
of model.champion.baseline; commit the result. Exit status: 0 promoted, 1 the
gate failed, 2 usage or setup error.
{%- if cookiecutter.model_registry == 'mlflow' %}

With model.registry mlflow the registry, not a file, holds the champion: promote
registers the model (unless the package stage did) and moves the alias
model.champion.alias to that version.
{%- endif %}
"""

from __future__ import annotations

import json
import shutil
import sys
import time

from .gate import run_gate
from .settings import TaskError, load_settings, task_parser


def main(argv: list[str] | None = None) -> int:
    """Promote reports/metrics.json to the champion baseline."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        checks = run_gate(settings)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = [c for c in checks if not c.passed]
    for check in failed:
        print(f"promote REFUSED: model gate FAILED: {check.message}", file=sys.stderr)
    if failed:
        return 1
{%- if cookiecutter.model_registry == 'mlflow' %}
    if settings.registry == "mlflow":
        from .tracking import promote

        try:
            version, previous = promote(settings)
        except TaskError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        moved = f"from version {previous}" if previous else "set for the first time"
        print(
            f"promoted {version.name} version {version.version} (run {version.run_id}): "
            f"alias {settings.champion_alias!r} {moved}"
        )
        return 0
{%- endif %}
    metrics_path = settings.report("metrics.json")
    record = json.loads(metrics_path.read_text(encoding="utf-8"))
    record["promoted_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    baseline = settings.champion_baseline
    baseline.parent.mkdir(parents=True, exist_ok=True)
    baseline.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    lineage = settings.report("lineage.json")
    if lineage.is_file():
        shutil.copyfile(lineage, baseline.parent / "lineage.json")
    print(f"promoted {record.get('algorithm', 'model')} -> {settings.display(baseline)}")
    for name, value in record.get("metrics", {}).items():
        print(f"  {name:<10} {value:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
