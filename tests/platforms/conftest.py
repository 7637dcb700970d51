"""Example specs shared with tests/pipeline, built into pipelines."""

from __future__ import annotations

import pytest

from mlopsgen.pipeline import Pipeline, build_pipelines
from mlopsgen.spec import Spec
from tests.platforms.platform_examples import EXAMPLES, example_spec


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest) -> tuple[str, Spec, tuple[Pipeline, ...]]:
    spec = example_spec(request.param)
    return request.param, spec, build_pipelines(spec)
