"""Twilio over HTTP: apps in Twilio mode, webhooks signed as Twilio signs them, calls placed.

Requests are signed with the Twilio SDK's own ``RequestValidator``; every TwiML answer is
parsed as XML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from callmp.calls.call_requests import CallAsk
from callmp.models import CallRequest, CallStatus
from tests.factories import demo_campaign
from tests.support.app import CALLER_ID, PUBLIC_URL, call_service, run_queued, twilio_settings
from tests.support.twilio_standin import TwilioStandIn
from tests.support.twiml_doc import parse

#: The supporter's phone in the Twilio-mode tests.
SUPPORTER = "+16135550142"


def make_twilio_app(
    make_app: Callable[..., Flask], standin: TwilioStandIn, **overrides: Any
) -> Flask:
    """An app in Twilio mode with ``overrides``."""
    return make_app(**twilio_settings(standin, **overrides))


def sign(token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of ``params`` to ``url``."""
    return str(RequestValidator(token).compute_signature(url, params))


def webhook(
    client: FlaskClient,
    target: str,
    params: dict[str, str] | None = None,
    *,
    token: str,
    signed_url: str | None = None,
    base_url: str = PUBLIC_URL,
    environ: dict[str, str] | None = None,
) -> TestResponse:
    """POST ``params`` to ``target`` (path and raw query) signed as Twilio signs it."""
    params = params or {}
    url = signed_url if signed_url is not None else base_url + target
    return client.post(
        target,
        data=params,
        base_url=base_url,
        headers={"X-Twilio-Signature": sign(token, url, params)},
        environ_overrides=environ or {},
    )


def webhook_items(
    client: FlaskClient, target: str, items: list[tuple[str, str]], *, token: str
) -> TestResponse:
    """POST form ``items`` (a key may repeat) to ``target``, signed as Twilio's SDK signs them.

    The SDK signs each key's distinct values once: a pair sent twice keeps the signature.
    """
    form = MultiDict(items)
    signature = str(RequestValidator(token).compute_signature(PUBLIC_URL + target, form))
    return client.post(
        target, data=form, base_url=PUBLIC_URL, headers={"X-Twilio-Signature": signature}
    )


def stored_request(app: Flask, db: Session, phone: str = SUPPORTER) -> CallRequest:
    """A request of the demo campaign stored (committed) as the API does it, not yet queued."""
    ask = CallAsk(
        campaign=demo_campaign(db),
        phone_raw=phone,
        fed_num=35100,
        locale="en",
        referral="partner-a",
        ip="192.0.2.1",
    )
    call, _stops = call_service(app).request(db, ask)
    db.commit()
    return call


def placed_call(app: Flask, db: Session, phone: str = SUPPORTER) -> CallRequest:
    """A request stored and placed through the queue, as the API does it."""
    call = stored_request(app, db, phone)
    call_service(app).enqueue(call.id)
    run_queued(call_service(app).huey)  # a real queue's job, run as a worker would
    db.refresh(call)
    assert call.status == CallStatus.ringing
    return call


def twilio_params(call: CallRequest, **extra: str) -> dict[str, str]:
    """What Twilio posts to a voice webhook of ``call``."""
    return {
        "AccountSid": "AC" + "0123456789abcdef" * 2,
        "CallSid": call.provider_sid or "",
        "From": CALLER_ID,
        "To": SUPPORTER,
        "Direction": "outbound-api",
        "CallStatus": "in-progress",
        **extra,
    }


def xml(response: TestResponse) -> Any:
    """The TwiML of a 200 text/xml answer, parsed."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/xml"
    return parse(response.data)
