"""Example specs (spam filter, predictive maintenance, batch loans) as typed Specs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsgen.spec import Spec, load_spec

SPECS = Path(__file__).parent / "specs"
EXAMPLES = sorted(p.stem for p in SPECS.glob("*.yaml"))


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> Spec:
    return load_spec(SPECS / f"{request.param}.yaml")


@pytest.fixture
def load_example() -> Callable[[str], Spec]:
    return lambda name: load_spec(SPECS / f"{name}.yaml")
