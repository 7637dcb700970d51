"""Check the incoming batch for drift and act as monitoring.drift.on_drift says.

No drift: nothing to do. Drift with on_drift: alert: the run fails, which is the
alert. Drift with on_drift: retrain: validate the data sources, train, evaluate,
gate and write the lineage of the new model (reports/ and models/, as `make
pipeline` does); the exit status is then the model gate's. The scheduled
monitoring pipeline runs this; `make drift` only checks and fails on drift.
Exit status: 0 no drift or a retrained model that passed the gate, 1 drift with
on_drift: alert or a retrained model that failed, 2 usage or setup error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import drift, evaluate, gate, lineage, train, validate
from .settings import TaskError, load_settings, task_parser


def main(argv: list[str] | None = None) -> int:
    """Run the drift check on monitoring.drift.batch (or --batch FILE), then act on drift."""
    parser = task_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch", type=Path, help="incoming CSV (default: monitoring.drift.batch)")
    args = parser.parse_args(argv)
    spec = ["--spec", args.spec]
    status = drift.main([*spec, *(["--batch", str(args.batch)] if args.batch else [])])
    if status == 0:
        print("monitor: no drift, nothing to retrain")
    if status != 1:
        return status
    try:
        on_drift = load_settings(args.spec).on_drift
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if on_drift == "alert":
        print(
            "monitor FAILED: drift detected and monitoring.drift.on_drift is alert", file=sys.stderr
        )
        return 1
    print("monitor: drift detected and monitoring.drift.on_drift is retrain: retraining")
    for step in (validate.main, train.main, evaluate.main):
        status = step(spec)
        if status != 0:
            print(f"monitor FAILED: retraining stopped at {step.__module__}", file=sys.stderr)
            return status
    status = gate.main(spec)
    recorded = lineage.main(spec)
    if status == 0 and recorded == 0:
        print("monitor: the retrained model passed the gate; deploy it through the main pipeline")
    return status or recorded


if __name__ == "__main__":
    raise SystemExit(main())
