"""Fuzzing the spec reader: mutations of the examples never crash it.

Whatever the mutation (random bytes, truncation, tags, deep nesting, huge scalars,
duplicate keys, anchors and aliases, a wrong type at a random path), ``validate`` exits 0
or 2, never 3, prints no traceback, and every line on stderr is a positioned diagnostic
(``file:line:column: ...``) or the closing ``error: file: invalid spec: N problem(s)``.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlopsgen import yamlio
from mlopsgen.cli import main
from mlopsgen.spec.loader import MAX_SPEC_BYTES
from tests.repo_paths import EXAMPLES

SOURCES = [p.read_bytes() for p in EXAMPLES]
TAGS = [
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!str",
    "!!binary",
    "!!timestamp",
    "!!merge",
    "!!set",
    "!!omap",
    "!!python/name:os.system",
    "!!python/object/apply:os.system",
    "!custom",
    "!",
]
WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)
VALUE_START = re.compile(rb": ")


def _positions(data: bytes) -> list[int]:
    return [m.end() for m in VALUE_START.finditer(data)] or [len(data)]


@st.composite
def mutated_specs(draw: st.DrawFn) -> bytes:
    source = draw(st.sampled_from(SOURCES))
    kind = draw(
        st.sampled_from(
            [
                "bytes",
                "truncate",
                "tag",
                "nesting",
                "huge",
                "duplicate",
                "anchors",
                "wrong-type",
            ]
        )
    )
    at = draw(st.sampled_from(_positions(source)))
    if kind == "bytes":
        noise = draw(st.binary(min_size=1, max_size=16))
        return source[:at] + noise + source[at:]
    if kind == "truncate":
        return source[: draw(st.integers(0, len(source)))]
    if kind == "tag":
        tag = draw(st.sampled_from(TAGS)).encode()
        return source[:at] + tag + b" " + source[at:]
    if kind == "nesting":
        depth = draw(st.integers(1, 20_000))
        flow = draw(st.booleans())
        deep = b"[" * depth + b"]" * depth if flow else b"\n" + b"- " * depth + b"x"
        return source[:at] + deep + b"\n" + source[at:].partition(b"\n")[2]
    if kind == "huge":
        unit = draw(st.sampled_from([b"a", b"ab:", b"eyJ", b"1:", b"1", b"a1/", b"aA9+"]))
        room = MAX_SPEC_BYTES - len(source) - 8
        size = draw(st.integers(1, room // len(unit)))
        return source[:at] + b'"' + unit * size + b'" ' + source[at:]
    if kind == "duplicate":
        lines = source.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        return b"".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    if kind == "anchors":
        lines = source.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        alias = draw(st.sampled_from([b"*a", b"*missing", b"&a *a", b"[*a, *a, *a]"]))
        anchored = source[:at] + b"&a " + source[at:]
        lines = anchored.splitlines(keepends=True)
        line = lines[i].rstrip(b"\n")
        key, sep, _ = line.partition(b": ")
        if sep:
            lines[i] = key + sep + alias + b"\n"
        return b"".join(lines)
    data = yaml.safe_load(source)
    paths = [p for p, _ in yamlio.iter_paths(data) if p]
    path = draw(st.sampled_from(paths))
    value: Any = draw(WRONG_VALUES)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return yamlio.dump(data).encode("utf-8")


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _check_output(spec: Path, code: int, err: str) -> None:
    assert code in {0, 2}, err
    assert "Traceback" not in err
    positioned = re.compile(rf"^{re.escape(str(spec))}:\d+:\d+: \S")
    summary = re.compile(rf"^error: {re.escape(str(spec))}: invalid spec: \d+ problems?$")
    for line in err.splitlines():
        if code == 0 and line.startswith(("warning: ", "dry run: ")):
            continue  # new --dry-run of a spec that survived the mutation
        assert positioned.match(line) or summary.match(line), line


@settings(
    max_examples=120,
    deadline=timedelta(seconds=1),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated_specs())
def test_validate_never_crashes(tmp_path: Path, text: bytes) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_bytes(text)
    code, _, err = _run(["validate", str(spec)])
    _check_output(spec, code, err)
    if b"\xff" in text and code == 2:
        assert "byte" in err or re.search(r":\d+:\d+: ", err)


@settings(
    max_examples=12,
    deadline=None,  # a spec that survives the mutation renders a whole repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated_specs())
def test_new_dry_run_never_crashes(tmp_path: Path, text: bytes) -> None:
    spec = tmp_path / "mlops.yaml"
    spec.write_bytes(text)
    out = tmp_path / "out"
    code, _, err = _run(["new", str(spec), "-o", str(out), "--dry-run"])
    _check_output(spec, code, err)
    assert not out.exists()
