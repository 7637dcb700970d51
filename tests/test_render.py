"""`mlopsgen render` in an existing repository, and the pipelines that `new` writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlopsgen.lock import LOCK_PATH
from mlopsgen.new import create_repository
from mlopsgen.render import SCHEMA_PATH
from mlopsgen.spec import load_spec, schema_text
from tests.repo_paths import EXAMPLES, ROOT, CliResult, failing_its_pack

SPAM = ROOT / "examples" / "spam-filter.yaml"
PIPELINE_FILES = (
    ".github/workflows/ci.yml",
    ".github/workflows/monitor.yml",
    ".gitlab-ci.yml",
    "azure-pipelines.yml",
    ".azure-pipelines/monitor.yml",
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    create_repository(SPAM.read_text(), root)
    return root


def test_new_writes_pipelines_and_schema(repo: Path) -> None:
    for rel in PIPELINE_FILES:
        assert (repo / rel).is_file(), rel
    assert (repo / SCHEMA_PATH).read_text() == schema_text()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_new_writes_only_the_spec_platforms(tmp_path: Path, example: Path) -> None:
    from mlopsgen.spec import load_spec

    root = tmp_path / "repo"
    create_repository(example.read_text(), root)
    platforms = {p.value for p in load_spec(example).ci.platforms}
    assert (root / ".github/workflows/ci.yml").exists() == ("github" in platforms)
    assert (root / ".gitlab-ci.yml").exists() == ("gitlab" in platforms)
    assert (root / "azure-pipelines.yml").exists() == ("azure" in platforms)


def test_render_in_a_fresh_repo_changes_nothing(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli("render", "-C", str(repo))
    assert result.code == 0
    assert "wrote 0 new and 0 updated file(s)" in result.err
    assert result.out == ""


def test_render_restores_a_hand_edit(repo: Path, run_cli: Callable[..., CliResult]) -> None:
    ci = repo / ".gitlab-ci.yml"
    original = ci.read_text()
    ci.write_text(original.replace("make sast", "echo skipped"))
    dry = run_cli("render", "-C", str(repo), "--dry-run", "--diff")
    assert dry.code == 0
    assert "update  .gitlab-ci.yml" in dry.out
    assert "-    - echo skipped" in dry.out and "+    - make sast" in dry.out
    assert "echo skipped" in ci.read_text(), "--dry-run writes nothing"
    assert run_cli("render", "-C", str(repo)).code == 0
    assert ci.read_text() == original


def test_render_one_platform(repo: Path, run_cli: Callable[..., CliResult]) -> None:
    (repo / "azure-pipelines.yml").unlink()
    (repo / ".gitlab-ci.yml").unlink()
    result = run_cli("render", "-C", str(repo), "--platform", "gitlab")
    assert result.code == 0
    assert "create  .gitlab-ci.yml" in result.out
    assert not (repo / "azure-pipelines.yml").exists()


def test_render_warns_about_lossy_constructs(repo: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("render", "-C", str(repo))
    assert "gitlab: Job.secrets" not in result.err, "Vault secrets are `secrets:` entries"
    assert "Job.oidc" not in result.err, "the Vault login's token is the store's, not lost"
    assert "warning: azure: Environment.url (ci/deploy-staging, ci/deploy-production)" in result.err
    assert "apply ci-settings/github/ with terraform" in result.err
    assert "Environment.approval" not in result.err, "carried by the settings, not lost"


def test_render_without_a_spec(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    result = run_cli("render", "-C", str(tmp_path))
    assert result.code == 2
    assert "mlops.yaml: no such file" in result.err


def test_render_follows_a_spec_change(repo: Path, run_cli: Callable[..., CliResult]) -> None:
    spec = repo / "mlops.yaml"
    spec.write_text(
        spec.read_text().replace("platforms: [github, gitlab, azure]", "platforms: [github]")
    )
    before = (repo / ".github/workflows/ci.yml").read_text()
    spec.write_text(spec.read_text().replace('python: "3.11"', 'python: "3.12"'))
    assert run_cli("render", "-C", str(repo)).code == 0
    after = (repo / ".github/workflows/ci.yml").read_text()
    assert after != before
    assert 'python-version: "3.12"' in after


def test_render_refuses_a_spec_that_fails_its_own_packs(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    spec = repo / "mlops.yaml"
    spec.write_text(failing_its_pack(spec.read_text()))
    ci = repo / ".gitlab-ci.yml"
    ci.write_text(ci.read_text() + "# hand edit\n")
    before = {rel: (repo / rel).read_bytes() for rel in (".gitlab-ci.yml", LOCK_PATH)}
    result = run_cli("render", "-C", str(repo))
    assert result.code == 1
    assert f"{spec}:35:3: high ML-003 the model gate does not compare" in result.err
    assert "nothing written" in result.err
    assert {rel: (repo / rel).read_bytes() for rel in before} == before

    allowed = run_cli("render", "-C", str(repo), "--allow-findings")
    assert allowed.code == 0
    assert f"warning: {spec}:35:3: high ML-003" in allowed.err
    assert "# hand edit" not in ci.read_text()


def test_the_lock_gets_dependabot_on_github_and_renovate_elsewhere() -> None:
    from mlopsgen.platforms.updates import DEPENDABOT, RENOVATE, update_configs
    from mlopsgen.spec.model import Platform

    both = update_configs([Platform.GITHUB, Platform.GITLAB])
    ecosystems = [u["package-ecosystem"] for u in both[DEPENDABOT]["updates"]]
    assert ecosystems == ["uv", "pip", "github-actions"]
    assert all(u["cooldown"]["default-days"] >= 1 for u in both[DEPENDABOT]["updates"])
    assert "pep621" in both[RENOVATE]["enabledManagers"]
    assert set(update_configs([Platform.GITHUB])) == {DEPENDABOT}
    assert set(update_configs([Platform.AZURE])) == {RENOVATE}


def test_the_browser_pages_npm_lock_gets_updates_too() -> None:
    from mlopsgen.platforms.updates import DEPENDABOT, RENOVATE
    from mlopsgen.render import render_managed

    spec = load_spec(ROOT / "examples" / "pump-check-browser.yaml")
    files = render_managed(spec).files
    assert "package-ecosystem: npm" in files[DEPENDABOT]
    assert '"npm"' in files[RENOVATE]
    other = render_managed(load_spec(ROOT / "examples" / "spam-filter.yaml")).files
    assert "npm" not in other[DEPENDABOT] and "npm" not in other[RENOVATE]


def test_mlflow_renders_only_when_the_spec_asks(tmp_path: Path) -> None:
    """registry: mlflow used to render nothing at all; now it renders the MLflow code."""
    tracked = tmp_path / "tracked"
    create_repository((ROOT / "examples" / "sensors-tracked.yaml").read_text(), tracked)
    plain = tmp_path / "plain"
    create_repository((ROOT / "examples" / "spam-filter.yaml").read_text(), plain)
    assert "mlflow-skinny" in (tracked / "pyproject.toml").read_text()
    assert (tracked / "src" / "pump_failure" / "tracking.py").is_file()
    assert "tracking register" in (tracked / "Makefile").read_text()
    assert "mlflow" not in (plain / "pyproject.toml").read_text()
    assert not list(plain.glob("src/*/tracking.py"))
    assert not list(plain.glob("tests/test_tracking.py"))


@pytest.mark.parametrize(
    ("estimator", "requirement"),
    [
        ("{class: xgboost.XGBClassifier, params: {n_estimators: 50}}", '"xgboost",'),
        ("{class: lightgbm.LGBMClassifier}", '"lightgbm",'),
        ("{class: acme_ml.Boost, package: acme-ml>=1.2}", '"acme-ml>=1.2",'),
    ],
)
def test_the_estimator_package_joins_the_project_dependencies(
    tmp_path: Path, estimator: str, requirement: str
) -> None:
    text = SPAM.read_text().replace(
        "  algorithm: logistic_regression\n", f"  estimator: {estimator}\n"
    )
    assert "estimator:" in text
    root = tmp_path / "repo"
    create_repository(text, root, lock=False)
    pyproject = (root / "pyproject.toml").read_text()
    dependencies = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert requirement in dependencies
    assert '"scikit-learn>=1.4",' in dependencies


def test_a_scikit_learn_estimator_adds_no_dependency(tmp_path: Path) -> None:
    text = SPAM.read_text().replace(
        "  algorithm: logistic_regression\n",
        "  estimator: {class: sklearn.ensemble.HistGradientBoostingClassifier}\n",
    )
    root = tmp_path / "repo"
    create_repository(text, root, lock=False)
    dependencies = (root / "pyproject.toml").read_text().split("dependencies = [", 1)[1]
    assert dependencies.count("scikit-learn") == 1
