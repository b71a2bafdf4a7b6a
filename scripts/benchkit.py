"""Pieces the benchmark scripts share: ports, one HTTP request, wrk and its Lua, stopping
children, CPU time and memory of server processes, scratch databases, CallMP's production
environment, signed Twilio webhooks, and a bare Flask app to compare with."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from twilio.request_validator import RequestValidator

if TYPE_CHECKING:
    from flask import Flask
    from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parent.parent

BARE_INTRO = (
    "Thank you for calling about this campaign. We will connect you to your Member of "
    "Parliament and then to the Minister. Ask them to support the bill."
)
BARE_MENU = "Press 1 to be connected, 2 to hear the talking points, or 9 to never be called."


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_request(
    port: int, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request on a new connection: status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def run_wrk(port: int, lua: str, seconds: float, clients: int, *options: str) -> list[int]:
    """Run wrk (one thread) with the Lua script ``lua``; the numbers of its ``RESULT`` line.

    The script's ``done`` hook prints ``RESULT`` followed by integers of its choosing.
    """
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "load.lua"
        script.write_text(lua)
        output = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                *options,
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    return [int(v) for v in line.split()[1:]]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child process we started, politely first."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a gunicorn master's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live children, e.g. a gunicorn master and its workers."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in child_pids(pid))


def bare_app() -> Flask:
    """The reference for "the framework alone": a Flask app with three endpoints.

    ``GET /hello`` answers a short text; ``POST /twiml`` builds, with the twilio library,
    a document shaped like CallMP's answer webhook (a <Say>, a one-key <Gather> with its
    prompt, a farewell and <Hangup>); ``POST /insert`` adds one row to the table
    ``bench_bare`` of ``BENCH_BARE_DATABASE_URL`` (when set) through a SQLAlchemy engine
    with the same pool defaults (and, on SQLite, the same pragmas) as CallMP's, and
    answers 201. Served by gunicorn as
    ``benchkit:bare_app()`` with ``scripts/`` on the path.
    """
    from flask import Flask
    from sqlalchemy import event

    app = Flask("bare")
    url = os.environ.get("BENCH_BARE_DATABASE_URL", "")
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True) if url else None
    if engine is not None and engine.dialect.name == "sqlite":
        # The same pragmas as CallMP's SQLite connections, so an insert costs the same.
        @event.listens_for(engine, "connect")
        def pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    @app.get("/hello")
    def hello() -> str:
        """The smallest answer Flask gives."""
        return "hello"

    @app.post("/twiml")
    def twiml() -> tuple[str, int, dict[str, str]]:
        """The answer webhook's document shape, built with the twilio library."""
        from twilio.twiml.voice_response import VoiceResponse

        response = VoiceResponse()
        response.say(BARE_INTRO, voice="Polly.Joanna-Neural", language="en-US")
        gather = response.gather(
            num_digits=1,
            action="https://bare.invalid/twilio/calls/abc/gather?step=0",
            method="POST",
            timeout=8,
            action_on_empty_result=False,
        )
        gather.say(BARE_MENU, voice="Polly.Joanna-Neural", language="en-US")
        response.say("No key was pressed. Goodbye.", voice="Polly.Joanna-Neural", language="en-US")
        response.hangup()
        return str(response.to_xml()), 200, {"Content-Type": "text/xml; charset=utf-8"}

    @app.post("/insert")
    def insert() -> tuple[str, int]:
        """One INSERT in its own transaction."""
        if engine is None:
            return "no database", 500
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO bench_bare (note) VALUES ('bare')"))
        return "inserted", 201

    return app


PUBLIC_URL = "https://callmp.bench.invalid"


ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


AUTH_TOKEN = "bench-auth-token"


CALLER_ID = "+16135550199"


# 555-01xx numbers are fictional (accepted with ALLOW_FICTIONAL_PHONES): nobody is called.
AREA_CODES = ("613", "416", "514", "604", "403", "902", "306", "204", "709", "867")


# Ridings whose MP has an email address (as bench_email.py checks), for calls and letters.
POSTAL_CODES = ("K1A 0A6", "M5V 3L9", "H3A 0G4", "V6B 1A1", "T2P 1J9", "B3H 4R2", "R3C 4T3")


@dataclass(frozen=True)
class Request:
    """One fixed request for wrk: method, path, extra headers, body."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


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


def callmp_env(url: str, redis_url: str, folder: Path) -> dict[str, str]:
    """CallMP's environment: the production settings, relaxed limits, nothing reachable."""
    closed = str(free_port())  # nothing listens there: no call or mail leaves
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


def wait_up(port: int, path: str, server: subprocess.Popen[bytes], what: str) -> None:
    """Wait until ``GET path`` answers 200 on ``port``."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if http_request(port, "GET", path)[0] == 200:
                return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.2)


def get_json(port: int, path: str) -> tuple[int, Any]:
    """GET ``path``: status and parsed JSON body."""
    status, body = http_request(port, "GET", path)
    return status, json.loads(body) if body else None


def post_json(port: int, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
    """POST a JSON body: status and parsed answer."""
    headers = {"Content-Type": "application/json", "X-Forwarded-For": "10.9.9.10"}
    status, body = http_request(port, "POST", path, json.dumps(payload), headers)
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
    """Twilio's webhook ``kind`` for one call, signed as Twilio signs it.

    ``answer``: the supporter picked up; ``gather``: pressed 2 at the first menu (the
    talking points); ``dial``: the first office's <Dial> ended, 45 s; ``status``: the
    call ``completed``. ``k`` numbers the call's CallSid.
    """
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
    elif kind == "gather":
        path = f"/twilio/calls/{public_id}/gather?step=0"
        params.update(Digits="2")
    elif kind == "status":
        path = f"/twilio/calls/{public_id}/status"
        params.update(CallStatus="completed", CallDuration="120")
    signature = str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return Request("POST", path, headers, urlencode(params))


def send(port: int, request: Request) -> tuple[int, bytes]:
    """Send one ``Request`` on a new connection."""
    headers = {"X-Forwarded-For": "10.9.9.11", **request.headers}
    return http_request(port, request.method, request.path, request.body, headers)


def log_problems(path: Path) -> list[str]:
    """Lines of a server log at WARNING or above, or with a traceback."""
    if not path.exists():
        return []
    words = ['"level": "WARNING"', '"level": "ERROR"', '"level": "CRITICAL"', "Traceback"]
    words += ["[ERROR]", "[CRITICAL]", "WORKER TIMEOUT"]
    lines = path.read_text(errors="replace").splitlines()
    return [ln for ln in lines if any(w in ln for w in words)]


def find_redis_pid(redis_url: str) -> int:
    """The pid of the redis-server we started (it reports it itself)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def flush_redis(redis_url: str) -> None:
    """Empty every database of the redis-server at ``redis_url`` (one we started)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushall()
    finally:
        client.close()


@contextlib.contextmanager
def scratch_database(server_url: str | None, keep: bool = False) -> Iterator[str]:
    """A fresh, empty database, removed afterwards unless ``keep``.

    With no URL, a SQLite file in a temporary folder; with a ``postgresql+psycopg://`` URL,
    a new database on that server (the role needs CREATEDB).
    """
    if server_url is None:
        folder = Path(tempfile.mkdtemp(prefix="callmp_bench_"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite3'}"
        finally:
            if keep:
                print(f"kept {folder}")
            else:
                for path in sorted(folder.iterdir()):
                    path.unlink()
                folder.rmdir()
        return
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
        for attempt in range(0 if keep else 20):  # autovacuum may still hold the database
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except DBAPIError:
                if attempt == 19:
                    raise
                time.sleep(0.25)
        admin.dispose()
        if keep:
            print(f"kept database {name}")


def gunicorn(
    app: str,
    env: dict[str, str],
    port: int,
    log: Path,
    *,
    workers: int,
    worker_class: str,
    threads: int,
    preload: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``app`` under gunicorn on loopback ``port``, its errors appended to ``log``."""
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("-w", str(workers), "-k", worker_class, "--threads", str(threads)),
        *(["--preload"] if preload else []),
        *("-b", f"127.0.0.1:{port}", "--log-level", "warning", app),
    ]
    if app == "wsgi:app":  # CallMP runs with the deploy config (the flags above win)
        command[1:1] = ["-c", str(REPO / "deploy" / "gunicorn.conf.py")]
        env = env | {"GUNICORN_PRELOAD": "1" if preload else "0"}
    with log.open("ab") as log_file:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log_file
        )


def memory_kb(pid: int) -> dict[str, int]:
    """A process's memory in kB from ``/proc/PID/smaps_rollup``: rss, pss and uss.

    USS (private clean + private dirty) is what the process alone holds; PSS adds its
    share of the pages it shares with others (e.g. a gunicorn worker with its master).
    """
    found: dict[str, int] = {}
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return {"rss": 0, "pss": 0, "uss": 0}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            found[parts[0][:-1]] = int(parts[1])
    return {
        "rss": found.get("Rss", 0),
        "pss": found.get("Pss", 0),
        "uss": found.get("Private_Clean", 0) + found.get("Private_Dirty", 0),
    }


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
    return {int(pid): cpu_seconds(int(pid)) for pid in pids}


def settle(rows: Callable[[], int], quiet_s: float = 2.0) -> int:
    """``rows()`` once it has not changed for ``quiet_s``: the server has finished its work."""
    last, quiet, deadline = rows(), 0, time.monotonic() + 60
    while quiet < quiet_s / 0.25 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = rows()
        quiet = quiet + 1 if now == last else 0
        last = now
    return last


def lookup_sample(n: int, seed: int) -> list[str]:
    """``n`` real postal codes from the shipped data, spread over the country."""
    with gzip.open(REPO / "data" / "postal_codes.csv.gz", "rt", encoding="ascii") as handle:
        next(handle)
        known = [line[:6] for line in handle]
    rng = random.Random(seed)
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
    status, body = http_request(port, "GET", path, headers={"X-Forwarded-For": "10.9.9.9"})
    checks.check(status == 200 and b"<html" in body and b"</html>" in body, f"{what}: {status}")
