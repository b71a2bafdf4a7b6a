"""Twilio's webhooks run on one Core connection per request, not on an ORM session.

Each route takes a connection from the engine, runs the call's load and guarded writes on
it and commits; anything left uncommitted when the route fails is rolled back and the
connection goes back to the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from callmp.calls import flow_plan, webhooks
from callmp.i18n import translator
from callmp.models import CallRequest, CallStatus
from tests.support.app import engine, sessions
from tests.support.twilio_http import make_twilio_app, placed_call, twilio_params, webhook
from tests.support.twilio_standin import TwilioStandIn


@pytest.fixture
def twilio_app(make_app: Callable[..., Flask], standin: TwilioStandIn) -> Flask:
    """The app in Twilio mode, its REST calls going to the stand-in."""
    return make_twilio_app(make_app, standin)


@contextmanager
def session_begins() -> Iterator[list[Session]]:
    """Every ORM session that begins a transaction inside the block."""
    begun: list[Session] = []

    def note(session: Session, _transaction: SessionTransaction, _conn: Connection) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", note)
    try:
        yield begun
    finally:
        event.remove(Session, "after_begin", note)


def test_each_webhook_runs_without_an_orm_session_and_gives_its_connection_back(
    twilio_app: Flask, standin: TwilioStandIn
) -> None:
    client = twilio_app.test_client()
    with sessions(twilio_app)() as db:
        call = placed_call(twilio_app, db)
    url = f"/twilio/calls/{call.public_id}"
    deliveries = [
        ("/answer", {}),
        ("/gather?step=0", {"Digits": "2"}),
        ("/dial?step=0&office=0", {"DialCallStatus": "completed", "DialCallDuration": "45"}),
        ("/status", {"CallStatus": "completed"}),
    ]
    pool = engine(twilio_app).pool
    with session_begins() as begun:
        for target, form in deliveries:
            response = webhook(
                client, url + target, twilio_params(call, **form), token=standin.auth_token
            )
            assert response.status_code in (200, 204), target
            assert pool.checkedout() == 0, target  # type: ignore[attr-defined]
    assert begun == []
    with sessions(twilio_app)() as db:
        stored = db.get(CallRequest, call.id)
        assert stored is not None and stored.status == CallStatus.completed


def test_a_webhook_that_fails_half_way_leaves_the_row_as_it_was(
    twilio_app: Flask, standin: TwilioStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = twilio_app.test_client()
    with sessions(twilio_app)() as db:
        call = placed_call(twilio_app, db)

    def broken(*_args: Any, **_kwargs: Any) -> str:
        """The answer's document fails after its UPDATE ran."""
        raise RuntimeError("the document could not be built")

    monkeypatch.setattr(webhooks, "document", broken)
    url = f"/twilio/calls/{call.public_id}/answer"
    response = webhook(client, url, twilio_params(call), token=standin.auth_token)
    assert response.status_code == 500
    assert engine(twilio_app).pool.checkedout() == 0  # type: ignore[attr-defined]
    with sessions(twilio_app)() as db:
        stored = db.get(CallRequest, call.id)
        assert stored is not None and stored.status == CallStatus.ringing  # not in progress
    monkeypatch.undo()
    response = webhook(client, url, twilio_params(call), token=standin.auth_token)
    assert response.status_code == 200
    with sessions(twilio_app)() as db:
        stored = db.get(CallRequest, call.id)
        assert stored is not None and stored.status == CallStatus.in_progress


def test_a_plan_built_on_a_connection_is_stored_in_its_transaction(twilio_app: Flask) -> None:
    with sessions(twilio_app)() as db:
        call = placed_call(twilio_app, db)
        db.execute(update(CallRequest).where(CallRequest.id == call.id).values(plan=None))
        db.commit()
    plan_of = select(CallRequest.plan).where(CallRequest.id == call.id)
    translate = translator("en")
    for commit in (False, True):
        with engine(twilio_app).connect() as conn:
            row = conn.execute(select(CallRequest).where(CallRequest.id == call.id)).first()
            assert row is not None
            with sessions(twilio_app)() as db:
                loaded = db.get(CallRequest, call.id)
                assert loaded is not None and loaded.plan is None
                db.expunge(loaded)
            plan = flow_plan.of_call(conn, loaded, translate)
            assert plan.stops and loaded.plan is not None
            assert conn.scalar(plan_of) == loaded.plan  # stored, not yet committed
            if commit:
                conn.commit()
        with sessions(twilio_app)() as db:
            assert (db.scalar(plan_of) is not None) is commit  # rolled back unless committed
