"""parse(emit(m)) == expressible(m) on every platform: the three outputs are one pipeline."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from mlopsgen.pipeline import Pipeline, build_pipelines
from mlopsgen.platforms import PLATFORMS, losses, render_text
from mlopsgen.spec import Spec
from mlopsgen.spec.model import Platform
from tests.platforms.ci_schemas import schema_errors
from tests.platforms.pipeline_strategies import pipelines, specs
from tests.platforms.platform_examples import example_spec

_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def through_text(platform: Platform, ps: tuple[Pipeline, ...]) -> dict[str, Any]:
    """Emit, dump as the writer does, and read back with a YAML 1.1 reader (PyYAML)."""
    texts = render_text(PLATFORMS[platform].emit(ps))
    return {path: yaml.load(text, Loader=_LOADER) for path, text in texts.items()}  # noqa: S506


@pytest.mark.parametrize("platform", list(Platform))
@_SETTINGS
@given(ps=pipelines())
def test_roundtrip_generated_models(platform: Platform, ps: tuple[Pipeline, ...]) -> None:
    impl = PLATFORMS[platform]
    expected = impl.expressible(ps)
    assert impl.parse(impl.emit(ps)) == expected
    assert impl.parse(through_text(platform, ps)) == expected
    # expressible is a projection: applying it twice changes nothing more.
    assert impl.expressible(expected) == expected
    # Every field it drops is one the platform documents as lossy.
    assert {loss.field for loss in losses(impl, ps)} <= set(impl.lossy)
    assert losses(impl, expected) == ()


@pytest.mark.parametrize("platform", [Platform.GITHUB, Platform.GITLAB])
@_SETTINGS
@given(ps=pipelines())
def test_generated_models_are_schema_valid(platform: Platform, ps: tuple[Pipeline, ...]) -> None:
    # Azure's schema takes ~0.7 s per file in process; its examples are checked below.
    for path, data in through_text(platform, ps).items():
        assert schema_errors(platform, data) == [], path


@pytest.mark.parametrize("platform", list(Platform))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_roundtrip_models_built_from_specs(platform: Platform, spec: Spec) -> None:
    ps = build_pipelines(spec)
    impl = PLATFORMS[platform]
    assert impl.parse(through_text(platform, ps)) == impl.expressible(ps)


def test_roundtrip_examples(example: tuple[str, Spec, tuple[Pipeline, ...]]) -> None:
    _, _, ps = example
    for platform, impl in PLATFORMS.items():
        files = through_text(platform, ps)
        assert impl.parse(files) == impl.expressible(ps)
        for path, data in files.items():
            assert schema_errors(platform, data) == [], path


def test_losses_of_the_spam_filter() -> None:
    ps = build_pipelines(example_spec("spam_filter"))
    found = {
        p: sorted({(x.job or "", x.field) for x in losses(PLATFORMS[p], ps)}) for p in Platform
    }
    assert found[Platform.GITHUB] == [
        ("", "Schedule.branch"),
        ("deploy-production", "Environment.approval"),
    ]
    # Vault secrets are `secrets:` entries now: nothing of them is lost on GitLab.
    assert found[Platform.GITLAB] == [("", "Schedule.branch")]
    # The Vault login's token is the store's (the pipeline's own ID token on Azure): no job
    # needs one for its commands, so no Job.oidc is lost.
    assert found[Platform.AZURE] == [
        ("deploy-production", "Environment.approval"),
        ("deploy-production", "Environment.url"),
    ]
    assert all(
        loss.format().startswith(("ci", "monitor"))
        for p in Platform
        for loss in losses(PLATFORMS[p], ps)
    )


def test_schema_check_catches_a_bad_key() -> None:
    """Negative control: the in-process schema check does reject an invalid document."""
    assert schema_errors(
        Platform.GITHUB, {"on": "push", "jobs": {"a": {"runs-on": "x", "stepz": []}}}
    )
    assert schema_errors(Platform.GITLAB, {"a": {"script": ["x"], "when": "sometimes"}})
    assert schema_errors(Platform.AZURE, {"stages": [{"stage": "a", "jobz": []}]})
