"""Two servers and two queue workers on one PostgreSQL and one Redis, driven over HTTP.

Two gunicorn servers (A and B, two processes of two threads each) and two ``flask worker``
processes share the database, the Redis queue and limiter store, the secret key, the Twilio
stand-in and the SMTP peer. Requests alternate between A and B, and every flow crosses
servers: a call asked on one has its Twilio webhooks on the other, a letter sent on one is
confirmed on the other, a report form loaded on one is posted to the other, a login on one
is used on the other. Then one worker and one server are killed mid-flow, and the counts
must still be exact.

Set ``CALLMP_CLUSTER_REPORT`` to a file path to have the run's totals written there too (they
are always printed; ``pytest -s`` shows them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from callmp.db import make_engine
from tests.support.cluster import Cluster
from tests.support.cluster_run import run, settings, start
from tests.support.smtp_peer import SmtpPeer
from tests.support.twilio_standin import TwilioStandIn

pytestmark = [
    pytest.mark.real_clock("servers and workers run in their own processes, on the real clock"),
    pytest.mark.skipif(
        not os.environ.get("CALLMP_TEST_DATABASE_URL"),
        reason="several servers need PostgreSQL: set CALLMP_TEST_DATABASE_URL (CI's PostgreSQL "
        "pass does)",
    ),
]


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, for checking what the servers stored."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def cluster(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    standin: TwilioStandIn,
    smtp_peer: SmtpPeer,
) -> Iterator[Cluster]:
    """Servers A and B and workers 1 and 2, started and ready."""
    env = settings(database_url, redis_url, standin, smtp_peer)
    with Cluster(tmp_path / "cluster", env) as running:
        start(running)
        yield running


def test_two_servers_and_two_workers_count_exactly_and_survive_a_crash(
    cluster: Cluster, db: Engine, standin: TwilioStandIn, smtp_peer: SmtpPeer
) -> None:
    report = run(cluster, db, standin, smtp_peer)
    print("\n" + report)
    target = os.environ.get("CALLMP_CLUSTER_REPORT")
    if target:
        Path(target).write_text(report + "\n", encoding="utf-8")
