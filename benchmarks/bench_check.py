"""Time `mlopsgen check` on a rendered example against one check-jsonschema call.

Both run as cold processes in the same run, alternating: `mlopsgen check` on a
repository rendered from examples/spam-filter.yaml, and `check-jsonschema
--builtin-schema vendor.github-workflows` on that repository's one workflow file.
Prints each median and the ratio; with --max-ratio, exits 1 above it.

    python benchmarks/bench_check.py --runs 7 --max-ratio 1.5
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from ratio import arguments, report, timed

from mlopsgen.new import create_repository

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    args = arguments(__doc__ or "")
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
    print(f"runs: {args.runs}")
    return report(("mlopsgen check", ours), ("check-jsonschema (1 file)", theirs), args.max_ratio)


if __name__ == "__main__":
    sys.exit(main())
