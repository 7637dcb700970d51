"""Time `mlopsgen new` against plain `cookiecutter --no-input` of the same template.

Both run as cold processes in the same run, alternating, on the largest example
(the one that renders the most files). Prints each median and the ratio; with
--max-ratio, exits 1 when the ratio is above it.

    python benchmarks/bench_new.py --runs 7 --max-ratio 1.5
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlopsgen.new import create_repository
from mlopsgen.scaffold import CONTEXT_KEYS, build_context
from mlopsgen.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]


def largest_example() -> Path:
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "examples").glob("*.yaml")):
            result = create_repository(path.read_text(), Path(tmp) / path.stem, dry_run=True)
            sizes[path] = len(result.files)
    return max(sizes, key=lambda p: sizes[p])


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--max-ratio", type=float, default=None)
    args = parser.parse_args()

    example = largest_example()
    spec = load_spec(example)
    context = build_context(spec, example.read_text())
    extra = [f"{key}={context[key]}" for key in CONTEXT_KEYS]
    work = Path(tempfile.mkdtemp(prefix="bench-new-"))
    env = {**os.environ, "HOME": str(work / "home")}
    (work / "home").mkdir()
    ours, theirs = [], []
    try:
        for i in range(args.runs):
            ours.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "mlopsgen",
                        "new",
                        str(example),
                        "-o",
                        str(work / f"ours-{i}"),
                    ],
                    env,
                )
            )
            theirs.append(
                timed(
                    [
                        sys.executable,
                        "-m",
                        "cookiecutter",
                        "--no-input",
                        "-o",
                        str(work / f"theirs-{i}"),
                        str(ROOT / "template"),
                        *extra,
                    ],
                    env,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    print(f"example: {example.relative_to(ROOT)}  runs: {args.runs}")
    print(f"mlopsgen new            median {a:.3f}s  (min {min(ours):.3f}s)")
    print(f"cookiecutter --no-input median {b:.3f}s  (min {min(theirs):.3f}s)")
    print(f"ratio {ratio:.2f}" + (f"  (limit {args.max_ratio})" if args.max_ratio else ""))
    if args.max_ratio is not None and ratio > args.max_ratio:
        print("FAIL: ratio above the limit")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
