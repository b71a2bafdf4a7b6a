"""Each Twilio webhook runs a fixed, small set of SQL statements: the call's row loaded, then
one guarded statement per write, and nothing written for a replay.

The plan comes from the call's row, so no webhook reads the campaign, its targets or the
offices; every write is an ``UPDATE ... WHERE`` or an ``INSERT ... ON CONFLICT``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import CallRequest, CallStatus, ContactEvent, ProviderEvent
from tests.support.app import engine, sessions
from tests.support.statements import statements
from tests.support.twilio_http import (
    make_twilio_app,
    placed_call,
    stored_request,
    twilio_params,
    webhook,
)
from tests.support.twilio_standin import TwilioStandIn

_TABLE = re.compile(r"^\s*(?:(SELECT)\b.*?\bFROM|(INSERT) INTO|(UPDATE|DELETE FROM))\s+(\w+)", re.S)

LOAD = ("SELECT", "call_requests")
MOVE = ("UPDATE", "call_requests")
NEWS = ("INSERT", "provider_events")
COUNT = ("INSERT", "contact_events")

#: One call as Twilio drives it: each webhook, what it posts, the statements it may run.
STEPS: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = [
    ("status", {"CallStatus": "ringing"}, [LOAD, NEWS]),  # placing made it ringing already
    ("answer", {}, [LOAD, MOVE]),  # in progress
    ("status", {"CallStatus": "in-progress"}, [LOAD, NEWS]),  # the answer moved it already
    ("gather?step=0", {"Digits": "1"}, [LOAD]),  # the first office of the first target
    ("dial?step=0&office=0", {"DialCallStatus": "no-answer"}, [LOAD, COUNT, MOVE]),
    (
        "dial?step=0&office=1",
        {"DialCallStatus": "completed", "DialCallDuration": "45"},
        [LOAD, COUNT, MOVE],
    ),
    ("gather?step=1", {"Digits": "2"}, [LOAD]),  # the talking points
    ("gather?step=1", {"Digits": "1"}, [LOAD, MOVE]),  # back to the first office
    (
        "dial?step=1&office=0",
        {"DialCallStatus": "busy", "DialCallDuration": "0"},
        [LOAD, COUNT, MOVE],
    ),
    ("status", {"CallStatus": "completed"}, [LOAD, NEWS, MOVE]),
]
#: Deliveries of the steps above again, as Twilio retries them.
REPLAYS = {
    5: [LOAD],  # the dial action: its event is there (the load says so), nothing is written
    9: [LOAD, NEWS],  # the status callback
    1: [LOAD],  # the answer, after the call ended: goodbye
}


def kinds(seen: list[str]) -> list[tuple[str, str]]:
    """Each statement as (verb, table)."""
    found = []
    for sql in seen:
        match = _TABLE.match(sql)
        assert match is not None, sql
        verb = match.group(1) or match.group(2) or match.group(3)
        found.append((verb.split()[0], match.group(4)))
    return found


def rows(db: Session, call: CallRequest) -> tuple[object, ...]:
    """Everything a webhook of ``call`` may write, as stored now."""
    db.expire_all()
    stored = db.get(CallRequest, call.id)
    assert stored is not None
    return (
        stored.status,
        stored.step,
        stored.office_try,
        stored.phone is None,
        db.scalar(select(func.count()).select_from(ContactEvent)),
        db.scalar(select(func.count()).select_from(ProviderEvent)),
    )


@pytest.fixture
def twilio_app(make_app: Callable[..., Flask], standin: TwilioStandIn) -> Flask:
    """The app in Twilio mode, its REST calls going to the stand-in."""
    return make_twilio_app(make_app, standin)


def test_each_webhook_runs_one_load_and_one_guarded_statement_per_write(
    twilio_app: Flask, standin: TwilioStandIn
) -> None:
    client = twilio_app.test_client()
    with sessions(twilio_app)() as db:
        call = placed_call(twilio_app, db)

        def post(target: str, form: dict[str, str]) -> list[tuple[str, str]]:
            """The statements one signed delivery of ``target`` runs."""
            url = f"/twilio/calls/{call.public_id}/{target}"
            with statements(engine(twilio_app)) as seen:
                response = webhook(
                    client, url, twilio_params(call, **form), token=standin.auth_token
                )
            assert response.status_code in (200, 204), target
            return kinds(seen)

        ran = [(target, post(target, form)) for target, form, _expected in STEPS]
        assert ran == [(target, expected) for target, _form, expected in STEPS]
        done = rows(db, call)
        assert done == (CallStatus.completed, 2, 0, True, 3, 3)
        for index, expected in REPLAYS.items():
            target, form, _first = STEPS[index]
            assert (target, post(target, form)) == (target, expected)
            assert rows(db, call) == done, f"the replay of {target} changed a row"


def test_linking_a_call_we_never_heard_back_about_goes_with_its_move_in_one_update(
    twilio_app: Flask, standin: TwilioStandIn
) -> None:
    # After a create that timed out, the answer webhook names the call first: one UPDATE
    # links it (checking that no other request holds its sid, with no SELECT beforehand)
    # and moves it in progress, each under its own guard.
    client = twilio_app.test_client()
    with sessions(twilio_app)() as db:
        call = stored_request(twilio_app, db)
        taken = placed_call(twilio_app, db, "+16135550143")
        url = f"/twilio/calls/{call.public_id}/answer"
        sid = "CA" + "d" * 32
        with statements(engine(twilio_app)) as seen:
            response = webhook(
                client, url, {**twilio_params(call), "CallSid": sid}, token=standin.auth_token
            )
        assert response.status_code == 200
        assert kinds(seen) == [LOAD, MOVE]  # linked and in progress
        db.expire_all()
        linked = db.get(CallRequest, call.id)
        assert linked is not None
        assert (linked.provider_sid, linked.status) == (sid, CallStatus.in_progress)
        # A sid another request holds is left with it, in the same one statement.
        other = stored_request(twilio_app, db, "+16135550144")
        url = f"/twilio/calls/{other.public_id}/answer"
        params = {**twilio_params(other), "CallSid": taken.provider_sid or ""}
        with statements(engine(twilio_app)) as seen:
            webhook(client, url, params, token=standin.auth_token)
        assert kinds(seen) == [LOAD, MOVE]
        db.expire_all()
        stored = db.get(CallRequest, other.id)
        assert stored is not None
        assert (stored.provider_sid, stored.status) == (None, CallStatus.in_progress)
