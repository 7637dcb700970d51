"""Load benchmark on loopback: the FastAPI service against the old WSGI app, in one run.

Both servers load the same model (run `make train lineage` first) and listen on
127.0.0.1 only: the baseline as the old Dockerfile served it (gunicorn, 2 sync workers,
``benchmarks/baseline_wsgi.py``), the service as its Dockerfile serves it (``python -m
{{ cookiecutter.module_name }}.serve``, one uvicorn process). Each gets the same warm-up, then
--requests single-record predictions from --concurrency clients (keep-alive when the
server allows it), stopped after --time-limit seconds whatever the count. It prints
requests/s, p50 and p99 latency and errors for both, and for the service the prediction
log's line count against its successful predictions (after a graceful stop).

Exit 1 on any error or lost log line; the throughput and p99 targets are reported
(met or not), not enforced: this is a benchmark, and the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from {{ cookiecutter.module_name }}.data import load_contract, read_csv  # noqa: E402
from {{ cookiecutter.module_name }}.predlog import read_records  # noqa: E402
from {{ cookiecutter.module_name }}.settings import load_settings  # noqa: E402

HOST = "127.0.0.1"
WARM_UP = 200
#: The targets of the service at 50 concurrent clients.
P99_TARGET_MS = 50.0


@dataclass(frozen=True)
class Result:
    """What one server did under load."""

    name: str
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def post(
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
    port: int,
    path: str,
    body: bytes,
) -> tuple[int, tuple[asyncio.StreamReader, asyncio.StreamWriter] | None]:
    """One POST; the status and the connection to reuse (None when the server closed it)."""
    if conn is None:
        conn = await asyncio.open_connection(HOST, port)
    reader, writer = conn
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    length, close = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "connection" and value.strip().lower() == "close":
            close = True
    await reader.readexactly(length)
    if close:
        writer.close()
        return status, None
    return status, conn


async def load(
    name: str, port: int, path: str, body: bytes, total: int, clients: int, limit: float
) -> Result:
    """total requests from `clients` concurrent clients, stopped after `limit` seconds."""
    latencies: list[float] = []
    counts = {"sent": 0, "ok": 0, "errors": 0}
    deadline = time.monotonic() + limit

    async def client() -> None:
        conn = None
        while counts["sent"] < total and time.monotonic() < deadline:
            counts["sent"] += 1
            started = time.perf_counter()
            try:
                status, conn = await post(conn, port, path, body)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                status, conn = 0, None
            if status == 200:
                counts["ok"] += 1
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                counts["errors"] += 1
        if conn is not None:
            conn[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    seconds = time.perf_counter() - started
    return Result(name, counts["ok"], counts["errors"], seconds, latencies)


def start(cmd: list[str], port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server; return once GET /health answers (or fail after 60 s)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[2]} exited {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2):  # noqa: S310
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{' '.join(cmd)}: no answer on port {port} within 60 s; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM: a graceful stop (the service flushes its prediction log)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench(
    name: str, cmd: list[str], port: int, path: str, body: bytes, args: argparse.Namespace
) -> tuple[Result, Result]:
    """The warm-up's result and the measured run's, on a server started for them."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "benchmarks")]),
    }
    env["MLOPS_SPEC"] = str(Path(args.spec).resolve())
    proc = start(cmd, port, env, Path(args.workdir) / f"{name}.log")
    try:
        warm = asyncio.run(load(name, port, path, body, WARM_UP, args.concurrency, args.time_limit))
        return warm, asyncio.run(
            load(name, port, path, body, args.requests, args.concurrency, args.time_limit)
        )
    finally:
        stop(proc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "mlops.yaml"))
    parser.add_argument("--requests", type=int, default=3000, help="per server (default 3000)")
    parser.add_argument("--concurrency", type=int, default=50, help="clients (default 50)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (60)")
    args = parser.parse_args(argv)
    settings = load_settings(args.spec)
    contract = load_contract(settings.contract)
    frame = read_csv(settings.drift_batch, contract, require_target=False)
    record = json.loads(frame.head(1)[contract.feature_names].to_json(orient="records"))[0]
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="loadtest-") as workdir:
        args.workdir = workdir
        log_dir = Path(workdir) / "predictions"
        port = free_port()
        _, baseline = bench(
            "wsgi (gunicorn, 2 sync workers)",
            [
                python,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                "2",
                "baseline_wsgi:app",
            ],
            port,
            "/predict",
            json.dumps({"records": [record]}).encode(),
            args,
        )
        port = free_port()
        warm, service = bench(
            "fastapi (uvicorn, 1 process)",
            [
                python,
                "-m",
                "{{ cookiecutter.module_name }}.serve",
                "--spec",
                args.spec,
                "--host",
                HOST,
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--prediction-log",
                str(log_dir),
            ],
            port,
            "/predict",
            json.dumps(record).encode(),
            args,
        )
        logged = sum(1 for _ in read_records(log_dir, "predictions"))
    expected = warm.ok + service.ok
    print(f"{args.concurrency} concurrent clients, single-record POST /predict, {HOST}")
    print(f"{'server':34} {'ok':>6} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for result in (baseline, service):
        print(
            f"{result.name:34} {result.ok:6d} {result.errors:6d} {result.rps:8.1f} "
            f"{result.percentile(50):8.1f} {result.percentile(99):8.1f}"
        )
    print(f"prediction log: {logged} line(s) for {expected} successful prediction(s)")
    faster = service.rps >= baseline.rps
    quick = service.percentile(99) < P99_TARGET_MS
    print(f"target throughput >= baseline: {'met' if faster else 'NOT met'}")
    print(f"target p99 < {P99_TARGET_MS:.0f} ms: {'met' if quick else 'NOT met'}")
    if warm.errors or service.errors or baseline.errors or logged != expected:
        print("FAILED: errors or lost log lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
