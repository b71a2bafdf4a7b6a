"""Benchmark SQLite writers queueing: the app's writer gate against SQLite's busy sleeps.

Usage: .venv/bin/python scripts/bench_sqlite_writers.py [--processes 4] [--threads 4]
       [--seconds 5] [--rows 1000]

gunicorn's shape without HTTP: ``--processes`` processes of ``--threads`` threads each
run write transactions shaped like a webhook's on one SQLite file (WAL, the app's
pragmas): read a row, insert one, update a counter, commit. Run twice on fresh files:
with the engine of ``callmp.db.make_engine`` (writers wait at the gate,
``callmp.sqlite_writers``) and with the same engine without the gate (writers wait in
SQLite's busy handler). Prints transactions per second, latency p50/p99/max and CPU ms
per transaction of each, and the ratios. A bare reference in the same run: one thread of
one process, nobody to wait for.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from callmp import db  # noqa: E402


def engine_for(path: str, gated: bool) -> Engine:
    """The app's engine, or one like it whose writers wait only in SQLite."""
    url = f"sqlite:///{path}"
    if gated:
        return db.make_engine(url)
    engine = create_engine(url, connect_args={"timeout": 5})
    event.listen(engine, "connect", db._sqlite_pragmas)
    return engine


def prepare(path: str, rows: int) -> None:
    engine = db.make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE calls (id INTEGER PRIMARY KEY, state TEXT, n INT)"))
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, call_id INT, at REAL)"))
        conn.execute(text("INSERT INTO calls (state, n) VALUES ('queued', 0)"), [{}] * rows)
    engine.dispose()


def worker(path: str, gated: bool, threads: int, rows: int, stop_at: float, out: Any) -> None:
    engine = engine_for(path, gated)
    latencies: list[float] = []
    lock = threading.Lock()

    def loop(seed: int) -> None:
        mine: list[float] = []
        k = seed
        while time.time() < stop_at:
            k = (k * 1103515245 + 12345) % rows + 1
            start = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text("SELECT state, n FROM calls WHERE id = :k"), {"k": k}).first()
                conn.execute(
                    text("INSERT INTO events (call_id, at) VALUES (:k, :at)"),
                    {"k": k, "at": time.time()},
                )
                conn.execute(text("UPDATE calls SET n = n + 1 WHERE id = :k"), {"k": k})
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    cpu = time.process_time()
    pool = [threading.Thread(target=loop, args=(os.getpid() * 31 + i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((latencies, time.process_time() - cpu))
    engine.dispose()


def run(processes: int, threads: int, seconds: float, rows: int, gated: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="callmp_writers_") as folder:
        path = os.path.join(folder, "bench.sqlite3")
        prepare(path, rows)
        queue: Any = multiprocessing.get_context("fork").Queue()
        stop_at = time.time() + 0.5 + seconds
        started = time.time() + 0.5
        children = [
            multiprocessing.get_context("fork").Process(
                target=worker, args=(path, gated, threads, rows, stop_at, queue)
            )
            for _ in range(processes)
        ]
        for child in children:
            child.start()
        results = [queue.get() for _ in children]
        for child in children:
            child.join()
        latencies = sorted(x for lat, _cpu in results for x in lat)
        cpu = sum(c for _lat, c in results)
        elapsed = time.time() - started
        n = len(latencies)
        return {
            "tps": n / elapsed,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(n * 0.99)] * 1000,
            "max": latencies[-1] * 1000,
            "cpu": cpu / n * 1000,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    print(
        f"{args.processes} processes x {args.threads} threads, {args.seconds:g} s each; "
        "write transaction: SELECT + INSERT + UPDATE + COMMIT"
    )
    rows = []
    for name, procs, threads, gated in (
        ("bare: 1 writer, gate", 1, 1, True),
        ("SQLite busy handler", args.processes, args.threads, False),
        ("app's writer gate", args.processes, args.threads, True),
    ):
        result = run(procs, threads, args.seconds, args.rows, gated)
        rows.append((name, result))
        print(
            f"{name:<22} {result['tps']:>8,.0f} tx/s  p50 {result['p50']:6.2f} ms  "
            f"p99 {result['p99']:7.2f} ms  max {result['max']:8.2f} ms  "
            f"CPU {result['cpu']:.3f} ms/tx",
            flush=True,
        )
    busy, gate = rows[1][1], rows[2][1]
    bare = rows[0][1]
    print(
        f"gate / busy handler: tx/s {gate['tps'] / busy['tps']:.2f}, "
        f"p99 {gate['p99'] / busy['p99']:.2f}; gate / bare tx/s {gate['tps'] / bare['tps']:.2f}"
    )


if __name__ == "__main__":
    main()
