"""mlops.yaml is read once, with the defaults applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import settings, train
from {{ cookiecutter.module_name }}.settings import SpecError, load_settings, settings_from_mapping


def test_the_repository_spec_loads(repo: Path) -> None:
    loaded = load_settings(repo / "mlops.yaml")
    assert loaded.algorithm in settings.ALGORITHMS
    assert loaded.metrics


def test_defaults_apply_to_a_minimal_spec(tmp_path: Path) -> None:
    loaded = settings_from_mapping({"version": 1}, root=tmp_path)
    assert loaded.sources == (tmp_path / "data/raw/train.csv",)
    assert loaded.contract == tmp_path / settings.DEFAULT_CONTRACT
    assert loaded.algorithm == "logistic_regression"
    assert loaded.test_size == 0.25
    assert loaded.seed == 42
    assert [(m.name, m.minimum, m.maximum) for m in loaded.metrics] == [("accuracy", 0.7, None)]
    assert loaded.champion_compare is False
    assert loaded.max_regression == 0.01
    assert loaded.champion_baseline == tmp_path / "models/champion/metrics.json"
    assert loaded.deploy_target == "none"
    assert (loaded.cloud, loaded.environments) == ("none", ())
    assert loaded.max_bundle_kb == 512
    assert (loaded.drift_method, loaded.drift_threshold) == ("psi", 0.2)
    assert loaded.drift_schedule == "0 3 * * *"
    assert loaded.on_drift == "retrain"
    assert loaded.drift_batch == tmp_path / "data/incoming/batch.csv"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"model": {"algorithm": "svm"}}, "model.algorithm"),
        ({"model": {"metrics": {"auc": {"min": 0.5}}}}, "model.metrics.auc"),
        ({"model": {"metrics": {"f1": {"minimum": 0.5}}}}, "model.metrics.f1"),
        ({"model": {"test_size": 2}}, "model.test_size"),
        ({"monitoring": {"drift": {"method": "chi2"}}}, "monitoring.drift.method"),
        ({"deploy": {"target": "lambda"}}, "deploy.target"),
        ({"deploy": {"cloud": "heroku"}}, "deploy.cloud"),
        ({"deploy": {"environments": [{"url": "https://x"}]}}, r"deploy.environments\[0\].name"),
        ({"monitoring": {"drift": {"on_drift": "page"}}}, "monitoring.drift.on_drift"),
        ({"data": "data.csv"}, "data"),
        ({"model": {"task": "ranking"}}, "model.task"),
        ({"model": {"task": "regression", "metrics": {"f1": {"min": 0.5}}}}, "model.metrics.f1"),
        ({"model": {"metrics": {"rmse": {"max": 3}}}}, "model.metrics.rmse"),
        ({"model": {"task": "regression", "algorithm": "logistic_regression"}}, "model.algorithm"),
        ({"model": {"estimator": {"class": "XGBClassifier"}}}, "model.estimator.class"),
        ({"model": {"estimator": {"class": "a.B", "parms": {}}}}, "model.estimator"),
    ],
)
def test_bad_values_name_the_key(raw: dict, key: str, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=key):
        settings_from_mapping(raw, root=tmp_path)


def test_regression_defaults_to_its_own_algorithm_and_metric(tmp_path: Path) -> None:
    loaded = settings_from_mapping({"model": {"task": "regression"}}, root=tmp_path)
    assert (loaded.algorithm, loaded.classification) == ("linear_regression", False)
    assert [(m.name, m.minimum) for m in loaded.metrics] == [("r2", 0.5)]


def test_every_algorithm_has_an_estimator() -> None:
    assert set(train.ALGORITHMS) == set(settings.ALGORITHMS)


def test_environments_are_read(tmp_path: Path) -> None:
    prod = {"name": "prod", "url": "https://x", "approval": "required"}
    loaded = settings_from_mapping({"deploy": {"environments": [prod]}}, root=tmp_path)
    assert loaded.environment("prod") == settings.Environment("prod", "https://x", "required")
    with pytest.raises(settings.TaskError, match="'dev' is not declared"):
        loaded.environment("dev")
