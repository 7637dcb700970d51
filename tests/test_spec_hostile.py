"""Hostile specs: long strings, megabyte files and fuzzed mutations of the examples.

Every one is refused (or accepted) quickly with positioned errors: exit 2, never 3, no
traceback. The time bounds here are hang guards, not speed claims.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlopsgen.spec.loader import MAX_SPEC_BYTES
from mlopsgen.spec.schema import load_schema
from tests.repo_paths import CliResult

HEAD = "version: 1\nproject:\n  name: Spam Filter\n"
HANG_GUARD_S = 5.0
LONG = 100_000

#: Where a string goes, as spec text around the JSON-quoted value ({}), and its field.
FIELDS = [
    (HEAD + "  description: {}\n", "project.description"),
    ("version: 1\nproject:\n  name: {}\n", "project.name"),
    (HEAD + "data:\n  contract: {}\n", "data.contract"),
    (HEAD + "monitoring:\n  drift:\n    schedule: {}\n", "monitoring.drift.schedule"),
    (HEAD + "secrets:\n  provider: vault\n  vault: {{role: r, url: {}}}\n", "secrets.vault.url"),
    (HEAD + "secrets:\n  items: [{{name: T, ref: {}}}]\n", "secrets.items[0].ref"),
    (HEAD + "ci:\n  triggers:\n    branches: [{}]\n", "ci.triggers.branches[0]"),
]
#: Contents that made a pattern backtrack: runs of scheme characters before no "://",
#: "eyJ" repeated, an URL with a long user part, identifier pieces.
CONTENTS = {
    "letters": "a" * LONG,
    "colons": "ab:" * (LONG // 3),
    "jwt-prefix": "eyJ" * (LONG // 3),
    "url": "https://" + "a" * LONG + ":",
    "pieces": "a1/" * (LONG // 3),
}


def _string_schemas(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "string" or (isinstance(kind, list) and "string" in kind):
            yield path, node
        for key, value in node.items():
            yield from _string_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _string_schemas(value, f"{path}/{i}")


def test_every_string_field_has_a_max_length() -> None:
    unbounded = [
        path
        for path, node in _string_schemas(load_schema())
        if "maxLength" not in node and "enum" not in node
    ]
    assert unbounded == [], "add maxLength to these string fields"


@pytest.mark.parametrize("content", list(CONTENTS), ids=list(CONTENTS))
@pytest.mark.parametrize(("template", "field"), FIELDS, ids=[f for _, f in FIELDS])
def test_a_long_field_is_a_quick_positioned_error(
    tmp_path: Path,
    run_cli: Callable[..., CliResult],
    template: str,
    field: str,
    content: str,
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(template.format(json.dumps(CONTENTS[content])))
    start = time.perf_counter()
    result = run_cli("validate", str(spec))
    elapsed = time.perf_counter() - start
    assert result.code == 2, result.err
    assert re.search(
        rf"^{re.escape(str(spec))}:\d+:\d+: {re.escape(field)}: expected at most ",
        result.err,
        re.MULTILINE,
    ), result.err
    assert elapsed < HANG_GUARD_S


def _mib(body: Callable[[int], str]) -> str:
    """HEAD plus ``body`` repeated up to (about) MAX_SPEC_BYTES."""
    return HEAD + body(MAX_SPEC_BYTES - len(HEAD) - 64)


MEGABYTE_SPECS = {
    "one-scalar": lambda n: "  description: " + "a" * n + "\n",
    "one-quoted-scalar": lambda n: "  description: " + json.dumps("ab:/" * (n // 6)) + "\n",
    "duplicate-owners": lambda n: "  owners:\n" + "    - aaaaaa\n" * (n // 13),
    "many-keys": lambda n: "".join(f"  k{i}: v\n" for i in range(n // 12)),
    "base-60-integer": lambda n: "  description: " + "1:" * (n // 2) + "1\n",
    "digits": lambda n: "  description: " + "1" * n + "\n",
    "comments": lambda n: "#" * n + "\n",
    "anchors": lambda n: "".join(f"  k{i}: &a{i} v\n" for i in range(n // 20)),
    "nesting": lambda n: "  description: " + "[" * (n // 2) + "]" * (n // 2) + "\n",
    "block-nesting": lambda n: "  description:\n" + "- " * (n // 2) + "x\n",
}


@pytest.mark.parametrize("shape", list(MEGABYTE_SPECS), ids=list(MEGABYTE_SPECS))
def test_a_megabyte_spec_is_quick(
    tmp_path: Path, run_cli: Callable[..., CliResult], shape: str
) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_text(_mib(MEGABYTE_SPECS[shape]))
    assert spec.stat().st_size <= MAX_SPEC_BYTES
    start = time.perf_counter()
    result = run_cli("validate", str(spec))
    elapsed = time.perf_counter() - start
    assert result.code in {0, 2}, result.err
    assert "Traceback" not in result.err
    assert elapsed < HANG_GUARD_S
