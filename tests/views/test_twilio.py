"""Twilio's webhooks over HTTP: signatures, the raw-URL trap, the fallback, a whole call.

Requests are signed with the Twilio SDK's own ``RequestValidator``; calls are placed with
the real SDK against the loopback stand-in; every answer is parsed as XML.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from callmp.calls.call_requests import CallAsk
from callmp.models import (
    CallRequest,
    CallStatus,
    Channel,
    ContactEvent,
    Office,
    Outcome,
    ProviderEvent,
)
from tests.factories import demo_campaign
from tests.support.app import (
    CALLER_ID,
    PUBLIC_URL,
    call_service,
    run_scheduled,
    sessions,
)
from tests.support.calls import MINISTER, SPADINA_HILL
from tests.support.twilio_http import (
    SUPPORTER,
    make_twilio_app,
    placed_call,
    sign,
    twilio_params,
    webhook,
    webhook_items,
    xml,
)
from tests.support.twilio_standin import DEFAULT_AUTH_TOKEN as TOKEN
from tests.support.twilio_standin import TwilioStandIn, slow_reply
from tests.support.twiml_doc import none, one, path, query, said, tags

ACCENTED = "x=l%27%C3%A9t%C3%A9%7E"  # l'été~ as a browser or Twilio percent-encodes it


@pytest.fixture
def twilio_app(make_app: Callable[..., Flask], standin: TwilioStandIn) -> Flask:
    """The app in Twilio mode, its REST calls going to the stand-in."""
    return make_twilio_app(make_app, standin)


@pytest.fixture
def twilio_client(twilio_app: Flask) -> FlaskClient:
    """A test client of the Twilio-mode app."""
    return twilio_app.test_client()


@pytest.fixture
def db(twilio_app: Flask) -> Iterator[Session]:
    """A session on the app's database."""
    with sessions(twilio_app)() as db_session:
        yield db_session


def status_of(db: Session, call: CallRequest) -> CallStatus:
    """The request's status as stored now."""
    return db.scalars(select(CallRequest.status).where(CallRequest.id == call.id)).one()


# -- Signatures -----------------------------------------------------------------------------


def test_a_signed_answer_gets_the_menu(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    target = f"/twilio/calls/{call.public_id}/answer"
    root = xml(webhook(twilio_client, target, twilio_params(call), token=standin.auth_token))
    assert tags(root) == ["Say", "Gather", "Say", "Hangup"]
    gather = one(root, "Gather")
    assert path(gather.get("action", "")) == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/gather"
    assert query(gather.get("action", "")) == {"step": "0"}
    db.refresh(call)
    assert call.status == CallStatus.in_progress


def test_unsigned_forged_or_misdirected_requests_are_refused(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    target = f"/twilio/calls/{call.public_id}/gather?step=0"
    params = twilio_params(call, Digits="9")
    token = standin.auth_token
    unsigned = twilio_client.post(target, data=params, base_url=PUBLIC_URL)
    assert unsigned.status_code == 403
    empty = twilio_client.post(
        target, data=params, base_url=PUBLIC_URL, headers={"X-Twilio-Signature": ""}
    )
    assert empty.status_code == 403
    forged = webhook(twilio_client, target, params, token="not-the-auth-token")
    assert forged.status_code == 403
    other_host = webhook(
        twilio_client, target, params, token=token, signed_url=f"https://evil.example{target}"
    )
    assert other_host.status_code == 403
    other_step = webhook(
        twilio_client, target, params, token=token, signed_url=f"{PUBLIC_URL}{target[:-1]}1"
    )
    assert other_step.status_code == 403
    tampered = twilio_client.post(
        target,
        data={**params, "Digits": "9"},
        base_url=PUBLIC_URL,
        headers={"X-Twilio-Signature": sign(token, PUBLIC_URL + target, {**params, "Digits": "1"})},
    )
    assert tampered.status_code == 403
    added = twilio_client.post(
        target,
        data={**params, "Extra": "1"},
        base_url=PUBLIC_URL,
        headers={"X-Twilio-Signature": sign(token, PUBLIC_URL + target, params)},
    )
    assert added.status_code == 403
    assert status_of(db, call) == CallStatus.ringing  # none of them pressed 9
    # The same request, signed: now it counts.
    assert tags(xml(webhook(twilio_client, target, params, token=token))) == ["Say", "Hangup"]
    assert status_of(db, call) == CallStatus.blocked


def test_every_webhook_route_checks_the_signature(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session
) -> None:
    call = placed_call(twilio_app, db)
    base = f"/twilio/calls/{call.public_id}"
    for target in (
        f"{base}/answer",
        f"{base}/gather?step=0",
        f"{base}/dial?step=0&office=0",
        f"{base}/status",
        "/twilio/fallback?lang=en",
    ):
        response = webhook(twilio_client, target, twilio_params(call), token="wrong")
        assert response.status_code == 403, target


def test_a_signature_over_the_url_with_its_default_port_still_validates(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session
) -> None:
    # Twilio has signed either spelling; the SDK's validate accepts both, and so do we.
    call = placed_call(twilio_app, db)
    target = f"/twilio/calls/{call.public_id}/gather?step=0"
    with_port = PUBLIC_URL.replace("callmp.example", "callmp.example:443") + target
    params = twilio_params(call, Digits="5")
    response = webhook(twilio_client, target, params, token=TOKEN, signed_url=with_port)
    assert tags(xml(response)) == ["Gather", "Say", "Hangup"]
    other_port = PUBLIC_URL.replace("callmp.example", "callmp.example:8443") + target
    refused = webhook(twilio_client, target, params, token=TOKEN, signed_url=other_port)
    assert refused.status_code == 403


def test_two_calls_hear_the_same_menu_each_with_its_own_webhook_urls(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session
) -> None:
    first = placed_call(twilio_app, db)
    second = placed_call(twilio_app, db, "+16135550143")
    gathers = []
    for call in (first, second, first):
        target = f"/twilio/calls/{call.public_id}/answer"
        root = xml(webhook(twilio_client, target, twilio_params(call), token=TOKEN))
        gather = one(root, "Gather")
        action = gather.get("action") or ""
        assert path(action) == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/gather"
        assert query(action) == {"step": "0"}
        gathers.append(said(root) + said(gather))
    assert gathers[0] == gathers[1] == gathers[2]


def test_a_query_with_quotes_and_accents_still_validates(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    # The fallback is the route whose query takes text: an office it can't read.
    target = f"/twilio/fallback?lang=en&office={ACCENTED.partition('=')[2]}"
    params = twilio_params(call)
    validator = RequestValidator(standin.auth_token)
    signature = sign(standin.auth_token, PUBLIC_URL + target, params)
    # The trap: Flask's request.url decodes the query, so it fails against the signature.
    with twilio_app.test_request_context(target, base_url=PUBLIC_URL):
        assert request.url != PUBLIC_URL + target
        assert not validator.validate(request.url, params, signature)
    apology = ["Sorry, something went wrong. Please try again later."]
    root = xml(webhook(twilio_client, target, params, token=standin.auth_token))
    assert said(root) == apology
    # A server that gives no raw URI: the path and the undecoded QUERY_STRING are used.
    no_raw_uri = {"RAW_URI": "", "REQUEST_URI": ""}
    response = webhook(twilio_client, target, params, token=standin.auth_token, environ=no_raw_uri)
    assert said(xml(response)) == apology


def test_a_public_url_with_a_path_prefix_validates_behind_either_kind_of_proxy(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    prefixed = f"{PUBLIC_URL}/campaigns"
    app = make_twilio_app(make_app, standin, PUBLIC_URL=prefixed)
    client = app.test_client()
    with sessions(app)() as db:
        call = placed_call(app, db)
    created = next(r for r in standin.requests if r.method == "POST")
    assert created.params["Url"] == [f"{prefixed}/twilio/calls/{call.public_id}/answer"]
    target = f"/twilio/calls/{call.public_id}/gather?step=0"
    params = twilio_params(call, Digits="2")
    token = standin.auth_token
    # The proxy keeps the prefix and the app is mounted under it (SCRIPT_NAME=/campaigns):
    # the raw URI holds the prefix, as gunicorn reports it.
    mounted = webhook(
        client,
        target,
        params,
        token=token,
        base_url=prefixed,
        environ={"RAW_URI": f"/campaigns{target}", "REQUEST_URI": f"/campaigns{target}"},
    )
    gather = one(xml(mounted), "Gather")
    assert path(gather.get("action", "")) == f"{prefixed}/twilio/calls/{call.public_id}/gather"
    # The proxy strips the prefix and the app sits at the root.
    stripped = webhook(client, target, params, token=token, signed_url=prefixed + target)
    assert one(xml(stripped), "Gather").get("action") == gather.get("action")
    # Signed for the URL without the prefix: not what Twilio was given, so refused.
    assert webhook(client, target, params, token=token).status_code == 403


# -- Parameters ---------------------------------------------------------------------------


def test_webhooks_refuse_unexpected_or_repeated_query_keys(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    base = f"/twilio/calls/{call.public_id}"
    params = twilio_params(call)
    token = standin.auth_token
    for target in (
        f"{base}/answer?step=0",
        f"{base}/answer?x=1",
        f"{base}/gather?step=0&step=1",
        f"{base}/gather?step=0&step=0",
        f"{base}/gather?step=0&office=0",
        f"{base}/gather?step=0&{ACCENTED}",
        f"{base}/dial?step=0&office=0&office=1",
        f"{base}/dial?step=0&office=0&lang=en",
        f"{base}/status?x=",
        f"{base}/status?CallStatus=completed",
        "/twilio/fallback?lang=en&lang=fr",
        "/twilio/fallback?lang=en&office=%2B16139922352&office=%2B16139963085",
        "/twilio/fallback?lang=en&step=0",
        "/twilio/fallback?lang=en&junk",
    ):
        response = webhook(twilio_client, target, params, token=token)
        assert response.status_code == 400, target
    assert status_of(db, call) == CallStatus.ringing
    # The same routes with the keys they expect: answered.
    assert webhook(twilio_client, f"{base}/answer", params, token=token).status_code == 200
    gather = webhook(twilio_client, f"{base}/gather?step=0", {**params, "Digits": "1"}, token=token)
    assert gather.status_code == 200
    dial = webhook(twilio_client, f"{base}/dial?step=0&office=0", params, token=token)
    assert dial.status_code == 200
    fallback = "/twilio/fallback?lang=en&office=%2B16139922352"
    assert webhook(twilio_client, fallback, params, token=token).status_code == 200
    assert webhook(twilio_client, "/twilio/fallback?lang=fr", {}, token=token).status_code == 200


@pytest.mark.parametrize(
    ("route", "field", "values"),
    [
        ("answer", "CallSid", ("CA" + "1" * 32, "CA" + "2" * 32)),
        ("gather?step=0", "Digits", ("1", "1")),  # a pair twice keeps the SDK's signature
        ("gather?step=0", "Digits", ("2", "9")),
        ("dial?step=0&office=0", "DialCallStatus", ("completed", "completed")),
        ("dial?step=0&office=0", "DialCallDuration", ("95", "3")),
        ("status", "CallStatus", ("completed", "ringing")),
        ("status", "CallSid", ("CA" + "1" * 32, "CA" + "1" * 32)),
    ],
)
def test_webhooks_refuse_a_repeated_form_field(
    twilio_app: Flask,
    twilio_client: FlaskClient,
    db: Session,
    standin: TwilioStandIn,
    route: str,
    field: str,
    values: tuple[str, str],
) -> None:
    call = placed_call(twilio_app, db)
    params = twilio_params(call, Digits="1", DialCallStatus="completed", DialCallDuration="95")
    items = [(key, value) for key, value in params.items() if key != field]
    items += [(field, value) for value in values]
    target = f"/twilio/calls/{call.public_id}/{route}"
    response = webhook_items(twilio_client, target, items, token=standin.auth_token)
    assert response.status_code == 400
    assert status_of(db, call) == CallStatus.ringing
    assert db.scalar(select(func.count()).select_from(ContactEvent)) == 0
    assert db.scalar(select(func.count()).select_from(ProviderEvent)) == 0


def test_a_captured_callback_re_split_into_other_fields_is_refused(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    target = f"/twilio/calls/{call.public_id}/status"
    sid = call.provider_sid or ""
    captured = twilio_params(call, CallStatus="ringing")
    # Twilio signs the sorted keys and values run together: "CallSid<sid>CallStatusringing"
    # reads the same as one CallSid "<sid>CallStatusringing" and no CallStatus.
    re_split = {k: v for k, v in captured.items() if k != "CallStatus"}
    re_split["CallSid"] = sid + "CallStatusringing"
    token = standin.auth_token
    signature = sign(token, PUBLIC_URL + target, captured)
    assert signature == sign(token, PUBLIC_URL + target, re_split)  # the same signature
    response = twilio_client.post(
        target, data=re_split, base_url=PUBLIC_URL, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 400
    answer = f"/twilio/calls/{call.public_id}/answer"
    assert webhook(twilio_client, answer, re_split, token=token).status_code == 400
    assert db.scalar(select(func.count()).select_from(ProviderEvent)) == 0
    assert status_of(db, call) == CallStatus.ringing


# -- Fallback -----------------------------------------------------------------------------


def test_the_fallback_reads_the_office_number_with_no_database(
    make_app: Callable[..., Flask], standin: TwilioStandIn, tmp_path: Any
) -> None:
    broken = f"sqlite:///{tmp_path}/missing-folder/nothing.sqlite3"
    app = make_twilio_app(make_app, standin, DATABASE_URL=broken)
    client = app.test_client()
    token = standin.auth_token
    # The database really is unusable: a webhook that needs it fails.
    assert webhook(client, "/twilio/calls/abc/answer", token=token).status_code == 500
    target = "/twilio/fallback?lang=en&office=%2B16139922352"
    root = xml(webhook(client, target, {"CallSid": "CA" + "1" * 32}, token=token))
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == [
        "Sorry, something went wrong. You can call the office directly at 1, 6 1 3, 9 9 2, 2 3 5 2."
    ]
    french = xml(webhook(client, "/twilio/fallback?lang=fr&office=%2B16139922352", token=token))
    (say,) = french.iter("Say")
    assert say.get("language") == "fr-CA"
    assert "6 1 3, 9 9 2, 2 3 5 2" in (say.text or "")
    for junk in ("", "&office=", "&office=not-a-number", "&office=%2B19005550123"):
        later = xml(webhook(client, f"/twilio/fallback?lang=en{junk}", token=token))
        assert said(later) == ["Sorry, something went wrong. Please try again later."], junk


def test_the_fallback_url_given_to_twilio_carries_the_first_office(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    placed_call(twilio_app, db)
    (created,) = [r for r in standin.requests if r.method == "POST"]
    (fallback,) = created.params["FallbackUrl"]
    assert path(fallback) == f"{PUBLIC_URL}/twilio/fallback"
    assert query(fallback) == {"lang": "en", "office": SPADINA_HILL}
    target = fallback.removeprefix(PUBLIC_URL)
    root = xml(webhook(twilio_client, target, token=standin.auth_token))
    assert "9 9 2, 2 3 5 2" in said(root)[0]


# -- Bad requests -------------------------------------------------------------------------


def test_an_unknown_call_is_404_and_a_bad_step_is_400(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    token = standin.auth_token
    for target in (
        "/twilio/calls/nosuchcall/answer",
        "/twilio/calls/nosuchcall/gather?step=0",
        "/twilio/calls/nosuchcall/dial?step=0&office=0",
        f"/twilio/calls/{'x' * 40}/answer",
    ):
        assert webhook(twilio_client, target, token=token).status_code == 404, target
    base = f"/twilio/calls/{call.public_id}"
    for target in (
        f"{base}/gather",
        f"{base}/gather?step=",
        f"{base}/gather?step=-1",
        f"{base}/gather?step=one",
        f"{base}/gather?step=%D9%A1",  # an Arabic-Indic one: a digit, but not ASCII
        f"{base}/gather?step=10000",
        f"{base}/dial?step=0",
        f"{base}/dial?step=0&office=x",
    ):
        response = webhook(twilio_client, target, {"Digits": "1"}, token=token)
        assert response.status_code == 400, target


def test_the_status_route_answers_204_and_is_idempotent(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    target = f"/twilio/calls/{call.public_id}/status"
    params = twilio_params(call, CallStatus="completed", CallDuration="95")
    for _ in range(3):
        response = webhook(twilio_client, target, params, token=standin.auth_token)
        assert response.status_code == 204
        assert response.data == b""
    late = twilio_params(call, CallStatus="ringing")
    assert webhook(twilio_client, target, late, token=standin.auth_token).status_code == 204
    db.refresh(call)
    assert call.status == CallStatus.completed
    assert call.phone is None
    rows = db.scalars(
        select(ProviderEvent.event).where(ProviderEvent.call_sid == call.provider_sid)
    )
    assert sorted(rows) == ["completed", "ringing"]


# -- A whole call --------------------------------------------------------------------------


def test_a_whole_call_as_twilio_drives_it(
    twilio_app: Flask, twilio_client: FlaskClient, db: Session, standin: TwilioStandIn
) -> None:
    call = placed_call(twilio_app, db)
    # What Twilio's REST API was asked to do.
    (created,) = [r for r in standin.requests if r.method == "POST"]
    assert created.auth_user == standin.account_sid
    first = {key: values[0] for key, values in created.params.items()}
    assert first["To"] == SUPPORTER
    assert first["From"] == CALLER_ID
    assert first["Url"] == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/answer"
    assert first["StatusCallback"] == f"{PUBLIC_URL}/twilio/calls/{call.public_id}/status"
    assert path(first["FallbackUrl"]) == f"{PUBLIC_URL}/twilio/fallback"
    assert first["Timeout"] == "30"
    assert first["Method"] == first["StatusCallbackMethod"] == "POST"
    assert sorted(created.params["StatusCallbackEvent"]) == [
        "answered",
        "completed",
        "initiated",
        "ringing",
    ]
    for name in ("Url", "StatusCallback", "FallbackUrl"):
        assert "5550142" not in first[name] and "555-0142" not in first[name], name
    assert standin.call_sids() == [call.provider_sid]

    token = standin.auth_token
    base = f"/twilio/calls/{call.public_id}"

    def post(target: str, **extra: str) -> TestResponse:
        """A signed webhook as Twilio sends it for this call."""
        return webhook(twilio_client, target, twilio_params(call, **extra), token=token)

    assert post(f"{base}/status", CallStatus="ringing").status_code == 204
    assert post(f"{base}/status", CallStatus="in-progress").status_code == 204
    assert one(xml(post(f"{base}/answer")), "Gather").get("action", "").endswith("?step=0")
    dial = one(xml(post(f"{base}/gather?step=0", Digits="1")), "Dial")
    assert one(dial, "Number").text == SPADINA_HILL
    assert dial.get("callerId") == CALLER_ID
    action = dial.get("action", "").removeprefix(PUBLIC_URL)
    after_mp = xml(post(action, DialCallStatus="completed", DialCallDuration="45"))
    none(after_mp, "Dial")
    next_menu = one(after_mp, "Gather").get("action", "").removeprefix(PUBLIC_URL)
    assert query(next_menu) == {"step": "1"}
    dial = one(xml(post(next_menu, Digits="1")), "Dial")
    assert one(dial, "Number").text == MINISTER
    busy = dial.get("action", "").removeprefix(PUBLIC_URL)
    goodbye = xml(post(busy, DialCallStatus="busy", DialCallDuration="0"))
    assert tags(goodbye) == ["Say", "Hangup"]  # the Minister has one office: nothing more
    # Twilio retries the dial action: nothing more is counted.
    assert tags(xml(post(busy, DialCallStatus="busy", DialCallDuration="0"))) == ["Say", "Hangup"]
    assert post(f"{base}/status", CallStatus="completed").status_code == 204

    db.expire_all()
    stored = db.get(CallRequest, call.id)
    assert stored is not None
    assert stored.status == CallStatus.completed
    assert stored.phone is None
    events = list(
        db.scalars(
            select(ContactEvent)
            .where(ContactEvent.call_request_id == call.id)
            .order_by(ContactEvent.id)
        )
    )
    offices = [db.get(Office, e.office_id) if e.office_id else None for e in events]
    assert [(e.outcome, e.duration_s) for e in events] == [
        (Outcome.connected, 45),
        (Outcome.busy, 0),
    ]
    assert [o.phone if o else None for o in offices] == [SPADINA_HILL, MINISTER]
    assert {(e.channel, e.referral, e.fed_num) for e in events} == {
        (Channel.bridged_call, "partner-a", 35100)
    }
    assert db.scalar(select(func.count()).select_from(ContactEvent)) == 2
    # One call placed, never a second.
    assert len([r for r in standin.requests if r.method == "POST"]) == 1


def test_a_call_created_despite_a_timeout_is_followed_from_its_first_webhook(
    make_app: Callable[..., Flask], standin: TwilioStandIn
) -> None:
    app = make_twilio_app(make_app, standin, TWILIO_TIMEOUT=0.5)
    client = app.test_client()
    service = call_service(app)
    with sessions(app)() as db:
        campaign = demo_campaign(db)
        ask = CallAsk(campaign=campaign, phone_raw=SUPPORTER, fed_num=35100, locale="en")
        call, _stops = service.request(db, ask)
        db.commit()
        standin.reply_next(slow_reply(1.5))  # we give up; Twilio creates the call anyway
        service.enqueue(call.id)
        assert standin.wait_idle()
        (sid,) = standin.call_sids()
        db.refresh(call)
        assert (call.status, call.provider_sid) == (CallStatus.queued, None)
        # The supporter picks up before the retry: Twilio asks for the answer.
        params = {**twilio_params(call), "CallSid": sid}
        answer = webhook(client, f"/twilio/calls/{call.public_id}/answer", params, token=TOKEN)
        assert one(xml(answer), "Gather") is not None
        # The retry runs: the call is known now, so nothing is placed again.
        run_scheduled(service.huey)
        assert len([r for r in standin.requests if r.method == "POST"]) == 1
        done = {**params, "CallStatus": "completed"}
        status = webhook(client, f"/twilio/calls/{call.public_id}/status", done, token=TOKEN)
        assert status.status_code == 204
        db.refresh(call)
        assert (call.status, call.provider_sid, call.phone) == (CallStatus.completed, sid, None)


@pytest.mark.parametrize("duration", ["9" * 30, str(2**63), "100000", "²", "-5"])
def test_an_absurd_dial_duration_is_counted_without_one(
    twilio_app: Flask,
    twilio_client: FlaskClient,
    db: Session,
    standin: TwilioStandIn,
    duration: str,
) -> None:
    call = placed_call(twilio_app, db)
    base = f"/twilio/calls/{call.public_id}"

    def post(target: str, **extra: str) -> TestResponse:
        """A signed webhook as Twilio sends it for this call."""
        return webhook(
            twilio_client, target, twilio_params(call, **extra), token=standin.auth_token
        )

    post(f"{base}/answer")
    dial = one(xml(post(f"{base}/gather?step=0", Digits="1")), "Dial")
    action = dial.get("action", "").removeprefix(PUBLIC_URL)
    response = post(action, DialCallStatus="completed", DialCallDuration=duration)
    assert response.status_code == 200
    one(xml(response), "Gather")
    durations = db.scalars(
        select(ContactEvent.duration_s).where(ContactEvent.call_request_id == call.id)
    )
    assert list(durations) == [None]
