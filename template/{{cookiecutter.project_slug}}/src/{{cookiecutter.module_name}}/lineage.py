"""Write reports/lineage.json: data hashes -> code commit -> parameters -> metrics -> model hash."""

from __future__ import annotations

import csv
import json
import platform
import shutil
import subprocess  # nosec B404  # used only for `git rev-parse HEAD`, see git_commit()
import sys
import time
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import sklearn

from .data import dvc_md5, dvc_pointer, load_contract, sha256_file
from .settings import Settings, TaskError, load_settings, task_parser


def _utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def git_commit(root: Path) -> str | None:
    """The commit checked out at root, or None outside a git work tree (or without git)."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        # Safe: a fixed argument list naming the resolved git binary; no shell, no user input.
        result = subprocess.run(  # noqa: S603  # nosec B603
            [git, "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else None


def _file_entry(path: Path, settings: Settings) -> dict[str, Any]:
    if not path.is_file():
        raise TaskError(f"{settings.display(path)}: not found")
    return {
        "path": settings.display(path),
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
    }


def _dvc_entry(path: Path, settings: Settings) -> dict[str, Any]:
    """The data version DVC tracks (``<path>.dvc``), which must be the data on disk."""
    pointer = dvc_pointer(path)
    md5 = dvc_md5(path)
    if md5 != pointer["md5"]:
        raise TaskError(
            f"{settings.display(path)}: md5 {md5} is not the {pointer['md5']} its .dvc file "
            "records; run `make data-pull` for the committed data, or `make data-push` (then "
            "commit the .dvc file) for this data"
        )
    return {"file": settings.display(path) + ".dvc", "md5": md5}


def build_lineage(settings: Settings) -> dict[str, Any]:
    """Collect the lineage record; the model and reports/metrics.json must exist."""
    metrics_path = settings.report("metrics.json")
    if not metrics_path.is_file():
        raise TaskError(f"{settings.display(metrics_path)}: not found; run the evaluate task first")
    if not settings.model_path.is_file():
        raise TaskError(
            f"{settings.display(settings.model_path)}: not found; run the train task first"
        )
    contract = load_contract(settings.contract)
    sources = []
    for path in settings.sources:
        entry = _file_entry(path, settings)
        with path.open(newline="", encoding="utf-8") as handle:
            entry["rows"] = max(sum(1 for record in csv.reader(handle) if record) - 1, 0)
        if settings.versioning == "dvc":
            entry["dvc"] = _dvc_entry(path, settings)
        sources.append(entry)
    # joblib unpickles: the model is the one this repository's train task wrote.
    pipeline = joblib.load(settings.model_path)
    estimator = pipeline.named_steps["model"]
    evaluation = json.loads(metrics_path.read_text(encoding="utf-8"))
    record: dict[str, Any] = {
        "project": settings.project_name,
        "data": {
            "sources": sources,
            "contract": _file_entry(contract.path, settings),
        },
        "code": {"git_commit": git_commit(settings.root)},
        "parameters": {
            "task": settings.task,
            "algorithm": settings.model_name,
            "seed": settings.seed,
            "test_size": settings.test_size,
            "features": contract.feature_names,
            "target": contract.target,
            "estimator": dict(sorted(estimator.get_params().items())),
        },
        "metrics": evaluation.get("metrics", {}),
        "model": _file_entry(settings.model_path, settings),
        "timestamps": {
            "model_trained_at": _utc(settings.model_path.stat().st_mtime),
            "metrics_written_at": _utc(metrics_path.stat().st_mtime),
            "lineage_written_at": _utc(time.time()),
        },
        "environment": {
            "python": platform.python_version(),
            "scikit_learn": sklearn.__version__,
            "pandas": pd.__version__,
            "platform": platform.platform(),
        },
    }
{%- if cookiecutter.model_tracking == 'mlflow' %}
    if settings.tracking == "mlflow":
        from .tracking import lineage_entry

        # The run id now; the registered version once the package stage registers it.
        record["mlflow"] = lineage_entry(settings)
{%- endif %}
    return record


def main(argv: list[str] | None = None) -> int:
    """Write reports/lineage.json for the current model."""
    args = task_parser(__doc__.splitlines()[0]).parse_args(argv)
    try:
        settings = load_settings(args.spec)
        record = build_lineage(settings)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = settings.report("lineage.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    commit = record["code"]["git_commit"] or "no git commit"
    print(
        f"lineage: {len(record['data']['sources'])} data file(s) -> {commit} -> "
        f"{record['parameters']['algorithm']} -> model sha256 {record['model']['sha256'][:12]} "
        f"-> {settings.display(out)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
