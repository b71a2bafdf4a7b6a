"""The two-server run: what ``tests/cluster/test_two_servers.py`` and
``scripts/two_servers.py`` drive through a ``Cluster``, checking as they go.

Two gunicorn servers (A and B, two processes of two threads each) and two ``flask worker``
processes share the database, the Redis queue and limiter store, the secret key, the Twilio
stand-in and the SMTP peer. Requests alternate between A and B, and every flow crosses
servers: a call asked on one has its Twilio webhooks on the other, a letter sent on one is
confirmed on the other, a report form loaded on one is posted to the other, a login on one
is used on the other. Then a worker and a server are killed mid-flow, and the counts must
still be exact. ``run`` returns the run's totals as text.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callmp import accounts
from callmp.db import make_session_factory
from callmp.demo import DEMO_SLUG
from callmp.models import CallRequest, Campaign, EmailSubmission, Role, User
from tests.support.cluster import Cluster, cluster_env, wait_until
from tests.support.cluster_flows import (
    COUNTS_API,
    Driver,
    confirmation_link,
    phone,
    throttle_report,
)
from tests.support.smtp_peer import SmtpPeer
from tests.support.twilio_standin import RecordedRequest, TwilioStandIn, slow_reply

CALLS_PER_SECOND = 2
PER_PHONE_PER_HOUR = 2
LOGIN_FREE_TRIES = 3
#: How late after its throttle slot the stand-in may see a call (claim, plan, HTTP).
SLACK_S = 0.3
STAFF_EMAIL = "organiser@staff.example"
STAFF_PASSWORD = "correct horse battery staple"
SERVERS = ("A", "B")


def other(server: str) -> str:
    """The other server."""
    return "B" if server == "A" else "A"


def settings(
    database_url: str, redis_url: str, standin: TwilioStandIn, smtp_peer: SmtpPeer
) -> dict[str, str]:
    """The environment of every process of the run."""
    return cluster_env(
        database_url=database_url,
        redis_url=redis_url,
        twilio_base_url=standin.base_url,
        twilio_sid=standin.account_sid,
        twilio_token=standin.auth_token,
        smtp_port=smtp_peer.port,
        CALLS_PER_SECOND=str(CALLS_PER_SECOND),
        CALL_MAX_PER_PHONE_PER_HOUR=str(PER_PHONE_PER_HOUR),
        CALL_MAX_PER_PHONE_PER_DAY="5",
        CALL_MAX_PER_IP_PER_HOUR="1000",
        EMAIL_MAX_PER_IP_PER_HOUR="1000",
        REPORTS_MAX_PER_IP_PER_HOUR="1000",
        LOGIN_FREE_TRIES=str(LOGIN_FREE_TRIES),
        LOGIN_ADDRESS_FREE_TRIES="100",
        CALL_SWEEP_AFTER_S="3",
        COUNTS_CACHE_SECONDS="0",
    )


def start(cluster: Cluster) -> None:
    """Start servers A and B and workers 1 and 2; wait until each is ready."""
    for name in SERVERS:
        cluster.start_server(name)
    for name in ("worker-1", "worker-2"):
        cluster.start_worker(name)
    cluster.wait_ready(*SERVERS, "worker-1", "worker-2")


def make_staff(engine: Engine) -> int:
    """A staff account with ``STAFF_PASSWORD``; the demo campaign's id."""
    with make_session_factory(engine)() as session:
        session.add(
            User(
                email=STAFF_EMAIL,
                role=Role.admin,
                password_hash=accounts.hash_password(STAFF_PASSWORD),
            )
        )
        session.commit()
        return session.scalars(select(Campaign.id).where(Campaign.slug == DEMO_SLUG)).one()


def stored_submissions(engine: Engine) -> set[str]:
    """The public ids of every stored letter submission."""
    with make_session_factory(engine)() as session:
        return set(session.scalars(select(EmailSubmission.public_id)))


def call_statuses(engine: Engine) -> Counter[str]:
    """How many call requests are in each status."""
    with make_session_factory(engine)() as session:
        return Counter(str(status) for status in session.scalars(select(CallRequest.status)))


def create_requests(standin: TwilioStandIn) -> list[RecordedRequest]:
    """The create-call requests the stand-in received, answered or not."""
    return [r for r in standin.requests if r.method == "POST" and r.path.endswith("/Calls.json")]


def run(cluster: Cluster, db: Engine, standin: TwilioStandIn, smtp_peer: SmtpPeer) -> str:
    """Drive every flow through the started ``cluster``, checking as it goes; the totals."""
    started = time.monotonic()
    drive = Driver(cluster, standin.auth_token)
    campaign_id = make_staff(db)

    # -- 1. Calls asked on alternate servers; the phone limit holds across servers --------
    accepted: dict[str, str] = {}  # call public id -> server that took the request
    refused = 0
    for n in range(6):
        for k in range(PER_PHONE_PER_HOUR):
            server = SERVERS[(n + k) % 2]
            answer = drive.ask_call(server, phone(n))
            assert answer.status_code == 202, (answer.status_code, answer.text[:200])
            accepted[answer.json()["id"]] = server
    for n in range(6):
        # The third request from each phone, on whichever server: refused.
        answer = drive.ask_call(SERVERS[n % 2], phone(n))
        assert answer.status_code == 429, (n, answer.status_code)
        assert answer.json()["reason"] == "phone_limit"
        refused += 1
    # Three requests from one phone at the same moment, on A, B and A: two go through.
    gate = threading.Barrier(3)

    def racing(server: str) -> int:
        gate.wait()
        return drive.ask_call(server, phone(6)).status_code

    with ThreadPoolExecutor(3) as pool:
        codes = sorted(pool.map(racing, ("A", "B", "A")))
    assert codes == [202, 202, 429], codes
    refused += 1
    first_batch = 6 * PER_PHONE_PER_HOUR + 2
    assert wait_until(lambda: len(standin.created_calls()) >= first_batch, 30), cluster.logs()
    created = standin.created_calls()
    assert len(created) == first_batch
    # Each request placed once: every phone twice, every call its own webhooks.
    assert Counter(c.to for c in created) == {phone(n): 2 for n in range(7)}
    assert len({c.url for c in created}) == first_batch
    throttle = throttle_report([c.created for c in created], SLACK_S)
    assert all(n <= CALLS_PER_SECOND for n in throttle.late_start.values()), throttle
    # At most CALLS_PER_SECOND slots per window, across both workers: the batch needs at
    # least ceil(n / limit) windows.
    least = math.ceil(first_batch / CALLS_PER_SECOND) - 2 - SLACK_S
    assert throttle.span_s >= least, throttle

    # Twilio's webhooks for each call land on alternating servers, starting with the one
    # that did not take the request.
    for call in created:
        public_id = call.url.split("/twilio/calls/")[1].split("/")[0]
        first = other(accepted.get(public_id, "A"))
        drive.drive_call(call, (first, other(first)), duration=40)
    assert call_statuses(db) == {"completed": first_batch}

    # -- 2. Letters sent on one server, confirmed on the other ----------------------------
    # Writers 0-3 confirm now; 4 and 5 confirm while a worker dies (step 5).
    letters = {f"writer{n}@example.org": SERVERS[n % 2] for n in range(6)}
    for address, server in letters.items():
        answer = drive.send_letter(server, address)
        assert answer.status_code == 202, (answer.status_code, answer.text[:200])
        assert answer.json()["status"] == "awaiting_confirmation"
    assert len(smtp_peer.wait_for(len(letters), timeout=20)) == len(letters)
    links = {r.rcpt_tos[0]: confirmation_link(r.message) for r in smtp_peer.received}
    assert set(links) == set(letters)
    held = ["writer4@example.org", "writer5@example.org"]
    for address, link in links.items():
        if address not in held:
            confirmed = drive.confirm(other(letters[address]), link)
            assert confirmed.status_code == 303, confirmed.status_code
    delivered = len(letters) + (len(letters) - len(held)) * 2  # confirmations, then letters
    assert len(smtp_peer.wait_for(delivered, timeout=20)) == delivered, cluster.logs()

    # -- 3. Direct-call reports: the page from one server, the form posted to the other ---
    for n in range(4):
        server = SERVERS[n % 2]
        answer = drive.report_call(server, other(server), "talked_to_staff")
        assert answer.status_code == 303, answer.status_code
    reports = 4

    # -- 4. Logins: a session from A works on B; wrong passwords count on both -------------
    browser = requests.Session()
    hidden = drive.login_form("A", browser)
    assert drive.log_in("B", browser, hidden, STAFF_EMAIL, STAFF_PASSWORD).status_code == 302
    dashboard = f"/admin/campaigns/{campaign_id}/dashboard"
    assert drive.get("A", dashboard, browser).status_code == 200
    assert drive.get("B", dashboard, browser).status_code == 200
    guesser = requests.Session()
    hidden = drive.login_form("B", guesser)
    codes = [
        drive.log_in(SERVERS[n % 2], guesser, hidden, STAFF_EMAIL, f"guess {n}").status_code
        for n in range(LOGIN_FREE_TRIES + 2)
    ]
    assert codes == [401] * LOGIN_FREE_TRIES + [429, 429], codes

    # -- 5. A worker killed while it places calls and more wait in the queue ---------------
    # Worker 2 is paused, so worker 1 takes the first jobs; the stand-in answers its creates
    # only after 1.5 s (and creates the calls even though no one is left to hear it).
    before = len(standin.created_calls())
    cluster.pause("worker-2")
    standin.reply_next(slow_reply(1.5), times=2)
    creates = len(create_requests(standin))
    second: dict[str, str] = {}
    for n in range(10, 18):
        server = SERVERS[n % 2]
        answer = drive.ask_call(server, phone(n))
        assert answer.status_code == 202, answer.status_code
        second[answer.json()["id"]] = server
    assert wait_until(lambda: len(create_requests(standin)) >= creates + 2, 10), cluster.logs()
    # Both of worker 1's threads wait on the stand-in: two letters confirmed now wait in
    # the queue when it dies.
    for address in held:
        confirmed = drive.confirm(other(letters[address]), links[address])
        assert confirmed.status_code == 303, confirmed.status_code
    cluster.kill("worker-1")
    cluster.resume("worker-2")
    assert call_statuses(db)["placing"] == 2  # claimed by the dead worker, never answered
    sweeps = 0

    def all_placed() -> bool:
        statuses = call_statuses(db)
        return statuses["ringing"] == len(second) and statuses["completed"] == first_batch

    # Worker 2 places what is queued; the sweeper re-queues what worker 1 had claimed, and
    # the retry finds the call the stand-in created instead of ringing the supporter again.
    # (The worker runs the sweeper once a minute: run it by hand here.)
    while not wait_until(all_placed, 4):
        assert sweeps < 8, cluster.logs()
        result = cluster.flask("sweep-calls")
        assert result.returncode == 0, result.stdout + result.stderr
        sweeps += 1
    assert sweeps >= 1
    # Worker 2 also sent the letters confirmed while worker 1 died.
    delivered = len(letters) * 3
    assert len(smtp_peer.wait_for(delivered, timeout=20)) == delivered, cluster.logs()
    later = standin.created_calls()[before:]
    assert Counter(c.to for c in later) == {phone(n): 1 for n in range(10, 18)}
    for call in later:
        public_id = call.url.split("/twilio/calls/")[1].split("/")[0]
        first = other(second[public_id])
        drive.drive_call(call, (first, other(first)), duration=35)
    calls = first_batch + len(second)
    assert call_statuses(db) == {"completed": calls}

    # -- 6. Server A killed in the middle of a batch of letters ----------------------------
    acknowledged: dict[str, list[str]] = {"A": [], "B": []}
    lost = Counter[str]()
    a_answered = threading.Event()

    def batch(server: str) -> None:
        for n in range(8):
            try:
                answer = drive.send_letter(server, f"batch-{server}-{n}@example.org")
            except requests.ConnectionError:
                lost[server] += 1
                continue
            if answer.status_code == 202:
                acknowledged[server].append(answer.json()["id"])
            if server == "A" and len(acknowledged["A"]) == 3:
                a_answered.set()

    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(batch, server) for server in SERVERS]
        assert a_answered.wait(20)
        cluster.kill("A")
        for future in running:
            future.result()
    assert len(acknowledged["B"]) == 8, lost  # B went on serving
    assert lost["A"] >= 1  # A's batch was cut short
    stored = stored_submissions(db)
    assert set(acknowledged["A"] + acknowledged["B"]) <= stored
    stored_in_batch = len(stored) - len(letters)
    # Every acknowledged letter asks for confirmation, once.
    waiting = len(letters) * 3 + len(acknowledged["A"]) + len(acknowledged["B"])
    smtp_peer.wait_for(waiting, timeout=20)
    time.sleep(1)  # late duplicates would show now
    confirmations = Counter(
        r.rcpt_tos[0] for r in smtp_peer.received if r.rcpt_tos[0].startswith("batch-")
    )
    assert all(n == 1 for n in confirmations.values()), confirmations
    assert len(confirmations) >= len(acknowledged["A"]) + len(acknowledged["B"])

    # -- 7. Exact counts, on the surviving server, and no drift ---------------------------
    cluster.start_server("A-again")  # a fresh server in place of A sees the same counts
    cluster.wait_ready("A-again")
    counts = drive.get("B", COUNTS_API).json()
    assert drive.get("A-again", COUNTS_API).json() == counts
    emails = len(letters) * 2
    assert counts["bridged_calls"] == calls
    assert counts["direct_calls"] == reports
    assert counts["emails"] == emails
    assert counts["total"] == calls + reports + emails
    checked = cluster.flask("check-counts")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every running total equals its events" in checked.stdout
    ids = Counter(str(r.message["Message-ID"]) for r in smtp_peer.received)
    assert [i for i, n in ids.items() if n > 1] == []
    supporters = set(letters) | set(confirmations)
    to_targets = [r for r in smtp_peer.received if r.rcpt_tos[0] not in supporters]
    assert len(to_targets) == emails
    assert len({c.sid for c in standin.created_calls()}) == calls
    assert len(standin.created_calls()) == calls

    elapsed = time.monotonic() - started
    lines = [
        "two servers, two workers: totals",
        "  requests sent:        " + ", ".join(f"{k} {n}" for k, n in drive.sent.items()),
        f"  calls placed:         {calls} (each once; {refused} refused by the phone limit)",
        f"  throttle:             {CALLS_PER_SECOND}/s; at most "
        f"{max(throttle.late_start.values())} created in one second after its first "
        f"{SLACK_S} s ({throttle.max_per_second} counting those), "
        f"{throttle.span_s:.1f} s for the first {first_batch}",
        f"  sweeps after kill:    {sweeps}",
        f"  letters delivered:    {emails} (+ {len(letters)} confirmations), 0 duplicates",
        f"  crash batch:          A acknowledged {len(acknowledged['A'])}, failed {lost['A']}; "
        f"B acknowledged {len(acknowledged['B'])}; {stored_in_batch} stored",
        f"  reports counted:      {reports}",
        f"  login refused after:  {LOGIN_FREE_TRIES} wrong passwords across A and B",
        f"  counts API:           total {counts['total']}, check-counts clean",
        f"  time taken:           {elapsed:.1f} s",
    ]
    return "\n".join(lines)
