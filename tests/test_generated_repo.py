"""Generated repositories as a user meets them: fresh venv, install, make targets, tests, faults."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mlopsgen.new import create_repository
from mlopsgen.spec import load_spec
from repo_paths import EXAMPLES

pytestmark = pytest.mark.slow


class Repo:
    """A rendered example with its own virtual environment."""

    def __init__(self, root: Path):
        self.root = root
        self.bin = root / ".venv" / "bin"

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(self.root / ".venv"),
            "PYTHON": str(self.bin / "python"),
        }
        env.pop("PYTHONPATH", None)
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

    def make(self, target: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("make", target, check=check)


@pytest.fixture(scope="module", params=EXAMPLES, ids=lambda p: p.stem)
def repo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Repo]:
    example: Path = request.param
    root = tmp_path_factory.mktemp(example.stem) / "repo"
    create_repository(example.read_text(), root)
    venv.create(root / ".venv", with_pip=True)
    made = Repo(root)
    made.run(
        str(made.bin / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-e",
        ".[dev]",
    )
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


def test_secrets_scan_catches_a_committed_key(repo: Repo) -> None:
    repo.make("secrets-scan")
    leak = repo.root / "src" / "leak.py"
    leak.write_text(
        'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
        'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'
    )
    try:
        result = repo.make("secrets-scan", check=False)
        assert result.returncode != 0
        assert "leak.py" in result.stdout + result.stderr
    finally:
        leak.unlink()


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


def test_python_used_is_the_venv(repo: Repo) -> None:
    result = repo.run(str(repo.bin / "python"), "-c", "import sys; print(sys.prefix)")
    assert result.stdout.strip() == str(repo.root / ".venv")
    assert sys.prefix != result.stdout.strip()
