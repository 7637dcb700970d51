"""What mlopsgen generates for every example, and the example specs, are clean under strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlopsgen.diagnostics import Severity
from mlopsgen.policy import AuditSettings, audit
from mlopsgen.render import render_managed
from mlopsgen.spec import load_spec
from tests.policy.cases import TODAY
from tests.repo_paths import EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
@pytest.mark.parametrize("pack", ["baseline", "strict"])
def test_generated_pipelines_are_clean(example: Path, pack: str, tmp_path: Path) -> None:
    spec = load_spec(example)
    rendered = render_managed(spec)
    for rel, text in rendered.files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "mlops.yaml").write_text(example.read_text())
    reports = list(audit([tmp_path], AuditSettings(today=TODAY, packs=(pack,))))
    audited = {r.file.rsplit("/", 1)[-1] for r in reports}
    assert "mlops.yaml" in audited and len(audited) >= 3
    findings = [
        (r.rule, r.location.file, r.location.line, r.message)
        for report in reports
        for r in report.results
        if r.severity is not Severity.INFO
    ]
    assert findings == []
    assert not any(r.blocking for report in reports for r in report.results)
