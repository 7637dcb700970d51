"""The DVC set-up of a generated repository with ``data.versioning: dvc``, built as data.

What ``dvc init``, ``dvc remote add --default storage <data.remote>`` and ``dvc add`` of
each shipped source would write, computed without DVC (mlopsgen does not depend on it):
``.dvc/config`` with the remote as default, ``.dvc/.gitignore``, ``.dvcignore``, and for
each data source the render ships, ``<source>.dvc`` (DVC 3's md5 of a single file is the
plain md5 of its bytes) plus a ``.gitignore`` beside it, so git keeps the pointer and
never the data. A later ``dvc add`` of the same file rewrites none of them.
"""

from __future__ import annotations

import configparser
import hashlib
import io
import posixpath
import re
from collections.abc import Mapping

from mlopsgen.spec.model import Spec

__all__ = ["DVC_PLUGINS", "REMOTE_NAME", "config_url", "dvc_files", "dvc_plugin"]

#: The name of the default remote in ``.dvc/config``.
REMOTE_NAME = "storage"
#: The DVC plugin each remote scheme needs (a directory remote needs none).
DVC_PLUGINS = {"s3": "dvc-s3", "azure": "dvc-azure", "gs": "dvc-gs"}

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# What `dvc init` writes.
_DVC_GITIGNORE = "/config.local\n/tmp\n/cache\n"
_DVCIGNORE = (
    "# Add patterns of files dvc should ignore, which could improve\n"
    "# the performance. Learn more at\n"
    "# https://dvc.org/doc/user-guide/dvcignore\n"
)


def dvc_plugin(remote: str) -> str | None:
    """The package DVC needs for ``remote`` (``dvc-s3`` for ``s3://``), or None."""
    match = _SCHEME.match(remote)
    return DVC_PLUGINS.get(match.group(1).lower()) if match else None


def config_url(remote: str) -> str:
    """``remote`` as ``.dvc/config`` holds it: a relative directory relative to ``.dvc/``."""
    if _SCHEME.match(remote) or posixpath.isabs(remote):
        return remote
    return posixpath.normpath(posixpath.join("..", remote))


def _config(remote: str) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser["core"] = {"remote": REMOTE_NAME}
    parser[f"'remote \"{REMOTE_NAME}\"'"] = {"url": config_url(remote)}
    out = io.StringIO()
    parser.write(out)
    # DVC's own layout: four-space indented options, no blank line between sections.
    lines = [line for line in out.getvalue().splitlines() if line]
    return "".join(line + "\n" if line.startswith("[") else f"    {line}\n" for line in lines)


def _pointer(name: str, content: bytes) -> str:
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return f"outs:\n- md5: {digest}\n  size: {len(content)}\n  hash: md5\n  path: {name}\n"


def dvc_files(spec: Spec, files: Mapping[str, str]) -> dict[str, str]:
    """The DVC files for ``spec`` given the rendered ``files`` (path -> text), or ``{}``.

    A ``.gitignore`` beside a source extends the rendered one when there is one.
    """
    if not spec.data.dvc or spec.data.remote is None:
        return {}
    out = {
        ".dvc/config": _config(spec.data.remote),
        ".dvc/.gitignore": _DVC_GITIGNORE,
        ".dvcignore": _DVCIGNORE,
    }
    for source in spec.data.sources:
        path = posixpath.normpath(source.removeprefix("./"))
        if path not in files:
            continue  # not shipped: the user's own file, tracked with `dvc add`
        folder, name = posixpath.split(path)
        out[f"{path}.dvc"] = _pointer(name, files[path].encode("utf-8"))
        ignore = posixpath.join(folder, ".gitignore")
        before = out.get(ignore, files.get(ignore, ""))
        if before and not before.endswith("\n"):
            before += "\n"
        out[ignore] = before + f"/{name}\n"
    return out
