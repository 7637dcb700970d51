"""Data drift between the training data (reference) and an incoming batch, per feature.

Numeric features: PSI over ten quantile bins of the reference (plus a bin for
empty cells), or the two-sample Kolmogorov-Smirnov statistic when
monitoring.drift.method is ks. Categorical features: PSI over the category
frequencies (plus a bin for unseen categories and one for empty cells), with
either method. A feature drifts when its score exceeds monitoring.drift.threshold.
Writes reports/drift.json. Exit status: 0 no drift, 1 drift, 2 usage or setup error.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .data import Contract, load_contract, load_training_frame, read_csv
from .settings import Settings, TaskError, load_settings, task_parser

BINS = 10
# Floor for a bin's share, so that an empty bin gives a large but finite PSI.
EPSILON = 1e-4


def _psi_from_shares(reference: np.ndarray, current: np.ndarray) -> float:
    ref = np.clip(reference, EPSILON, None)
    cur = np.clip(current, EPSILON, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def psi_numeric(reference: pd.Series, current: pd.Series, *, bins: int = BINS) -> float:
    """Population stability index over quantile bins of the reference."""
    ref = reference.dropna().to_numpy(dtype=float)
    cur = current.dropna().to_numpy(dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, ref), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur), minlength=len(edges) + 1)
    ref_shares = np.append(ref_counts, reference.isna().sum()) / len(reference)
    cur_shares = np.append(cur_counts, current.isna().sum()) / max(len(current), 1)
    return _psi_from_shares(ref_shares, cur_shares)


def psi_categorical(reference: pd.Series, current: pd.Series) -> float:
    """Population stability index over category frequencies."""
    categories = sorted(reference.dropna().astype(str).unique())
    ref = reference.astype("string").fillna("<empty>")
    cur = current.astype("string").fillna("<empty>")
    cur = cur.where(cur.isin([*categories, "<empty>"]), "<unseen>")
    labels = [*categories, "<empty>", "<unseen>"]
    ref_shares = ref.value_counts(normalize=True).reindex(labels, fill_value=0.0).to_numpy()
    cur_shares = cur.value_counts(normalize=True).reindex(labels, fill_value=0.0).to_numpy()
    return _psi_from_shares(ref_shares, cur_shares)


def ks_statistic(reference: pd.Series, current: pd.Series) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    ref = np.sort(reference.dropna().to_numpy(dtype=float))
    cur = np.sort(current.dropna().to_numpy(dtype=float))
    if len(ref) == 0 or len(cur) == 0:
        return 1.0
    points = np.concatenate([ref, cur])
    gap = np.searchsorted(ref, points, side="right") / len(ref) - np.searchsorted(
        cur, points, side="right"
    ) / len(cur)
    return float(np.max(np.abs(gap)))


@dataclass(frozen=True)
class FeatureDrift:
    """The drift score of one feature."""

    feature: str
    kind: str
    method: str
    score: float
    drifted: bool


def measure(
    reference: pd.DataFrame,
    batch: pd.DataFrame,
    contract: Contract,
    *,
    method: str,
    threshold: float,
) -> list[FeatureDrift]:
    """Score every feature of the contract."""
    results = []
    for column in contract.features:
        ref, cur = reference[column.name], batch[column.name]
        if column.numeric and method == "ks":
            kind, used, score = "numeric", "ks", ks_statistic(ref, cur)
        elif column.numeric:
            kind, used, score = "numeric", "psi", psi_numeric(ref, cur)
        else:
            kind, used, score = "categorical", "psi", psi_categorical(ref, cur)
        results.append(FeatureDrift(column.name, kind, used, round(score, 4), score > threshold))
    return results


def check_drift(
    settings: Settings, batch_path: Path | None = None
) -> tuple[list[FeatureDrift], dict[str, Any]]:
    """Compare the batch with the training data; return the scores and the report."""
    contract = load_contract(settings.contract)
    reference = load_training_frame(settings, contract)
    path = batch_path or settings.drift_batch
    batch = read_csv(path, contract, require_target=False)
    if batch.empty:
        raise TaskError(f"{settings.display(path)}: the batch has no rows")
    results = measure(
        reference, batch, contract, method=settings.drift_method, threshold=settings.drift_threshold
    )
    report = {
        "method": settings.drift_method,
        "threshold": settings.drift_threshold,
        "on_drift": settings.on_drift,
        "reference": [settings.display(p) for p in settings.sources],
        "batch": settings.display(path.resolve()),
        "rows": {"reference": len(reference), "batch": len(batch)},
        "drifted": [r.feature for r in results if r.drifted],
        "features": [asdict(r) for r in results],
    }
    return results, report


def main(argv: list[str] | None = None) -> int:
    """Check monitoring.drift.batch (or --batch FILE) for drift."""
    parser = task_parser(__doc__.splitlines()[0])
    parser.add_argument("--batch", type=Path, help="incoming CSV (default: monitoring.drift.batch)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.spec)
        results, report = check_drift(settings, args.batch)
    except TaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = settings.report("drift.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    drifted = [r for r in results if r.drifted]
    threshold = settings.drift_threshold
    if drifted:
        for r in drifted:
            print(
                f"drift DETECTED: feature {r.feature!r} {r.method} = {r.score:.3f} "
                f"exceeds the threshold {threshold:.3f}",
                file=sys.stderr,
            )
        print(
            f"drift check FAILED: {len(drifted)} of {len(results)} feature(s) drifted in "
            f"{report['batch']} (on_drift: {settings.on_drift}) -> {settings.display(out)}",
            file=sys.stderr,
        )
        return 1
    worst = max(results, key=lambda r: r.score)
    print(
        f"no drift in {report['batch']}: {len(results)} features, the largest {worst.method} is "
        f"{worst.score:.3f} ({worst.feature}), threshold {threshold:.3f} -> {settings.display(out)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
