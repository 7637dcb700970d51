"""Time `mlopsgen check` on a rendered example against one check-jsonschema call.

Both run as cold processes in the same run, alternating: `mlopsgen check` on a
repository rendered from examples/spam-filter.yaml, and `check-jsonschema
--builtin-schema vendor.github-workflows` on that repository's one workflow file.
Prints each median and the ratio; with --max-ratio, exits 1 above it.

    python benchmarks/bench_check.py --runs 7 --max-ratio 1.5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlopsgen.new import create_repository

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-ratio", type=float, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        repo = work / "repo"
        create_repository((ROOT / "examples" / "spam-filter.yaml").read_text(), repo)
        workflow = repo / ".github" / "workflows" / "ci.yml"
        checker = shutil.which("check-jsonschema")
        if checker is None:
            sys.exit("check-jsonschema is not installed (pip install -e '.[dev]')")
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed([sys.executable, "-m", "mlopsgen", "check", str(repo)]))
            theirs.append(
                timed([checker, "--builtin-schema", "vendor.github-workflows", str(workflow)])
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"runs: {args.runs}")
    print(f"mlopsgen check             median {a:.3f}s  (min {min(ours):.3f}s)")
    print(f"check-jsonschema (1 file)  median {b:.3f}s  (min {min(theirs):.3f}s)")
    print(f"ratio {ratio:.2f}" + (f"  (limit {args.max_ratio})" if args.max_ratio else ""))
    if args.max_ratio is not None and ratio > args.max_ratio:
        print("FAIL: ratio above the limit")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
