"""The tolerant pipeline reader in yamlio: what real CI files contain."""

from __future__ import annotations

import pytest

from mlopsgen import yamlio
from mlopsgen.yamlio import Tagged


def test_reference_tags_documents_and_yaml11_booleans() -> None:
    text = (
        "spec:\n  inputs: {a: {default: x}}\n---\non: push\n"
        "job:\n  script: !reference [.x, script]\n  flag: yes\n"
    )
    loaded = yamlio.load_lenient(text, filename="f")
    assert len(loaded.documents) == 2
    doc = loaded.documents[1]
    assert "on" in doc and doc["on"] == "push"  # keys stay strings: no True key
    assert doc["job"]["script"] == Tagged("!reference", [".x", "script"])
    assert doc["job"]["flag"] is True


def test_duplicates_are_kept_last_and_recorded() -> None:
    loaded = yamlio.load_lenient("a: 1\nb: 2\na: 3\n", filename="f")
    assert loaded.documents[0] == {"a": 3, "b": 2}
    (dup,) = loaded.duplicates
    assert (dup.key, dup.first.line, dup.second.line) == ("a", 1, 3)


def test_merge_keys_and_scalars() -> None:
    text = (
        ".base: &base {image: 'py:3', tags: [x]}\njob:\n  <<: *base\n  tags: [y]\n"
        "  n: 0x10\n  d: 2024-01-01\n  f: 1.5\n  z: ~\n"
    )
    doc = yamlio.load_lenient(text, filename="f").documents[0]
    assert doc["job"] == {
        "image": "py:3",
        "tags": ["y"],
        "n": 16,
        "d": "2024-01-01",
        "f": 1.5,
        "z": None,
    }


def test_locate_paths() -> None:
    text = "jobs:\n  a:\n    steps:\n      - run: x\n      - run: |\n          y\n"
    loaded = yamlio.load_lenient(text, filename="f")
    where = yamlio.locate(loaded.nodes[0], ("jobs", "a", "steps", 1, "run"))
    assert where is not None and where[0] == yamlio.Mark(5, 9)
    fallback = yamlio.locate(loaded.nodes[0], ("jobs", "a", "missing"))
    assert fallback is not None and fallback[0] == yamlio.Mark(2, 3)
    assert yamlio.locate(None, ("x",)) is None


def test_errors_are_diagnostics() -> None:
    with pytest.raises(yamlio.YamlLoadError) as info:
        yamlio.load_lenient("a: [\n", filename="f.yml")
    (diag,) = info.value.diagnostics
    assert diag.location.file == "f.yml" and diag.location.line == 2


def test_strict_load_is_unchanged() -> None:
    with pytest.raises(yamlio.YamlLoadError, match="duplicate key"):
        yamlio.load("a: 1\na: 2\n", filename="f")


def test_complex_keys_are_recorded_and_left_out() -> None:
    loaded = yamlio.load_lenient("a: 1\n? [x, y]\n: 2\nb:\n  ? {k: v}\n  : 3\n", filename="f")
    assert loaded.documents[0] == {"a": 1, "b": {}}
    assert loaded.complex_keys == [yamlio.Mark(2, 3), yamlio.Mark(5, 5)]
