"""Wrong passwords racing in two transactions (two servers) still earn the wait."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from callmp.db import make_engine, make_session_factory
from callmp.login_limits import Backoff, LoginLimits

pytestmark = pytest.mark.skipif(
    not os.environ.get("CALLMP_TEST_DATABASE_URL"),
    reason="two transactions at once need PostgreSQL (SQLite serializes its writers)",
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
#: The first wrong password is free of wait only if nobody else's is counted first.
STRICT = Backoff(free=1, first_wait=timedelta(minutes=1), longest_wait=timedelta(hours=1))
LIMITS = LoginLimits(
    secret=b"test-secret", per_account_address=STRICT, per_address=STRICT, clock=lambda: NOW
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    bound = make_engine(database_url)
    yield bound
    bound.dispose()


def test_a_guess_racing_a_wrong_password_waits_for_it_and_is_held_back(
    engine: Engine,
) -> None:
    sessions = make_session_factory(engine)
    first_session, second_session = sessions(), sessions()
    keys = LIMITS.keys("staff@example.org", "203.0.113.9")
    outcome: list[timedelta | None] = []
    started = threading.Event()

    def racing() -> None:
        started.set()
        outcome.append(LIMITS.wait(second_session, keys))
        second_session.rollback()

    try:
        # The first guess may go ahead; its password turns out wrong, counted, not committed.
        assert LIMITS.wait(first_session, keys) is None
        LIMITS.failed(first_session, keys)
        thread = threading.Thread(target=racing)
        thread.start()
        started.wait()
        thread.join(0.5)
        # Without the lock the second would read no failure yet and have its guess checked.
        assert thread.is_alive() and outcome == []
        first_session.commit()
        thread.join(10)
        assert outcome == [timedelta(minutes=1)]
    finally:
        first_session.close()
        second_session.close()
