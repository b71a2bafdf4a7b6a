"""The queue when Redis fails: a supporter's request is still answered, and the call waits
queued for the sweeper rather than being lost or hanging the request."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from callmp import job_queue
from callmp.db import utcnow
from callmp.demo import DEMO_SLUG
from callmp.models import CallRequest, CallStatus
from tests.support.app import call_service, sessions
from tests.support.redis_server import free_port

CALLS_API = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
ASK = {"phone": "613-555-0142", "postal_code": "M5V 3L9"}


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A loopback port that accepts connections and never answers (a hung Redis host)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def ask_for_a_call(app: Flask) -> dict[str, Any]:
    """POST a call request; its JSON answer (202 expected)."""
    response = app.test_client().post(CALLS_API, json=ASK)
    assert response.status_code == 202
    body: dict[str, Any] = response.get_json()
    return body


def stored(app: Flask, public_id: str) -> CallRequest:
    """The request as stored."""
    with sessions(app)() as session:
        return session.scalars(select(CallRequest).where(CallRequest.public_id == public_id)).one()


def test_a_call_asked_for_while_redis_refuses_waits_for_the_sweeper(
    make_app: Callable[..., Flask], redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    down = make_app(QUEUE="redis", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.ERROR, logger="callmp.calls.service"):
        body = ask_for_a_call(down)
    assert body["status"] == "queued"
    call = stored(down, body["id"])
    assert "the sweeper will retry" in caplog.text
    assert "5550142" not in caplog.text
    # Redis is back (another process, the same database): the sweep hands the call over.
    back = call_service(make_app(QUEUE="redis", REDIS_URL=redis_url))
    with sessions(down)() as session:
        stale = utcnow() - timedelta(minutes=10)
        session.execute(update(CallRequest).values(updated_at=stale))
        session.commit()
    assert back.sweep() == [call.id]
    back.enqueue(call.id)
    assert back.huey.pending_count() == 1
    assert stored(down, body["id"]).status == CallStatus.queued


def test_a_redis_that_stops_answering_does_not_hang_the_request(
    make_app: Callable[..., Flask], silent_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_queue, "REDIS_CONNECT_TIMEOUT_S", 0.5)
    monkeypatch.setattr(job_queue, "REDIS_ANSWER_TIMEOUT_S", 0.5)
    app = make_app(QUEUE="redis", REDIS_URL=silent_redis)
    answers: list[dict[str, Any]] = []
    asking = threading.Thread(target=lambda: answers.append(ask_for_a_call(app)), daemon=True)
    asking.start()
    asking.join(timeout=20)
    assert not asking.is_alive(), "the request hung on a silent Redis"
    (body,) = answers
    assert body["status"] == "queued"
