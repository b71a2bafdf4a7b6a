"""Benchmark email letters: the queue's throughput to SMTP, and the send form under load.

Usage: .venv/bin/python scripts/bench_email.py [--letters 500] [--workers 4] [--seconds 6]
       [--concurrency 16] [--client auto|wrk|threads]

1. Builds a throwaway SQLite database (migrate, import, seed the demo) in a temporary folder
   and turns off the demo campaign's address confirmation, so letters queue at once. Checks
   that each postal code of the sample resolves through ``GET /api/v1/lookup`` to a riding
   whose MP has an email address (one letter = that MP plus the minister = 2 messages).
2. Queue: stores ``--letters`` letters through ``POST /api/v1/campaigns/status-for-all/emails``
   (the Flask test client in this process, with ``CALLMP_MAIL_BACKEND=smtp`` and a SQLite
   Huey queue), then starts the real worker, ``flask --app wsgi worker --workers K``, against
   an aiosmtpd peer on loopback (tests/smtp_peer.py, no TLS) and times it until the peer has
   every message: messages/s from the worker's start and from the first to the last
   arrival. Then checks one delivery per message (by Message-ID, to the right recipient),
   every message ``sent`` and one ``sent`` contact event per message.
3. Web: gunicorn (``-w 2``, local mail backend, SQLite queue, no worker running) under
   ``--concurrency`` connections for ``--seconds`` each: the letter form page
   (``GET /c/status-for-all/riding/<fed>/email``) and the send request. The send is measured
   through the JSON API, which runs the same code as the form's "send" button
   (``letter_input.prepare``, ``MailService.submit``, commit, enqueue) without the CSRF token
   and session cookie the HTML form needs. Every request uses a new address. Afterwards the
   submissions stored are compared with the 202 answers: exactly, in a final round from
   Python threads that wait for every answer; within the requests still in flight when the
   timed run stopped (wrk drops those), for the timed run itself.

The timed client is wrk (a Lua script) when installed, else a pool of Python threads; the
threads client costs CPU the server then lacks on a small machine. Exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from shutil import which
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
from benchkit import free_port, stop  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from callmp import create_app, demo  # noqa: E402
from callmp.config import load_config  # noqa: E402
from callmp.db import make_engine  # noqa: E402
from callmp.models import (  # noqa: E402
    Campaign,
    Channel,
    ContactEvent,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    Outcome,
)
from callmp.views.context import services  # noqa: E402
from tests.support.smtp_peer import Received, SmtpPeer  # noqa: E402

SLUG = demo.DEMO_SLUG
API_PATH = f"/api/v1/campaigns/{SLUG}/emails"
# Ottawa, Toronto, Montreal, Vancouver, Calgary, Halifax, Winnipeg, Regina. H2X 1Y4 was
# swapped for H3A 0G4: its first riding (Laurier—Sainte-Marie) is vacant, so no MP email.
POSTAL_CODES = (
    "K1A 0A6",
    "M5V 3L9",
    "H3A 0G4",
    "V6B 1A1",
    "T2P 1J9",
    "B3H 4R2",
    "R3C 4T3",
    "S4P 3Y2",
)
ACCOUNTING_LETTERS = 200  # the exact nothing-lost round after the timed POST load


@dataclass(frozen=True)
class Riding:
    """A sample postal code and the riding (with an MP who has an email) it resolves to."""

    postal_code: str
    fed_num: int
    mp_email: str


@dataclass(frozen=True)
class Request:
    """One HTTP request to send: method, path and JSON body (empty for a GET)."""

    method: str
    path: str
    body: str = ""


@dataclass(frozen=True)
class Result:
    """What one load run measured (latencies in seconds)."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    non_2xx: int  # answers outside 200-299, plus socket errors and timeouts
    accepted: int  # 202 answers
    in_flight: int  # requests sent whose answer the client never read (wrk's stop)
    accepted_ids: tuple[str, ...] = ()  # public ids in the 202 answers (threads client)


@dataclass
class Checks:
    """Named pass/fail checks, printed as they come; the run fails if one fails."""

    failed: list[str] = field(default_factory=list)

    def check(self, ok: bool, what: str) -> None:
        """Print ``what`` with ok/FAILED and remember a failure."""
        print(f"  [{'ok' if ok else 'FAILED'}] {what}")
        if not ok:
            self.failed.append(what)


class TimedPeer(SmtpPeer):
    """The loopback SMTP peer, noting when each message arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []

    def _record(self, received: Received) -> None:
        self.arrivals.append(time.perf_counter())  # on the peer's one server thread
        super()._record(received)


def build_database(folder: Path) -> str:
    """Migrate, import and seed a SQLite database; letters need no confirmation; its URL."""
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    demo.prepare_database(url, REPO / "data")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Campaign).where(Campaign.slug == SLUG).values(email_confirm=False))
    finally:
        engine.dispose()
    return url


def base_env(url: str, folder: Path) -> dict[str, str]:
    """Settings shared by every process: database, secret, queue, relaxed letter limits."""
    return {
        "CALLMP_DATABASE_URL": url,
        "CALLMP_SECRET_KEY": "bench-secret",
        "CALLMP_LOG_LEVEL": "WARNING",
        "CALLMP_QUEUE": "sqlite",
        "CALLMP_MAIL_OUTBOX": str(folder / "outbox"),
        "CALLMP_EMAIL_MAX_PER_IP_PER_HOUR": str(10**9),
        "CALLMP_PUBLIC_WRITE_BURST": "",  # every request comes from loopback
        "CALLMP_EMAIL_DUPLICATE_HOURS": "0",
    }


def smtp_env(url: str, folder: Path, peer: SmtpPeer) -> dict[str, str]:
    """The queue phase: SMTP to the peer, without TLS or login, its own queue file."""
    return base_env(url, folder) | {
        "CALLMP_MAIL_BACKEND": "smtp",
        "CALLMP_SMTP_HOST": peer.host,
        "CALLMP_SMTP_PORT": str(peer.port),
        "CALLMP_SMTP_TLS": "none",
        "CALLMP_QUEUE_PATH": str(folder / "queue-smtp.sqlite3"),
        # SMTP mail is a production setup, which needs a shared limiter store and an https
        # public URL to start; nothing here connects to either.
        "CALLMP_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "CALLMP_PUBLIC_URL": "https://callmp.invalid",
    }


def web_env(url: str, folder: Path) -> dict[str, str]:
    """The web phase: the local outbox, its own queue file (no worker empties it)."""
    return base_env(url, folder) | {
        "CALLMP_MAIL_BACKEND": "local",
        "CALLMP_QUEUE_PATH": str(folder / "queue-web.sqlite3"),
    }


def child_env(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without other CALLMP_ settings, plus ``settings``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
    return kept | settings


def make_app(settings: dict[str, str]) -> Flask:
    """The app configured exactly as a child process with ``settings`` would be."""
    return create_app(load_config(environ=settings))


def resolve_ridings(app: Flask) -> list[Riding]:
    """Each sample postal code's riding with an MP email, through the lookup API."""
    client = app.test_client()
    ridings = []
    for code in POSTAL_CODES:
        response = client.get("/api/v1/lookup", query_string={"postal_code": code})
        payload: Any = response.get_json()
        if response.status_code != 200 or not isinstance(payload, dict):
            raise SystemExit(f"postal code {code} does not resolve: {response.status_code}")
        emails = [
            (c["fed_num"], c["member"]["email"])
            for c in payload["ridings"]
            if c.get("member") and c["member"].get("email")
        ]
        if not emails:
            raise SystemExit(f"postal code {code}: no riding with an MP email; swap it")
        ridings.append(Riding(code, int(emails[0][0]), str(emails[0][1])))
    return ridings


def letter_json(ridings: list[Riding], k: int, address: str) -> dict[str, Any]:
    """The k-th letter's API body: ridings and languages in turn, its own address."""
    riding = ridings[k % len(ridings)]
    return {
        "name": f"Supporter {k}",
        "email": address,
        "postal_code": riding.postal_code,
        "fed_num": riding.fed_num,
        "personal_line": f"I am supporter number {k} of this benchmark.",
        "consent_followup": k % 3 == 0,
        "lang": "fr" if k % 4 == 3 else "en",
    }


def store_letters(app: Flask, ridings: list[Riding], count: int) -> float:
    """POST ``count`` letters through the API (test client); seconds it took."""
    client = app.test_client()
    began = time.perf_counter()
    for k in range(count):
        body = letter_json(ridings, k, f"queue-{k}@bench.example")
        response = client.post(API_PATH, json=body)
        if response.status_code != 202:
            raise SystemExit(f"letter refused: {response.status_code} {response.text[:300]}")
    return time.perf_counter() - began


def queued_messages(url: str) -> dict[str, tuple[int, str]]:
    """Message-ID -> (row id, recipient address) of every message, whatever its status."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(EmailMessage.message_id, EmailMessage.id, EmailMessage.to_address)
            ).all()
    finally:
        engine.dispose()
    return {mid: (row_id, to or "") for mid, row_id, to in rows}


def message_states(url: str) -> Counter[str]:
    """How many messages are in each status."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(EmailMessage.status, func.count()).group_by(EmailMessage.status)
            ).all()
    finally:
        engine.dispose()
    return Counter({str(status): int(n) for status, n in rows})


def sent_events(url: str) -> tuple[int, set[int], int]:
    """Email contact events: how many, the message ids of the ``sent`` ones, how many not sent."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(ContactEvent.email_message_id, ContactEvent.outcome).where(
                    ContactEvent.channel == Channel.email
                )
            ).all()
    finally:
        engine.dispose()
    sent = {int(mid) for mid, outcome in rows if outcome == Outcome.sent and mid is not None}
    return len(rows), sent, sum(1 for _mid, outcome in rows if outcome != Outcome.sent)


def letter_message_ids(url: str) -> set[int]:
    """Row ids of every letter (to a target) message."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = conn.scalars(
                select(EmailMessage.id).where(EmailMessage.kind == MessageKind.letter)
            ).all()
    finally:
        engine.dispose()
    return set(ids)


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    """Poll ``check`` until it is true; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def log_problems(path: Path) -> list[str]:
    """The lines of a child's log that report a warning, an error or a traceback."""
    if not path.exists():
        return []
    words = ("WARNING", "ERROR", "CRITICAL", "Traceback", "locked")
    return [
        ln for ln in path.read_text(errors="replace").splitlines() if any(w in ln for w in words)
    ]


def queue_phase(folder: Path, url: str, letters: int, workers: int, checks: Checks) -> None:
    """Store letters, run the worker against the SMTP peer, time it and check the result."""
    peer = TimedPeer()
    with peer:
        settings = smtp_env(url, folder, peer)
        app = make_app(settings)
        ridings = resolve_ridings(app)
        print("sample ridings (postal code -> riding, MP email):")
        for riding in ridings:
            print(f"  {riding.postal_code} -> {riding.fed_num}, {riding.mp_email}")
        stored_s = store_letters(app, ridings, letters)
        huey = services(app).mail.huey
        pending = int(huey.pending_count())
        services(app).engine.dispose()
        expected = queued_messages(url)
        states = message_states(url)
        print(
            f"\nqueue: {letters} letters stored through POST {API_PATH} (Flask test client, "
            f"in process) in {stored_s:.1f} s ({letters / stored_s:,.0f}/s): "
            f"{len(expected)} messages, {pending} jobs in the Huey SQLite queue"
        )
        checks.check(
            states == Counter({"queued": 2 * letters}) and pending == 2 * letters,
            f"2 messages per letter, all queued and each with its job ({dict(states)})",
        )
        log = folder / "worker.log"
        began = time.perf_counter()
        with log.open("wb") as log_file:
            worker = subprocess.Popen(
                [
                    str(REPO / ".venv" / "bin" / "flask"),
                    *("--app", "wsgi", "worker", "--workers", str(workers)),
                ],
                cwd=REPO,
                env=child_env(settings),
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
            try:
                timeout = max(90.0, len(expected) / 10)
                received = peer.wait_for(len(expected), timeout)
                done = time.perf_counter()
                arrivals = list(peer.arrivals)
                all_sent = wait_until(lambda: message_states(url)["sent"] >= len(expected), 30)
                time.sleep(1.0)  # room for a late duplicate to show up
                received = peer.received
            finally:
                stop(worker)
        total = done - began
        rate = len(received) / total
        print(f"worker: flask --app wsgi worker --workers {workers}, SMTP peer on loopback")
        if len(arrivals) >= 2:
            span = arrivals[-1] - arrivals[0]
            steady = (len(arrivals) - 1) / span if span > 0 else float("inf")
            print(
                f"  {len(received)} messages: worker start -> last message {total:.2f} s = "
                f"{rate:,.0f} messages/s (first message after {arrivals[0] - began:.2f} s; "
                f"first -> last {span:.2f} s = {steady:,.0f} messages/s)"
            )
        ids = [str(r.message["Message-ID"]).strip() for r in received]
        repeats = {mid: n for mid, n in Counter(ids).items() if n > 1}
        checks.check(
            len(received) == len(expected), f"{len(received)} of {len(expected)} messages arrived"
        )
        checks.check(not repeats, f"no Message-ID delivered twice ({len(repeats)} were)")
        unknown = set(ids) - set(expected)
        checks.check(not unknown, f"every delivery is a stored message ({len(unknown)} aren't)")
        misrouted = [
            r
            for r, mid in zip(received, ids, strict=True)
            if mid in expected and r.rcpt_tos != (expected[mid][1],)
        ]
        checks.check(not misrouted, f"each went to its own recipient ({len(misrouted)} didn't)")
        states = message_states(url)
        checks.check(
            all_sent and states == Counter({"sent": len(expected)}),
            f"every message marked sent ({dict(states)})",
        )
        letter_ids = letter_message_ids(url)
        events, sent, not_sent = sent_events(url)
        checks.check(
            sent == letter_ids and events == len(letter_ids) and not not_sent,
            f"one 'sent' contact event per letter message ({len(sent)} sent, "
            f"{not_sent} other, {len(letter_ids)} messages)",
        )
        problems = log_problems(log)
        checks.check(not problems, f"worker log free of warnings and errors ({len(problems)})")
        for line in problems[:5]:
            print(f"    {line[:200]}")


def http_request(port: int, request: Request) -> tuple[int, bytes]:
    """One request on a new connection: status and body."""
    headers = {"Content-Type": "application/json"} if request.body else {}
    return benchkit.http_request(port, request.method, request.path, request.body, headers)


def run_threads(
    port: int,
    make: Callable[[int], Request],
    clients: int,
    *,
    seconds: float | None = None,
    count: int | None = None,
) -> Result:
    """Load from ``clients`` threads for ``seconds``, or until ``count`` requests are done."""
    latencies: list[float] = []
    ids: list[str] = []
    bad = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + (seconds or 0)

    def client(offset: int) -> None:
        """One client thread's share of the load."""
        mine: list[float] = []
        mine_ids: list[str] = []
        errors = 0
        k = offset
        while (count is None and time.monotonic() < deadline) or (count is not None and k < count):
            start = time.perf_counter()
            try:
                status, body = http_request(port, make(k))
            except OSError:
                status, body = 0, b""
            mine.append(time.perf_counter() - start)
            errors += not 200 <= status < 300
            if status == 202:
                mine_ids.append(str(json.loads(body)["id"]))
            k += clients
        with lock:
            latencies.extend(mine)
            ids.extend(mine_ids)
            bad[0] += errors

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies), elapsed, q[49], q[94], q[98], bad[0], len(ids), 0, tuple(ids))


WRK_COMMON = """\
threads = {}
setup = function(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
init = function(args)
  started, accepted, other, counter = 0, 0, 0, 0
end
response = function(status, headers, body)
  if status == 202 then accepted = accepted + 1 end
  if status < 200 or status > 299 then other = other + 1 end
end
done = function(summary, latency, requests)
  local s, a, o = 0, 0, 0
  for _, t in ipairs(threads) do
    s, a, o = s + t:get("started"), a + t:get("accepted"), o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), o + e.connect + e.read + e.write + e.timeout, a, s))
end
"""

WRK_FORM = """\
local paths = {%s}
request = function()
  started, counter = started + 1, counter + 1
  return wrk.format("GET", paths[counter %% #paths + 1])
end
"""

WRK_SEND = """\
local ridings = {%s}
request = function()
  started, counter = started + 1, counter + 1
  local r = ridings[counter %% #ridings + 1]
  local body = string.format('{"name": "Load %%d", "email": "%s-%%d-%%d@bench.example", '
    .. '"postal_code": "%%s", "fed_num": %%d, "personal_line": "", '
    .. '"consent_followup": false, "lang": "en"}', counter, id, counter, r[1], r[2])
  return wrk.format("POST", "%s", {["Content-Type"] = "application/json"}, body)
end
"""


def run_wrk(port: int, script: str, seconds: float, clients: int) -> Result:
    """Load with wrk (a separate C process) running the Lua ``script``."""
    numbers = benchkit.run_wrk(port, script + WRK_COMMON, seconds, clients, "--timeout", "30s")
    count, duration_us, p50, p95, p99, bad, accepted, started = numbers
    return Result(
        count, duration_us / 1e6, p50 / 1e6, p95 / 1e6, p99 / 1e6, bad, accepted, started - count
    )


def row(name: str, result: Result) -> None:
    """One line of the web table."""
    print(
        f"  {name:<28} {result.requests / result.seconds:8,.0f} {result.requests:9,} "
        f"{result.p50 * 1e3:8.1f} {result.p95 * 1e3:8.1f} {result.p99 * 1e3:8.1f} "
        f"{result.non_2xx:8}"
    )


def stored_like(url: str, pattern: str) -> set[str]:
    """Public ids of the submissions whose address matches the SQL LIKE ``pattern``."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = conn.scalars(
                select(EmailSubmission.public_id).where(EmailSubmission.email.like(pattern))
            ).all()
    finally:
        engine.dispose()
    return set(ids)


def web_phase(
    folder: Path, url: str, seconds: float, clients: int, use_wrk: bool, checks: Checks
) -> None:
    """Load the form page and the send request under gunicorn; check nothing was lost."""
    app = make_app(web_env(url, folder))
    ridings = resolve_ridings(app)
    services(app).engine.dispose()
    port = free_port()
    log = folder / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [
                str(REPO / ".venv" / "bin" / "gunicorn"),
                *("-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"),
            ],
            cwd=REPO,
            env=child_env(web_env(url, folder)),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:

            def up() -> bool:
                try:
                    return http_request(port, Request("GET", "/"))[0] == 200
                except OSError:
                    return False

            if not wait_until(up, 30):
                raise SystemExit("gunicorn did not start")
            form_paths = [f"/c/{SLUG}/riding/{r.fed_num}/email" for r in ridings]
            status, page = http_request(port, Request("GET", form_paths[0]))
            if status != 200 or b"<form" not in page:
                raise SystemExit(f"the form page answers {status}")
            tag = "load-" + secrets.token_hex(4)
            client = "wrk -t1" if use_wrk else "Python threads"
            print(
                f"\nweb: gunicorn -w 2 (sync), local mail backend, SQLite queue, no worker; "
                f"{client}, {clients} connections, {seconds:.0f} s each"
            )
            print(
                f"  {'':<28} {'req/s':>8} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} "
                f"{'p99 ms':>8} {'non-2xx':>8}"
            )
            if use_wrk:
                form = run_wrk(
                    port, WRK_FORM % ",".join(json.dumps(p) for p in form_paths), seconds, clients
                )
                rides = ",".join(f'{{"{r.postal_code}", {r.fed_num}}}' for r in ridings)
                send = run_wrk(port, WRK_SEND % (rides, tag, API_PATH), seconds, clients)
            else:

                def form_request(k: int) -> Request:
                    return Request("GET", form_paths[k % len(form_paths)])

                def send_request(k: int) -> Request:
                    body = letter_json(ridings, k, f"{tag}-{k}@bench.example")
                    return Request("POST", API_PATH, json.dumps(body))

                form = run_threads(port, form_request, clients, seconds=seconds)
                send = run_threads(port, send_request, clients, seconds=seconds)
            row("GET form page", form)
            row("POST letter (JSON API)", send)
            print(
                "  (the send is measured on the JSON API: the form's send button runs the "
                "same prepare/submit/commit/enqueue, plus a CSRF check)"
            )

            def exact_request(k: int) -> Request:
                body = letter_json(ridings, k, f"exact-{tag}-{k}@bench.example")
                return Request("POST", API_PATH, json.dumps(body))

            exact = run_threads(port, exact_request, clients, count=ACCOUNTING_LETTERS)
        finally:
            stop(server)
    stored = len(stored_like(url, f"{tag}-%"))
    print(
        f"  timed POST run: {send.accepted} answers 202, {stored} submissions stored, "
        f"{send.in_flight} requests in flight when the client stopped"
    )
    checks.check(send.non_2xx == 0 and form.non_2xx == 0, "no non-2xx answers or socket errors")
    checks.check(
        send.accepted <= stored <= send.accepted + send.in_flight,
        "timed run: stored = 202 answers, give or take the requests in flight at the stop",
    )
    exact_ids = stored_like(url, f"exact-{tag}-%")
    checks.check(
        exact.accepted == ACCOUNTING_LETTERS and set(exact.accepted_ids) == exact_ids,
        f"exact round, {ACCOUNTING_LETTERS} letters from {clients} threads: "
        f"{exact.accepted} answers 202, {len(exact_ids)} stored, same ids: "
        f"{set(exact.accepted_ids) == exact_ids}",
    )
    problems = log_problems(log)
    checks.check(not problems, f"gunicorn log free of warnings and errors ({len(problems)})")
    for line in problems[:5]:
        print(f"    {line[:200]}")


def main() -> None:
    """Parse options, build the database, run both phases, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=500, help="letters for the queue run")
    parser.add_argument("--workers", type=int, default=4, help="queue worker threads")
    parser.add_argument("--seconds", type=float, default=6.0, help="load time per web request")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent connections")
    parser.add_argument("--client", choices=("auto", "wrk", "threads"), default="auto")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" or (args.client == "auto" and which("wrk") is not None)
    checks = Checks()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = build_database(folder)
        queue_phase(folder, url, args.letters, args.workers, checks)
        web_phase(folder, url, args.seconds, args.concurrency, use_wrk, checks)
    if checks.failed:
        print(f"\n{len(checks.failed)} check(s) FAILED")
        raise SystemExit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
