"""compute.engine kubeflow: the generated KFP pipeline compiles with the real kfp compiler,
carries the spec's resources, retries and timeouts, and `kfp-run` fails fast and loudly
against an endpoint that is not there."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsgen.new import create_repository
from mlopsgen.spec import parse_spec
from tests.repo_paths import ROOT, CliResult

SPEC = ROOT / "tests/pipeline/specs/spam_kubeflow.yaml"
LOCAL_SPEC = ROOT / "tests/pipeline/specs/spam_filter.yaml"
MODULE = "spam_kubeflow.kfp_pipeline"
TASKS = ("data-validate", "train", "evaluate", "model-gate")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kubeflow") / "repo"
    create_repository(SPEC.read_text(encoding="utf-8"), root)
    return root


def _call(cmd: list[str], repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=600
    )


def _run(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m spam_kubeflow.kfp_pipeline ARGS`` in ``repo``; the token only from ``env``."""
    environ = {k: v for k, v in os.environ.items() if k != "KFP_TOKEN"}
    environ.update(env or {}, PYTHONPATH=str(repo / "src"))
    return _call([sys.executable, "-m", MODULE, *args], repo, environ)


@pytest.fixture(scope="module")
def compiled(repo: Path) -> dict[str, Any]:
    proc = _run(repo, "compile")
    assert proc.returncode == 0, proc.stderr
    package = repo / "dist/kfp-pipeline.yaml"
    assert f"-> {package.relative_to(repo)}" in proc.stdout
    ir: dict[str, Any] = yaml.safe_load(package.read_text(encoding="utf-8"))
    return ir


def test_only_engine_kubeflow_gets_the_pipeline_and_its_targets(repo: Path, tmp_path: Path) -> None:
    assert (repo / "src/spam_kubeflow/kfp_pipeline.py").is_file()
    makefile = (repo / "Makefile").read_text(encoding="utf-8")
    assert "kfp-compile:" in makefile and "kfp-run:" in makefile
    assert '"kfp>=2.7,<3"' in (repo / "pyproject.toml").read_text(encoding="utf-8")
    local = tmp_path / "local"
    create_repository(LOCAL_SPEC.read_text(encoding="utf-8"), local)
    assert not (local / "src/spam_filter/kfp_pipeline.py").exists()
    assert "kfp" not in (local / "Makefile").read_text(encoding="utf-8")
    assert "kfp" not in (local / "pyproject.toml").read_text(encoding="utf-8")


def test_the_pipeline_module_passes_the_repositorys_own_lint_and_sast(repo: Path) -> None:
    """`make lint` and `make sast` (bandit at security.sast.fail_on) of the repository."""
    module = "src/spam_kubeflow/kfp_pipeline.py"
    for cmd in (
        ["-m", "ruff", "check", module],
        ["-m", "ruff", "format", "--check", module],
        ["-m", "bandit", "--severity-level", "low", "-q", module],
    ):
        proc = _call([sys.executable, *cmd], repo, dict(os.environ))
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rendered_pipelines_pass_the_strict_pack(
    repo: Path, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli("audit", "--policy", "strict", str(repo))
    assert result.code == 0, result.out + result.err
    assert "with strict: 0 finding(s)" in result.out
    ci = (repo / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert "make kfp-compile" in ci and "make kfp-run" in ci and "make evaluate" not in ci


def test_compiled_ir_carries_resources_retries_and_timeouts(compiled: dict[str, Any]) -> None:
    spec = parse_spec(SPEC.read_text(encoding="utf-8"))
    compute = spec.compute
    assert compute.kubeflow is not None
    tasks = compiled["root"]["dag"]["tasks"]
    assert sorted(tasks) == sorted(TASKS)
    assert tasks["train"]["dependentTasks"] == ["data-validate"]
    assert sorted(tasks["evaluate"]["dependentTasks"]) == ["data-validate", "train"]
    assert tasks["model-gate"]["dependentTasks"] == ["evaluate"]
    executors = compiled["deploymentSpec"]["executors"]
    for name in TASKS:
        assert tasks[name]["retryPolicy"]["maxRetryCount"] == compute.retries == 2
        container = executors[tasks[name]["componentRef"]["name"].replace("comp-", "exec-")][
            "container"
        ]
        assert container["image"] == compute.kubeflow.image
        resources = container["resources"]
        assert resources["resourceCpuLimit"] == compute.cpu == "2"
        assert resources["resourceMemoryLimit"] == compute.memory == "4Gi"
        assert resources["accelerator"]["resourceType"] == "nvidia.com/gpu"
        assert int(resources["accelerator"]["resourceCount"]) == compute.gpu == 1
        source = "\n".join(container["command"])
        # Each step runs the project's own task, killed after compute.timeout_minutes.
        task = {"data-validate": "validate", "model-gate": "gate"}.get(name, name)
        assert f'"-m", "spam_kubeflow.{task}"' in source
        assert f"timeout={compute.timeout_minutes * 60}" in source


def test_compiled_ir_loads_back_with_the_kfp_sdk(repo: Path, compiled: dict[str, Any]) -> None:
    from kfp import components  # slow import, only here

    loaded = components.load_component_from_file(str(repo / "dist/kfp-pipeline.yaml"))
    assert loaded.name == compiled["pipelineInfo"]["name"] == "spam-kubeflow-training"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: nothing listens there


def test_run_against_an_unreachable_host_fails_fast_and_loudly(
    repo: Path, compiled: dict[str, Any]
) -> None:
    host = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()
    proc = _run(repo, "run", "--host", host, "--timeout-minutes", "1", env={"KFP_TOKEN": "t"})
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stderr
    assert f"kfp-run FAILED: could not reach or use the KFP endpoint {host}" in proc.stderr
    assert "Connection refused" in proc.stderr
    assert not (repo / "models/model.joblib").exists()


def test_run_without_the_token_says_where_it_comes_from(repo: Path) -> None:
    proc = _run(repo, "run")
    assert proc.returncode == 2
    assert "no KFP token in $KFP_TOKEN" in proc.stderr


# --- end to end with kfp's local runner (slow: a virtualenv with the project's dependencies) ---

#: Runs the compiled pipeline's components with kfp.local, in the repository (the working
#: directory every step of the image has), and prints the pipeline root.
LOCAL_RUN = """
import sys
from kfp import local
local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=sys.argv[1])
from spam_kubeflow import kfp_pipeline
kfp_pipeline.training_pipeline()
"""


@pytest.fixture(scope="module")
def project_python(tmp_path_factory: pytest.TempPathFactory, repo: Path) -> Path:
    """A virtualenv on top of this one (kfp) with the generated project installed."""
    import venv  # only the slow tests build one

    env_dir = tmp_path_factory.mktemp("kfp-venv") / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin/python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-e",
            str(repo),
        ],
        check=True,
        timeout=900,
    )
    return python


def _local_run(python: Path, repo: Path, root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return _call([str(python), "-c", LOCAL_RUN, str(root)], repo, env)


@pytest.mark.slow
def test_local_runner_trains_and_the_projects_gate_passes_on_the_outputs(
    repo: Path, project_python: Path, tmp_path: Path
) -> None:
    proc = _local_run(project_python, repo, tmp_path / "root")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = (tmp_path / "root").iterdir()
    # What kfp-run downloads: the model and the reports, from the run's artifacts.
    for (task, output), dest in {
        ("train", "model"): "models/model.joblib",
        ("evaluate", "report"): "reports/metrics.json",
    }.items():
        target = repo / dest
        target.unlink()
        shutil.copyfile(run / task / output, target)
    gate = _call([str(project_python), "-m", "spam_kubeflow.gate"], repo, dict(os.environ))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "model gate passed" in gate.stdout


@pytest.mark.slow
def test_local_runner_fails_the_run_on_a_contract_breaking_row(
    repo: Path, project_python: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "repo"
    shutil.copytree(repo, broken, ignore=shutil.ignore_patterns("models", "reports", "dist"))
    shutil.copytree(repo / "models/champion", broken / "models/champion")
    data = broken / "data/raw/train.csv"
    # caps_ratio is a share (0..1 in data/contract.yaml): 7.5 breaks the contract.
    data.write_text(
        data.read_text(encoding="utf-8") + "c999999,10,0,7.5,0,0,10,guest,en,3,0\n",
        encoding="utf-8",
    )
    proc = _local_run(project_python, broken, tmp_path / "root")
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "caps_ratio" in out
    assert "Task 'data-validate' finished with status FAILURE" in re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert not (broken / "models/model.joblib").exists()
