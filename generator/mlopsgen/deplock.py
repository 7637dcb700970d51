"""The dependency lock of a generated repository: ``uv lock`` over its pyproject.toml.

A generated repository installs from ``uv.lock`` only (``make install`` runs ``uv sync
--locked``), so ``mlopsgen new`` resolves it before the repository is moved into place.
uv, not pip-tools: one ``uv.lock`` is universal (every platform and every Python the
project allows, with the hash of every file), while ``pip-compile`` locks for the one
interpreter and platform it runs on; and ``uv export`` still gives pip a
``--require-hashes`` file (the container image and pip-audit read that).
"""

from __future__ import annotations

import os
import subprocess  # nosec B404  # runs uv, a dependency of mlopsgen, without a shell
from pathlib import Path

from mlopsgen.errors import UserError

__all__ = ["LOCK_FILE", "TIMEOUT_SECONDS", "lock_dependencies"]

#: uv's lock file, beside pyproject.toml.
LOCK_FILE = "uv.lock"
TIMEOUT_SECONDS = 600


def _uv() -> str:
    from uv import find_uv_bin  # noqa: PLC0415  (only `new` needs it)

    return find_uv_bin()


def lock_dependencies(project: Path) -> Path:
    """Resolve ``project``'s pyproject.toml into ``project/uv.lock``.

    uv reads the package index from its own settings (``UV_INDEX_URL``, ``uv.toml``).

    Raises:
        UserError: uv is missing or could not resolve (the index unreachable, a
            requirement no release satisfies); uv's own last error line is in the message.
    """
    try:
        uv = _uv()
    except (ImportError, FileNotFoundError) as exc:
        raise UserError(
            f"uv is not installed, so the dependencies cannot be locked: {exc}",
            hint="pip install uv (a dependency of mlopsgen), or pass --no-lock",
        ) from exc
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)  # lock for the project, not for the caller's virtualenv
    try:
        # Safe: a fixed argument list, uv's own binary, no shell.
        result = subprocess.run(  # nosec B603
            [uv, "lock", "--quiet", "--project", str(project)],
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise UserError(
            f"uv lock ran longer than {TIMEOUT_SECONDS} s",
            hint="check the package index is reachable, or pass --no-lock and run "
            "`make lock` later",
        ) from exc
    lock = project / LOCK_FILE
    if result.returncode != 0 or not lock.is_file():
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")] or lines or ["no output"]
        raise UserError(
            f"could not lock the dependencies with uv lock: {errors[-1]}",
            hint="uv needs the package index (PyPI, or UV_INDEX_URL); pass --no-lock to "
            "render without uv.lock and run `make lock` in the repository later",
        )
    return lock
