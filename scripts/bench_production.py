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
import contextlib
import gzip
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from callmp import demo  # noqa: E402
from callmp.db import make_engine  # noqa: E402
from callmp.models import CallRequest, Channel, ContactEvent, EmailSubmission  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402

SLUG = demo.DEMO_SLUG
DEFAULT_URL = "postgresql+psycopg://callmp_ci:callmp_ci@127.0.0.1:5432/callmp_ci"
PUBLIC_URL = "https://callmp.bench.invalid"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token"
CALLER_ID = "+16135550199"
# 555-01xx numbers are fictional (accepted with ALLOW_FICTIONAL_PHONES): nobody is called.
AREA_CODES = ("613", "416", "514", "604", "403", "902", "306", "204", "709", "867")
# Ridings whose MP has an email address (as bench_email.py checks), for calls and letters.
POSTAL_CODES = ("K1A 0A6", "M5V 3L9", "H3A 0G4", "V6B 1A1", "T2P 1J9", "B3H 4R2", "R3C 4T3")
LOOKUP_SAMPLE, WEBHOOK_WARMUP_CALLS, SEED = 200, 50, 20261206
BARE_APP_NAME = "bench_bare"


@dataclass(frozen=True)
class Request:
    """One fixed request for wrk: method, path, extra headers, body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


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


@dataclass
class Checks:
    """Failed checks, printed loudly as they come; the script exits 1 if any failed."""

    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> bool:
        """Print a failure in capitals and remember it; True when ``ok``."""
        if not ok:
            print(f"  !!! FAILED: {what}")
            self.failed.append(what)
        return ok


# -- Lua for wrk --------------------------------------------------------------------------

WRK_COMMON = """\
threads = {}
setup = function(thread)
  table.insert(threads, thread)
end
init = function(args)
  started, good, other, counter = 0, 0, 0, 0
end
forwarded = function(k)
  return string.format("10.%d.%d.%d", math.floor(k / 65536) % 256, math.floor(k / 256) % 256,
                       k % 256)
end
response = function(status, headers, body)
  if status >= 200 and status < 400 then good = good + 1 else other = other + 1 end
end
done = function(summary, latency, requests)
  local s, g, o = 0, 0, 0
  for _, t in ipairs(threads) do
    s, g, o = s + t:get("started"), g + t:get("good"), o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    o + e.connect + e.read + e.write + e.timeout, g, s))
end
"""

# Fixed requests, cycled: {method, path, body, {headers}}.
WRK_LIST = """\
local reqs = {%s}
request = function()
  started, counter = started + 1, counter + 1
  local r = reqs[(counter - 1) %% #reqs + 1]
  local headers = {["X-Forwarded-For"] = forwarded(counter)}
  for k, v in pairs(r[4]) do headers[k] = v end
  return wrk.format(r[1], r[2], headers, r[3])
end
"""

# A call request per request: its own phone number and address, ridings in turn.
WRK_CALL = """\
local ridings = {%s}
local areas = {%s}
request = function()
  started, counter = started + 1, counter + 1
  local k = counter
  local r = ridings[k %% #ridings + 1]
  local phone = string.format("%%s-555-01%%02d", areas[math.floor(k / 100) %% #areas + 1],
                              k %% 100)
  local body = string.format('{"phone": "%%s", "postal_code": "%%s", "fed_num": %%d, '
    .. '"lang": "en"}', phone, r[1], r[2])
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json",
                                   ["X-Forwarded-For"] = forwarded(k)}, body)
end
"""

# A letter per request: its own email address (tagged with the run) and address.
WRK_LETTER = """\
local ridings = {%s}
request = function()
  started, counter = started + 1, counter + 1
  local r = ridings[counter %% #ridings + 1]
  local body = string.format('{"name": "Load %%d", "email": "%s-%%d@bench.example", '
    .. '"postal_code": "%%s", "fed_num": %%d, "personal_line": "", '
    .. '"consent_followup": false, "lang": "en"}', counter, counter, r[1], r[2])
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json",
                                   ["X-Forwarded-For"] = forwarded(counter)}, body)
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal (JSON's escapes are valid Lua for our ASCII values)."""
    return json.dumps(value)


def list_script(requests: list[Request]) -> str:
    """wrk's Lua for cycling through ``requests``."""
    rows = []
    for r in requests:
        headers = ",".join(f"[{lua_string(k)}]={lua_string(v)}" for k, v in r.headers.items())
        rows.append(
            "{"
            + ",".join((lua_string(r.method), lua_string(r.path), lua_string(r.body)))
            + ",{"
            + headers
            + "}}"
        )
    return WRK_LIST % ",".join(rows)


# -- Setup --------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on ``server_url``'s server, dropped afterwards."""
    base = make_url(server_url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a postgresql+psycopg:// URL")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"callmp_bench_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        for attempt in range(20):  # autovacuum may still hold the database
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except DBAPIError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        admin.dispose()


def callmp_env(url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """CallMP's environment: the production settings, relaxed limits, nothing reachable."""
    closed = str(benchkit.free_port())  # nothing listens there: no call or mail leaves
    redis_base = redis_url.rsplit("/", 1)[0]
    metrics = folder / "metrics"
    metrics.mkdir()
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
    return kept | {
        "PYTHONPATH": str(REPO),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "CALLMP_DATABASE_URL": url,
        "CALLMP_SECRET_KEY": secrets.token_hex(32),
        "CALLMP_LOG_LEVEL": "INFO",
        "CALLMP_LOG_FORMAT": "json",
        "CALLMP_PROXY_HOPS": "1",
        "CALLMP_SESSION_COOKIE_SECURE": "1",
        "CALLMP_PUBLIC_URL": PUBLIC_URL,
        "CALLMP_QUEUE": "redis",
        "CALLMP_REDIS_URL": f"{redis_base}/0",
        "CALLMP_RATELIMIT_STORAGE_URI": f"{redis_base}/1",
        "CALLMP_TELEPHONY": "twilio",
        "CALLMP_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "CALLMP_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "CALLMP_TWILIO_FROM_NUMBER": CALLER_ID,
        "CALLMP_TWILIO_API_BASE_URL": f"http://127.0.0.1:{closed}",
        "CALLMP_MAIL_BACKEND": "smtp",
        "CALLMP_SMTP_HOST": "127.0.0.1",
        "CALLMP_SMTP_PORT": closed,
        "CALLMP_SMTP_TLS": "none",
        "CALLMP_ALLOW_FICTIONAL_PHONES": "1",
        # Raised for the benchmark: the load comes from one machine and reuses phones.
        "CALLMP_CALL_MAX_PER_PHONE_PER_HOUR": str(10**6),
        "CALLMP_CALL_MAX_PER_PHONE_PER_DAY": str(10**6),
        "CALLMP_CALL_MAX_PER_IP_PER_HOUR": str(10**6),
        "CALLMP_EMAIL_MAX_PER_IP_PER_HOUR": str(10**6),
        "CALLMP_EMAIL_DUPLICATE_HOURS": "0",
    }


def gunicorn(
    app: str, env: dict[str, str], port: int, args: argparse.Namespace, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``app`` under gunicorn with the settings both apps share."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        # gunicorn turns "sync" with threads > 1 into gthread: sync gets one thread.
        *("-w", str(args.workers), "-k", args.worker_class, "--threads", str(threads(args))),
        *("-b", f"127.0.0.1:{port}", "--log-level", "warning", app),
    ]
    with log.open("ab") as log_file:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log_file
        )


def threads(args: argparse.Namespace) -> int:
    """Threads per gunicorn worker: ``--threads`` for gthread, one for sync."""
    return int(args.threads) if args.worker_class == "gthread" else 1


def wait_up(port: int, path: str, server: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``GET path`` answers 200 on ``port``."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if benchkit.http_request(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.2)


# -- Sample requests, checked before any load ---------------------------------------------


def get_json(port: int, path: str) -> tuple[int, Any]:
    """GET ``path``: status and parsed JSON body."""
    status, body = benchkit.http_request(port, "GET", path)
    return status, json.loads(body) if body else None


def lookup_sample(n: int) -> list[str]:
    """``n`` real postal codes from the shipped data, spread over the country."""
    with gzip.open(REPO / "data" / "postal_codes.csv.gz", "rt", encoding="ascii") as handle:
        next(handle)
        known = [line[:6] for line in handle]
    rng = random.Random(SEED)
    return [code[:3] + " " + code[3:] for code in rng.sample(known, n)]


def resolve(port: int, codes: tuple[str, ...] | list[str]) -> list[tuple[str, int, bool]]:
    """Each code's first riding through the lookup API: (code, fed_num, MP has email)."""
    found = []
    for code in codes:
        status, payload = get_json(port, "/api/v1/lookup?" + urlencode({"postal_code": code}))
        if status != 200 or not payload.get("ridings"):
            raise SystemExit(f"lookup of a sample postal code answers {status}")
        first = payload["ridings"][0]
        member = first.get("member") or {}
        found.append((code, int(first["fed_num"]), bool(member.get("email"))))
    return found


def check_page(port: int, path: str, checks: Checks, what: str) -> None:
    """A public page answers 200 with an HTML document that names the campaign."""
    status, body = benchkit.http_request(port, "GET", path, headers={"X-Forwarded-For": "10.9.9.9"})
    checks.check(status == 200 and b"<html" in body and b"</html>" in body, f"{what}: {status}")


def post_json(port: int, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
    """POST a JSON body: status and parsed answer."""
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "10.9.9.10"}
    status, body = benchkit.http_request(port, "POST", path, json.dumps(payload), headers)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def twiml_verbs(body: bytes) -> list[str]:
    """The verbs of a TwiML document (raises if it is not one)."""
    root = ET.fromstring(body)  # noqa: S314  (our own server's answer, on loopback)
    if root.tag != "Response":
        raise ValueError(root.tag)
    return [child.tag for child in root]


def signed_webhook(public_id: str, k: int, kind: str) -> Request:
    """Twilio's answer or dial webhook for one call, signed as Twilio signs it."""
    sid = f"CA{k:032x}"
    params = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": sid,
        "From": CALLER_ID,
        "To": "+16135550100",
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
    }
    path = f"/twilio/calls/{public_id}/answer"
    if kind == "dial":
        path = f"/twilio/calls/{public_id}/dial?step=0&office=0"
        params.update(DialCallStatus="completed", DialCallDuration="45")
    signature = str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return Request("POST", path, headers, urlencode(params))


def send(port: int, request: Request) -> tuple[int, bytes]:
    """Send one ``Request`` on a new connection."""
    headers = {"X-Forwarded-For": "10.9.9.11", **request.headers}
    return benchkit.http_request(port, request.method, request.path, request.body, headers)


# -- Counting what the load left ----------------------------------------------------------


def count(engine: Engine, statement: Any) -> int:
    """One integer from the database."""
    with engine.connect() as conn:
        return int(conn.execute(statement).scalar_one())


def backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the bench database (not ours)."""
    with engine.connect() as conn:
        pids = conn.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    return {int(pid): benchkit.cpu_seconds(int(pid)) for pid in pids}


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


def settle(rows: Callable[[], int]) -> int:
    """``rows()`` once it has stopped changing for 2 s: the server has finished what it had."""
    last, quiet, deadline = rows(), 0, time.monotonic() + 60
    while quiet < 4 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = rows()
        quiet = quiet + 1 if now == last else 0
        last = now
    return last


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
    codes = lookup_sample(LOOKUP_SAMPLE)
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


def log_problems(path: Path) -> list[str]:
    """Lines of a server log at WARNING or above, or with a traceback."""
    if not path.exists():
        return []
    words = ['"level": "WARNING"', '"level": "ERROR"', '"level": "CRITICAL"', "Traceback"]
    words += ["[ERROR]", "[CRITICAL]", "WORKER TIMEOUT"]
    lines = path.read_text(errors="replace").splitlines()
    return [ln for ln in lines if any(w in ln for w in words)]


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
        with fresh_database(args.database_url) as url, redis_server(tmp / "redis") as redis_url:
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


def find_redis_pid(redis_url: str) -> int:
    """The pid of the redis-server we started (it reports it itself)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


if __name__ == "__main__":
    main()
