"""Benchmark the production shape beside a bare Flask app: req/s, p50/p99 and their ratios.

Usage: .venv/bin/python scripts/bench_production.py [--database-url URL] [--seconds 8]
       [--warmup 1] [--connections 16] [--workers 4] [--threads 4] [--worker-class gthread]
       [--webhook-calls 3000] [--json PATH]

1. Creates a fresh PostgreSQL database on ``--database-url``'s server (default: the CI
   role's server on 127.0.0.1), dropped at the end: migrate, import the shipped data, seed
   the demo campaign. Starts its own redis-server on a free loopback port (the queue on
   db 0, Flask-Limiter's counts on db 1).
2. Starts CallMP (``wsgi:app``) and a bare Flask app (``benchkit:bare_app()``) under the
   same gunicorn settings: ``-w 4 -k gthread --threads 4``. CallMP runs as in production:
   the Redis queue, Twilio telephony (its REST base URL points at a closed loopback port),
   SMTP mail (a closed loopback port), an https public URL, ``PROXY_HOPS=1`` (every request
   carries its own ``X-Forwarded-For``), JSON access logs at INFO to a file and
   ``PROMETHEUS_MULTIPROC_DIR``. No queue worker runs: call requests and letters are only
   queued in Redis, nothing is dialled or mailed. The limits per phone, per address and
   on duplicate letters are raised so the load is not refused (requests still vary the
   phone, the address and the email address).
3. Checks one request of each kind (status and content: HTML pages, JSON, TwiML) first.
4. Loads each endpoint with wrk (``--warmup`` seconds untimed, then ``--seconds`` timed):
   bare ``GET /hello`` (first and last, to see drift), bare ``POST /insert`` (one
   PostgreSQL INSERT), the campaign page, 200 riding pages in turn, the lookup API (200
   real postal codes), the counts API as a campaign page polls it (``by_office=0``, the
   default 5 s cache), the call request and the letter (both through the JSON API; the
   HTML forms run the same domain code plus a CSRF check; the demo campaign confirms
   letter addresses, so a letter stores a submission and queues a confirmation email),
   and Twilio's answer and dial webhooks (signed with the SDK's ``RequestValidator``).
   The webhooks go to ``--webhook-calls`` call requests copied from those the API stored,
   each once (a first delivery), and only replay calls once those run out.
5. After each write, counts the rows it added against the 2xx answers (exactly, give or
   take the requests wrk left in flight when it stopped). Any non-2xx/3xx answer, socket
   error or row mismatch is printed loudly and makes the script exit 1.

Prints a table: req/s, p50, p99, each as a ratio to bare ``GET /hello`` (the mean of its
two runs), and CPU ms per request in gunicorn's processes, PostgreSQL's backends and
redis-server. ``--json PATH`` saves the same, with the settings and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
from benchkit import (  # noqa: E402
    AREA_CODES,
    POSTAL_CODES,
    WRK_CALL,
    WRK_COMMON,
    WRK_LETTER,
    Checks,
    Request,
    backend_cpu,
    callmp_env,
    check_page,
    count,
    find_redis_pid,
    get_json,
    list_script,
    log_problems,
    lookup_sample,
    lua_string,
    post_json,
    resolve,
    send,
    settle,
    signed_webhook,
    twiml_verbs,
    wait_up,
)
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from callmp import demo  # noqa: E402
from callmp.db import make_engine  # noqa: E402
from callmp.models import CallRequest, Channel, ContactEvent, EmailSubmission  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402

SLUG = demo.DEMO_SLUG
DEFAULT_URL = "postgresql+psycopg://callmp_ci:callmp_ci@127.0.0.1:5432/callmp_ci"
LOOKUP_SAMPLE, WEBHOOK_WARMUP_CALLS, SEED = 200, 50, 20261206
BARE_APP_NAME = "bench_bare"


@dataclass
class Result:
    """One endpoint's timed run (latencies in ms, CPU in ms per request)."""

    name: str
    app: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    bad: int  # answers outside 200-399, plus socket errors and timeouts
    in_flight: int
    app_cpu_ms: float
    pg_cpu_ms: float
    redis_cpu_ms: float
    rows: str = ""  # what the row check found, for writes
    ok: bool = True


# -- Setup --------------------------------------------------------------------------------


def gunicorn(
    app: str, env: dict[str, str], port: int, args: argparse.Namespace, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``app`` under gunicorn with the settings both apps share."""
    # gunicorn turns "sync" with threads > 1 into gthread: sync gets one thread.
    return benchkit.gunicorn(
        app,
        env,
        port,
        log,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=threads(args),
    )


def threads(args: argparse.Namespace) -> int:
    """Threads per gunicorn worker: ``--threads`` for gthread, one for sync."""
    return int(args.threads) if args.worker_class == "gthread" else 1


# -- Counting what the load left ----------------------------------------------------------


def callmp_connections(engine: Engine) -> int:
    """How many connections CallMP's processes hold on the bench database."""
    return count(
        engine,
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND application_name <> :bare"
        ).bindparams(bare=BARE_APP_NAME),
    )


# -- The runs -----------------------------------------------------------------------------


@dataclass
class Bench:
    """Everything a run needs: ports, processes, engine, options, results."""

    args: argparse.Namespace
    engine: Engine
    callmp_port: int
    bare_port: int
    callmp: subprocess.Popen[bytes]
    bare: subprocess.Popen[bytes]
    redis_pid: int
    checks: Checks
    results: list[Result] = field(default_factory=list)
    most_connections: int = 0  # CallMP's PostgreSQL connections, most seen after a run

    def load(
        self,
        name: str,
        app: str,
        script: str,
        rows: Callable[[], int] | None = None,
        expect: Callable[[int, int], tuple[int, int]] | None = None,
        warmup: str | None = None,
    ) -> Result:
        """Warm up (on ``warmup``, else ``script``), then time ``script``.

        When ``rows`` is given, ``expect(completed_2xx, started)`` gives the range of rows
        the timed run may have added.
        """
        port, server = (
            (self.callmp_port, self.callmp) if app == "callmp" else (self.bare_port, self.bare)
        )
        lua = script + WRK_COMMON
        options = ("--timeout", "30s")
        if self.args.warmup > 0:
            warm = (warmup or script) + WRK_COMMON
            benchkit.run_wrk(port, warm, self.args.warmup, self.args.connections, *options)
        # Requests the warm-up left in flight finish on the server before the count.
        before_rows = settle(rows) if rows else 0
        before_app = benchkit.tree_cpu_seconds(server.pid)
        before_pg = backend_cpu(self.engine)
        before_redis = benchkit.cpu_seconds(self.redis_pid)
        numbers = benchkit.run_wrk(port, lua, self.args.seconds, self.args.connections, *options)
        app_cpu = benchkit.tree_cpu_seconds(server.pid) - before_app
        after_pg = backend_cpu(self.engine)
        pg_cpu = sum(cpu - before_pg.get(pid, 0.0) for pid, cpu in after_pg.items())
        redis_cpu = benchkit.cpu_seconds(self.redis_pid) - before_redis
        self.most_connections = max(self.most_connections, callmp_connections(self.engine))
        completed, duration_us, p50, p99, bad, good, started = numbers
        per = 1e3 / max(completed, 1)
        result = Result(
            name=name,
            app=app,
            requests=completed,
            seconds=duration_us / 1e6,
            rps=completed / (duration_us / 1e6),
            p50_ms=p50 / 1e3,
            p99_ms=p99 / 1e3,
            bad=bad,
            in_flight=started - completed,
            app_cpu_ms=app_cpu * per,
            pg_cpu_ms=pg_cpu * per,
            redis_cpu_ms=redis_cpu * per,
        )
        ok = self.checks.check(
            bad == 0 and completed > 0,
            f"{name}: {bad} non-2xx/3xx answers or socket errors in {completed} requests",
        )
        if rows and expect:
            added = settle(rows) - before_rows
            low, high = expect(good, started)
            result.rows = f"{added} rows for {good} 2xx (allowed {low}..{high})"
            ok = (
                self.checks.check(
                    low <= added <= high,
                    f"{name}: {added} rows added for {good} 2xx answers, {started} sent "
                    f"(allowed {low}..{high})",
                )
                and ok
            )
        result.ok = ok
        self.results.append(result)
        print(
            f"  {name:<26} {result.rps:8,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  bad {bad}  {result.rows}",
            flush=True,
        )
        return result


def copy_calls(engine: Engine, n: int) -> None:
    """Add ``n`` call requests copied from those the API stored, each with a new public id.

    The webhooks then meet calls they have not seen, as Twilio's first deliveries do,
    without spending minutes of the API's time making them.
    """
    columns = [c for c in CallRequest.__table__.columns if c.name not in ("id", "public_id")]
    with engine.begin() as conn:
        models = [
            row._asdict()
            for row in conn.execute(
                select(*columns).where(CallRequest.provider_sid.is_(None)).limit(100)
            )
        ]
        conn.execute(
            insert(CallRequest),
            [models[k % len(models)] | {"public_id": secrets.token_urlsafe(16)} for k in range(n)],
        )


def exact(good: int, started: int) -> tuple[int, int]:
    """One row per 2xx answer, plus at most the requests in flight at the stop."""
    return good, started


def run(bench: Bench, tmp: Path) -> None:
    """Check a sample of each request, then load each endpoint in turn."""
    checks, engine, port = bench.checks, bench.engine, bench.callmp_port
    # -- samples
    status, body = benchkit.http_request(bench.bare_port, "GET", "/hello")
    checks.check(status == 200 and body == b"hello", f"bare GET /hello: {status}")
    status, body = benchkit.http_request(bench.bare_port, "POST", "/insert")
    checks.check(status == 201, f"bare POST /insert: {status} {body[:100]!r}")
    check_page(port, f"/c/{SLUG}", checks, "campaign page")
    ridings = resolve(port, POSTAL_CODES)
    checks.check(all(email for _c, _f, email in ridings), "sample ridings' MPs have emails")
    codes = lookup_sample(LOOKUP_SAMPLE, SEED)
    fed_nums = sorted({fed for _c, fed, _e in resolve(port, codes)})
    check_page(port, f"/c/{SLUG}/riding/{fed_nums[0]}", checks, "riding page")
    status, counts = get_json(port, f"/api/v1/campaigns/{SLUG}/counts?by_office=0")
    checks.check(status == 200 and isinstance(counts, dict), f"counts API: {status}")
    code, fed, _ = ridings[0]
    payload = {"phone": "613-555-0100", "postal_code": code, "fed_num": fed, "lang": "en"}
    status, answer = post_json(port, f"/api/v1/campaigns/{SLUG}/calls", payload)
    checks.check(status == 202 and answer and answer.get("id"), f"call request: {status}")
    call_id = str(answer["id"]) if status == 202 else ""
    for kind, verb in (("answer", "Gather"), ("dial", "Say")):
        status, body = send(port, signed_webhook(call_id, 10**6, kind))
        try:
            verbs = twiml_verbs(body)
        except (ValueError, ET.ParseError):
            verbs = []
        checks.check(status == 200 and verb in verbs, f"{kind} webhook: {status} {verbs}")
    letter = {
        "name": "Sample",
        "email": "sample@bench.example",
        "postal_code": code,
        "fed_num": fed,
        "personal_line": "",
        "lang": "en",
    }
    status, answer = post_json(port, f"/api/v1/campaigns/{SLUG}/emails", letter)
    checks.check(status == 202 and answer and answer.get("id"), f"letter: {status}")
    if checks.failed:
        raise SystemExit("a sample request failed: no load run")

    args = bench.args
    print(
        f"\nwrk -t1 -c{args.connections}, {args.warmup:g} s warm-up + {args.seconds:g} s each; "
        f"gunicorn -w {args.workers} -k {args.worker_class} --threads {threads(args)} "
        "for both apps",
        flush=True,
    )
    hello = Request("GET", "/hello")
    bench.load("bare GET /hello (first)", "bare", list_script([hello]))
    bare_rows = text("SELECT count(*) FROM bench_bare")
    bench.load(
        "bare POST /insert",
        "bare",
        list_script([Request("POST", "/insert")]),
        lambda: count(engine, bare_rows),
        exact,
    )
    bench.load("campaign page", "callmp", list_script([Request("GET", f"/c/{SLUG}")]))
    riding_pages = [Request("GET", f"/c/{SLUG}/riding/{fed}") for fed in fed_nums]
    bench.load("riding page", "callmp", list_script(riding_pages))
    lookups = [Request("GET", "/api/v1/lookup?" + urlencode({"postal_code": c})) for c in codes]
    bench.load("lookup API", "callmp", list_script(lookups))
    counts_path = f"/api/v1/campaigns/{SLUG}/counts?by_office=0"
    bench.load("counts API", "callmp", list_script([Request("GET", counts_path)]))
    rides = ",".join(f"{{{lua_string(c)}, {f}}}" for c, f, _e in ridings)
    areas = ",".join(lua_string(a) for a in AREA_CODES)
    calls = select(func.count()).select_from(CallRequest)
    # The warm-up and the timed run both count from 1, so phones repeat: limits are raised.
    call_script = WRK_CALL % (rides, areas, f"/api/v1/campaigns/{SLUG}/calls")
    bench.load(
        "call request (JSON API)", "callmp", call_script, lambda: count(engine, calls), exact
    )

    copy_calls(engine, args.webhook_calls)
    with engine.connect() as conn:
        ids = list(
            conn.scalars(
                select(CallRequest.public_id)
                .where(CallRequest.provider_sid.is_(None))
                .order_by(CallRequest.id)
            )
        )
    warm, timed = ids[:WEBHOOK_WARMUP_CALLS], ids[WEBHOOK_WARMUP_CALLS:]
    linked = select(func.count()).where(CallRequest.provider_sid.is_not(None))
    bridged = select(func.count()).where(ContactEvent.channel == Channel.bridged_call)

    def first_deliveries(good: int, started: int) -> tuple[int, int]:
        """One row per call answered: each timed call once, then replays add nothing."""
        return min(good, len(timed)), min(started, len(timed))

    for kind, name, rows in (
        ("answer", "answer webhook", linked),
        ("dial", "dial webhook", bridged),
    ):
        warmup = [signed_webhook(p, k, kind) for k, p in enumerate(warm)]
        load = [signed_webhook(p, k + len(warm), kind) for k, p in enumerate(timed)]
        # Warmed up on calls of their own, so each timed call's first delivery is timed.
        bench.load(
            name,
            "callmp",
            list_script(load),
            partial(count, engine, rows),
            first_deliveries,
            warmup=list_script(warmup),
        )
    tag = "load-" + secrets.token_hex(4)
    letters = select(func.count()).where(EmailSubmission.email.like(f"{tag}-%"))
    letter_script = WRK_LETTER % (rides, tag, f"/api/v1/campaigns/{SLUG}/emails")
    bench.load("letter (JSON API)", "callmp", letter_script, lambda: count(engine, letters), exact)
    bench.load("bare GET /hello (last)", "bare", list_script([hello]))
    print(
        f"  (the webhooks had {len(ids)} unanswered calls, {len(ids) - len(timed)} for the "
        f"warm-up: {args.webhook_calls} copied from the API's; beyond them, replays)"
    )


def report(bench: Bench, meta: dict[str, Any]) -> dict[str, Any]:
    """Print the table of ratios to bare GET /hello; the JSON document of the run."""
    hellos = [r for r in bench.results if r.name.startswith("bare GET /hello")]
    base_rps = sum(r.rps for r in hellos) / len(hellos)
    base_p50 = sum(r.p50_ms for r in hellos) / len(hellos)
    base_p99 = sum(r.p99_ms for r in hellos) / len(hellos)
    print(
        f"\nratios to bare GET /hello (mean of its two runs: {base_rps:,.0f} req/s, "
        f"p50 {base_p50:.1f} ms, p99 {base_p99:.1f} ms)"
    )
    header = (
        f"{'endpoint':<26} {'req/s':>7} {'x bare':>7} {'p50 ms':>7} {'x bare':>7} "
        f"{'p99 ms':>7} {'x bare':>7} {'bad':>4} {'app cpu':>8} {'pg cpu':>7} {'redis':>6}  check"
    )
    print(header)
    print("-" * len(header))
    for r in bench.results:
        print(
            f"{r.name:<26} {r.rps:7,.0f} {r.rps / base_rps:7.2f} {r.p50_ms:7.1f} "
            f"{r.p50_ms / base_p50:7.1f} {r.p99_ms:7.1f} {r.p99_ms / base_p99:7.1f} "
            f"{r.bad:4} {r.app_cpu_ms:8.2f} {r.pg_cpu_ms:7.2f} {r.redis_cpu_ms:6.2f}  "
            f"{'ok' if r.ok else 'FAILED'}"
        )
    print(
        "(x bare: req/s as a fraction of bare's, latencies as multiples of bare's; app cpu: "
        "ms of CPU per request in gunicorn's master and workers; pg cpu: in the PostgreSQL "
        "backends serving the bench database; redis: in redis-server; bad: non-2xx/3xx "
        "answers and socket errors)"
    )
    return {
        **meta,
        "bare_hello": {"rps": base_rps, "p50_ms": base_p50, "p99_ms": base_p99},
        "results": [
            asdict(r)
            | {
                "rps_ratio": r.rps / base_rps,
                "p50_ratio": r.p50_ms / base_p50,
                "p99_ratio": r.p99_ms / base_p99,
            }
            for r in bench.results
        ],
        "failed": bench.checks.failed,
    }


def main() -> None:
    """Parse options, set up database, Redis and both servers, run, report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server")
    parser.add_argument("--seconds", type=float, default=8.0, help="timed load per endpoint")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed load before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per app")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--worker-class", choices=("gthread", "sync"), default="gthread", help="gunicorn -k"
    )
    parser.add_argument(
        "--webhook-calls", type=int, default=3000, help="calls added for the webhooks"
    )
    parser.add_argument("--json", type=Path, help="also save the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    began = time.perf_counter()
    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in load_before)}", flush=True)
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="callmp_prod_") as tmp_name:
        tmp = Path(tmp_name)
        with (
            benchkit.scratch_database(args.database_url) as url,
            redis_server(tmp / "redis") as redis_url,
        ):
            start = time.perf_counter()
            demo.prepare_database(url, REPO / "data")
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE bench_bare (id serial PRIMARY KEY, note text)"))
                max_connections = int(conn.execute(text("SHOW max_connections")).scalar_one())
            print(
                f"fresh PostgreSQL database migrated, imported and seeded in "
                f"{time.perf_counter() - start:.1f} s; redis-server at {redis_url}",
                flush=True,
            )
            redis_pid = find_redis_pid(redis_url)
            callmp_port, bare_port = benchkit.free_port(), benchkit.free_port()
            env = callmp_env(url, redis_url, tmp)
            callmp_log, bare_log = tmp / "callmp.log", tmp / "bare.log"
            callmp = gunicorn("wsgi:app", env, callmp_port, args, callmp_log)
            bare_env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
            # Named, so its PostgreSQL connections can be told from CallMP's.
            bare_url = make_url(url).update_query_dict({"application_name": BARE_APP_NAME})
            bare_env |= {
                "PYTHONPATH": str(REPO / "scripts"),
                "BENCH_BARE_DATABASE_URL": bare_url.render_as_string(hide_password=False),
            }
            bare = gunicorn("benchkit:bare_app()", bare_env, bare_port, args, bare_log)
            bench = Bench(args, engine, callmp_port, bare_port, callmp, bare, redis_pid, checks)
            try:
                wait_up(callmp_port, "/", callmp, "CallMP")
                wait_up(bare_port, "/hello", bare, "the bare app")
                run(bench, tmp)
                held = callmp_connections(engine)
            finally:
                benchkit.stop(callmp)
                benchkit.stop(bare)
                engine.dispose()
            pool = make_engine(url)
            pool_size, overflow = pool.pool.size(), pool.pool._max_overflow  # type: ignore[attr-defined]
            pool.dispose()
            problems = log_problems(callmp_log) + log_problems(bare_log)
            checks.check(not problems, f"server logs free of warnings and errors ({len(problems)})")
            for line in problems[:5]:
                print(f"    {line[:240]}")
    load_after = os.getloadavg()
    meta = {
        "command": " ".join(sys.argv),
        "settings": vars(args) | {"json": str(args.json) if args.json else None},
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
        "pg_max_connections": max_connections,
        "pool_per_process": {"size": pool_size, "max_overflow": overflow},
        "callmp_pg_connections_after_load": held,
        "callmp_pg_connections_most_after_a_run": bench.most_connections,
    }
    document = report(bench, meta)
    print(
        f"\nPostgreSQL: CallMP's {args.workers} workers held {held} connections after the load, "
        f"at most {bench.most_connections} at the end of a run; each process's pool allows "
        f"{pool_size} + {overflow} overflow, so {args.workers * (pool_size + overflow)} for "
        f"the app; the server's max_connections is {max_connections}"
    )
    print(
        f"load average after: {' '.join(f'{v:.2f}' for v in load_after)} on {os.cpu_count()} "
        f"cores; whole run {time.perf_counter() - began:.0f} s"
    )
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"saved {args.json}")
    if checks.failed:
        print(f"\n!!! {len(checks.failed)} check(s) FAILED: the numbers above are not valid")
        raise SystemExit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
