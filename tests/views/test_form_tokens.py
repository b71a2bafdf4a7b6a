"""Supporters' forms without the session cookie: signed form tokens (CSRF and flow state).

Each POST here comes from a client that never received our cookie (as in a partner's
iframe with third-party cookies blocked): a missing, forged or expired token re-shows the
form with a message and what was typed; a token from our page carries the referral.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import CallRequest, Channel, ContactEvent, EmailSubmission
from callmp.views import form_tokens
from tests.support.clock import clock_at
from tests.support.html import form_fields, one, parse, text

CAMPAIGN = "/c/status-for-all"
RIDING = f"{CAMPAIGN}/riding/35100"
WRITE = f"{RIDING}/email"
EXPIRED_EN = "This form expired or could not be checked. Please send it again."
EXPIRED_FR = "Ce formulaire a expiré ou n’a pas pu être vérifié. Veuillez l’envoyer de nouveau."
LETTER = {
    "name": "Jane Doe",
    "email": "jane.supporter@example.org",
    "postal_code": "M5V 3L9",
    "city": "Toronto",
    "personal_line": "My neighbour has cared for elders here for eleven years.",
}
#: An instant on a weekday afternoon, for the tests that move the clock.
NOON = datetime(2026, 3, 11, 17, 0, tzinfo=UTC)


def _soup(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.data)


def _fields(form: Tag) -> dict[str, str]:
    return form_fields(form)


def _report(soup: BeautifulSoup) -> tuple[str, dict[str, str], str]:
    """The first report form: its action, its fields with an outcome ticked, its prefix."""
    form = soup.select("form.report")[0]
    fields = _fields(form)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    fields[f"{prefix}-outcome"] = "left_voicemail"
    return str(form["action"]).split("#")[0], fields, prefix


def _expired_message(form: Tag) -> str:
    return text(one(form, "p.form-expired"))


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_call_me_with_a_bad_token_says_so_and_keeps_the_number(
    app: Flask, session: Session, token: str | None
) -> None:
    data = {"phone": "613-555-0142", "consent": "y"}
    if token is not None:
        data["csrf_token"] = token
    response = app.test_client().post(f"{RIDING}/call", data=data)
    assert response.status_code == 400
    form = one(parse(response.data), "#call-form")
    assert _expired_message(form) == EXPIRED_EN
    assert one(form, "input[name=phone]")["value"] == "613-555-0142"
    assert one(form, "input[name=consent]").has_attr("checked")
    # The form shown again carries a fresh token that works.
    fresh = _fields(form)
    assert fresh["csrf_token"]
    assert app.test_client().post(f"{RIDING}/call", data=fresh).status_code == 303
    assert len(session.scalars(select(CallRequest)).all()) == 1


def test_an_expired_token_is_refused_in_french_with_the_input_kept(
    app: Flask, session: Session
) -> None:
    with clock_at(NOON):
        fields = _fields(one(_soup(app.test_client(), RIDING), "#call-form"))
    with clock_at(NOON + timedelta(seconds=form_tokens.FORM_MAX_AGE + 60)):
        data = {**fields, "phone": "613-555-0142", "consent": "y"}
        response = app.test_client().post(f"{RIDING}/call?lang=fr", data=data)
    assert response.status_code == 400
    form = one(parse(response.data), "#call-form")
    assert _expired_message(form) == EXPIRED_FR
    assert one(form, "input[name=phone]")["value"] == "613-555-0142"
    assert session.scalars(select(CallRequest)).first() is None


def test_a_token_a_little_younger_than_the_limit_still_works(app: Flask, session: Session) -> None:
    with clock_at(NOON):
        fields = _fields(one(_soup(app.test_client(), RIDING), "#call-form"))
    with clock_at(NOON + timedelta(seconds=form_tokens.FORM_MAX_AGE - 60)):
        data = {**fields, "phone": "613-555-0142", "consent": "y"}
        assert app.test_client().post(f"{RIDING}/call", data=data).status_code == 303


def test_a_token_of_another_campaign_is_refused(app: Flask) -> None:
    with app.test_request_context(f"{RIDING}/call"):
        other = form_tokens.issue("another-campaign", {})
        assert form_tokens.read(other, "another-campaign") == {}
        assert form_tokens.read(other, "status-for-all") is None
        state_link = form_tokens.issue("status-for-all", {}, form_tokens.STATE_SALT)
        assert form_tokens.read(state_link, "status-for-all") is None  # another salt
    data = {"csrf_token": other, "phone": "613-555-0142", "consent": "y"}
    response = app.test_client().post(f"{RIDING}/call", data=data)
    assert response.status_code == 400
    assert _expired_message(one(parse(response.data), "#call-form")) == EXPIRED_EN


def test_a_report_with_a_bad_token_says_so_and_keeps_the_outcome(
    app: Flask, session: Session
) -> None:
    action, fields, prefix = _report(_soup(app.test_client(), RIDING))
    fields[f"{prefix}-csrf_token"] = "forged"
    response = app.test_client().post(action, data=fields)
    assert response.status_code == 400
    form = parse(response.data).select("form.report")[0]
    assert _expired_message(form) == EXPIRED_EN
    ticked = one(form, f"input[name={prefix}-outcome][checked]")
    assert ticked["value"] == "left_voicemail"
    assert session.scalars(select(ContactEvent)).first() is None


def test_a_letter_with_a_bad_token_says_so_and_keeps_every_word(
    app: Flask, session: Session
) -> None:
    fields = {**_fields(one(_soup(app.test_client(), WRITE), "#letter-form")), **LETTER}
    fields["csrf_token"] = "forged"
    response = app.test_client().post(WRITE, data={**fields, "action": "preview"})
    assert response.status_code == 400
    form = one(parse(response.data), "#letter-form")
    assert _expired_message(form) == EXPIRED_EN
    kept = _fields(form)
    assert {name: kept[name] for name in LETTER} == LETTER
    assert kept["body"] == fields["body"]
    assert session.scalars(select(EmailSubmission)).first() is None


def test_without_any_cookie_the_token_carries_the_referral_to_each_contact(
    app: Flask, session: Session
) -> None:
    """The page is fetched once with ``?ref=``; each POST comes from a cookie-less client."""
    reader = app.test_client(use_cookies=False)
    soup = _soup(reader, f"{RIDING}?ref=partner-7")
    call = {**_fields(one(soup, "#call-form")), "phone": "613-555-0142", "consent": "y"}
    assert app.test_client(use_cookies=False).post(f"{RIDING}/call", data=call).status_code == 303
    action, report, _prefix = _report(soup)
    assert app.test_client(use_cookies=False).post(action, data=report).status_code == 303
    write = one(_soup(reader, f"{WRITE}?ref=partner-7"), "#letter-form")
    letter = {**_fields(write), **LETTER, "action": "preview"}
    preview = app.test_client(use_cookies=False).post(WRITE, data=letter)
    assert preview.status_code == 200
    send = {**_fields(one(parse(preview.data), "#letter-preview")), "action": "send"}
    assert app.test_client(use_cookies=False).post(WRITE, data=send).status_code == 303
    events = session.scalars(select(ContactEvent)).all()
    assert {e.channel for e in events} >= {Channel.bridged_call, Channel.direct_call}
    assert {e.referral for e in events} == {"partner-7"}
    (submission,) = session.scalars(select(EmailSubmission)).all()
    assert submission.referral == "partner-7"


def test_the_shared_riding_page_gives_each_visitor_a_token_with_their_own_referral(
    app: Flask, session: Session
) -> None:
    """The riding page is kept per process with stand-ins: each visitor's token is theirs."""
    first = _soup(app.test_client(use_cookies=False), f"{RIDING}?ref=first-partner")
    second = _soup(app.test_client(use_cookies=False), f"{RIDING}?ref=second-partner")
    tokens = [_fields(one(soup, "#call-form"))["csrf_token"] for soup in (first, second)]
    assert tokens[0] != tokens[1]
    for number, token in zip(("613-555-0142", "613-555-0143"), tokens, strict=True):
        data = {"csrf_token": token, "phone": number, "consent": "y"}
        assert (
            app.test_client(use_cookies=False).post(f"{RIDING}/call", data=data).status_code == 303
        )
    calls = session.scalars(select(CallRequest).order_by(CallRequest.id)).all()
    assert [c.referral for c in calls] == ["first-partner", "second-partner"]
