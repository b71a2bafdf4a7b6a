"""The call queue with a real consumer: ``flask worker`` in its own process, on the SQLite
queue and on Redis, placing calls through the Twilio stand-in.

The other call tests run the queue inline (``immediate``); these check what only a real
queue shows: the job travels through the queue's storage to another process, a duplicate
job or a sweep rings nobody twice, and the calls-per-second throttle holds across workers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select, update

from callmp.calls import call_requests
from callmp.db import utcnow
from callmp.demo import DEMO_SLUG
from callmp.models import CallRequest, CallStatus
from tests.support.app import call_service, sessions, twilio_settings
from tests.support.throttle_windows import throttle_report
from tests.support.twilio_http import stored_request
from tests.support.twilio_standin import TwilioStandIn
from tests.support.worker import queue_settings, running_worker, wait_until

CALLS_API = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
#: Where RedisHuey keeps the queue named "callmp".
REDIS_QUEUE_KEY = "huey.redis.callmp"


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> dict[str, Any]:
    """Settings for a real queue: a SQLite file, or the test's Redis server."""
    return queue_settings(request.param, tmp_path, redis_url)


def worker_app(
    make_app: Callable[..., Flask], standin: TwilioStandIn, queue: dict[str, Any], **more: Any
) -> Flask:
    """An app in Twilio mode (calls to the stand-in) on a real queue."""
    return make_app(**twilio_settings(standin, TWILIO_TIMEOUT=2.0, **queue, **more))


def load(app: Flask, call_id: int) -> CallRequest:
    """The request as stored now."""
    with sessions(app)() as session:
        call = session.get(CallRequest, call_id)
        assert call is not None
        return call


def creates(standin: TwilioStandIn) -> int:
    """How many times the stand-in was asked to create a call."""
    return len(
        [r for r in standin.requests if r.method == "POST" and r.path.endswith("Calls.json")]
    )


def queued_in_redis(redis_url: str) -> int:
    """Jobs waiting in the Redis list of the queue (0 when the queue is not on Redis)."""
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(REDIS_QUEUE_KEY))
    finally:
        client.close()


def age(app: Flask, call_id: int, seconds: int) -> None:
    """Pretend a request was last touched ``seconds`` ago."""
    with sessions(app)() as session:
        session.execute(
            update(CallRequest)
            .where(CallRequest.id == call_id)
            .values(updated_at=utcnow() - timedelta(seconds=seconds))
        )
        session.commit()


@pytest.mark.real_clock("the worker runs in a subprocess, on the real clock")
def test_a_call_asked_for_through_the_api_is_placed_once_by_the_worker(
    make_app: Callable[..., Flask],
    standin: TwilioStandIn,
    queue: dict[str, Any],
    redis_url: str,
    tmp_path: Path,
) -> None:
    app = worker_app(make_app, standin, queue)
    response = app.test_client().post(
        CALLS_API, json={"phone": "613-555-0142", "postal_code": "M5V 3L9"}
    )
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued"  # no worker yet: nothing placed
    with sessions(app)() as session:
        call_id = session.scalars(
            select(CallRequest.id).where(CallRequest.public_id == response.get_json()["id"])
        ).one()
    service = call_service(app)
    service.enqueue(call_id)  # the same job again, as an enqueue retried after a lost reply
    assert service.huey.pending_count() == 2
    assert queued_in_redis(redis_url) == (2 if queue["QUEUE"] == "redis" else 0)
    assert creates(standin) == 0
    with running_worker(app, tmp_path, RATELIMIT_STORAGE_URI=redis_url):
        assert wait_until(lambda: load(app, call_id).status == CallStatus.ringing)
        assert wait_until(lambda: service.huey.pending_count() == 0)
    # The worker finished the jobs it held before it stopped: both ran, one call.
    call = load(app, call_id)
    assert (call.attempts, creates(standin)) == (1, 1)
    assert standin.call_sids() == [call.provider_sid]
    assert queued_in_redis(redis_url) == 0


@pytest.mark.real_clock("the worker runs in a subprocess, on the real clock")
def test_the_worker_sweeps_up_what_a_crashed_worker_left_and_rings_each_once(
    make_app: Callable[..., Flask],
    standin: TwilioStandIn,
    queue: dict[str, Any],
    redis_url: str,
    tmp_path: Path,
) -> None:
    app = worker_app(make_app, standin, queue)
    service = call_service(app)
    with sessions(app)() as session:
        claimed = stored_request(app, session).id
        never_queued = stored_request(app, session, "+16135550143").id
        still_queued = stored_request(app, session, "+16135550144").id
        # A worker claimed the first, then died before calling Twilio.
        assert call_requests.claim(session, claimed, utcnow()) is not None
        session.commit()
    service.enqueue(still_queued)  # its job waits in the queue ...
    for call_id in (claimed, never_queued, still_queued):
        age(app, call_id, 600)  # ... and all three look stuck to the sweeper
    assert service.huey.pending_count() == 1
    # The worker's scheduler runs the minute's sweep as it starts: three jobs are queued
    # again, next to the one already waiting.
    with running_worker(app, tmp_path, RATELIMIT_STORAGE_URI=redis_url):
        assert wait_until(
            lambda: all(
                load(app, call_id).status == CallStatus.ringing
                for call_id in (claimed, never_queued, still_queued)
            )
        )
        assert wait_until(lambda: service.huey.pending_count() == 0)
    assert creates(standin) == 3
    attempts = [load(app, call_id).attempts for call_id in (claimed, never_queued, still_queued)]
    assert attempts == [2, 1, 1]  # the crashed worker's claim counted as a try
    assert service.sweep() == []


# -- The calls-per-second throttle across workers ------------------------------------------


#: Seconds at the start of a window in which a created call may hold the previous slot
#: (the stand-in saw one 0.6 s after its worker took the slot, with three test processes
#: and three busy loops on two cores).
THROTTLE_SLACK_S = 0.8


def held_the_rate(times: list[datetime]) -> bool:
    """Whether calls created at ``times`` kept to one per second, as the stand-in saw them.

    The stand-in sees a call a little after its worker took the slot, so a call created
    early in a window may hold the previous window's slot (a strict "one per window" check
    failed now and then on a loaded machine): only calls created after a window's first
    ``THROTTLE_SLACK_S`` are pinned to it, and the calls must spread over at least as many
    windows as the rate asks for.
    """
    report = throttle_report(times, THROTTLE_SLACK_S)
    return (
        max(report.late_start.values(), default=0) <= 1
        and report.max_per_second <= 2
        and report.span_s >= len(times) - 2 - THROTTLE_SLACK_S
    )


def test_held_the_rate_allows_a_late_arrival_but_not_two_slots_in_a_window() -> None:
    base = datetime(2026, 11, 25, 19, 0, 0, tzinfo=UTC).timestamp()

    def at(*seconds: float) -> list[datetime]:
        return [datetime.fromtimestamp(base + s, UTC) for s in seconds]

    # One a second; the third took window 1's slot at its end and arrived in window 2.
    assert held_the_rate(at(0.6, 1.2, 2.05, 2.7, 3.6, 4.6, 5.6, 6.6))
    # Two workers each taking a slot per window: two late in one window.
    assert not held_the_rate(at(0.85, 0.9, 1.85, 1.9, 2.85, 2.9, 3.85, 3.9, 4.85, 4.9, 5.85, 5.9))
    # The same early in each window: not pinned, but too many calls in too few seconds.
    assert not held_the_rate(at(0.6, 0.7, 1.6, 1.7, 2.6, 2.7, 3.6, 3.7))
    # Never two late in a window, but eight calls in under four seconds.
    assert not held_the_rate(at(0.1, 0.6, 1.1, 1.6, 2.1, 2.6, 3.1, 3.6))
    assert held_the_rate([])


@pytest.mark.real_clock("two worker processes throttle on their own clocks")
@pytest.mark.parametrize("shared", [True, False], ids=["one-redis", "separate-storage"])
def test_two_workers_on_one_redis_never_place_more_than_the_rate(
    make_app: Callable[..., Flask],
    standin: TwilioStandIn,
    redis_url: str,
    tmp_path: Path,
    shared: bool,
) -> None:
    # Two worker processes, two threads each, at one call per second. On one Redis they
    # share the queue and the throttle's counter; with separate storage (each its own
    # Redis database: queue and counter) each throttles alone, and the check must fail.
    per_worker = 4
    urls = [redis_url, redis_url if shared else redis_url.rsplit("/", 1)[0] + "/1"]
    apps = [
        make_app(
            **twilio_settings(
                standin,
                TWILIO_TIMEOUT=2.0,
                QUEUE="redis",
                REDIS_URL=url,
                CALLS_PER_SECOND=1.0,
                CALL_MAX_PER_IP_PER_HOUR=100,
            )
        )
        for url in urls
    ]
    call_ids = []
    with sessions(apps[0])() as session:
        for n in range(2 * per_worker):
            app = apps[n % 2]
            call_id = stored_request(app, session, f"+1613555{140 + n:04d}").id
            call_service(app).enqueue(call_id)
            call_ids.append(call_id)
    assert creates(standin) == 0
    with (
        running_worker(apps[0], tmp_path / "a", RATELIMIT_STORAGE_URI=redis_url),
        running_worker(apps[1], tmp_path / "b", RATELIMIT_STORAGE_URI=redis_url),
    ):
        assert wait_until(
            lambda: all(load(apps[0], i).status == CallStatus.ringing for i in call_ids),
            timeout=60,
        )
    times = [call.created for call in standin.created_calls()]
    assert len(times) == 2 * per_worker
    report = throttle_report(times, THROTTLE_SLACK_S)
    assert held_the_rate(times) is shared, (shared, report, sorted(t.timestamp() for t in times))
