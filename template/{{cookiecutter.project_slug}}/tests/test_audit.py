"""The dependency audit gate on pip-audit's JSON report, and its one-line failure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from {{ cookiecutter.module_name }} import audit

# pip-audit --format json --desc on --aliases on, as pip_audit/_format/json.py writes it.
CLEAN = {
    "dependencies": [
        {"name": "numpy", "version": "2.1.0", "vulns": []},
        {"name": "pyyaml", "version": "6.0.2", "vulns": []},
    ],
    "fixes": [],
}
VULNERABLE = {
    "dependencies": [
        {
            "name": "jinja2",
            "version": "3.1.2",
            "vulns": [
                {
                    "id": "GHSA-h5c8-rqwp-cp95",
                    "fix_versions": ["3.1.3"],
                    "aliases": ["CVE-2024-22195"],
                    "description": "The xmlattr filter accepts keys containing spaces.",
                }
            ],
        },
        {"name": "numpy", "version": "2.1.0", "vulns": []},
        {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI"},
    ],
    "fixes": [],
}


def test_a_clean_report_passes() -> None:
    assert audit.gate(CLEAN) == []


def test_a_vulnerable_report_names_package_version_ids_and_fixes() -> None:
    problems = audit.gate(VULNERABLE)
    assert problems[0] == (
        "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95, CVE-2024-22195 (fix versions: 3.1.3)"
    )
    assert problems[1] == "internal-lib: could not be audited: Dependency not found on PyPI"
    assert len(problems) == 2


@pytest.mark.parametrize("report", [{}, [], {"dependencies": []}])
def test_a_report_that_audited_nothing_fails(report: Any) -> None:
    assert audit.gate(report)


def test_the_last_error_line_skips_the_network_tip() -> None:
    log = (
        "WARNING:pip_audit._cli:--no-deps is supported, but users are encouraged to hash\n"
        "ERROR:pip_audit._cli:Connection refused: https://pypi.org/pypi/numpy/2.1.0/json\n"
        "ERROR:pip_audit._cli:Tip: your network may be blocking this service.\n"
    )
    expected = "Connection refused: https://pypi.org/pypi/numpy/2.1.0/json"
    assert audit.last_error_line(log) == expected


def test_the_command_is_strict_json_over_pinned_requirements(tmp_path: Path) -> None:
    command = audit.pip_audit_command(tmp_path / "req.txt", tmp_path / "out.json")
    assert command[1:3] == ["-m", "pip_audit"]
    assert {"--strict", "--require-hashes", "--no-deps", "--disable-pip"} <= set(command)
    assert command[command.index("--format") + 1] == "json"
    assert command[command.index("--output") + 1] == str(tmp_path / "out.json")


def test_the_audited_set_is_the_whole_lock_without_the_project(tmp_path: Path) -> None:
    command = audit.export_command(tmp_path / "req.txt")
    assert command[1:4] == ["-m", "uv", "export"]
    assert {"--frozen", "--all-extras", "--no-emit-project"} <= set(command)
    assert "--no-hashes" not in command
    assert command[command.index("--output-file") + 1] == str(tmp_path / "req.txt")


LOCKED = "numpy==2.1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"


def _fake_pip_audit(
    monkeypatch: pytest.MonkeyPatch, report: dict[str, Any] | None, status: int, log: str = ""
) -> None:
    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        if "export" in command:
            Path(command[command.index("--output-file") + 1]).write_text(LOCKED)
            return subprocess.CompletedProcess(command, 0, "", "")
        if report is not None:
            Path(command[command.index("--output") + 1]).write_text(json.dumps(report))
        return subprocess.CompletedProcess(command, status, "", log)

    monkeypatch.setattr(audit, "run", run)


def test_main_passes_a_clean_audit(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_pip_audit(monkeypatch, CLEAN, 0)
    assert audit.main(["--spec", str(spec)]) == 0
    assert "dependency audit passed: 2 packages" in capsys.readouterr().out
    assert (spec.parent / "reports/requirements-audit.txt").read_text() == LOCKED


def test_main_fails_in_one_line_when_the_lock_cannot_be_exported(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        assert "export" in command, "pip-audit must not run without the locked set"
        return subprocess.CompletedProcess(command, 2, "", "error: Unable to find lockfile\n")

    monkeypatch.setattr(audit, "run", run)
    assert audit.main(["--spec", str(spec)]) == 2
    assert "uv export of uv.lock failed" in capsys.readouterr().err


def test_main_fails_on_a_vulnerability(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _fake_pip_audit(monkeypatch, VULNERABLE, 1)
    assert audit.main(["--spec", str(spec)]) == 1
    err = capsys.readouterr().err
    assert "dependency audit FAILED: jinja2 3.1.2: GHSA-h5c8-rqwp-cp95" in err
    assert "internal-lib: could not be audited" in err


def test_main_says_in_one_line_when_pip_audit_could_not_audit(
    spec: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = spec.parent / "reports/pip-audit.json"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(json.dumps(CLEAN))  # an earlier run's report must not count
    log = "ERROR:pip_audit._cli:arrow: Dependency not found on PyPI and could not be audited\n"
    _fake_pip_audit(monkeypatch, None, 1, log)
    assert audit.main(["--spec", str(spec)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "dependency audit FAILED: pip-audit --strict could not audit the dependencies "
        "(no vulnerability service reachable, or a package it cannot look up?): "
        "arrow: Dependency not found on PyPI and could not be audited"
    ]
    assert not stale.exists()
