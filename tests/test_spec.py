"""The spec: schema, defaults, the typed model, the generated reference page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from mlopsgen.spec import apply_defaults, load_schema, load_spec, parse_spec
from mlopsgen.spec.model import DeployTarget, Live, Platform
from mlopsgen.spec.reference import field_paths, render_reference
from tests.repo_paths import EXAMPLES, ROOT, CliResult

MINIMAL = "version: 1\nproject:\n  name: Spam Filter\n"


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_schema_command_prints_the_shipped_schema(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("schema")
    assert result.code == 0
    assert json.loads(result.out) == load_schema()


def test_reference_page_is_current() -> None:
    committed = (ROOT / "docs" / "spec.md").read_text()
    assert committed == render_reference(), (
        "docs/spec.md is stale: run `python -m mlopsgen.spec.reference > docs/spec.md`"
    )


def test_reference_page_documents_every_field() -> None:
    committed = (ROOT / "docs" / "spec.md").read_text()
    missing = [p for p in field_paths() if f"| `{p}` |" not in committed]
    assert not missing
    assert len(field_paths()) > 60


def test_every_field_has_a_description() -> None:
    schema = load_schema()

    def walk(node: dict[str, object], path: str) -> list[str]:
        out = []
        props = node.get("properties", {})
        assert isinstance(props, dict)
        for name, sub in props.items():
            if "description" not in sub:
                out.append(f"{path}.{name}")
            out += walk(sub, f"{path}.{name}")
            items = sub.get("items")
            if isinstance(items, dict):
                out += walk(items, f"{path}.{name}[]")
        return out

    assert walk(schema, "") == []


def test_defaults_come_from_the_schema() -> None:
    spec = parse_spec(MINIMAL)
    filled = apply_defaults({"version": 1, "project": {"name": "Spam Filter"}})
    assert spec.project.slug == "spam_filter"
    assert spec.project.python == filled["project"]["python"] == "3.11"
    assert spec.ci.platforms == (Platform.GITHUB,)
    assert spec.security.sast_fail_on == filled["security"]["sast"]["fail_on"]
    assert spec.model.metrics["accuracy"].min == filled["model"]["metrics"]["accuracy"]["min"]
    assert spec.model.champion.max_regression == 0.01
    assert spec.monitoring.drift.threshold == 0.2
    assert spec.monitoring.prediction_log.sink == "jsonl"
    assert spec.monitoring.prediction_log.path == "logs/predictions/"
    assert spec.monitoring.live == Live(window="7d", min_records=100, min_labels=30)
    assert spec.deploy.target is DeployTarget.NONE
    assert spec.policies.packs == ("baseline",)
    assert "vault" not in filled["secrets"], "sections with required keys are not invented"


def test_filled_defaults_validate() -> None:
    filled = apply_defaults({"version": 1, "project": {"name": "Spam Filter"}})
    jsonschema.Draft202012Validator(load_schema()).validate(filled)


def test_model_is_frozen() -> None:
    spec = parse_spec(MINIMAL)
    with pytest.raises(AttributeError):
        spec.project.name = "x"  # type: ignore[misc]


def test_yaml_dates_stay_strings() -> None:
    spec = parse_spec(
        MINIMAL + "policies:\n  waivers:\n    - {rule: PIN-007, reason: mirrored "
        "image, owner: platform, expires: 2027-03-31}\n"
    )
    assert str(spec.policies.waivers[0].expires) == "2027-03-31"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_valid(path: Path) -> None:
    spec = load_spec(path)
    assert spec.deploy.target is not DeployTarget.NONE
    assert spec.deploy.environments


def test_examples_cover_the_four_targets() -> None:
    targets = {load_spec(p).deploy.target for p in EXAMPLES}
    expected = {DeployTarget.WEBSERVICE, DeployTarget.EDGE, DeployTarget.BATCH}
    assert targets == expected | {DeployTarget.BROWSER}


def test_registry_mlflow_without_tracking_is_an_error_with_a_hint() -> None:
    """model.registry: mlflow used to be accepted and render nothing: now it needs tracking."""
    from mlopsgen.errors import SpecError

    text = MINIMAL + "model: {registry: mlflow}\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text)
    (problem,) = caught.value.diagnostics
    assert problem.location.json_path == "model.registry"
    assert problem.location.line is not None
    assert problem.hint is not None and "tracking: mlflow" in problem.hint


def test_mlflow_defaults_name_the_model_after_the_slug() -> None:
    spec = parse_spec(MINIMAL + "model: {tracking: mlflow, registry: mlflow}\n")
    assert spec.model.mlflow
    assert spec.model.registered_model == spec.project.slug
    assert spec.model.champion.alias == "champion"
