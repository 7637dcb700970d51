"""Settings as code: Terraform JSON per platform, structurally valid and true to the model.

No provider can be downloaded here, so the modules are checked structurally: every
block and argument is one the provider documents (required ones present), every
``${...}`` reference points at a declared variable, data source or resource, and no
credential is ever written. When a ``terraform`` or ``tofu`` binary is on PATH, it also
parses each module (``terraform providers`` reads the configuration without providers).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlopsgen.pipeline import (
    Environment,
    Job,
    JobKind,
    Pipeline,
    Rule,
    Schedule,
    Triggers,
    build_pipelines,
)
from mlopsgen.platforms import PLATFORMS
from mlopsgen.platforms.gitlab import SCHEDULE_VAR
from mlopsgen.platforms.terraform import (
    BUILDERS,
    COVERS,
    PROVIDERS,
    SETTINGS_DIR,
    settings_files,
    settings_text,
)
from mlopsgen.spec import Spec, load_spec
from mlopsgen.spec.model import Platform
from tests.platforms.pipeline_strategies import pipelines as pipeline_models
from tests.platforms.platform_examples import EXAMPLES, example_spec

# --- what the providers accept (their documentation, argument by argument) ----------------

#: type -> (required arguments, optional arguments); nested blocks are arguments here.
RESOURCES: dict[str, tuple[set[str], set[str]]] = {
    "github_repository_environment": (
        {"environment", "repository"},
        {
            "wait_timer",
            "can_admins_bypass",
            "prevent_self_review",
            "reviewers",
            "deployment_branch_policy",
        },
    ),
    "github_repository_environment_deployment_policy": (
        {"environment", "repository"},
        {"branch_pattern", "tag_pattern"},
    ),
    "github_branch_default": ({"repository", "branch"}, {"rename"}),
    "gitlab_project_environment": ({"project", "name"}, {"external_url", "tier"}),
    "gitlab_project_protected_environment": (
        {"project", "environment"},
        {"approval_rules", "deploy_access_levels", "deploy_access_levels_attribute"},
    ),
    "gitlab_pipeline_schedule": (
        {"project", "description", "ref", "cron"},
        {"active", "cron_timezone", "take_ownership"},
    ),
    "gitlab_pipeline_schedule_variable": (
        {"project", "pipeline_schedule_id", "key", "value"},
        {"variable_type"},
    ),
    "azuredevops_environment": ({"project_id", "name"}, {"description"}),
    "azuredevops_check_approval": (
        {"project_id", "target_resource_id", "target_resource_type", "approvers"},
        {"instructions", "minimum_required_approvers", "requester_can_approve", "timeout"},
    ),
    "azuredevops_check_branch_control": (
        {"project_id", "target_resource_id", "target_resource_type", "display_name"},
        {
            "allowed_branches",
            "verify_branch_protection",
            "ignore_unknown_protection_status",
            "timeout",
        },
    ),
    "azuredevops_check_exclusive_lock": (
        {"project_id", "target_resource_id", "target_resource_type"},
        {"timeout"},
    ),
}
DATA: dict[str, tuple[set[str], set[str]]] = {
    "github_team": ({"slug"}, {"membership_type", "summary_only", "results_per_page"}),
    "github_user": ({"username"}, set()),
    "gitlab_group": (set(), {"full_path", "group_id"}),
    "gitlab_user": (set(), {"username", "user_id", "email"}),
    "azuredevops_project": (set(), {"name", "project_id"}),
    "azuredevops_group": ({"name"}, {"project_id"}),
}
#: Nested blocks: (required, optional) keys of each element.
BLOCKS: dict[tuple[str, str], tuple[set[str], set[str]]] = {
    ("github_repository_environment", "reviewers"): (set(), {"teams", "users"}),
    ("github_repository_environment", "deployment_branch_policy"): (
        {"protected_branches", "custom_branch_policies"},
        set(),
    ),
    ("gitlab_project_protected_environment", "deploy_access_levels"): (
        set(),
        {"access_level", "group_id", "user_id", "group_inheritance_type"},
    ),
}
#: Provider configuration arguments we may set: never a credential.
PROVIDER_ARGS = {"github": {"owner"}, "gitlab": {"base_url"}, "azuredevops": {"org_service_url"}}
META = {"for_each", "depends_on", "lifecycle", "count", "provider"}
TOP = {"//", "terraform", "provider", "variable", "data", "resource", "output", "locals"}
CREDENTIAL = re.compile(r"token|password|secret|personal_access|private_key", re.IGNORECASE)


def _interpolations(text: str) -> Iterator[str]:
    """The expressions of every ``${...}`` in a template (``$${`` is a literal)."""
    i = 0
    while (start := text.find("${", i)) != -1:
        if start > 0 and text[start - 1] == "$":
            i = start + 2
            continue
        depth, j, quoted = 1, start + 2, False
        while depth:
            assert j < len(text), f"unterminated interpolation in {text!r}"
            c = text[j]
            if quoted:
                if c == "\\":
                    j += 1
                elif c == '"':
                    quoted = False
            elif c == '"':
                quoted = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            j += 1
        yield text[start + 2 : j - 1]
        i = j


_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_REF = re.compile(r"(?<![\w.])([A-Za-z_][\w-]*)\.([\w-]+)(?:\.([\w-]+))?")
_FOR = re.compile(r"\bfor\s+(\w+)(?:\s*,\s*(\w+))?\s+in\b")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def check_module(module: Mapping[str, Any], platform: Platform) -> None:
    """Assert that ``module`` is a Terraform JSON root module the provider accepts."""
    provider = PROVIDERS[platform]
    assert set(module) <= TOP
    assert module["terraform"]["required_version"]
    assert module["terraform"]["required_providers"] == {
        provider.name: {"source": provider.source, "version": provider.version}
    }
    assert re.fullmatch(r"~> \d+\.\d+", provider.version)
    assert set(module["provider"]) == {provider.name}
    assert set(module["provider"][provider.name]) <= PROVIDER_ARGS[provider.name]
    variables = module.get("variable", {})
    for name, var in variables.items():
        assert (
            {"type", "description"} <= set(var) <= {"type", "description", "default", "validation"}
        )
        assert not CREDENTIAL.search(name), f"variable {name} looks like a credential"
    data = module.get("data", {})
    resources = module.get("resource", {})
    assert resources, "a settings module manages something"
    for section, schema in (("data", DATA), ("resource", RESOURCES)):
        for typ, blocks in module.get(section, {}).items():
            assert typ.startswith(f"{provider.name}_"), typ
            assert typ in schema, f"{section} {typ} is not one we checked against the docs"
            required, optional = schema[typ]
            for label, body in blocks.items():
                assert re.fullmatch(r"[A-Za-z_][\w-]*", label), label
                keys = set(body) - META
                assert required <= keys, f"{typ}.{label} misses {required - keys}"
                assert keys <= required | optional, f"{typ}.{label}: {keys - required - optional}"
                for (btyp, block), (breq, bopt) in BLOCKS.items():
                    if btyp == typ and block in body:
                        assert isinstance(body[block], list)
                        for element in body[block]:
                            assert breq <= set(element) <= breq | bopt, (typ, block, element)
                _check_refs(body, variables, data, resources, for_each="for_each" in body)
    if "github_repository_environment_deployment_policy" in resources:
        for body in resources["github_repository_environment_deployment_policy"].values():
            assert len({"branch_pattern", "tag_pattern"} & set(body)) == 1
    _check_refs(module["provider"], variables, data, resources, for_each=False)
    for var in variables.values():
        for rule in var.get("validation", ()):
            _check_refs(rule["condition"], variables, data, resources, for_each=False)
    for text in _strings(module):
        assert "PRIVATE KEY" not in text


def _check_refs(
    value: Any,
    variables: Mapping[str, Any],
    data: Mapping[str, Any],
    resources: Mapping[str, Any],
    *,
    for_each: bool,
) -> None:
    for text in _strings(value):
        for expr in _interpolations(text):
            bare = _STRING.sub('""', expr)
            local = {n for m in _FOR.finditer(bare) for n in m.groups() if n}
            for head, second, third in _REF.findall(bare):
                if head in local:
                    continue
                if head == "var":
                    assert second in variables, f"undeclared var.{second} in {text!r}"
                elif head == "each":
                    assert for_each and second in {"key", "value"}, text
                elif head == "data":
                    assert third and third in data.get(second, {}), f"undeclared data in {text!r}"
                else:
                    assert second in resources.get(head, {}), f"undeclared {head}.{second}"


SECRET_CASES = Path(__file__).parents[1] / "cases" / "secrets"


def _example(name: str) -> tuple[Spec, tuple[Pipeline, ...]]:
    spec = example_spec(name)
    return spec, build_pipelines(spec)


def _files(
    platform: Platform, pipelines: Sequence[Pipeline], owners: Sequence[str] = ("ml-team",)
) -> dict[str, Any]:
    return settings_files(platform, pipelines, owners=tuple(owners), project="proj")


def _module(files: Mapping[str, Any], platform: Platform) -> dict[str, Any]:
    module = files[f"{SETTINGS_DIR}/{platform.value}/main.tf.json"]
    assert isinstance(module, dict)
    return module


# --- the registry ---------------------------------------------------------------------------


def test_every_platform_has_settings() -> None:
    assert list(BUILDERS) == list(Platform)
    assert list(PROVIDERS) == list(Platform)
    assert list(COVERS) == list(Platform)
    for platform, fields in COVERS.items():
        assert fields <= set(PLATFORMS[platform].lossy), platform


# --- every example on every platform --------------------------------------------------------


@pytest.mark.parametrize("platform", list(Platform))
@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_are_valid_modules(name: str, platform: Platform) -> None:
    spec, pipelines = _example(name)
    files = settings_files(
        platform, pipelines, owners=spec.project.owners, project=spec.project.slug
    )
    base = f"{SETTINGS_DIR}/{platform.value}"
    assert set(files) == {f"{base}/main.tf.json", f"{base}/README.md", f"{base}/.gitignore"}
    module = _module(files, platform)
    check_module(module, platform)
    text = settings_text(files)
    assert json.loads(text[f"{base}/main.tf.json"]) == module
    assert text[f"{base}/main.tf.json"].endswith("}\n")
    assert text == settings_text(
        settings_files(platform, pipelines, owners=spec.project.owners, project=spec.project.slug)
    )
    readme = text[f"{base}/README.md"]
    assert "terraform init" in readme
    assert "terraform apply" in readme
    assert ".terraform/" in text[f"{base}/.gitignore"]
    for env in {
        j.environment.name
        for p in pipelines
        for j in p.jobs
        if j.environment is not None and j.environment.deployment  # secret scopes need none
    }:
        assert f"`{env}`" in readme


@settings(max_examples=15, deadline=None)
@given(
    pipelines=pipeline_models(),
    owners=st.lists(
        st.sampled_from(["ml-team", "@alice", "@org/platform", "org/sub-team", "@bob"]),
        unique=True,
        max_size=4,
    ),
)
def test_any_pipelines_give_valid_modules(
    pipelines: tuple[Pipeline, ...], owners: list[str]
) -> None:
    for platform in Platform:
        files = settings_files(platform, pipelines, owners=tuple(owners), project="proj")
        if files:
            check_module(_module(files, platform), platform)
            settings_text(files)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m["resource"]["github_repository_environment"]["production"].pop("repository"),
        lambda m: m["resource"]["github_repository_environment"]["production"].update(reviewer=[]),
        lambda m: m["provider"]["github"].update({"token": "x"}),
        lambda m: m["resource"]["github_branch_default"]["default"].update(branch="${var.nope}"),
        lambda m: m["resource"]["github_branch_default"]["default"].update(
            branch="${github_repository_environment.nope.environment}"
        ),
        lambda m: m["resource"]["github_branch_default"]["default"].update(branch="${each.value}"),
        lambda m: m["data"]["github_team"]["reviewer"].update(slug="${data.github_team.x.id}"),
        lambda m: m["resource"]["github_branch_default"]["default"].update(branch="${var.owner"),
    ],
)
def test_the_checker_catches_mistakes(mutate: Any) -> None:
    spec, pipelines = _example("spam_filter")
    module = _module(
        settings_files(Platform.GITHUB, pipelines, owners=spec.project.owners, project="p"),
        Platform.GITHUB,
    )
    check_module(module, Platform.GITHUB)
    mutate(module)
    with pytest.raises(AssertionError):
        check_module(module, Platform.GITHUB)


# --- GitHub ---------------------------------------------------------------------------------


def test_github_spam_filter() -> None:
    spec, pipelines = _example("spam_filter")
    module = _module(
        settings_files(Platform.GITHUB, pipelines, owners=spec.project.owners, project="spam"),
        Platform.GITHUB,
    )
    envs = module["resource"]["github_repository_environment"]
    assert list(envs) == ["staging", "production"]
    prod, staging = envs["production"], envs["staging"]
    assert prod["prevent_self_review"] is True
    assert prod["can_admins_bypass"] is False
    assert prod["reviewers"][0]["teams"] == "${[for t in data.github_team.reviewer : t.id]}"
    assert "reviewers" not in staging
    assert "prevent_self_review" not in staging
    for env in (prod, staging):
        assert env["deployment_branch_policy"] == [
            {"protected_branches": False, "custom_branch_policies": True}
        ]
    policies = module["resource"]["github_repository_environment_deployment_policy"]
    prod_patterns = {
        (k, v)
        for body in policies.values()
        if body["environment"] == "${github_repository_environment.production.environment}"
        for k, v in body.items()
        if k.endswith("_pattern")
    }
    assert prod_patterns == {("branch_pattern", "main"), ("tag_pattern", "v*")}
    assert module["resource"]["github_branch_default"]["default"]["branch"] == "main"
    reviewers = module["variable"]["reviewers"]
    assert reviewers["default"] == {"teams": ["ml-team"], "users": []}
    assert module["variable"]["repository"]["default"] == "spam"


def test_owners_map_to_teams_and_people() -> None:
    _, pipelines = _example("spam_filter")
    owners = ("@alice", "@org/platform", "ml-team", "org/sub")
    gh = _module(_files(Platform.GITHUB, pipelines, owners), Platform.GITHUB)
    assert gh["variable"]["reviewers"]["default"] == {
        "teams": ["platform", "ml-team", "sub"],
        "users": ["alice"],
    }
    gl = _module(_files(Platform.GITLAB, pipelines, owners), Platform.GITLAB)
    assert gl["variable"]["approvers"]["default"] == {
        "groups": ["org/platform", "ml-team", "org/sub"],
        "users": ["alice"],
    }
    az_files = _files(Platform.AZURE, pipelines, owners)
    az = _module(az_files, Platform.AZURE)
    assert az["variable"]["approvers"]["default"] == {
        "groups": ["platform", "ml-team", "sub"],
        "ids": [],
    }
    assert "@alice" in az["variable"]["approvers"]["description"]
    assert "@alice" in az_files[f"{SETTINGS_DIR}/azure/README.md"]


@pytest.mark.parametrize(
    ("platform", "var"),
    [(Platform.GITHUB, "reviewers"), (Platform.GITLAB, "approvers"), (Platform.AZURE, "approvers")],
)
def test_no_owners_means_terraform_asks(platform: Platform, var: str) -> None:
    _, pipelines = _example("loan_batch")  # no owners, one approval environment
    files = _files(platform, pipelines, owners=())
    assert "default" not in _module(files, platform)["variable"][var]
    assert "terraform apply` asks for" in files[f"{SETTINGS_DIR}/{platform.value}/README.md"]


def test_azure_user_owners_only_means_terraform_asks() -> None:
    _, pipelines = _example("loan_batch")
    module = _module(_files(Platform.AZURE, pipelines, owners=("@alice",)), Platform.AZURE)
    assert "default" not in module["variable"]["approvers"]


def _pipeline(*jobs: Job, tags: tuple[str, ...] = ("v*",)) -> Pipeline:
    return Pipeline(
        id="ci",
        name="P",
        python="3.11",
        triggers=Triggers(branches=("main",), tags=tags),
        jobs=jobs,
    )


def _deploy(name: str, rule: Rule, *, approval: bool = False, url: str | None = None) -> Job:
    return Job(
        id=f"deploy-{name}",
        kind=JobKind.DEPLOY,
        commands=(f"make deploy ENV={name}",),
        rule=rule,
        environment=Environment(name, url=url, approval=approval),
        exclusive=True,
    )


def test_any_ref_rule_sets_no_branch_policy() -> None:
    pipelines = (_pipeline(_deploy("dev", Rule())),)
    gh = _module(_files(Platform.GITHUB, pipelines), Platform.GITHUB)
    assert "deployment_branch_policy" not in gh["resource"]["github_repository_environment"]["dev"]
    assert "github_repository_environment_deployment_policy" not in gh["resource"]
    assert "github_branch_default" not in gh["resource"]  # no schedule
    az = _module(_files(Platform.AZURE, pipelines), Platform.AZURE)
    assert "azuredevops_check_branch_control" not in az["resource"]


def test_jobs_sharing_an_environment_merge() -> None:
    pipelines = (
        _pipeline(
            _deploy("prod", Rule(branch="main")),
            replace(_deploy("prod", Rule(tags=True), approval=True), id="deploy-prod-tag"),
        ),
    )
    az = _module(_files(Platform.AZURE, pipelines), Platform.AZURE)
    assert list(az["resource"]["azuredevops_check_approval"]) == ["prod"]
    branch = az["resource"]["azuredevops_check_branch_control"]["prod"]
    assert branch["allowed_branches"] == "refs/heads/main, refs/tags/v*"


def test_no_environment_and_no_schedule_needs_no_settings() -> None:
    job = Job(id="test", kind=JobKind.TEST, commands=("make test",))
    for platform in Platform:
        assert _files(platform, (_pipeline(job),)) == {}


def test_literals_are_escaped() -> None:
    pipelines = (
        _pipeline(_deploy("web", Rule(branch="main"), url="https://x.example.com/${a}%{b}")),
    )
    gl = _module(_files(Platform.GITLAB, pipelines), Platform.GITLAB)
    env = gl["resource"]["gitlab_project_environment"]["web"]
    assert env["external_url"] == "https://x.example.com/$${a}%%{b}"
    assert not list(_interpolations(env["external_url"]))


# --- GitLab ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_gitlab_schedule_matches_the_pipeline_file(name: str) -> None:
    spec, pipelines = _example(name)
    module = _module(
        settings_files(Platform.GITLAB, pipelines, owners=spec.project.owners, project="p"),
        Platform.GITLAB,
    )
    schedules = module["resource"]["gitlab_pipeline_schedule"]
    variables = module["resource"]["gitlab_pipeline_schedule_variable"]
    wanted = {p.id: p.triggers.schedules[0].cron for p in pipelines if p.triggers.schedules}
    assert {k: v["cron"] for k, v in schedules.items()} == wanted
    assert wanted["monitor"] == spec.monitoring.drift.schedule
    if spec.deploy.target == "batch":
        assert wanted["batch"] == spec.deploy.batch_schedule
    for key, schedule in schedules.items():
        assert schedule["ref"] == f"refs/heads/{spec.ci.default_branch}"
        assert schedule["cron_timezone"] == "UTC"
        assert schedule["active"] is True
        # Each schedule sets the variable that selects its pipeline in .gitlab-ci.yml.
        assert variables[key]["key"] == SCHEDULE_VAR
        assert variables[key]["value"] == key
        assert variables[key]["pipeline_schedule_id"] == (
            f"${{gitlab_pipeline_schedule.{key}.pipeline_schedule_id}}"
        )
    # .gitlab-ci.yml records the same cron on each schedule's workflow rule.
    emitted = PLATFORMS[Platform.GITLAB].emit(pipelines)
    (ci,) = emitted.values()
    crons = {
        r["if"]: r["variables"]["PIPELINE_SCHEDULE"]
        for r in ci["workflow"]["rules"]
        if "PIPELINE_SCHEDULE" in r.get("variables", {})
    }
    assert crons == {
        f'$CI_PIPELINE_SOURCE == "schedule" && ${SCHEDULE_VAR} == "{k}"': v
        for k, v in wanted.items()
    }
    approval = {e.name for e in spec.deploy.environments if e.needs_approval}
    protected = module["resource"].get("gitlab_project_protected_environment", {})
    assert set(protected) == approval
    for body in protected.values():
        assert body["deploy_access_levels"] == [{"access_level": "${var.deploy_access_level}"}]
        assert "data.gitlab_group.approver" in body["approval_rules"]
        assert "data.gitlab_user.approver" in body["approval_rules"]
    envs = module["resource"]["gitlab_project_environment"]
    for env in spec.deploy.environments:
        assert envs[env.name].get("external_url") == env.url


def test_gitlab_schedule_without_branch_uses_a_variable() -> None:
    job = Job(id="drift", kind=JobKind.MONITOR, commands=("make drift",))
    monitor = Pipeline(
        id="monitor",
        name="M",
        python="3.11",
        triggers=Triggers(schedules=(Schedule(cron="0 3 * * *"),)),
        jobs=(job,),
    )
    module = _module(_files(Platform.GITLAB, (monitor,)), Platform.GITLAB)
    assert module["resource"]["gitlab_pipeline_schedule"]["monitor"]["ref"] == (
        "refs/heads/${var.default_branch}"
    )
    check_module(module, Platform.GITLAB)


# --- Azure DevOps ---------------------------------------------------------------------------


def test_azure_loan_batch() -> None:
    _, pipelines = _example("loan_batch")
    module = _module(
        settings_files(Platform.AZURE, pipelines, owners=("risk-team",), project="loans"),
        Platform.AZURE,
    )
    res = module["resource"]
    assert list(res["azuredevops_environment"]) == ["prod"]
    assert (
        "https://loans.example.com/scoring" in res["azuredevops_environment"]["prod"]["description"]
    )
    approval = res["azuredevops_check_approval"]["prod"]
    assert approval["target_resource_type"] == "environment"
    assert approval["target_resource_id"] == "${azuredevops_environment.prod.id}"
    assert approval["requester_can_approve"] is False
    assert approval["minimum_required_approvers"] == 1
    assert res["azuredevops_check_branch_control"]["prod"]["allowed_branches"] == (
        "refs/heads/trunk, refs/tags/release-*"
    )
    assert set(res["azuredevops_check_exclusive_lock"]) == {"prod"}
    assert module["data"]["azuredevops_group"]["approver"]["name"] == "${each.value}"


# --- secrets stay out -----------------------------------------------------------------------


SCOPES = {
    Platform.GITHUB: "environment `production`",
    Platform.GITLAB: "environment `production`",
    Platform.AZURE: "variable group `churn_model-secrets-production`",
}


@pytest.mark.parametrize("platform", list(Platform))
def test_secrets_are_named_never_valued(platform: Platform) -> None:
    spec = load_spec(SECRET_CASES / "ci.yaml")
    pipelines = build_pipelines(spec)
    files = settings_text(
        settings_files(platform, pipelines, owners=spec.project.owners, project="p")
    )
    readme = files[f"{SETTINGS_DIR}/{platform.value}/README.md"]
    # CI-native secrets are set by name (the CI secret's own name) in their scope only.
    assert f"| `DEPLOY_TOKEN` | {SCOPES[platform]} |" in readme
    assert "| `MLFLOW_TOKEN` |" in readme
    main = files[f"{SETTINGS_DIR}/{platform.value}/main.tf.json"]
    assert "DEPLOY_TOKEN" not in main
    assert not any(CREDENTIAL.search(k) for k in json.loads(main).get("variable", {}))


@pytest.mark.parametrize("platform", list(Platform))
def test_store_secrets_are_not_set_in_ci(platform: Platform) -> None:
    spec, pipelines = _example("spam_filter")
    files = settings_text(
        settings_files(platform, pipelines, owners=spec.project.owners, project="p")
    )
    readme = files[f"{SETTINGS_DIR}/{platform.value}/README.md"]
    assert "`DEPLOY_TOKEN`, `MLFLOW_TRACKING_TOKEN` from vault at run time" in readme
    assert "| secret | scope |" not in readme


# --- Terraform itself, when installed -------------------------------------------------------

TERRAFORM = shutil.which("terraform") or shutil.which("tofu")


@pytest.mark.skipif(TERRAFORM is None, reason="no terraform or tofu binary")
@pytest.mark.parametrize("name", ["spam_filter", "loan_batch"])
def test_terraform_reads_the_modules(name: str, tmp_path: Path) -> None:
    assert TERRAFORM is not None
    spec, pipelines = _example(name)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    for platform in Platform:
        files = settings_text(
            settings_files(platform, pipelines, owners=spec.project.owners, project="p")
        )
        for path, text in files.items():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / path).write_text(text)
        result = subprocess.run(
            [TERRAFORM, "providers", "-no-color"],
            cwd=tmp_path / SETTINGS_DIR / platform.value,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert PROVIDERS[platform].source in result.stdout
