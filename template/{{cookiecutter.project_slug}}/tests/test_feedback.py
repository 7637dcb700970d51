"""The prediction log writer and the feedback task (import labels, join by request id)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }} import feedback
from {{ cookiecutter.module_name }}.predlog import JsonlWriter, log_file, read_records
from {{ cookiecutter.module_name }}.settings import load_settings


def prediction(request_id: str, label: int, day: str = "2026-01-02") -> dict[str, object]:
    return {
        "request_id": request_id,
        "timestamp": f"{day}T10:00:00.000Z",
        "model_version": "abc",
        "features": {},
        "output": {"prediction": label, "probability": 0.9},
    }


def test_many_threads_lose_no_line(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path, "predictions")

    def write(thread: int) -> None:
        for n in range(500):
            writer.write(prediction(f"t{thread}.{n}", n % 2))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    lines = log_file(tmp_path, "predictions", "2026-01-02").read_text().splitlines()
    assert len(lines) == 8 * 500
    assert len({json.loads(line)["request_id"] for line in lines}) == 8 * 500
    with pytest.raises(RuntimeError):
        writer.write(prediction("late", 1))


def test_files_rotate_by_utc_day(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path, "predictions")
    writer.write(prediction("a", 1, "2026-01-01"))
    writer.write(prediction("b", 0, "2026-01-02"))
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "predictions-2026-01-01.jsonl",
        "predictions-2026-01-02.jsonl",
    ]
    assert [r["request_id"] for r in read_records(tmp_path, "predictions")] == ["a", "b"]


def test_import_and_join(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log_dir = load_settings(spec).prediction_log_dir
    writer = JsonlWriter(log_dir, "predictions")
    for n in range(4):
        writer.write(prediction(f"r{n}", n % 2))
    writer.close()
    labels = spec.parent / "labels.csv"
    labels.write_text("request_id,label\nr0,0\nr1,0\nr2,0\nghost,1\n", encoding="utf-8")
    assert feedback.main(["--spec", str(spec), "import", str(labels)]) == 0
    assert feedback.main(["--spec", str(spec), "join"]) == 0
    report = json.loads((spec.parent / "reports" / "feedback.json").read_text())
    assert report == {
        "predictions": 4,
        "labels": 4,
        "joined": 3,
        "accuracy": round(2 / 3, 6),
        "unmatched_labels": 1,
        "unmatched_request_ids": ["ghost"],
    }
    assert "3 of 4 label(s) joined" in capsys.readouterr().out


def test_a_bad_label_file_imports_nothing(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = spec.parent / "labels.csv"
    labels.write_text("request_id,label\nr0,1\nr1,maybe\n", encoding="utf-8")
    assert feedback.main(["--spec", str(spec), "import", str(labels)]) == 2
    assert "labels.csv:3: label: expected a number, got 'maybe'" in capsys.readouterr().err
    assert list(read_records(load_settings(spec).prediction_log_dir, "feedback")) == []
