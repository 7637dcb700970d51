"""Shared fixtures: an isolated HOME, the repository root, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlopsgen.cli import main
from tests.repo_paths import CliResult


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test reads or writes the real HOME (cookiecutter replay files, rc files)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("COOKIECUTTER_CONFIG", raising=False)
    yield home


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Call ``mlopsgen.cli.main`` in process; its output is echoed for failing tests."""

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        with capsys.disabled():
            pass
        print(f"$ mlopsgen {' '.join(args)}  -> {code}\n{captured.out}\n{captured.err}")
        return CliResult(code, captured.out, captured.err)

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites the golden files instead of comparing with them."""
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite tests/golden from the current render"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites golden files."""
    return bool(request.config.getoption("--update-golden"))
