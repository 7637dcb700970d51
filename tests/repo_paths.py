"""What the tests share besides fixtures: the repository root, the examples, CliResult, wheels."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@dataclass(frozen=True)
class CliResult:
    """Exit code and captured streams of one CLI call."""

    code: int
    out: str
    err: str


def failing_its_pack(spec_text: str) -> str:
    """An example spec made to fail its own pack: ``regulated`` without a champion comparison.

    ``regulated`` raises ML-003 to high and fails at low, so the spec has a blocking finding.
    """
    assert "packs: [baseline]" in spec_text and "champion: {compare: true" in spec_text
    return spec_text.replace("packs: [baseline]", "packs: [regulated]").replace(
        "champion: {compare: true", "champion: {compare: false"
    )


def build_wheel(outdir: Path) -> Path:
    """Build mlopsgen's wheel from this checkout into ``outdir`` (``python -m build``)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(outdir.glob("mlopsgen-*.whl"))
