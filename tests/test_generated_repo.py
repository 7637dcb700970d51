"""Generated repositories as a user meets them: fresh venv, install, make targets, tests, faults."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlopsgen.new import create_repository
from mlopsgen.pipeline import build_pipelines
from mlopsgen.spec import load_spec, parse_spec
from mlopsgen.spec.model import DeployTarget
from tests.repo_paths import EXAMPLES, ROOT, build_wheel

pytestmark = pytest.mark.slow

#: A fake AWS key pair, assembled so that no scanner flags this file.
FAKE_KEY_ID = "AKIA" + "QZ7RMWX4JH2LPN5T"
FAKE_SECRET_KEY = "k9Tq2Vx7Lm4Pz8Rw1Ys6" + "Hb3Nc5Jd0Gf7Ue2Ia9Ko"


class Repo:
    """A rendered example with its own virtual environment (or another repo's)."""

    def __init__(
        self, root: Path, *, venv_dir: Path | None = None, mlopsgen: str | None = str(ROOT)
    ):
        self.root = root
        self.venv = venv_dir or root / ".venv"
        self.bin = self.venv / "bin"
        #: What `make check` installs (MLOPSGEN); None keeps the Makefile's (ci.mlopsgen).
        self.mlopsgen = mlopsgen

    def run(
        self, *cmd: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **(env or {}),
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(self.venv),
            "PYTHON": str(self.bin / "python"),
        }
        env.pop("PYTHONPATH", None)
        env.pop("MLOPSGEN", None)
        if self.mlopsgen is not None:
            # mlopsgen is not on PyPI: `make check` installs this checkout.
            env["MLOPSGEN"] = self.mlopsgen
        proc = subprocess.run(
            list(cmd),
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def make(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("make", *args, check=check)


#: The example the template-wide mechanisms are tested on (install source, python,
#: secret scan paths): the same Makefile in every render, so one example proves them
#: and the slow suite stays within CI's time budget as examples are added.
MECHANISMS = ROOT / "examples" / "spam-filter.yaml"
on_one_example = pytest.mark.parametrize("repo", [MECHANISMS], indirect=True, ids=[MECHANISMS.stem])


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def repo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Repo]:
    example: Path = request.param
    root = tmp_path_factory.mktemp(example.stem) / "repo"
    create_repository(example.read_text(), root, lock=True)
    venv.create(root / ".venv", with_pip=True)
    made = Repo(root)
    made.make("install")
    made.make("all")
    yield made


def test_make_all_and_pytest_pass(repo: Repo) -> None:
    result = repo.run(str(repo.bin / "python"), "-m", "pytest", "-q")
    assert " passed" in result.stdout
    assert (repo.root / "reports" / "metrics.json").is_file()
    assert (repo.root / "reports" / "lineage.json").is_file()


def test_lint_and_sast_pass(repo: Repo) -> None:
    repo.make("lint")
    repo.make("sast")
    assert (repo.root / "reports" / "bandit.sarif").is_file()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's store, shared by the examples: the hook's environment is built once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def test_secret_scan_passes_a_fresh_repo_and_fails_a_committed_key(
    repo: Repo, tmp_path: Path, pre_commit_home: Path
) -> None:
    """The pre-commit hook (staged and --all-files) and `make secrets-scan` agree."""
    fresh = Repo(tmp_path / "fresh", venv_dir=repo.venv)
    create_repository((repo.root / "mlops.yaml").read_text(), fresh.root)
    git = shutil.which("git") or "git"
    fresh.run(git, "init", "-q")
    fresh.run(git, "add", "-A")
    hook = ("pre-commit", "run", "detect-secrets")
    store = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    fresh.run(*hook, "--all-files", env=store)
    fresh.make("secrets-scan")
    # Local credentials are git-ignored, never committed, so never scanned.
    (fresh.root / ".env").write_text(f"AWS_SECRET_ACCESS_KEY={FAKE_SECRET_KEY}\n")
    fresh.make("secrets-scan")

    leak = fresh.root / "src" / "leak.py"
    leak.write_text(
        f'AWS_ACCESS_KEY_ID = "{FAKE_KEY_ID}"\nAWS_SECRET_ACCESS_KEY = "{FAKE_SECRET_KEY}"\n'
    )
    fresh.run(git, "add", "src/leak.py")
    for result in (
        fresh.run(*hook, check=False, env=store),
        fresh.run(*hook, "--all-files", check=False, env=store),
        fresh.make("secrets-scan", check=False),
    ):
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert "leak.py" in output
        assert "AWS Access Key" in output


@on_one_example
@pytest.mark.parametrize(
    "path", ["data/raw/notes.txt", "models/notes.txt", ".env.production", "deploy/key.pem"]
)
def test_secret_scan_fails_a_key_committed_anywhere(
    repo: Repo, tmp_path: Path, pre_commit_home: Path, path: str
) -> None:
    """Data, models and git-ignored credential files are scanned once they are committed."""
    fresh = Repo(tmp_path / "fresh", venv_dir=repo.venv)
    create_repository((repo.root / "mlops.yaml").read_text(), fresh.root)
    git = shutil.which("git") or "git"
    fresh.run(git, "init", "-q")
    leak = fresh.root / path
    leak.parent.mkdir(parents=True, exist_ok=True)
    leak.write_text(f"AWS_ACCESS_KEY_ID={FAKE_KEY_ID}\n")
    fresh.run(git, "add", "-A")
    fresh.run(git, "add", "--force", path)
    identity = ("-c", "user.name=test", "-c", "user.email=test@example.invalid")
    fresh.run(git, *identity, "commit", "-q", "--no-verify", "-m", "leak")
    store = {"PRE_COMMIT_HOME": str(pre_commit_home)}
    for result in (
        fresh.make("secrets-scan", check=False),
        fresh.run("pre-commit", "run", "detect-secrets", "--all-files", check=False, env=store),
    ):
        output = result.stdout + result.stderr
        assert result.returncode != 0, output
        assert f"{path}:1" in output
        assert "AWS Access Key" in output


def test_make_check_passes_fresh_and_names_a_hand_edited_pipeline(repo: Repo) -> None:
    repo.make("check")
    gitlab = repo.root / ".gitlab-ci.yml"
    edited = gitlab if gitlab.is_file() else repo.root / ".github" / "workflows" / "ci.yml"
    original = edited.read_text()
    edited.write_text(original + "# hand edit\n")
    try:
        result = repo.make("check", check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert str(edited.relative_to(repo.root)) in output
        assert "edited by hand" in output
    finally:
        edited.write_text(original)
    repo.make("check")


@on_one_example
def test_make_check_fails_when_mlopsgen_cannot_be_installed(repo: Repo, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-mlopsgen-checkout"
    result = repo.make("check", f"MLOPSGEN={missing}", check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"check FAILED: could not install mlopsgen from '{missing}'" in result.stderr


def _contract(repo: Repo) -> dict[str, object]:
    spec = load_spec(repo.root / "mlops.yaml")
    loaded = yaml.safe_load((repo.root / spec.data.contract).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_contract_breaking_row_fails_data_validation(repo: Repo) -> None:
    spec = load_spec(repo.root / "mlops.yaml")
    source = repo.root / spec.data.sources[0]
    original = source.read_text()
    columns = _contract(repo)["columns"]
    assert isinstance(columns, dict)
    column = next(
        name for name, rule in columns.items() if isinstance(rule, dict) and "max" in rule
    )
    rows = list(csv.DictReader(original.splitlines()))
    bad = dict(rows[-1])
    bad[column] = str(float(columns[column]["max"]) * 10 + 1)
    line_number = len(original.splitlines()) + 1
    with source.open("a", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(rows[0])).writerow(bad)
    try:
        result = repo.make("data-validate", check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert column in output
        assert str(line_number) in output or str(len(rows) + 1) in output
        # The unit tests run on their own fixed data: the bad row fails data-validate only.
        repo.make("test")
    finally:
        source.write_text(original)
    repo.make("data-validate")


def test_unreachable_threshold_fails_the_gate(repo: Repo) -> None:
    path = repo.root / "mlops.yaml"
    original = path.read_text()
    data = yaml.safe_load(original)
    metric = next(iter(data["model"]["metrics"]))
    data["model"]["metrics"][metric] = {"min": 0.999}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        result = repo.make("model-gate", check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert metric in output
        assert "0.999" in output
        repo.make("test")  # the unit tests keep their own thresholds: only the gate fails
    finally:
        path.write_text(original)
    repo.make("model-gate")


def test_shifted_batch_fails_drift(repo: Repo) -> None:
    spec = load_spec(repo.root / "mlops.yaml")
    batch = repo.root / spec.monitoring.drift.batch
    original = batch.read_text()
    columns = _contract(repo)["columns"]
    assert isinstance(columns, dict)
    numeric = [
        n
        for n, r in columns.items()
        if isinstance(r, dict) and r.get("type") in {"int", "float"} and r.get("role") != "id"
    ]
    rows = list(csv.DictReader(original.splitlines()))
    numeric = [n for n in numeric if n in rows[0]]  # the batch has no label column
    for row in rows:
        for name in numeric:
            if row[name] not in ("", None):
                row[name] = str(float(row[name]) * 3 + 5)
    with batch.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    try:
        result = repo.make("drift", check=False)
        assert result.returncode != 0
        assert any(name in result.stdout + result.stderr for name in numeric)
    finally:
        batch.write_text(original)
    repo.make("drift")


@on_one_example
def test_python_used_is_the_venv(repo: Repo) -> None:
    result = repo.run(str(repo.bin / "python"), "-c", "import sys; print(sys.prefix)")
    assert result.stdout.strip() == str(repo.root / ".venv")
    assert sys.prefix != result.stdout.strip()


def test_first_job_is_green_with_a_vendored_wheel(tmp_path: Path) -> None:
    """Issue 11: a fresh render's first CI job (install, lock-check, make check) passes.

    The spec vendors a wheel built from this checkout (with its sha256); the job runs its
    commands as CI runs them: no virtualenv active, no MLOPSGEN override, the job's own
    install commands create .venv from the lock.
    """
    wheel = build_wheel(tmp_path / "dist")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    data = yaml.safe_load((ROOT / "examples" / "spam-filter.yaml").read_text())
    data["ci"]["mlopsgen"] = {"source": "wheel", "wheel": f"tools/{wheel.name}", "sha256": digest}
    text = yaml.safe_dump(data, sort_keys=False)
    root = tmp_path / "repo"
    result = create_repository(text, root, vendor_wheel=wheel, lock=True)
    assert not [w for w in result.warnings if "ci.mlopsgen" in w]
    first = build_pipelines(parse_spec(text))[0].jobs[0]
    assert first.id == "mlopsgen-check"
    assert first.commands[-1] == "make check"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHON", "MLOPSGEN", "PIP_REQUIRE_VIRTUALENV"}
    }
    # The job's interpreter, as setup-python puts it first on PATH.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    for command in first.commands:
        proc = subprocess.run(
            command.split(),
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    assert f"pip install ./tools/{wheel.name}" in proc.stdout
    installed = subprocess.run(
        [str(root / ".venv" / "bin" / "python"), "-m", "pip", "show", "-f", "mlopsgen"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(root / ".venv") in installed.stdout, "mlopsgen went into the project's .venv"


def test_make_check_fails_loudly_when_pypi_has_no_mlopsgen(tmp_path: Path) -> None:
    """The default source (pypi) with no mlopsgen on the index: exit 2, naming the fix."""
    root = tmp_path / "repo"
    create_repository((ROOT / "examples" / "spam-filter.yaml").read_text(), root)
    venv.create(tmp_path / "venv", with_pip=True)
    bare = Repo(root, venv_dir=tmp_path / "venv", mlopsgen=None)
    # An index without mlopsgen, whatever PyPI holds today (the name is not ours there).
    result = bare.run("make", "check", check=False, env={"PIP_NO_INDEX": "1"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "check FAILED: could not install mlopsgen from 'mlopsgen==" in result.stderr
    assert "(MLOPSGEN, from ci.mlopsgen in mlops.yaml: source pypi)" in result.stderr
    assert "mlopsgen is not published on PyPI: point ci.mlopsgen at" in result.stderr
    assert "-m mlopsgen check ." not in result.stdout, "it stops, it does not skip ahead"


def test_make_lock_is_reproducible(repo: Repo) -> None:
    lock = repo.root / "uv.lock"
    first = lock.read_text()
    repo.make("lock")
    assert lock.read_text() == first
    repo.make("lock")
    assert lock.read_text() == first


def test_make_install_refuses_a_tampered_hash(repo: Repo) -> None:
    lock = repo.root / "uv.lock"
    original = lock.read_text()
    start = original.index('[[package]]\nname = "pyyaml"')
    end = original.index("[[package]]", start + 1)
    tampered = re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, original[start:end])
    lock.write_text(original[:start] + tampered + original[end:])
    try:
        repo.run(str(repo.bin / "python"), "-m", "uv", "pip", "uninstall", "pyyaml")
        result = repo.make("install", check=False)
        assert result.returncode != 0
        assert "Hash mismatch" in result.stderr, result.stderr
    finally:
        lock.write_text(original)
    repo.make("install")


def test_lock_check_fails_on_a_dependency_added_without_make_lock(repo: Repo) -> None:
    repo.make("lock-check")
    pyproject = repo.root / "pyproject.toml"
    original = pyproject.read_text()
    added = original.replace('    "joblib>=1.3",\n', '    "joblib>=1.3",\n    "six",\n')
    assert added != original
    pyproject.write_text(added)
    try:
        result = repo.make("lock-check", check=False)
        assert result.returncode != 0
        assert "lock-check FAILED" in result.stderr
        assert repo.make("install", check=False).returncode != 0
    finally:
        pyproject.write_text(original)
    repo.make("lock-check")


#: The example with model.tracking and model.registry mlflow (sample sensors).
TRACKED = ROOT / "examples" / "sensors-tracked.yaml"
#: Lists the experiment's runs and the registered model's alias holder, as JSON.
MLFLOW_QUERY = """
import json, sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
experiment = client.get_experiment_by_name(sys.argv[2])
runs = client.search_runs([experiment.experiment_id])
model = client.get_registered_model(sys.argv[2])
print(json.dumps({
    "runs": [run.info.run_id for run in runs],
    "aliases": {alias: str(version) for alias, version in model.aliases.items()},
    "versions": {
        str(v.version): v.run_id for v in client.search_model_versions(f"name='{sys.argv[2]}'")
    },
}))
"""


@pytest.mark.parametrize("repo", [TRACKED], indirect=True, ids=[TRACKED.stem])
def test_mlflow_run_version_champion_gate_and_unreachable_server(repo: Repo) -> None:
    """After `make all` and `make promote`, MLflow holds the run and the champion version;
    a worse challenger fails the gate naming that version; a dead server is named fast."""
    name = yaml.safe_load((repo.root / "mlops.yaml").read_text())["model"]["registered_model"]
    package = load_spec(repo.root / "mlops.yaml").project.slug
    repo.make("promote")
    store = f"sqlite:///{repo.root / 'models/mlflow/mlflow.db'}"
    query = repo.run(str(repo.bin / "python"), "-c", MLFLOW_QUERY, store, name)
    found = json.loads(query.stdout)
    run_id = json.loads((repo.root / "models/mlflow-run.json").read_text())["run_id"]
    assert run_id in found["runs"]
    champion = found["aliases"]["champion"]
    assert found["versions"][champion] == run_id
    lineage = json.loads((repo.root / "reports/lineage.json").read_text())
    assert lineage["mlflow"]["run_id"] == run_id

    metrics = json.loads((repo.root / "reports/metrics.json").read_text())["metrics"]
    worse = repo.root / "worse.json"
    worse.write_text(json.dumps({"metrics": {k: v - 0.05 for k, v in metrics.items()}}))
    gate = repo.run(
        str(repo.bin / "python"), "-m", f"{package}.gate", "--metrics", str(worse), check=False
    )
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert f"{name} version {champion}" in gate.stderr

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    uri = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    dead = repo.run(
        str(repo.bin / "python"),
        "-m",
        f"{package}.gate",
        check=False,
        env={"MLFLOW_TRACKING_URI": uri},
    )
    assert dead.returncode == 2, dead.stdout + dead.stderr
    assert f"{uri} is unreachable" in dead.stderr
    assert time.monotonic() - started < 120


WRITE_WINE = """
from sklearn.datasets import load_wine
wine = load_wine(as_frame=True).frame.rename(columns={"od280/od315_of_diluted_wines": "od280"})
wine.insert(0, "sample_id", [f"w{i:04d}" for i in range(len(wine))])
wine.to_csv("data/raw/train.csv", index=False)
wine.drop(columns="target").to_csv("data/incoming/batch.csv", index=False)
"""


@pytest.fixture(scope="module")
def wine_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Repo]:
    """The spam example with scikit-learn's wine data instead: multiclass, contract inferred."""
    root = tmp_path_factory.mktemp("wine") / "repo"
    spec = (ROOT / "examples" / "spam-filter.yaml").read_text()
    create_repository(spec, root, lock=True)
    venv.create(root / ".venv", with_pip=True)
    made = Repo(root)
    made.make("install")
    # The repository's venv has scikit-learn (mlopsgen's test environment need not).
    made.run(str(made.bin / "python"), "-c", WRITE_WINE)
    made.run(
        str(made.bin / "python"),
        "-m",
        "spam_filter.contract",
        "infer",
        "data/raw/train.csv",
        "--target",
        "target",
    )
    raw = yaml.safe_load((root / "mlops.yaml").read_text())
    raw["model"] = {
        "task": "multiclass",
        "algorithm": "random_forest",
        "metrics": {"accuracy": {"min": 0.85}, "f1": {"min": 0.85}},
        "champion": {"compare": False},
    }
    (root / "mlops.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    yield made


def test_own_data_multiclass_make_all_then_a_bad_row_fails(wine_repo: Repo) -> None:
    contract = yaml.safe_load((wine_repo.root / "data/contract.yaml").read_text())
    assert contract["columns"]["sample_id"]["role"] == "id"
    assert contract["columns"]["target"] == {"type": "int", "allowed": [0, 1, 2]}
    wine_repo.make("all")
    metrics = json_load(wine_repo.root / "reports/metrics.json")
    assert metrics["task"] == "multiclass" and metrics["metrics"]["accuracy"] >= 0.85
    train = wine_repo.root / "data/raw/train.csv"
    lines = train.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("alcohol")] = "-3"
    lines[5] = ",".join(row)
    train.write_text("\n".join(lines) + "\n")
    result = wine_repo.make("data-validate", check=False)
    assert result.returncode != 0
    assert "data/raw/train.csv:6: row 5, column 'alcohol': -3.0 is below the minimum" in (
        result.stderr
    )


def json_load(path: Path) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(path.read_text())
    return data


#: Fetches a URL in the generated venv and prints its Prometheus samples as JSON lines,
#: parsed by prometheus-client's own parser (a dependency of the service, not of mlopsgen).
METRICS_SCRIPT = """
import json, sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
for family in text_string_to_metric_families(text):
    for s in family.samples:
        print(json.dumps([s.name, s.labels, s.value]))
"""


def _http(method: str, url: str, body: object = None) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_service_answers_over_http(repo: Repo, tmp_path: Path) -> None:
    spec = load_spec(repo.root / "mlops.yaml")
    if spec.deploy.target is not DeployTarget.WEBSERVICE:
        pytest.skip(f"{spec.deploy.target.value} repositories have no service")
    module = spec.project.slug
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log_dir = tmp_path / "predictions"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLOPSGEN")}
    env["PATH"] = f"{repo.bin}{os.pathsep}{env['PATH']}"
    stderr = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            str(repo.bin / "python"),
            "-m",
            f"{module}.serve",
            "--port",
            str(port),
            "--prediction-log",
            str(log_dir),
        ],
        cwd=repo.root,
        env=env,
        stdout=stderr,
        stderr=stderr,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _http("GET", f"{base}/health")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail((tmp_path / "server.log").read_text())
                time.sleep(0.3)
        assert _http("GET", f"{base}/ready")[1]["status"] == "ready"
        contract = _contract(repo)
        columns = contract["columns"]
        assert isinstance(columns, dict)
        features = [
            name
            for name, column in columns.items()
            if name != contract["target"] and column.get("role", "feature") == "feature"
        ]
        schema = _http("GET", f"{base}/openapi.json")[1]
        record_schema = schema["components"]["schemas"]["Record"]  # type: ignore[index]
        assert list(record_schema["properties"]) == features
        with (repo.root / "data/incoming/batch.csv").open() as handle:
            row = next(csv.DictReader(handle))
        record = {
            name: float(row[name]) if columns[name]["type"] in ("int", "float") else row[name]
            for name in features
        }
        # A wrong type (text in a numeric feature) and a missing feature: 422 naming it.
        numeric = next(n for n in features if columns[n]["type"] in ("int", "float"))
        status, body = _http("POST", f"{base}/predict", {**record, numeric: "oops"})
        assert status == 422
        assert body["detail"][0]["loc"] == ["body", numeric]  # type: ignore[index]
        missing = {k: v for k, v in record.items() if k != features[0]}
        status, body = _http("POST", f"{base}/predict", missing)
        assert status == 422
        assert body["detail"][0]["loc"] == ["body", features[0]]  # type: ignore[index]

        def requests_ok() -> float:
            out = repo.run(str(repo.bin / "python"), "-c", METRICS_SCRIPT, f"{base}/metrics")
            samples = [json.loads(line) for line in out.stdout.splitlines()]
            return float(
                sum(
                    value
                    for name, labels, value in samples
                    if name == "http_requests_total"
                    and labels == {"handler": "/predict", "method": "POST", "status": "200"}
                )
            )

        before = requests_ok()
        ids = []
        for _ in range(3):
            status, body = _http("POST", f"{base}/predict", record)
            assert status == 200, body
            ids.append(body["request_id"])
        assert requests_ok() - before == 3
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=60)
        stderr.close()
    server_log = (tmp_path / "server.log").read_text()
    # uvicorn re-raises the SIGTERM it handled once the graceful shutdown is complete.
    assert code in (0, -signal.SIGTERM), server_log
    assert "prediction log flushed" in server_log
    [log_file] = log_dir.glob("predictions-*.jsonl")
    logged = [json.loads(line)["request_id"] for line in log_file.read_text().splitlines()]
    assert logged == ids
    for line in server_log.splitlines():
        assert isinstance(json.loads(line), dict), line  # structured logs only


BROWSER = ROOT / "examples" / "pump-check-browser.yaml"


@pytest.mark.parametrize("repo", [BROWSER], indirect=True, ids=[BROWSER.stem])
def test_the_browser_page_predicts_what_the_model_does(repo: Repo) -> None:
    """`make all` built dist/browser/ within its budget; in headless Chromium the page gives
    the Python model's labels and probabilities (1e-5) for 100 records; a screenshot is kept."""
    spec = load_spec(repo.root / "mlops.yaml")
    manifest = json.loads((repo.root / "dist/browser/manifest.json").read_text())
    site = sorted(p.name for p in (repo.root / "dist/browser").iterdir())
    assert site == sorted([*manifest["files"], "manifest.json"])
    size = sum(p.stat().st_size for p in (repo.root / "dist/browser").iterdir())
    assert size <= spec.deploy.browser_max_bundle_kb * 1024
    assert (
        manifest["model_sha256"]
        == hashlib.sha256((repo.root / "models/model.joblib").read_bytes()).hexdigest()
    )
    assert manifest["onnx_max_difference"] <= 1e-5
    screenshot = repo.root / "reports/browser-page.png"
    screenshot.unlink(missing_ok=True)
    result = repo.run(str(repo.bin / "python"), "-m", "pytest", "-s", "tests/test_browser.py")
    assert "3 passed" in result.stdout, result.stdout
    assert f"screenshot of the page: {screenshot}" in result.stdout
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"browser bundle {size / 1024:.1f} KB; screenshot: {screenshot}")
