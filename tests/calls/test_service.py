"""The call queue: throttle, placing through the stand-in, retries, the sweeper, local mode.

The queue is Huey in immediate mode: a job runs inline when queued, and a retry lands in
Huey's schedule, which these tests run by reading it with a far-future timestamp.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.calls import call_requests
from callmp.calls.service import GIVE_UP_AFTER_S, MAX_BACKOFF_S, backoff, throttle_window
from callmp.db import utcnow
from callmp.models import CallRequest, CallStatus, Channel, ContactEvent, Outcome
from tests.support.app import OFFICES_OPEN, call_service, run_scheduled, sessions, twilio_settings
from tests.support.clock import clock_at, window_start
from tests.support.twilio_http import SUPPORTER, stored_request
from tests.support.twilio_standin import (
    TwilioStandIn,
    error_reply,
    rate_limited,
    server_error,
    slow_reply,
)

#: One call per 100,000 seconds (about 28 hours).
SLOW = 0.00001


def twilio_app(make_app: Callable[..., Flask], standin: TwilioStandIn, **overrides: Any) -> Flask:
    """An app placing calls through the stand-in.

    Its REST timeout is generous: on a loaded machine (CI runs two test processes on two
    cores) a stand-in reply can take longer than half a second, and a timed-out create
    leaves the request queued. Tests of the timeout itself pass their own, shorter one.
    """
    return make_app(**twilio_settings(standin, **{"TWILIO_TIMEOUT": 10.0, **overrides}))


def new_request(app: Flask, phone: str = SUPPORTER) -> int:
    """Store a request as the API does (committed, not yet queued); its id."""
    with sessions(app)() as session:
        return stored_request(app, session, phone).id


def load(app: Flask, call_id: int) -> CallRequest:
    """The request as stored now."""
    session: Session
    with sessions(app)() as session:
        call = session.get(CallRequest, call_id)
        assert call is not None
        return call


def creates(standin: TwilioStandIn) -> int:
    """How many times the stand-in was asked to create a call."""
    return len(
        [r for r in standin.requests if r.method == "POST" and r.path.endswith("Calls.json")]
    )


# -- Throttle -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_second", "window"),
    [
        (1.0, (1, 1)),
        (1000.0, (1000, 1)),
        (2.5, (2, 1)),
        (1.5, (1, 1)),
        (0.5, (1, 2)),
        (0.3, (1, 4)),
        (1 / 60, (1, 60)),
    ],
)
def test_throttle_window_never_exceeds_the_rate(per_second: float, window: tuple[int, int]) -> None:
    assert throttle_window(per_second) == window
    calls, seconds = window
    assert calls / seconds <= per_second


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n) for n in range(1, 6)] == [2, 4, 8, 16, 32]
    assert backoff(0) == 2
    assert backoff(20) == MAX_BACKOFF_S


def test_the_throttle_holds_back_a_second_call_in_the_same_window(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    # One call per ~28 hours: both requests fall in the same window. Huey's windows are
    # aligned on the epoch, not on the first call, so the test sets the clock a minute into
    # one: on the wall clock, the two calls could straddle a window's end, or the next
    # window could begin less than an hour after the second.
    _calls, per = throttle_window(SLOW)
    app = twilio_app(make_app, standin, CALLS_PER_SECOND=SLOW)
    service = call_service(app)
    with clock_at(window_start(OFFICES_OPEN, per) + timedelta(minutes=1)):
        first, second = new_request(app), new_request(app, "+16135550143")
        service.enqueue(first)
        service.enqueue(second)
        assert creates(standin) == 1
        assert load(app, first).status == CallStatus.ringing
        assert load(app, second).status == CallStatus.queued
        (waiting,) = service.huey.scheduled()
        assert waiting.args == (second,)
        assert waiting.eta > datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)


# -- Placing and retrying ---------------------------------------------------------------------


def test_enqueue_places_the_call_through_the_standin(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    call_id = new_request(app)
    call_service(app).enqueue(call_id)
    call = load(app, call_id)
    assert call.status == CallStatus.ringing
    assert call.attempts == 1
    assert standin.call_sids() == [call.provider_sid]
    assert standin.call(call.provider_sid or "")["to"] == SUPPORTER
    assert call_service(app).huey.scheduled() == []


@pytest.mark.parametrize(
    "failure", [server_error(), server_error(json_body=True), rate_limited()], ids=str
)
def test_a_retryable_error_leaves_the_request_queued_and_retries_until_placed(
    make_app: Callable[..., Flask], standin: TwilioStandIn, failure: Any
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    standin.reply_next(failure, times=2)
    before = datetime.now(UTC).replace(tzinfo=None)
    service.enqueue(call_id)
    call = load(app, call_id)
    assert call.status == CallStatus.queued
    assert call.phone == SUPPORTER  # kept: the call still has to be placed
    (retry,) = service.huey.scheduled()
    assert retry.args == (call_id,)
    assert retry.eta >= before + timedelta(seconds=backoff(1))
    assert run_scheduled(service.huey) == 1  # second try: fails again
    assert load(app, call_id).status == CallStatus.queued
    assert run_scheduled(service.huey) == 1  # third try: placed
    assert run_scheduled(service.huey) == 0
    call = load(app, call_id)
    assert call.status == CallStatus.ringing
    assert call.attempts == 3
    assert standin.call_sids() == [call.provider_sid]


def test_retries_stop_after_the_last_attempt_and_forget_the_number(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin, CALL_MAX_ATTEMPTS=3)
    service = call_service(app)
    call_id = new_request(app)
    standin.reply_next(server_error(), times=10)
    service.enqueue(call_id)
    while run_scheduled(service.huey):
        pass
    call = load(app, call_id)
    assert call.status == CallStatus.failed
    assert call.error_reason == "server_error"
    assert call.attempts == 3
    assert call.phone is None
    # The first try asked to create the call; the others first looked for it, and failed.
    assert [r.method for r in standin.requests] == ["POST", "GET", "GET"]
    assert standin.call_sids() == []


def test_a_retry_after_a_timeout_finds_the_call_and_does_not_create_another(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin, TWILIO_TIMEOUT=0.5)
    service = call_service(app)
    call_id = new_request(app)
    standin.reply_next(slow_reply(1.5))  # longer than TWILIO_TIMEOUT: we give up, Twilio doesn't
    service.enqueue(call_id)
    assert load(app, call_id).status == CallStatus.queued
    assert standin.wait_idle()
    (created_anyway,) = standin.call_sids()
    with clock_at(after_the_creation_window(app)):
        assert run_scheduled(service.huey) == 1
    call = load(app, call_id)
    assert call.status == CallStatus.ringing
    assert call.provider_sid == created_anyway
    assert creates(standin) == 1  # the retry looked the call up instead
    assert [r.method for r in standin.requests] == ["POST", "GET"]


def slow_app(make_app: Callable[..., Flask], standin: TwilioStandIn) -> Flask:
    """An app whose Twilio client gives up after 0.3 s, for replies slower than that."""
    return make_app(**twilio_settings(standin, TWILIO_TIMEOUT=0.3))


def after_the_creation_window(app: Flask) -> datetime:
    """A moment when the creation window of a request that timed out just now is over."""
    wait = call_service(app).settings.recheck_after_s
    return datetime.now(UTC) + timedelta(seconds=wait + 1)


@pytest.mark.parametrize("requests", [1, 3, 5])
def test_a_create_slower_than_the_timeout_rings_each_supporter_once(
    make_app: Callable[..., Flask], standin: TwilioStandIn, requests: int
) -> None:
    app = slow_app(make_app, standin)
    service = call_service(app)
    phones = [f"+1613555{140 + n:04d}" for n in range(requests)]
    ids = [new_request(app, phone) for phone in phones]
    # Each create answers after 1.5 s: we give up after 0.3 s, Twilio creates the call anyway.
    standin.reply_next(slow_reply(1.5), times=requests)
    for call_id in ids:
        service.enqueue(call_id)
    assert {load(app, call_id).status for call_id in ids} == {CallStatus.queued}
    # The retries come due while the calls are still being created: they must wait.
    assert run_scheduled(service.huey) == requests
    assert standin.wait_idle()
    with clock_at(after_the_creation_window(app)):
        while run_scheduled(service.huey):
            pass
    created = [standin.call(sid)["to"] for sid in standin.call_sids()]
    assert sorted(created) == sorted(phones)  # exactly one call per request
    assert creates(standin) == requests
    calls = [load(app, call_id) for call_id in ids]
    assert {call.status for call in calls} == {CallStatus.ringing}
    assert sorted(call.provider_sid or "" for call in calls) == sorted(standin.call_sids())


def test_a_request_that_timed_out_waits_out_the_creation_window_before_a_retry(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = slow_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    standin.reply_next(slow_reply(1.0))
    before = datetime.now(UTC).replace(tzinfo=None)
    service.enqueue(call_id)
    call = load(app, call_id)
    assert call.status == CallStatus.queued
    assert call.retry_at is not None
    window = timedelta(seconds=service.settings.recheck_after_s)
    assert call.retry_at >= before.replace(tzinfo=UTC) + window
    (retry,) = service.huey.scheduled()
    assert retry.eta >= before + window  # the queue's delay, not a sleep
    # Neither a second worker's job nor the sweeper may place it inside the window.
    service.place(call_id)
    age_updated(app, call_id, 600)
    assert service.sweep() == []
    assert creates(standin) == 1
    assert load(app, call_id).attempts == 1
    assert standin.wait_idle()
    with clock_at(after_the_creation_window(app)):
        assert run_scheduled(service.huey) == 1
    call = load(app, call_id)
    assert call.status == CallStatus.ringing
    assert call.provider_sid == standin.call_sids()[0]
    assert call.retry_at is None
    assert [r.method for r in standin.requests] == ["POST", "GET"]


def test_an_invalid_number_fails_at_once(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    standin.reply_next(error_reply(21211, 400, "Invalid 'To' Phone Number"))
    service.enqueue(call_id)
    call = load(app, call_id)
    assert call.status == CallStatus.failed
    assert call.error_reason == "invalid_number"
    assert call.attempts == 1
    assert call.phone is None
    assert service.huey.scheduled() == []


def test_a_second_job_for_a_placed_request_rings_nobody_again(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    service.enqueue(call_id)
    service.enqueue(call_id)  # a duplicate job (the sweeper, a double click)
    service.place(call_id)
    assert creates(standin) == 1
    assert load(app, call_id).attempts == 1


# -- Claims -------------------------------------------------------------------------------


def test_of_many_concurrent_claims_exactly_one_wins(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    call_id = new_request(app)
    factory = sessions(app)
    workers = 6
    barrier = threading.Barrier(workers)
    won: list[bool] = []
    errors: list[BaseException] = []

    def worker() -> None:
        """Claim the request from a session of its own."""
        try:
            with factory() as session:
                barrier.wait()
                claimed = call_requests.claim(session, call_id, utcnow())
                session.commit()
                won.append(claimed is not None)
        except BaseException as error:  # reported below: a thread's error would be lost
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(won) == [False] * (workers - 1) + [True]
    call = load(app, call_id)
    assert call.status == CallStatus.placing
    assert call.attempts == 1


# -- Sweeper ------------------------------------------------------------------------------


def age(app: Flask, call_id: int, seconds: int) -> None:
    """Pretend the request was created and last touched ``seconds`` ago."""
    moment = utcnow() - timedelta(seconds=seconds)
    with sessions(app)() as session:
        session.execute(
            update(CallRequest)
            .where(CallRequest.id == call_id)
            .values(created_at=moment, updated_at=moment)
        )
        session.commit()


def age_updated(app: Flask, call_id: int, seconds: int) -> None:
    """Pretend the request was last touched ``seconds`` ago."""
    with sessions(app)() as session:
        session.execute(
            update(CallRequest)
            .where(CallRequest.id == call_id)
            .values(updated_at=utcnow() - timedelta(seconds=seconds))
        )
        session.commit()


def test_the_sweeper_requeues_a_request_a_crashed_worker_left_placing(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    with sessions(app)() as session:
        assert call_requests.claim(session, call_id, utcnow()) is not None
        session.commit()  # ... and the worker dies before calling Twilio
    assert service.sweep() == []  # not stuck yet
    age(app, call_id, 600)
    # The minute's periodic job: sweep, then queue what it found.
    periodic = service.huey.read_periodic(datetime.now(UTC).replace(tzinfo=None))
    (sweeper,) = [task for task in periodic if task.name == "sweep_calls"]
    service.huey.execute(sweeper)
    call = load(app, call_id)
    assert call.status == CallStatus.ringing
    assert call.attempts == 2
    assert creates(standin) == 1
    assert standin.call_sids() == [call.provider_sid]


def test_the_sweeper_requeues_a_request_never_queued(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    call_id = new_request(app)  # stored, but the process died before enqueue
    age(app, call_id, 600)
    assert call_service(app).sweep() == [call_id]
    call = load(app, call_id)
    assert call.status == CallStatus.pending
    assert call.updated_at > utcnow() - timedelta(minutes=1)
    assert call_service(app).sweep() == []  # once per sweep period, not every minute


def test_the_sweeper_closes_requests_with_no_news_for_hours(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    never_placed = new_request(app)
    ringing = new_request(app, "+16135550143")
    service.enqueue(ringing)
    for call_id in (never_placed, ringing):
        age(app, call_id, GIVE_UP_AFTER_S + 60)
    assert service.sweep() == []
    dropped, silent = load(app, never_placed), load(app, ringing)
    assert (dropped.status, dropped.error_reason) == (CallStatus.failed, "no_news")
    assert silent.status == CallStatus.completed
    assert dropped.phone is None and silent.phone is None


# -- Local mode ---------------------------------------------------------------------------


def test_local_mode_walks_through_the_whole_call(app: Flask, session: Session) -> None:
    call_id = new_request(app)
    call_service(app).enqueue(call_id)
    call = load(app, call_id)
    assert call.status == CallStatus.completed
    assert call.phone is None
    assert (call.provider_sid or "").startswith("LOCAL")
    transcript = json.loads(call.transcript or "[]")
    assert [line["dial"] for line in transcript if "dial" in line] == [
        "+16139922352",
        "+16139963085",
    ]
    keys = [line["press"] for line in transcript if "press" in line]
    assert keys == ["2", "1", "1"]  # the talking points first, then each target
    points = transcript.index({"press": "2"}) + 1
    said = transcript[points]["say"]
    assert "I'm calling to ask Chi Nguyen" in said  # the points, read aloud
    assert "my name is … and I live in Spadina" in said  # blanks become pauses
    assert "_" not in said
    assert transcript[-1] == {"say": "Thank you for making your voice heard. Goodbye."}
    assert "5550142" not in (call.transcript or "")
    events = list(
        session.scalars(select(ContactEvent).where(ContactEvent.call_request_id == call_id))
    )
    assert [(e.channel, e.outcome) for e in events] == [
        (Channel.bridged_call, Outcome.connected),
        (Channel.bridged_call, Outcome.connected),
    ]
    assert {e.referral for e in events} == {"partner-a"}


def test_a_retry_does_not_take_over_the_call_of_an_earlier_request_for_the_same_number(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    earlier = new_request(app)
    service.enqueue(earlier)
    later = new_request(app)  # the same number, a minute later: within the hourly limit
    standin.reply_next(server_error())
    service.enqueue(later)
    assert run_scheduled(service.huey) == 1
    first, second = load(app, earlier), load(app, later)
    assert second.status == CallStatus.ringing
    assert second.provider_sid not in (None, first.provider_sid)
    assert standin.call_sids() == [first.provider_sid, second.provider_sid]


def test_a_job_for_a_request_already_placed_uses_no_throttle_slot(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin, CALLS_PER_SECOND=SLOW)
    service = call_service(app)
    placed = new_request(app)
    service.place(placed)  # placed by another job, outside this window's count
    service.enqueue(placed)  # a late duplicate job (the sweeper, a retried enqueue)
    waiting = new_request(app, "+16135550143")
    service.enqueue(waiting)
    assert load(app, waiting).status == CallStatus.ringing
    assert creates(standin) == 2


def test_marking_a_request_queued_never_takes_back_a_worker_claim(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    call_id = new_request(app)
    factory = sessions(app)
    web: Session
    worker: Session
    with factory() as web, factory() as worker:
        seen = web.get(CallRequest, call_id)  # the web process read it: pending
        assert seen is not None and seen.status == CallStatus.pending
        assert call_requests.claim(worker, call_id, utcnow()) is not None
        worker.commit()  # a worker took it meanwhile
        assert not call_requests.mark_queued(web, call_id)
        web.commit()
    assert load(app, call_id).status == CallStatus.placing


def test_a_request_whose_job_could_not_be_queued_waits_queued_for_the_sweeper(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = twilio_app(make_app, standin)
    service = call_service(app)
    call_id = new_request(app)
    service.huey.storage = None  # the queue is down: handing the job over raises
    service.enqueue(call_id)
    assert load(app, call_id).status == CallStatus.queued
    assert creates(standin) == 0
    age(app, call_id, 600)
    assert service.sweep() == [call_id]
