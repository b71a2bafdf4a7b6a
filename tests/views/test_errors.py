"""Error answers: a busy database is a 503 with Retry-After, in the client's language."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from callmp.models import CallRequest
from tests.support.app import engine, sessions
from tests.support.html import parse, text

CALLS = "/api/v1/campaigns/status-for-all/calls"
TORONTO = "M5V 3L9"


@pytest.fixture
def locked_app(make_app: Callable[..., Flask], database_url: str) -> Iterator[Flask]:
    """An app whose database another connection holds for writing (SQLite only).

    The app waits 50 ms for the lock instead of the production timeout.
    """
    if make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL waits per row")
    app = make_app()

    def short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    event.listen(engine(app), "connect", short_wait)
    engine(app).dispose()
    holder = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield app
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _stored_calls(app: Flask) -> int:
    with sessions(app)() as db:
        return db.scalar(select(func.count()).select_from(CallRequest)) or 0


def test_a_locked_database_asks_an_api_client_to_retry(locked_app: Flask) -> None:
    client = locked_app.test_client()
    body = {"phone": "613-555-0142", "postal_code": TORONTO, "lang": "fr"}
    response = client.post(CALLS, json=body, headers={"Accept-Language": "fr"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    payload = response.get_json()
    assert payload["error"].startswith("Nous sommes très occupés")


def test_a_locked_database_asks_a_supporter_to_retry_in_their_language(
    locked_app: Flask, session: Session
) -> None:
    client = locked_app.test_client()
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
    assert "réessayer dans quelques secondes" in text(parse(response.data))
    assert _stored_calls(locked_app) == 0
