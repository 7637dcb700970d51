"""The prediction log: JSON lines, one file per kind and UTC day, written by one thread.

monitoring.prediction_log in mlops.yaml names the directory (default logs/predictions/).
The service appends one line per prediction to ``predictions-YYYY-MM-DD.jsonl``
(request_id, timestamp, features, output, model_version) and one line per ground-truth
label to ``feedback-YYYY-MM-DD.jsonl`` (request_id, label, timestamp); the day is the
record's own UTC timestamp, so files rotate at midnight UTC. The feedback task joins the
two by request id.

Only one thread writes each file, so lines never interleave and none is lost under load:
callers put records on a queue (which never drops: a full queue makes the caller wait)
and ``close()`` drains it before it returns. Shipping the files to a bucket is the job of
your log shipper (fluent-bit, vector, a sidecar); a direct cloud sink is a later step.
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

PREDICTIONS = "predictions"
FEEDBACK = "feedback"
#: What a request id may look like (a client's X-Request-ID header or our uuid4 hex).
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Records waiting for the writer before write() blocks (backpressure, never a drop).
MAX_QUEUED = 100_000

_LOG = logging.getLogger(__name__)


def utc_now() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a Z."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def log_file(directory: Path, kind: str, day: str) -> Path:
    """The file of one kind (predictions or feedback) and one UTC day (YYYY-MM-DD)."""
    return directory / f"{kind}-{day}.jsonl"


class JsonlWriter:
    """Appends records (JSON objects with an ISO ``timestamp``) to daily files of one kind."""

    def __init__(self, directory: Path, kind: str) -> None:
        self.directory = directory
        self.kind = kind
        #: Records the writer could not write (a full disk, a read-only directory).
        self.failed = 0
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=MAX_QUEUED)
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"{kind}-log", daemon=True)
        self._thread.start()

    def write(self, record: dict[str, Any]) -> None:
        """Queue one record; RuntimeError once the writer is closed."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.kind} log is closed")
            self._queue.put(record)

    def close(self) -> None:
        """Write every queued record, then stop the thread (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        handle = None
        day = ""
        stop = False
        while not stop:
            batch = [self._queue.get()]
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for record in batch:
                if record is None:
                    stop = True
                    continue
                try:
                    record_day = str(record["timestamp"])[:10]
                    if handle is None or record_day != day:
                        if handle is not None:
                            handle.close()
                        self.directory.mkdir(parents=True, exist_ok=True)
                        day = record_day
                        handle = log_file(self.directory, self.kind, day).open(
                            "a", encoding="utf-8"
                        )
                    handle.write(json.dumps(record, separators=(",", ":")) + "\n")
                except (OSError, TypeError, ValueError) as exc:
                    self.failed += 1
                    _LOG.error("could not write a %s record: %s", self.kind, exc)
            if handle is not None:
                try:
                    handle.flush()
                except OSError as exc:
                    _LOG.error("could not flush the %s log: %s", self.kind, exc)
        if handle is not None:
            handle.close()


def read_records(
    directory: Path, kind: str, days: Iterable[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of one kind (of the given UTC days only, when given), oldest file first.

    A line that is not JSON is skipped.
    """
    if days is None:
        paths = sorted(directory.glob(f"{kind}-*.jsonl"))
    else:
        paths = [p for p in map(partial(log_file, directory, kind), sorted(days)) if p.is_file()]
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                except ValueError:
                    _LOG.warning("%s:%d: not a JSON line, skipped", path, number)
                    continue
                if isinstance(record, dict):
                    yield record
