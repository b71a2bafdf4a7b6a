"""Call requests racing in two transactions (two servers) still respect the limits."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from callmp.calls import call_requests
from callmp.db import make_engine, make_session_factory
from callmp.models import CallRequest
from tests.factories import demo_campaign

pytestmark = pytest.mark.skipif(
    not os.environ.get("CALLMP_TEST_DATABASE_URL"),
    reason="two transactions at once need PostgreSQL (SQLite serializes its writers)",
)

SETTINGS = call_requests.CallSettings(
    hmac_key=b"test-hmac-key", allow_fictional=True, max_per_phone_per_hour=1
)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    bound = make_engine(database_url)
    yield bound
    bound.dispose()


def ask(engine: Engine, ip: str) -> tuple[call_requests.CallAsk, Session]:
    """A request for the same number from ``ip``, in a session of its own (left open)."""
    session = make_session_factory(engine)()
    campaign = demo_campaign(session)
    request = call_requests.CallAsk(
        campaign=campaign,
        phone_raw="613-555-0142",
        fed_num=35100,
        locale="en",
        ip=ip,
    )
    return request, session


def test_a_request_racing_another_for_the_same_number_waits_and_is_refused(
    engine: Engine,
) -> None:
    first, first_session = ask(engine, "192.0.2.1")
    second, second_session = ask(engine, "198.51.100.7")
    try:
        # The first request is checked and stored, not yet committed.
        call_requests.request_call(first_session, first, settings=SETTINGS, now=NOW)
        outcome: list[str] = []
        started = threading.Event()

        def racing() -> None:
            started.set()
            try:
                call_requests.request_call(second_session, second, settings=SETTINGS, now=NOW)
                second_session.commit()
                outcome.append("stored")
            except call_requests.CallRefused as refused:
                second_session.rollback()
                outcome.append(refused.reason)

        thread = threading.Thread(target=racing)
        thread.start()
        started.wait()
        thread.join(0.5)
        # Without the lock the second would have counted nothing and stored its request.
        assert thread.is_alive() and outcome == []
        first_session.commit()
        thread.join(10)
        assert outcome == ["phone_limit"]
        with make_session_factory(engine)() as session:
            assert session.scalar(select(func.count()).select_from(CallRequest)) == 1
    finally:
        first_session.close()
        second_session.close()
