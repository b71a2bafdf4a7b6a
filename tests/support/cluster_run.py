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
from dataclasses import dataclass, field

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
)
from tests.support.smtp_peer import SmtpPeer
from tests.support.throttle_windows import ThrottleReport, throttle_report
from tests.support.twilio_standin import (
    CreatedCall,
    RecordedRequest,
    TwilioStandIn,
    slow_reply,
)

CALLS_PER_SECOND = 2
PER_PHONE_PER_HOUR = 2
LOGIN_FREE_TRIES = 3
#: How late after its throttle slot the stand-in may see a call (claim, plan, HTTP), with
#: room for a loaded CI machine.
SLACK_S = 0.5
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
        # Every request comes from loopback; the limiter still counts them all in Redis.
        PUBLIC_WRITE_BURST="100000 per minute",
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


@dataclass
class Run:
    """One run through a started cluster: each phase checks as it goes and keeps its totals."""

    cluster: Cluster
    db: Engine
    standin: TwilioStandIn
    smtp_peer: SmtpPeer
    drive: Driver = field(init=False)
    started: float = field(default_factory=time.monotonic)
    accepted: dict[str, str] = field(default_factory=dict)  # call id -> server asked
    refused: int = 0
    refused_letters: int = 0
    first_batch: int = 0
    throttle: ThrottleReport | None = None
    letters: dict[str, str] = field(default_factory=dict)  # address -> server it wrote to
    links: dict[str, str] = field(default_factory=dict)  # address -> confirmation link
    held: tuple[str, ...] = ("writer4@example.org", "writer5@example.org")
    reports: int = 0
    calls: int = 0
    sweeps: int = 0
    acknowledged: dict[str, list[str]] = field(default_factory=lambda: {"A": [], "B": []})
    failed: Counter[str] = field(default_factory=Counter)
    stored_in_batch: int = 0

    def __post_init__(self) -> None:
        self.drive = Driver(self.cluster, self.standin.auth_token)

    def drive_calls(self, created: list[CreatedCall], asked: dict[str, str], talk: int) -> None:
        """Twilio's webhooks for each call, alternating servers, starting with the one that
        did not take the request."""
        for call in created:
            public_id = call.url.split("/twilio/calls/")[1].split("/")[0]
            first = other(asked[public_id])
            self.drive.drive_call(call, (first, other(first)), duration=talk)

    def ask_calls(self) -> None:
        """Calls asked on alternate servers; the phone limit and the throttle hold across them."""
        drive, standin = self.drive, self.standin
        for n in range(6):
            for k in range(PER_PHONE_PER_HOUR):
                server = SERVERS[(n + k) % 2]
                answer = drive.ask_call(server, phone(n))
                assert answer.status_code == 202, (answer.status_code, answer.text[:200])
                self.accepted[answer.json()["id"]] = server
        for n in range(6):
            # The third request from each phone, on whichever server: refused.
            answer = drive.ask_call(SERVERS[n % 2], phone(n))
            assert answer.status_code == 429, (n, answer.status_code)
            assert answer.json()["reason"] == "phone_limit"
            self.refused += 1
        # Three requests from one phone at the same moment, on A, B and A: two go through.
        gate = threading.Barrier(3)

        def racing(server: str) -> requests.Response:
            gate.wait()
            return drive.ask_call(server, phone(6))

        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(racing, ("A", "B", "A")))
        assert sorted(a.status_code for a in answers) == [202, 202, 429], answers
        self.refused += 1
        for server, answer in zip(("A", "B", "A"), answers, strict=True):
            if answer.status_code == 202:
                self.accepted[answer.json()["id"]] = server
        self.first_batch = len(self.accepted)
        assert wait_until(lambda: len(standin.created_calls()) >= self.first_batch, 30), (
            self.cluster.logs()
        )
        created = standin.created_calls()
        assert len(created) == self.first_batch
        # Each request placed once: every phone twice, every call its own webhooks.
        assert Counter(c.to for c in created) == {phone(n): 2 for n in range(7)}
        assert len({c.url for c in created}) == self.first_batch
        throttle = throttle_report([c.created for c in created], SLACK_S)
        assert all(n <= CALLS_PER_SECOND for n in throttle.late_start.values()), throttle
        # At most CALLS_PER_SECOND slots per window, across both workers: the batch needs
        # at least ceil(n / limit) windows.
        least = math.ceil(self.first_batch / CALLS_PER_SECOND) - 2 - SLACK_S
        assert throttle.span_s >= least, throttle
        self.throttle = throttle
        self.drive_calls(created, self.accepted, talk=40)
        assert call_statuses(self.db) == {"completed": self.first_batch}

    def send_letters(self) -> None:
        """Letters sent on one server, confirmed on the other (but the held ones)."""
        self.letters = {f"writer{n}@example.org": SERVERS[n % 2] for n in range(6)}
        for address, server in self.letters.items():
            answer = self.drive.send_letter(server, address)
            assert answer.status_code == 202, (answer.status_code, answer.text[:200])
            assert answer.json()["status"] == "awaiting_confirmation"
        # The same letter sent to A and B at the same moment (a double tap through a load
        # balancer): one is stored, the other is told it was already sent.
        gate = threading.Barrier(2)
        twice = "twice@example.org"

        def racing(server: str) -> requests.Response:
            gate.wait()
            return self.drive.send_letter(server, twice)

        with ThreadPoolExecutor(2) as pool:
            answers = dict(zip(SERVERS, pool.map(racing, SERVERS), strict=True))
        codes = sorted(a.status_code for a in answers.values())
        assert codes == [202, 409], codes
        self.letters[twice] = next(k for k, a in answers.items() if a.status_code == 202)
        self.refused_letters += 1
        count = len(self.letters)
        assert len(self.smtp_peer.wait_for(count, timeout=20)) == count
        self.links = {r.rcpt_tos[0]: confirmation_link(r.message) for r in self.smtp_peer.received}
        assert set(self.links) == set(self.letters)
        for address in self.links:
            if address not in self.held:
                self.confirm(address)
        delivered = count + (count - len(self.held)) * 2  # confirmations, then letters
        assert len(self.smtp_peer.wait_for(delivered, timeout=20)) == delivered, self.cluster.logs()

    def confirm(self, address: str) -> None:
        """Confirm ``address``'s letter on the server it did not write to."""
        confirmed = self.drive.confirm(other(self.letters[address]), self.links[address])
        assert confirmed.status_code == 303, confirmed.status_code

    def report_calls(self) -> None:
        """Direct-call reports: the page from one server, the form posted to the other."""
        for n in range(4):
            server = SERVERS[n % 2]
            answer = self.drive.report_call(server, other(server), "talked_to_staff")
            assert answer.status_code == 303, answer.status_code
            self.reports += 1

    def log_in(self) -> None:
        """A session from one server works on the other; wrong passwords count on both."""
        drive = self.drive
        campaign_id = make_staff(self.db)
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

    def kill_a_worker(self) -> None:
        """A worker killed while it places calls, more calls and two letters queued.

        Worker 2 is paused, so worker 1 takes the first jobs; the stand-in answers its
        creates only after 1.5 s (and creates the calls though no one is left to hear it).
        """
        cluster, standin, db = self.cluster, self.standin, self.db
        before = len(standin.created_calls())
        cluster.pause("worker-2")
        standin.reply_next(slow_reply(1.5), times=2)
        creates = len(create_requests(standin))
        second: dict[str, str] = {}
        for n in range(10, 18):
            server = SERVERS[n % 2]
            answer = self.drive.ask_call(server, phone(n))
            assert answer.status_code == 202, answer.status_code
            second[answer.json()["id"]] = server
        assert wait_until(lambda: len(create_requests(standin)) >= creates + 2, 10), cluster.logs()
        # Both of worker 1's threads wait on the stand-in: letters confirmed now wait in
        # the queue when it dies.
        for address in self.held:
            self.confirm(address)
        cluster.kill("worker-1")
        cluster.resume("worker-2")
        assert call_statuses(db)["placing"] == 2  # claimed by the dead worker, no answer

        def all_placed() -> bool:
            statuses = call_statuses(db)
            return statuses["ringing"] == len(second) and statuses["completed"] == self.first_batch

        # Worker 2 places what is queued; the sweeper re-queues what worker 1 had claimed,
        # and the retry finds the call the stand-in created instead of ringing again.
        # (The worker runs the sweeper once a minute: run it by hand here.)
        while not wait_until(all_placed, 4):
            assert self.sweeps < 8, cluster.logs()
            result = cluster.flask("sweep-calls")
            assert result.returncode == 0, result.stdout + result.stderr
            self.sweeps += 1
        assert self.sweeps >= 1
        # Worker 2 also sent the letters confirmed while worker 1 died.
        delivered = len(self.letters) * 3
        assert len(self.smtp_peer.wait_for(delivered, timeout=20)) == delivered, cluster.logs()
        later = standin.created_calls()[before:]
        assert Counter(c.to for c in later) == {phone(n): 1 for n in range(10, 18)}
        self.drive_calls(later, second, talk=35)
        self.calls = self.first_batch + len(second)
        assert call_statuses(db) == {"completed": self.calls}

    def kill_a_server(self) -> None:
        """Server A killed in the middle of a batch of letters; B goes on."""
        a_answered = threading.Event()

        def batch(server: str) -> None:
            for n in range(8):
                try:
                    answer = self.drive.send_letter(server, f"batch-{server}-{n}@example.org")
                except requests.ConnectionError:
                    self.failed[server] += 1
                    continue
                if answer.status_code == 202:
                    self.acknowledged[server].append(answer.json()["id"])
                if server == "A" and len(self.acknowledged["A"]) == 3:
                    a_answered.set()

        with ThreadPoolExecutor(2) as pool:
            running = [pool.submit(batch, server) for server in SERVERS]
            assert a_answered.wait(20)
            self.cluster.kill("A")
            for future in running:
                future.result()
        acknowledged = self.acknowledged["A"] + self.acknowledged["B"]
        assert len(self.acknowledged["B"]) == 8, self.failed  # B went on serving
        assert self.failed["A"] >= 1  # A's batch was cut short
        stored = stored_submissions(self.db)
        assert set(acknowledged) <= stored
        self.stored_in_batch = len(stored) - len(self.letters)
        # Every acknowledged letter asks for confirmation, once.
        self.smtp_peer.wait_for(len(self.letters) * 3 + len(acknowledged), timeout=20)
        time.sleep(1)  # late duplicates would show now
        asked = Counter(r.rcpt_tos[0] for r in self.smtp_peer.received)
        batch_asked = {a: n for a, n in asked.items() if a.startswith("batch-")}
        assert all(n == 1 for n in batch_asked.values()), batch_asked
        assert len(batch_asked) >= len(acknowledged)

    def check_counts(self) -> dict[str, int]:
        """Exact counts on the surviving server and on a new one; no drift; no duplicates."""
        cluster, drive = self.cluster, self.drive
        cluster.start_server("A-again")  # a fresh server in place of A sees the same counts
        cluster.wait_ready("A-again")
        counts: dict[str, int] = drive.get("B", COUNTS_API).json()
        again = drive.get("A-again", COUNTS_API).json()
        assert {**again, "as_of": ""} == {**counts, "as_of": ""}  # as_of: the second asked
        emails = len(self.letters) * 2
        assert counts["bridged_calls"] == self.calls
        assert counts["direct_calls"] == self.reports
        assert counts["emails"] == emails
        assert counts["total"] == self.calls + self.reports + emails
        checked = cluster.flask("check-counts")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "every running total equals its events" in checked.stdout
        received = self.smtp_peer.received
        ids = Counter(str(r.message["Message-ID"]) for r in received)
        assert [i for i, n in ids.items() if n > 1] == []
        to_targets = [r for r in received if "@example.org" not in r.rcpt_tos[0]]
        assert len(to_targets) == emails
        created = self.standin.created_calls()
        assert len(created) == len({c.sid for c in created}) == self.calls
        return counts

    def totals(self, counts: dict[str, int]) -> str:
        """The run's totals, as text."""
        throttle = self.throttle
        assert throttle is not None
        elapsed = time.monotonic() - self.started
        lines = [
            "two servers, two workers: totals",
            "  requests sent:        " + ", ".join(f"{k} {n}" for k, n in self.drive.sent.items()),
            f"  calls placed:         {self.calls} (each once; {self.refused} refused by "
            "the phone limit)",
            f"  throttle:             {CALLS_PER_SECOND}/s; at most "
            f"{max(throttle.late_start.values(), default=0)} created in one second after its first "
            f"{SLACK_S} s ({throttle.max_per_second} counting those), "
            f"{throttle.span_s:.1f} s for the first {self.first_batch}",
            f"  sweeps after kill:    {self.sweeps}",
            f"  letters delivered:    {len(self.letters) * 2} (+ {len(self.letters)} "
            f"confirmations), 0 duplicates; {self.refused_letters} sent twice at once "
            "refused",
            f"  crash batch:          A acknowledged {len(self.acknowledged['A'])}, failed "
            f"{self.failed['A']}; B acknowledged {len(self.acknowledged['B'])}; "
            f"{self.stored_in_batch} stored",
            f"  reports counted:      {self.reports}",
            f"  login refused after:  {LOGIN_FREE_TRIES} wrong passwords across A and B",
            f"  counts API:           total {counts['total']}, check-counts clean",
            f"  time taken:           {elapsed:.1f} s",
        ]
        return "\n".join(lines)


def run(cluster: Cluster, db: Engine, standin: TwilioStandIn, smtp_peer: SmtpPeer) -> str:
    """Drive every flow through the started ``cluster``, checking as it goes; the totals."""
    done = Run(cluster, db, standin, smtp_peer)
    done.ask_calls()
    done.send_letters()
    done.report_calls()
    done.log_in()
    done.kill_a_worker()
    done.kill_a_server()
    return done.totals(done.check_counts())
