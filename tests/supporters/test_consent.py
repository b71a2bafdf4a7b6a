"""Consent to follow-up email: the words on each form are the words stored, in its language.

Each action's page is rendered, its opt-in label read with an HTML parser, the box ticked
and the form sent as a browser would; the stored record must hold exactly that label.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.demo import DEMO_SLUG, ORG_LEGAL_NAME
from callmp.letters.records import MailSettings, keyed_hash
from callmp.models import (
    CallRequest,
    ConsentRecord,
    ContactEvent,
    EmailSubmission,
    PetitionSignature,
)
from callmp.supporters import consent
from tests.factories import demo_campaign, make_campaign
from tests.support.app import sessions
from tests.support.html import form_fields, one, parse

CAMPAIGN = f"/c/{DEMO_SLUG}"
RIDING = f"{CAMPAIGN}/riding/35100"
WRITE = f"{RIDING}/email"
PETITION = f"{CAMPAIGN}/petition"
ADDRESS = "Jane.Supporter@Example.org"
LANGS = ("en", "fr")


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """The demo app with its petition open and signed at machine speed."""
    built = make_app(PETITION_MIN_FORM_SECONDS=0)
    with sessions(built)() as session:
        campaign = demo_campaign(session)
        campaign.petition_confirm = False
        campaign.email_confirm = False
        session.commit()
    return built


def _records(app: Flask) -> list[ConsentRecord]:
    with sessions(app)() as session:
        return list(session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)))


def _count(app: Flask, model: Any) -> int:
    with sessions(app)() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _page(client: FlaskClient, url: str, lang: str) -> BeautifulSoup:
    response = client.get(f"{url}?lang={lang}")
    assert response.status_code == 200
    return parse(response.data)


def _label(form: Tag) -> str:
    """The opt-in's words as the page shows them (no-break spaces kept)."""
    box = one(form, "input[name$=consent_followup]")
    assert box["type"] == "checkbox" and not box.has_attr("checked")
    return one(form, f"label[for={box['id']}]").get_text().strip()


def _call(client: FlaskClient, lang: str, **fields: str) -> tuple[str, Any]:
    form = one(_page(client, RIDING, lang), "section.call-me form")
    data = {**form_fields(form), "phone": "613-555-0142", "consent": "y", **fields}
    return _label(form), client.post(str(form["action"]), data=data)


def _report(client: FlaskClient, lang: str, **fields: str) -> tuple[str, Any]:
    form = _page(client, RIDING, lang).select("form.report")[0]
    prefix = str(form.select("input[name$=outcome]")[0]["name"]).removesuffix("outcome")
    named = {f"{prefix}{name}": value for name, value in fields.items()}
    data = {**form_fields(form), f"{prefix}outcome": "talked_to_staff", **named}
    return _label(form), client.post(str(form["action"]).split("#")[0], data=data)


def _letter(client: FlaskClient, lang: str, **fields: str) -> tuple[str, Any]:
    form = one(_page(client, WRITE, lang), "form#letter-form")
    typed = {"name": "Jane Doe", "email": ADDRESS, "postal_code": "M5V 3L9", **fields}
    preview = client.post(WRITE, data={**form_fields(form), **typed, "action": "preview"})
    assert preview.status_code == 200
    sent = one(parse(preview.data), "form#letter-preview")
    return _label(form), client.post(WRITE, data={**form_fields(sent), "action": "send"})


def _petition(client: FlaskClient, lang: str, **fields: str) -> tuple[str, Any]:
    form = one(_page(client, PETITION, lang), "form#petition-form")
    typed = {"name": "Jane Doe", "email": ADDRESS, "postal_code": "K1P 5J2", **fields}
    data = {**form_fields(form), **typed, "action": "sign"}
    return _label(form), client.post(PETITION, data=data)


ACTIONS = {"call": _call, "report": _report, "letter": _letter, "petition": _petition}
#: What each action asks for besides the box (calls and reports: only the address).
TICKED = {
    "call": {"consent_followup": "y", "email": ADDRESS},
    "report": {"consent_followup": "y", "email": ADDRESS},
    "letter": {"consent_followup": "y"},
    "petition": {"consent_followup": "y"},
}


def test_the_wording_names_the_organization_and_withdrawal_in_both_languages(
    session: Session,
) -> None:
    campaign = make_campaign(session, org_legal_name="Coalition Example Inc.")
    english = consent.wording(campaign, "en")
    assert english == (
        "Yes, Coalition Example Inc. may email me about this campaign and future actions. "
        "I can withdraw at any time."
    )
    french = consent.wording(campaign, "fr")
    assert "Coalition Example Inc." in french and french != english
    assert "retirer" in french
    assert " :" not in french and " ;" not in french  # French spacing is no-break
    campaign.org_legal_name, campaign.organization_name = "", ""
    assert consent.NO_ORGANIZATION.split()[1] in consent.wording(campaign, "en")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_record_holds_exactly_the_words_shown_and_their_language(
    app: Flask, client: FlaskClient, action: str, lang: str
) -> None:
    client.get(f"{CAMPAIGN}?ref=newsletter")
    shown, response = ACTIONS[action](client, lang, **TICKED[action])
    assert response.status_code in (302, 303), response.data[:400]
    (record,) = _records(app)
    assert record.wording == shown
    assert ORG_LEGAL_NAME in shown
    assert record.locale == lang
    assert record.action == action
    assert record.source == "page"
    assert record.referral == "newsletter"
    assert record.organization == ORG_LEGAL_NAME
    assert record.email == ADDRESS.lower() or record.email == "Jane.Supporter@example.org"
    settings = MailSettings(secret=app.config["SECRET_KEY"])
    assert record.email_hmac == keyed_hash(str(record.email), settings)
    assert record.fed_num == 35100 or action == "petition"
    assert len(record.unsubscribe_key) >= 43
    assert record.withdrawn_at is None
    assert shown.startswith("Oui, " if lang == "fr" else "Yes, ")
    links = {
        "call": record.call_request_id,
        "letter": record.submission_id,
        "petition": record.signature_id,
    }
    if action in links:
        assert links[action] is not None
    if action == "call":
        with sessions(app)() as session:
            call = session.get(CallRequest, record.call_request_id)
            assert call is not None and record.phone_hmac == call.phone_hmac


@pytest.mark.parametrize("action", list(ACTIONS))
def test_an_unticked_box_records_nothing(app: Flask, client: FlaskClient, action: str) -> None:
    _shown, response = ACTIONS[action](client, "en", email=ADDRESS)
    assert response.status_code in (302, 303), response.data[:400]
    assert _records(app) == []
    kept = {"call": CallRequest, "letter": EmailSubmission, "petition": PetitionSignature}
    if action in kept:  # the action itself went through
        assert _count(app, kept[action]) == 1


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("action", ["call", "report"])
def test_a_ticked_box_without_an_address_is_refused_next_to_the_field(
    app: Flask, client: FlaskClient, action: str, lang: str
) -> None:
    _shown, response = ACTIONS[action](client, lang, consent_followup="y", email=" ")
    assert response.status_code == 400
    soup = parse(response.data)
    field = one(soup, "input[name$=email][aria-invalid=true]")
    error = one(soup, f"#{str(field['aria-describedby']).split()[-1]}")
    assert error.get_text().strip() == (
        "Please enter your email address so we can write to you, or untick the box."
        if lang == "en"
        else error.get_text().strip()
    )
    assert "email" in error.get_text() or "courriel" in error.get_text()
    assert _records(app) == []
    assert _count(app, CallRequest) == 0
    assert _count(app, ContactEvent) == 0


def test_a_ticked_box_with_a_bad_address_is_refused_and_stores_nothing(
    app: Flask, client: FlaskClient
) -> None:
    _shown, response = _call(client, "en", consent_followup="y", email="not an address")
    assert response.status_code == 400
    assert one(parse(response.data), "input[name=email]")["value"] == "not an address"
    assert _records(app) == [] and _count(app, CallRequest) == 0


def test_every_opt_in_links_the_campaign_privacy_notice(client: FlaskClient) -> None:
    for url, selector in (
        (RIDING, "section.call-me form"),
        (RIDING, "form#report-" + "{first}"),
        (WRITE, "form#letter-form"),
        (PETITION, "form#petition-form"),
    ):
        soup = _page(client, url, "en")
        reports = soup.select("form.report")
        first = str(reports[0]["id"]).removeprefix("report-") if reports else ""
        form = one(soup, selector.format(first=first))
        link = one(form, ".optin a")
        assert link["href"] == f"{CAMPAIGN}/privacy"


@pytest.mark.parametrize("lang", LANGS)
def test_the_api_records_a_letter_consent_as_from_the_api_in_its_language(
    app: Flask, client: FlaskClient, lang: str
) -> None:
    api = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
    letter = {"name": "Sam Lee", "email": "sam.lee@example.org", "postal_code": "K2P 1L4"}
    assert client.post(api, json={**letter, "lang": lang}).status_code == 202
    assert _records(app) == []
    body = {**letter, "email": "sam.two@example.org", "lang": lang, "consent_followup": True}
    assert client.post(api, json={**body, "ref": "partner-a"}).status_code == 202
    (record,) = _records(app)
    with sessions(app)() as session:
        assert record.wording == consent.wording(demo_campaign(session), lang)
    assert (record.source, record.action, record.locale) == ("api", "letter", lang)
    assert (record.email, record.referral) == ("sam.two@example.org", "partner-a")
    assert record.submission_id is not None


def test_an_embedded_form_records_the_embed_as_its_source(app: Flask, client: FlaskClient) -> None:
    entry = parse(client.get(f"{CAMPAIGN}/embed?ref=partner").data)
    # The flow's state rides in the links; the footer's notice opens outside the frame.
    notice = one(entry, "footer .privacy-link a")
    assert notice["href"] == f"{CAMPAIGN}/privacy" and notice["target"] == "_blank"
    lookup = one(entry, "form:has(input[name=postal_code])")
    response = client.post(
        str(lookup["action"]), data={**form_fields(lookup), "postal_code": "M5V 3L9"}
    )
    assert response.status_code in (302, 303)
    riding = parse(client.get(response.headers["Location"]).data)
    form = one(riding, "section.call-me form")
    assert one(form, ".optin a")["target"] == "_blank"
    data = {**form_fields(form), "phone": "613-555-0142", "consent": "y", **TICKED["call"]}
    assert client.post(str(form["action"]), data=data).status_code == 303
    (record,) = _records(app)
    assert record.source == "embed"
    assert record.referral == "partner"
