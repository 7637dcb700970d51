"""What the cold-process benchmarks share: timing a command and reporting a median ratio."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def arguments(doc: str) -> argparse.Namespace:
    """``--runs`` and ``--max-ratio``, the options every ratio benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-ratio", type=float, default=None)
    return parser.parse_args()


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one cold run of ``cmd``; exits naming the command when it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        output = (proc.stderr or proc.stdout).decode(errors="replace")[-500:]
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {output}")
    return elapsed


def report(
    ours: tuple[str, list[float]], theirs: tuple[str, list[float]], max_ratio: float | None
) -> int:
    """Print both medians and their ratio; 1 when the ratio is above ``max_ratio``."""
    width = max(len(ours[0]), len(theirs[0]))
    for label, times in (ours, theirs):
        median = statistics.median(times)
        print(f"{label:<{width}}  median {median:.3f}s  (min {min(times):.3f}s)")
    ratio = statistics.median(ours[1]) / statistics.median(theirs[1])
    print(f"ratio {ratio:.2f}" + (f"  (limit {max_ratio})" if max_ratio else ""))
    if max_ratio is not None and ratio > max_ratio:
        print("FAIL: ratio above the limit")
        return 1
    return 0
