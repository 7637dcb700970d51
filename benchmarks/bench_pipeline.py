"""Time the generated pre-deploy pipeline of this checkout against a reference commit's.

Renders one example twice, with this checkout's HEAD commit and with a reference commit
(default: the last commit before the hash-locked, uv-based pipelines), each from a
detached worktree so that nothing changes under a run (uncommitted edits are not
measured), and runs each render's
GitLab pipeline on a feature branch (so the deploy jobs are excluded by their rules)
under gitlab-ci-local, through ``run-gitlab-pipeline`` from the shared oracles. One
warm-up run of each side fills the package caches; then the measured runs alternate.

Prints, for each side, the median wall time, the summed job time and the slowest
per-job set-up (the seconds from a job's start to its first task command, that is,
the install); then the ratio of the wall times (ours / reference). With --max-ratio
or --max-setup, exits 1 above either limit.

    python benchmarks/bench_pipeline.py --runs 1 --max-ratio 0.35 --max-setup 20

Each job's commands run on this host (no container), with the host's network to the
package index, as a CI runner's would. A job that fails for a reason outside the
generated code (pip-audit with no vulnerability service, ``docker build`` with no
Docker engine) still counts: its time is spent on every real push too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit before the pipelines installed from a hash-locked file with uv.
DEFAULT_REF = "4e7fde4"
ORACLES = ROOT.parent / "shared" / "oracles"

_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}
# gitlab-ci-local --timestamps: "[14:49:04   79 ms] build          $ mkdir -p dist"
_LINE = re.compile(r"^\[\d\d:\d\d:\d\d +([\d.]+) (ms|s|min|h)\] (\S+) +(.*)$")
# its closing table: " PASS  [  87 ms] build"
_RESULT = re.compile(r"^ (PASS|FAIL|WARN) +\[ *([\d.]+) (ms|s|min|h)\] (\S+)")
# the commands that install, before a job's own task runs
_SETUP = re.compile(r"^\$ (make (install|lock-check)\b|uv |pip |python3? -m (pip|venv)|\. )")


@dataclass
class Run:
    """One pipeline run: its wall time and, per job, its status, duration and set-up."""

    wall: float
    status: dict[str, str] = field(default_factory=dict)
    duration: dict[str, float] = field(default_factory=dict)
    setup: dict[str, float] = field(default_factory=dict)


def parse_log(text: str, wall: float) -> Run:
    """Read job durations and set-up seconds from a ``--timestamps`` gitlab-ci-local log."""
    run = Run(wall=wall)
    for line in text.splitlines():
        result = _RESULT.match(line)
        if result:
            status, value, unit, job = result.groups()
            run.status[job] = status
            run.duration[job] = float(value) * _UNITS[unit]
            continue
        match = _LINE.match(line)
        if not match:
            continue
        value, unit, job, rest = match.groups()
        if job in run.setup or not rest.startswith("$ "):
            continue
        if not _SETUP.match(rest):
            # the first command that is not an install: everything before it was set-up
            run.setup[job] = float(value) * _UNITS[unit]
    return run


def render(source: Path, example: str, out: Path) -> None:
    """Render ``examples/<example>.yaml`` of ``source`` with ``source``'s own mlopsgen."""
    env = {**os.environ, "PYTHONPATH": str(source / "generator")}
    spec = source / "examples" / f"{example}.yaml"
    cmd = [sys.executable, "-m", "mlopsgen", "new", str(spec), "-o", str(out), "--force"]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"render failed with {source}: {proc.stderr[-800:]}")


def run_pipeline(runner: Path, repo: Path, mlopsgen_src: Path) -> Run:
    """Run the pre-deploy pipeline of ``repo`` once; return its timings."""
    cmd = [
        str(runner),
        "-v",
        "--branch",
        "feature/bench",
        "--variable",
        f"MLOPSGEN={mlopsgen_src}",
        str(repo),
        "--",
        "--timestamps",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
    wall = time.perf_counter() - start
    run = parse_log(proc.stdout, wall)
    if not run.status:
        sys.exit(f"no job ran in {repo}:\n{proc.stdout[-2000:]}{proc.stderr[-800:]}")
    return run


def summary(label: str, runs: list[Run]) -> tuple[float, float]:
    """Print one side's figures; return its median wall time and slowest set-up."""
    wall = statistics.median(r.wall for r in runs)
    summed = statistics.median(sum(r.duration.values()) for r in runs)
    last = runs[-1]
    print(f"{label}: wall median {wall:.1f}s, summed job time {summed:.1f}s")
    for job in sorted(last.duration, key=lambda j: -last.duration[j]):
        setup = last.setup.get(job)
        shown = f"{setup:6.1f}s" if setup is not None else "     - "
        print(f"  {last.status[job]:<4} {job:<24} {last.duration[job]:7.1f}s  set-up {shown}")
    return wall, max(last.setup.values(), default=0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--ref", default=DEFAULT_REF, help="reference commit (default: %(default)s)"
    )
    parser.add_argument("--example", default="spam-filter", help="examples/<name>.yaml")
    parser.add_argument("--runs", type=int, default=1, help="measured runs per side")
    parser.add_argument("--no-warm-up", action="store_true", help="measure cold caches")
    parser.add_argument("--oracles", type=Path, default=ORACLES)
    parser.add_argument("--max-ratio", type=float, default=None)
    parser.add_argument("--max-setup", type=float, default=None)
    args = parser.parse_args()

    runner = args.oracles / "run-gitlab-pipeline"
    if not runner.is_file():
        sys.exit(f"{runner} not found: run ../shared/oracles/install.sh, or pass --oracles DIR")
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        sides = {"this checkout": work / "head", f"reference {args.ref}": work / "reference"}
        for source, ref in zip(sides.values(), ("HEAD", args.ref), strict=True):
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(source), ref],
                check=True,
                capture_output=True,
            )
        repos = {label: work / f"repo-{i}" for i, label in enumerate(sides)}
        for label, source in sides.items():
            render(source, args.example, repos[label])
        results: dict[str, list[Run]] = {label: [] for label in sides}
        rounds = args.runs + (0 if args.no_warm_up else 1)
        for i in range(rounds):
            for label, source in sides.items():
                run = run_pipeline(runner, repos[label], source)
                kind = (
                    "warm-up"
                    if i == 0 and not args.no_warm_up
                    else f"run {len(results[label]) + 1}"
                )
                print(f"[{label}] {kind}: {run.wall:.1f}s", file=sys.stderr)
                if kind != "warm-up":
                    results[label].append(run)
    finally:
        for name in ("head", "reference"):
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / name)],
                check=False,
                capture_output=True,
            )
        shutil.rmtree(work, ignore_errors=True)

    (ours_label, ref_label) = list(results)
    ours, worst_setup = summary(ours_label, results[ours_label])
    theirs, _ = summary(ref_label, results[ref_label])
    ratio = ours / theirs
    print(f"ratio {ratio:.2f} (this checkout / reference, wall time)")
    failed = False
    if args.max_ratio is not None and ratio > args.max_ratio:
        print(f"FAIL: ratio above {args.max_ratio}")
        failed = True
    if args.max_setup is not None and worst_setup > args.max_setup:
        print(f"FAIL: a job spends {worst_setup:.1f}s on set-up (limit {args.max_setup}s)")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
