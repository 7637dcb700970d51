"""Time `mlopsgen new` against plain `cookiecutter --no-input` of the same template.

Both run as cold processes in the same run, alternating, on the largest example
(the one that renders the most files). Prints each median and the ratio; with
--max-ratio, exits 1 when the ratio is above it.

cookiecutter gets the same context as `mlopsgen new` through a config file's
`default_context`: its command line takes strings only, and the template's `secrets`
variable is a mapping.

    python benchmarks/bench_new.py --runs 7 --max-ratio 1.5
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ratio import arguments, report, timed

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


def main() -> int:
    args = arguments(__doc__ or "")

    example = largest_example()
    spec = load_spec(example)
    context = build_context(spec, example.read_text())
    work = Path(tempfile.mkdtemp(prefix="bench-new-"))
    env = {**os.environ, "HOME": str(work / "home")}
    (work / "home").mkdir()
    config = work / "cookiecutter.yaml"  # JSON is YAML
    values = {key: context[key] for key in (*CONTEXT_KEYS, "_spec_text")}
    config.write_text(json.dumps({"default_context": values}), encoding="utf-8")
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
                        "--config-file",
                        str(config),
                        "-o",
                        str(work / f"theirs-{i}"),
                        str(ROOT / "template"),
                    ],
                    env,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"example: {example.relative_to(ROOT)}  runs: {args.runs}")
    return report(("mlopsgen new", ours), ("cookiecutter --no-input", theirs), args.max_ratio)


if __name__ == "__main__":
    sys.exit(main())
