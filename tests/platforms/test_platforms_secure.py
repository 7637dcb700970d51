"""Secure by default, as ../shared/reference/policy-rules.md section 3 lists it, per platform."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from mlopsgen.pipeline import INSTALL_COMMANDS, MAKE_TARGETS, Pipeline, build_pipelines
from mlopsgen.platforms import PLATFORMS, render_text
from mlopsgen.platforms.azure import SECRET_STEP as AZ_SECRET_STEP
from mlopsgen.platforms.base import federated_login, parse_registry_login
from mlopsgen.platforms.github import ACTIONS, ROOT_ANCHOR
from mlopsgen.platforms.github import SECRET_STEP as GH_SECRET_STEP
from mlopsgen.platforms.gitlab import IMAGES
from mlopsgen.spec import Spec, load_spec
from mlopsgen.spec.model import Platform
from tests.platforms.pipeline_strategies import specs
from tests.platforms.platform_examples import example_spec
from tests.repo_paths import ROOT

Example = tuple[str, Spec, tuple[Pipeline, ...]]
_PINNED = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def rendered(platform: Platform, ps: tuple[Pipeline, ...]) -> dict[str, tuple[str, Any]]:
    texts = render_text(PLATFORMS[platform].emit(ps))
    return {path: (text, yaml.safe_load(text)) for path, text in texts.items()}


#: The cloud login lines (deploy.cloud) a job runs besides its make targets.
_LOGIN_LINES = {
    line
    for cloud in ("azure", "aws", "gcp")
    for token in ("CLOUD_ID_TOKEN",)
    for line in federated_login(cloud, token)
}


def check_make_commands(commands: list[str]) -> None:
    assert [c for c in commands if c in INSTALL_COMMANDS] == list(INSTALL_COMMANDS)
    for command in commands:
        if command in INSTALL_COMMANDS:
            continue
        if command in _LOGIN_LINES or parse_registry_login(command) is not None:
            continue  # deploy.cloud's OIDC login, then the registry's (tests/platforms/...)
        assert command.split()[0] == "make" and command.split()[1] in MAKE_TARGETS
        assert "echo" not in command and "${{" not in command


def check_github(ps: tuple[Pipeline, ...]) -> None:
    for path, (text, data) in rendered(Platform.GITHUB, ps).items():
        on = data.get("on", data.get(True))
        assert "pull_request_target" not in on and "workflow_run" not in on, path
        assert data["permissions"] == {}
        assert data["concurrency"]["group"]
        assert data["name"]
        uses_lines = [line for line in text.splitlines() if "uses:" in line]
        assert uses_lines and all(_PINNED.match(line) for line in uses_lines), uses_lines
        for job_id, job in data["jobs"].items():
            assert job["name"] and isinstance(job["timeout-minutes"], int)
            assert set(job["permissions"]) <= {"contents", "id-token"}
            assert job["permissions"]["contents"] == "read"
            assert "continue-on-error" not in job
            checkout = job["steps"][0]
            assert checkout["uses"].startswith("actions/checkout@")
            assert checkout["with"] == {"persist-credentials": False}
            runs = [s for s in job["steps"] if "run" in s]
            check_make_commands([s["run"] for s in runs if s.get("id") != GH_SECRET_STEP])
            uses_secrets = any("secrets." in str(v) for s in job["steps"] for v in s.values())
            if uses_secrets or any(s.get("id") == GH_SECRET_STEP for s in job["steps"]):
                # zizmor secrets-outside-env: every job that reads secrets has an environment.
                assert job["environment"]["name"], job_id
            for step in job["steps"]:
                # Artifacts stay rooted at the workspace (upload-artifact strips the least
                # common ancestor of its paths), so downloads land where uploads came from.
                if step.get("uses", "").startswith("actions/upload-artifact@"):
                    assert step["with"]["path"].splitlines()[-1] == ROOT_ANCHOR
                if step.get("uses", "").startswith("actions/download-artifact@"):
                    assert step["with"]["path"] == "."
            if job_id.startswith("deploy-"):
                assert job["environment"]["name"]
                assert job["concurrency"] == {
                    "group": f"deploy-{job['environment']['name']}",
                    "cancel-in-progress": False,
                }
                assert "if" in job
                assert not any("actions/cache@" in s.get("uses", "") for s in job["steps"])


def check_gitlab(ps: tuple[Pipeline, ...]) -> None:
    ((text, data),) = rendered(Platform.GITLAB, ps).values()
    assert data["workflow"]["rules"]
    assert data["default"]["image"] in IMAGES.values()
    assert re.search(r"@sha256:[0-9a-f]{64}$", data["default"]["image"])
    assert "only:" not in text and "except:" not in text
    jobs = {k: v for k, v in data.items() if isinstance(v, dict) and "script" in v}
    assert jobs
    for job_id, job in jobs.items():
        assert job["stage"] in data["stages"]
        assert "needs" in job and re.fullmatch(r"\d+ minutes", job["timeout"])
        assert job.get("allow_failure", False) is False
        check_make_commands(job["script"])
        if job_id.startswith("deploy-"):
            assert job["interruptible"] is False
            assert job["resource_group"] == job["environment"]["name"]
            assert "cache" not in job
            manual = [r for r in job["rules"] if r.get("when") == "manual"]
            if manual:
                assert job["allow_failure"] is False


def check_azure(ps: tuple[Pipeline, ...]) -> None:
    for path, (_, data) in rendered(Platform.AZURE, ps).items():
        assert data["trigger"] and data["pr"], path
        for stage in data["stages"]:
            assert "dependsOn" in stage and stage["isSkippable"] is False
            (job,) = stage["jobs"]
            assert isinstance(job["timeoutInMinutes"], int)
            assert "continueOnError" not in job
            if "deployment" in job:
                assert job["environment"]
                assert stage["lockBehavior"] == "sequential"
                assert "condition" in stage
                steps = job["strategy"]["runOnce"]["deploy"]["steps"]
                assert steps[0] == {"download": "none"}
                steps = steps[1:]
            else:
                steps = job["steps"]
            assert steps[0] == {"checkout": "self", "persistCredentials": False}
            check_make_commands(
                [
                    s["bash"] if "bash" in s else s["inputs"]["inlineScript"]
                    for s in steps
                    if ("bash" in s or s.get("task") == "AzureCLI@2")
                    and s.get("name") not in {AZ_SECRET_STEP, "cloud_login"}
                ]
            )


CHECKS = {Platform.GITHUB: check_github, Platform.GITLAB: check_gitlab, Platform.AZURE: check_azure}


def test_checks_cover_every_platform() -> None:
    assert set(CHECKS) == set(Platform)


@pytest.mark.parametrize("platform", list(Platform))
def test_examples_are_secure(platform: Platform, example: Example) -> None:
    CHECKS[platform](example[2])


@pytest.mark.parametrize("platform", list(Platform))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_generated_specs_are_secure(platform: Platform, spec: Spec) -> None:
    CHECKS[platform](build_pipelines(spec))


def test_secrets_reach_scripts_only_through_env() -> None:
    ps = build_pipelines(example_spec("spam_filter"))
    (_, gh), _ = rendered(Platform.GITHUB, ps).values()
    train = gh["jobs"]["train"]["steps"]
    # Every command after the install (`make data-pull` with DVC, `make train`) gets them.
    tasks = len(ps[0].job("train").commands) - len(INSTALL_COMMANDS)
    assert [s.get("env") for s in train if "run" in s] == [
        *(None for _ in INSTALL_COMMANDS),
        *[{"MLFLOW_TRACKING_TOKEN": "${{ steps.secrets.outputs.MLFLOW_TRACKING_TOKEN }}"}] * tasks,
    ]
    assert gh["jobs"]["train"]["permissions"] == {"contents": "read", "id-token": "write"}
    (_, az), _ = rendered(Platform.AZURE, ps).values()
    (stage,) = [s for s in az["stages"] if s["stage"] == "train"]
    bash = [s for s in stage["jobs"][0]["steps"] if "bash" in s and "name" not in s]
    assert [s.get("env") for s in bash] == [
        *(None for _ in INSTALL_COMMANDS),
        *[{"MLFLOW_TRACKING_TOKEN": "$(MLFLOW_TRACKING_TOKEN)"}] * tasks,
    ]
    ((_, gl),) = rendered(Platform.GITLAB, ps).values()
    assert gl["train"]["id_tokens"] == {"VAULT_ID_TOKEN": {"aud": "vault"}}


def test_pins_are_commit_shas_with_release_comments() -> None:
    for action in ACTIONS:
        assert re.fullmatch(r"[0-9a-f]{40}", action.sha)
        assert re.fullmatch(r"v\d+\.\d+\.\d+", action.version)
    assert {a.repo for a in ACTIONS} == {
        "actions/checkout",
        "actions/setup-python",
        "actions/setup-node",
        "actions/cache",
        "actions/upload-artifact",
        "actions/download-artifact",
        "hashicorp/vault-action",
        "azure/login",
        "aws-actions/configure-aws-credentials",
        "aws-actions/aws-secretsmanager-get-secrets",
        "google-github-actions/auth",
        "google-github-actions/get-secretmanager-secrets",
    }


def test_the_browser_package_job_sets_up_a_pinned_node_without_a_cache() -> None:
    """npm ci needs Node: a SHA-pinned setup-node (no npm cache in a job whose output ships)
    on GitHub, the NodeTool task on Azure, and on GitLab `make browser-tools` (Debian's apt)."""
    ps = build_pipelines(load_spec(ROOT / "examples" / "pump-check-browser.yaml"))
    ((text, gh), _) = rendered(Platform.GITHUB, ps).values()
    steps = gh["jobs"]["package"]["steps"]
    (node,) = [s for s in steps if str(s.get("uses", "")).startswith("actions/setup-node@")]
    assert node["with"] == {"node-version": "22", "package-manager-cache": False}
    assert "uses: actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444 # v5.0.0" in text
    assert steps.index(node) < next(i for i, s in enumerate(steps) if "run" in s)
    others = [j for name, j in gh["jobs"].items() if name != "package"]
    assert not [s for j in others for s in j["steps"] if "setup-node" in str(s.get("uses"))]
    ((_, az), _) = rendered(Platform.AZURE, ps).values()
    (stage,) = [s for s in az["stages"] if s["stage"] == "package"]
    (tool,) = [s for s in stage["jobs"][0]["steps"] if s.get("task", "").startswith("NodeTool@")]
    assert tool["inputs"] == {"versionSpec": "22.x"}
    ((_, gl),) = rendered(Platform.GITLAB, ps).values()
    script = gl["package"]["script"]
    assert script.index("make browser-tools") < script.index("make browser-bundle")
    assert script.index("make browser-bundle") < script.index("make browser-test")
