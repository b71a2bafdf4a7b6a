"""Error answers: a busy database is a 503 with Retry-After, in the client's language."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from tests.support.app import engine
from tests.support.html import parse
from tests.support.html import text as page_text

CALLS = "/api/v1/campaigns/status-for-all/calls"
TORONTO = "M5V 3L9"
COUNT_CALLS = "SELECT count(*) FROM call_requests"


@dataclass
class Locked:
    """The app, and a count of the stored call requests read by the lock's holder."""

    app: Flask
    stored_calls: Callable[[], int]


@pytest.fixture
def locked(make_app: Callable[..., Flask], database_url: str) -> Iterator[Locked]:
    """An app whose database another connection holds: SQLite's write lock, or on
    PostgreSQL an exclusive lock on the call requests' table.

    The app waits 50 ms for the lock instead of the production timeout.
    """
    app = make_app()
    sqlite = make_url(database_url).get_backend_name() == "sqlite"

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=50" if sqlite else "SET lock_timeout = '50ms'")
        cursor.close()
        if not sqlite:
            dbapi_connection.commit()  # else the pool's first rollback undoes the SET

    event.listen(engine(app), "connect", short_wait)
    engine(app).dispose()
    if sqlite:
        holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield Locked(app, lambda: int(holder.execute(COUNT_CALLS).fetchone()[0]))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    other = create_engine(database_url)
    try:
        with other.connect() as connection, connection.begin():
            connection.execute(text("LOCK TABLE call_requests IN ACCESS EXCLUSIVE MODE"))
            yield Locked(app, lambda: int(connection.execute(text(COUNT_CALLS)).scalar_one()))
    finally:
        other.dispose()


def test_a_locked_database_asks_an_api_client_to_retry(locked: Locked) -> None:
    client = locked.app.test_client()
    body = {"phone": "613-555-0142", "postal_code": TORONTO, "lang": "fr"}
    response = client.post(CALLS, json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.get_json()["error"].startswith("Nous sommes très occupés")
    assert locked.stored_calls() == 0


def test_a_locked_database_asks_a_supporter_to_retry_in_their_language(locked: Locked) -> None:
    client = locked.app.test_client()
    page = client.get("/c/status-for-all/riding/35100", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    token = parse(page.data).select_one("input[name=csrf_token]")
    assert token is not None
    response = client.post(
        "/c/status-for-all/riding/35100/call",
        data={"csrf_token": token["value"], "phone": "613-555-0142", "consent": "y"},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "réessayer dans quelques secondes" in page_text(parse(response.data))
    assert locked.stored_calls() == 0
