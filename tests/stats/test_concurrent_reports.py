"""Self-reports racing in two transactions (two servers) cannot pass the hourly limits.

``report_limits.take`` needs no advisory lock: its ``UPDATE ... WHERE n < limit`` waits
for the other transaction's row and checks the limit again on the committed value.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from callmp.db import make_engine, make_session_factory
from callmp.models import ReportLimit
from callmp.stats import report_limits

pytestmark = pytest.mark.skipif(
    not os.environ.get("CALLMP_TEST_DATABASE_URL"),
    reason="two transactions at once need PostgreSQL (SQLite serializes its writers)",
)

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    bound = make_engine(database_url)
    yield bound
    bound.dispose()


@pytest.mark.parametrize("already", [0, 1], ids=["new hour", "row exists"])
def test_a_report_racing_another_for_the_last_place_waits_and_is_refused(
    engine: Engine, already: int
) -> None:
    sessions = make_session_factory(engine)
    limits = [("c:client-1", already + 1), ("i:address-1", 30)]
    if already:
        with sessions() as session:
            assert report_limits.take(session, limits[:1], NOW)
            session.commit()
    first_session, second_session = sessions(), sessions()
    outcome: list[bool] = []
    started = threading.Event()

    def racing() -> None:
        started.set()
        outcome.append(report_limits.take(second_session, limits, NOW))
        second_session.rollback()

    try:
        assert report_limits.take(first_session, limits, NOW)  # the last place, uncommitted
        thread = threading.Thread(target=racing)
        thread.start()
        started.wait()
        thread.join(0.5)
        assert thread.is_alive() and outcome == []
        first_session.commit()
        thread.join(10)
        assert outcome == [False]
        with sessions() as session:
            rows = session.execute(select(ReportLimit.key, ReportLimit.n)).all()
        counts = {key: n for key, n in rows}
        assert counts == {"c:client-1": already + 1, "i:address-1": 1}
    finally:
        first_session.close()
        second_session.close()
