"""Golden files: every managed file rendered for every example, byte for byte, as written.

A change to the emitters shows up here as a reviewable diff of tests/golden/.
Refresh with `pytest tests/test_golden.py --update-golden` and read the diff.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlopsgen.render import render_managed
from mlopsgen.spec import load_spec
from mlopsgen.sync import managed_tree
from tests.repo_paths import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_managed_files_match_golden(example: Path, update_golden: bool) -> None:
    files = {rel: f.content for rel, f in managed_tree(render_managed(load_spec(example))).items()}
    folder = GOLDEN / example.stem
    if update_golden:
        shutil.rmtree(folder, ignore_errors=True)
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text, encoding="utf-8")
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == set(files), "run pytest tests/test_golden.py --update-golden"
    for rel, text in files.items():
        assert (folder / rel).read_text(encoding="utf-8") == text, (
            f"{example.stem}/{rel} differs from its golden file; run with --update-golden "
            "and review the diff"
        )


def test_render_is_deterministic() -> None:
    spec = load_spec(EXAMPLES[0])
    assert render_managed(spec).files == render_managed(spec).files
