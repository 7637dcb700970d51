"""The example specs of tests/pipeline/specs, loaded by name."""

from __future__ import annotations

from pathlib import Path

from mlopsgen.spec import Spec, load_spec

SPECS = Path(__file__).parent.parent / "pipeline" / "specs"
EXAMPLES = sorted(p.stem for p in SPECS.glob("*.yaml"))


def example_spec(name: str) -> Spec:
    """The typed spec of ``tests/pipeline/specs/<name>.yaml``."""
    return load_spec(SPECS / f"{name}.yaml")
