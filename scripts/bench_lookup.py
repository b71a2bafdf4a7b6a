"""Benchmark the postal code lookup: in process, through the HTTP API, memory, cold start.

Usage: .venv/bin/python scripts/bench_lookup.py [--n 20000] [--seconds 10] [--workers 2]

Builds a throwaway SQLite database (migrate, import, seed) in a temporary folder, then:
1. in process: ``lookup.resolve`` (postal tables only) and ``lookup.lookup`` (tables plus
   the database query for ridings, members and offices), over real postal codes mixed
   with unknown codes of known areas;
2. through the API: gunicorn on loopback, concurrent clients calling
   ``GET /api/v1/lookup`` for the given number of seconds;
3. memory: the resident set size of this process with the app and the tables loaded;
4. cold start: a fresh interpreter that builds the app and answers its first lookup.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from callmp import create_app, demo  # noqa: E402
from callmp.directory import lookup  # noqa: E402
from callmp.directory.postal_index import get_index  # noqa: E402
from callmp.views.context import services  # noqa: E402


def rss_mb() -> float:
    """Resident memory of this process in MB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sample_codes(n: int, seed: int = 7) -> list[str]:
    """``n`` postal codes as supporters type them: 90% known codes, 10% unknown ones."""
    rng = random.Random(seed)
    with gzip.open(REPO / "data" / "postal_codes.csv.gz", "rt", encoding="ascii") as handle:
        next(handle)
        known = [line[:6] for line in handle]
    codes = []
    for _ in range(n):
        code = rng.choice(known)
        if rng.random() < 0.1:
            code = code[:3] + "9Z9"
        codes.append(code[:3].lower() + " " + code[3:])
    return codes


def percentiles(samples: list[float]) -> str:
    """p50 and p99 of ``samples`` (seconds) in microseconds."""
    q = statistics.quantiles(samples, n=100)
    return f"p50 {q[49] * 1e6:.0f} µs, p99 {q[98] * 1e6:.0f} µs"


def build_database(folder: Path) -> str:
    """Migrate, import and seed a SQLite database in ``folder``; return its URL."""
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    demo.prepare_database(url, REPO / "data")
    return url


def bench_in_process(url: str, codes: list[str]) -> None:
    """Time resolve() and lookup() on every code."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    index = get_index(REPO / "data")
    from callmp.directory import postal_codes as postal

    normalised = [postal.normalise(c) for c in codes]
    times = []
    for code in normalised:
        start = time.perf_counter()
        lookup.resolve(index, code)
        times.append(time.perf_counter() - start)
    total = sum(times)
    print(
        f"in process, postal tables only: {len(times) / total:,.0f} lookups/s, {percentiles(times)}"
    )
    with services(app).sessions() as session:
        times = []
        for code in codes:
            start = time.perf_counter()
            lookup.lookup(session, index, code)
            times.append(time.perf_counter() - start)
            session.expunge_all()
    total = sum(times)
    print(
        f"in process, with members and offices from the database: "
        f"{len(times) / total:,.0f} lookups/s, {percentiles(times)}"
    )
    print(
        f"memory (RSS) with app and tables loaded: {rss_mb():.0f} MB "
        f"(postal arrays {index.nbytes / 1e6:.1f} MB)"
    )


def bench_http(url: str, codes: list[str], seconds: float, workers: int, clients: int) -> None:
    """Start gunicorn on loopback and call the API from ``clients`` threads."""
    port = 5000 + os.getpid() % 1000 + 1000
    env = dict(
        os.environ, CALLMP_DATABASE_URL=url, CALLMP_SECRET_KEY="bench", CALLMP_LOG_LEVEL="WARNING"
    )
    server = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--preload",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/lookup?postal_code=K1A0A6")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        if shutil.which("wrk"):
            bench_wrk(port, codes, seconds)
            return
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        stop = time.time() + seconds

        def client(offset: int) -> None:
            mine: list[float] = []
            i = offset
            while time.time() < stop:
                code = codes[i % len(codes)].replace(" ", "")
                i += clients
                start = time.perf_counter()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", f"/api/v1/lookup?postal_code={code}")
                response = conn.getresponse()
                response.read()
                conn.close()
                mine.append(time.perf_counter() - start)
                if response.status >= 500:
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        print(
            f"HTTP API (gunicorn -w {workers}, {clients} clients, {seconds:.0f} s): "
            f"{len(latencies) / elapsed:,.0f} requests/s, {percentiles(latencies)}, "
            f"5xx: {errors[0]}"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def bench_wrk(port: int, codes: list[str], seconds: float) -> None:
    """Load the API with wrk (a second process), cycling through ``codes``."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "codes.lua"
        listed = ",".join(f'"{c.replace(" ", "")}"' for c in codes[:5000])
        script.write_text(
            f"local codes = {{{listed}}}\nlocal i = 0\n"
            "request = function()\n  i = i % #codes + 1\n"
            '  return wrk.format("GET", "/api/v1/lookup?postal_code=" .. codes[i])\nend\n'
        )
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                "-c16",
                f"-d{seconds:.0f}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    lines = result.stdout.splitlines()
    rate = next(line.split()[1] for line in lines if line.startswith("Requests/sec"))
    p50 = next(line.split()[1] for line in lines if line.strip().startswith("50%"))
    p99 = next(line.split()[1] for line in lines if line.strip().startswith("99%"))
    errors = [line.strip() for line in lines if "Non-2xx" in line or "Socket errors" in line]
    print(
        f"HTTP API (gunicorn, wrk 16 connections, {seconds:.0f} s): {float(rate):,.0f} "
        f"requests/s, p50 {p50}, p99 {p99}; {'; '.join(errors) or 'no errors'}"
    )


def bench_cold_start(url: str) -> None:
    """Wall time for a new interpreter to build the app and answer one lookup."""
    program = (
        "from callmp import create_app\n"
        f"app = create_app({{'DATABASE_URL': {url!r}, 'SECRET_KEY': 'bench'}})\n"
        "r = app.test_client().get('/api/v1/lookup?postal_code=K1A0A6')\n"
        "assert r.status_code == 200, r.status_code\n"
    )
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", program], cwd=REPO, check=True)
        runs.append(time.perf_counter() - start)
    print(
        f"cold start to first lookup answered: best {min(runs):.2f} s, "
        f"worst {max(runs):.2f} s (3 runs)"
    )


def main() -> None:
    """Run every benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=20000, help="lookups in process")
    parser.add_argument("--seconds", type=float, default=10, help="length of the HTTP run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    args = parser.parse_args()
    codes = sample_codes(args.n)
    with tempfile.TemporaryDirectory() as folder:
        url = build_database(Path(folder))
        bench_cold_start(url)
        bench_in_process(url, codes)
        bench_http(url, codes, args.seconds, args.workers, args.clients)


if __name__ == "__main__":
    main()
