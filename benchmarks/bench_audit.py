"""Audit the shared corpus of real pipeline files: files per second, ratio to PyYAML, memory.

Both sides run in this process, alternating, on the same files: PyYAML's C loader parsing
every document of every file (the floor any Python audit stands on), then
`mlopsgen.policy.audit` over the same folder with a pack (reading, detecting, every rule,
positions, waivers). Prints each median, the ratio, and the peak traced memory of audits
of the corpus once, twice and four times over (flat: it does not grow with the count).

    python benchmarks/bench_audit.py --runs 5 --min-rate 300 --max-ratio 3

Exits 1 when a threshold given on the command line is missed.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import yaml

from mlopsgen.policy import AuditSettings, audit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


class _Loader(yaml.CSafeLoader):
    """The C loader, taking GitLab's !reference and any other tag as plain data."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def parse_all(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        text = path.read_bytes().decode("utf-8-sig")
        list(yaml.load_all(text, Loader=_Loader))
    return time.perf_counter() - start


def audit_all(paths: list[Path], settings: AuditSettings) -> tuple[float, int]:
    start = time.perf_counter()
    findings = 0
    for report in audit(paths, settings):
        findings += len(report.results)
    return time.perf_counter() - start, findings


def peak_memory(files: list[Path], settings: AuditSettings) -> int:
    gc.collect()
    tracemalloc.start()
    for _ in audit(files, settings):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pack", default="strict")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--min-rate", type=float, help="fail below this many files/s")
    parser.add_argument("--max-ratio", type=float, help="fail above this audit/parse ratio")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in {".yml", ".yaml"})
    if not files:
        print(f"no YAML files under {args.corpus}", file=sys.stderr)
        return 2
    settings = AuditSettings(packs=(args.pack,))
    parse_all(files)  # warm the page cache and imports
    audit_all([args.corpus], settings)
    parse_times, audit_times = [], []
    findings = 0
    for _ in range(args.runs):
        parse_times.append(parse_all(files))
        elapsed, findings = audit_all([args.corpus], settings)
        audit_times.append(elapsed)
    parse, audited = statistics.median(parse_times), statistics.median(audit_times)
    rate, ratio = len(files) / audited, audited / parse
    print(f"corpus: {len(files)} files under {args.corpus}")
    print(f"pyyaml C loader: {parse:.3f} s  ({len(files) / parse:,.0f} files/s)")
    print(
        f"mlopsgen audit ({args.pack}): {audited:.3f} s  ({rate:,.0f} files/s, {findings} findings)"
    )
    print(f"ratio audit/parse: {ratio:.2f}")
    for times in (1, 2, 4):
        peak = peak_memory(files * times, settings)
        print(f"peak traced memory, {len(files) * times} files: {peak / 1e6:.1f} MB")
    failed = False
    if args.min_rate is not None and rate < args.min_rate:
        print(f"FAIL: {rate:.0f} files/s < {args.min_rate:.0f}", file=sys.stderr)
        failed = True
    if args.max_ratio is not None and ratio > args.max_ratio:
        print(f"FAIL: ratio {ratio:.2f} > {args.max_ratio}", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
