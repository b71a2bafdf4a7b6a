"""Benchmark Twilio's webhooks: gunicorn, a loopback Twilio stand-in, signed requests.

Usage: .venv/bin/python scripts/bench_calls.py [--calls 200] [--seconds 6] [--concurrency 16]
       [--workers 2] [--client auto|wrk|threads]

1. Builds a throwaway SQLite database (migrate, import, seed the demo) in a temporary folder
   and starts the Twilio REST stand-in (tests/twilio_standin.py) on loopback.
2. Starts gunicorn (``-w 2``) in Twilio mode against the stand-in with a SQLite queue, and
   the queue worker (``flask worker``).
3. Creates ``--calls`` call requests through ``POST /api/v1/campaigns/status-for-all/calls``
   and waits until the worker has placed every one through the stand-in.
4. For each webhook kind (answer, gather with key 1, dial action "completed 45 s", status
   callback), fires requests signed with Twilio's ``RequestValidator`` for ``--seconds``
   from ``--concurrency`` connections, spread over all the calls (so most are replays, as
   Twilio's retries are), and prints requests/s and p50/p95/p99 latency.
5. Checks what the load left behind: exactly one contact event per call.

The client is wrk (a Lua script replaying pre-signed requests) when installed, else a pool
of Python threads; the threads client costs CPU the server then lacks on a small machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from shutil import which
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
from benchkit import free_port, http_request, stop  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from callmp import demo  # noqa: E402
from callmp.db import make_engine  # noqa: E402
from callmp.models import CallRequest, ContactEvent  # noqa: E402
from tests.support.twilio_standin import TwilioStandIn  # noqa: E402

CALLER_ID = "+16135550199"
AREA_CODES = ("613", "416", "514", "604", "403", "902", "306", "204", "709", "867")
POSTAL_CODES = ("M5V 3L9", "K1A 0A6")
KINDS = ("answer", "gather", "dial", "status")


@dataclass(frozen=True)
class Signed:
    """One webhook request, signed: path with query, form body, signature."""

    path: str
    body: str
    signature: str


@dataclass(frozen=True)
class Result:
    """What one load run measured (latencies in seconds)."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    bad: int


def build_database(folder: Path) -> str:
    """Migrate, import and seed a SQLite database in ``folder``; return its URL."""
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    demo.prepare_database(url, REPO / "data")
    return url


def server_env(url: str, folder: Path, standin: TwilioStandIn, port: int) -> dict[str, str]:
    """The environment of gunicorn and the worker: Twilio mode against the stand-in."""
    return dict(
        os.environ,
        CALLMP_DATABASE_URL=url,
        CALLMP_SECRET_KEY="bench-secret",
        CALLMP_LOG_LEVEL="WARNING",
        CALLMP_TELEPHONY="twilio",
        CALLMP_TWILIO_ACCOUNT_SID=standin.account_sid,
        CALLMP_TWILIO_AUTH_TOKEN=standin.auth_token,
        CALLMP_TWILIO_API_BASE_URL=standin.base_url,
        CALLMP_TWILIO_FROM_NUMBER=CALLER_ID,
        CALLMP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        CALLMP_QUEUE="sqlite",
        CALLMP_QUEUE_PATH=str(folder / "queue.sqlite3"),
        CALLMP_ALLOW_FICTIONAL_PHONES="1",
        CALLMP_CALLS_PER_SECOND="1000",
        CALLMP_CALL_MAX_PER_IP_PER_HOUR="1000000",
        CALLMP_PUBLIC_WRITE_BURST="",  # every request comes from loopback: no burst limit
        # Calls only: letters may stay in the local outbox.
        CALLMP_ALLOW_LOCAL_MAIL="1",
    )


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {what}")


def create_calls(port: int, count: int) -> list[str]:
    """Ask for ``count`` calls through the API (fictional 555-01xx numbers); their ids."""
    if count > 100 * len(AREA_CODES):
        raise SystemExit(f"--calls is at most {100 * len(AREA_CODES)}")
    ids = []
    for k in range(count):
        area, line = AREA_CODES[k // 100], k % 100
        payload = {"phone": f"{area}-555-01{line:02d}", "postal_code": POSTAL_CODES[k % 2]}
        status, body = http_request(
            port,
            "POST",
            "/api/v1/campaigns/status-for-all/calls",
            json.dumps(payload),
            {"Content-Type": "application/json"},
        )
        if status != 202:
            raise SystemExit(f"call request refused: {status} {body[:200]!r}")
        ids.append(str(json.loads(body)["id"]))
    return ids


def provider_sids(url: str) -> dict[str, str]:
    """Public id -> provider call sid of every placed request."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(CallRequest.public_id, CallRequest.provider_sid).where(
                    CallRequest.provider_sid.is_not(None)
                )
            ).all()
    finally:
        engine.dispose()
    return {public_id: sid for public_id, sid in rows if sid}


def signed_requests(kind: str, sids: dict[str, str], public_url: str, token: str) -> list[Signed]:
    """One signed webhook of ``kind`` per call, as Twilio would send it."""
    validator = RequestValidator(token)
    requests = []
    for public_id, sid in sids.items():
        params = {
            "AccountSid": "AC" + "0123456789abcdef" * 2,
            "CallSid": sid,
            "From": CALLER_ID,
            "To": "+16135550100",
            "Direction": "outbound-api",
            "CallStatus": "in-progress",
        }
        base = f"/twilio/calls/{public_id}"
        path = {
            "answer": f"{base}/answer",
            "gather": f"{base}/gather?step=0",
            "dial": f"{base}/dial?step=0&office=0",
            "status": f"{base}/status",
        }[kind]
        if kind == "gather":
            params["Digits"] = "1"
        elif kind == "dial":
            params.update(DialCallStatus="completed", DialCallDuration="45")
        signature = validator.compute_signature(public_url + path, params)
        requests.append(Signed(path, urlencode(params), str(signature)))
    return requests


def run_threads(port: int, requests: list[Signed], seconds: float, clients: int) -> Result:
    """Load with ``clients`` Python threads, one request at a time each."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        """One client thread's share of the load."""
        mine: list[float] = []
        errors = 0
        i = offset
        while time.monotonic() < stop:
            signed = requests[i % len(requests)]
            i += clients
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signed.signature,
            }
            start = time.perf_counter()
            status, _body = http_request(port, "POST", signed.path, signed.body, headers)
            mine.append(time.perf_counter() - start)
            errors += status >= 300
        with lock:
            latencies.extend(mine)
            bad[0] += errors

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies), elapsed, q[49], q[94], q[98], bad[0])


def run_once(port: int, requests: list[Signed], clients: int) -> Result:
    """Send each request exactly once from ``clients`` threads (first deliveries)."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def client(offset: int) -> None:
        """One client thread's share of the load."""
        for signed in requests[offset::clients]:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signed.signature,
            }
            start = time.perf_counter()
            status, _body = http_request(port, "POST", signed.path, signed.body, headers)
            with lock:
                latencies.append(time.perf_counter() - start)
                bad[0] += status >= 300

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies), elapsed, q[49], q[94], q[98], bad[0])


WRK_SCRIPT = """\
local reqs = {%s}
local i = 0
request = function()
  i = i %% #reqs + 1
  local r = reqs[i]
  return wrk.format("POST", r[1], {["Content-Type"] = "application/x-www-form-urlencoded",
                                   ["X-Twilio-Signature"] = r[3]}, r[2])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(port: int, requests: list[Signed], seconds: float, clients: int) -> Result:
    """Load with wrk (a separate C process), cycling through the pre-signed requests."""
    rows = ",".join(
        "{" + ",".join(json.dumps(v) for v in (r.path, r.body, r.signature)) + "}" for r in requests
    )
    count, duration_us, p50, p95, p99, bad = benchkit.run_wrk(
        port, WRK_SCRIPT % rows, seconds, clients
    )
    return Result(count, duration_us / 1e6, p50 / 1e6, p95 / 1e6, p99 / 1e6, bad)


def report(kind: str, result: Result) -> None:
    """Print one line per webhook kind."""
    print(
        f"{kind}: {result.requests / result.seconds:,.0f} requests/s "
        f"({result.requests:,} in {result.seconds:.1f} s), "
        f"p50 {result.p50 * 1e3:5.1f} ms, p95 {result.p95 * 1e3:5.1f} ms, "
        f"p99 {result.p99 * 1e3:5.1f} ms, errors/non-2xx {result.bad}"
    )


def count_events(url: str) -> int:
    """How many contact events the database holds."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ContactEvent)).scalar_one())
    finally:
        engine.dispose()


def main() -> None:
    """Parse options, set everything up, run the load per webhook kind, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="call requests to create")
    parser.add_argument("--seconds", type=float, default=6.0, help="load time per webhook kind")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--client", choices=("auto", "wrk", "threads"), default="auto")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and which("wrk") is not None)
    with tempfile.TemporaryDirectory() as tmp, TwilioStandIn() as standin:
        folder = Path(tmp)
        url = build_database(folder)
        port = free_port()
        env = server_env(url, folder, standin, port)
        server = subprocess.Popen(
            [
                str(REPO / ".venv" / "bin" / "gunicorn"),
                *("-w", str(args.workers), "-b", f"127.0.0.1:{port}"),
                *("--log-level", "warning", "callmp:create_app()"),
            ],
            cwd=REPO,
            env=env,
        )
        worker = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "flask"), "--app", "callmp:create_app()", "worker"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: http_request(port, "GET", "/")[0] == 200, 30, "gunicorn")
            began = time.perf_counter()
            ids = create_calls(port, args.calls)
            created = time.perf_counter() - began
            wait_until(lambda: len(standin.call_sids()) >= len(ids), 120, "the calls to be placed")
            placed = time.perf_counter() - began
            stop(worker)
            sids = provider_sids(url)
            assert set(sids) == set(ids), "every request placed once"
            print(
                f"{len(ids)} call requests through the API in {created:.1f} s "
                f"({len(ids) / created:,.0f}/s); all placed through the stand-in "
                f"after {placed:.1f} s"
            )
            client = "wrk -t1" if use_wrk else "Python threads"
            print(
                f"webhooks, gunicorn -w {args.workers}, {client}, "
                f"{args.concurrency} connections, {args.seconds:.0f} s each:"
            )
            run = run_wrk if use_wrk else run_threads
            public_url = env["CALLMP_PUBLIC_URL"]
            # Each call's first answer: nothing cached yet, and the request moves to in progress.
            first = signed_requests("answer", sids, public_url, standin.auth_token)
            report(
                "first answer per call (Python threads)", run_once(port, first, args.concurrency)
            )
            for kind in KINDS:
                requests = signed_requests(kind, sids, public_url, standin.auth_token)
                report(kind, run(port, requests, args.seconds, args.concurrency))
            events = count_events(url)
            print(f"contact events after the load: {events} (one per call: {events == len(ids)})")
        finally:
            stop(worker)
            stop(server)


if __name__ == "__main__":
    main()
