"""modelscan parses our model file end to end: ours passes, a malicious pickle fails."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 13), reason="modelscan supports Python < 3.13 only"
)


def scan(path: Path) -> subprocess.CompletedProcess[str]:
    """`make model-scan`'s command over one directory."""
    command = [sys.executable, "-m", "modelscan.cli", "scan", "--path", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)  # noqa: S603


def test_the_trained_model_loads_and_scans_clean(trained_spec: Path, tmp_path: Path) -> None:
    model = tmp_path / "models" / "model.joblib"
    model.parent.mkdir()
    model.write_bytes((trained_spec.parent / "models/model.joblib").read_bytes())
    assert hasattr(joblib.load(model), "predict")
    result = scan(model.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No issues found" in result.stdout


class _RunsAShellCommand:
    """Unpickling this would call os.system: the kind of file model-scan must stop."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, ("echo unpickled",)


def test_a_pickle_that_runs_a_command_fails_the_scan(tmp_path: Path) -> None:
    model = tmp_path / "models" / "model.joblib"
    model.parent.mkdir()
    with model.open("wb") as handle:
        pickle.dump(_RunsAShellCommand(), handle)  # written, never loaded
    result = scan(model.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Unsafe operator found" in result.stdout
    assert "'system'" in result.stdout
