"""What the tests share besides fixtures: the repository root, the examples, CliResult."""

from __future__ import annotations

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
