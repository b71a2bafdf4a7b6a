"""The petition's pages: the ask and form, signing, thanks and ladder, confirmation."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.models import CallRequest, PetitionSignature, SignatureStatus
from tests.factories import demo_campaign, make_signature
from tests.support.app import sessions
from tests.support.html import form_fields, one, parse, text

CAMPAIGN = "/c/status-for-all"
PETITION = f"{CAMPAIGN}/petition"
SIGNER = {
    "name": "Amira Haddad",
    "email": "amira.haddad@example.org",
    "postal_code": "K1P 5J2",
    "city": "Ottawa",
}


def set_petition(app: Flask, **fields: Any) -> None:
    """Turn the demo campaign's petition on, with these fields."""
    values: dict[str, Any] = {
        "petitions": True,
        "petition_title_en": "Status for all now",
        "petition_title_fr": "Un statut pour tous maintenant",
        "petition_text_en": "We ask Parliament for permanent status for all.",
        "petition_text_fr": "Nous demandons au Parlement un statut permanent pour tous.",
        "petition_goal": 10,
        "petition_confirm": False,
        **fields,
    }
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        for name, value in values.items():
            setattr(campaign, name, value)
        session.commit()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    built = make_app(PETITION_MIN_FORM_SECONDS=0)
    set_petition(built)
    return built


def signatures(app: Flask) -> list[PetitionSignature]:
    with sessions(app)() as session:
        return list(session.scalars(select(PetitionSignature).order_by(PetitionSignature.id)))


def page(client: FlaskClient, url: str = PETITION) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.data)


def sign(client: FlaskClient, **fields: str) -> Any:
    """Fill in the petition form as shown and send it."""
    form = one(page(client), "form#petition-form")
    data = {**form_fields(form), **SIGNER, **fields}
    return client.post(PETITION, data=data)


def test_the_page_shows_the_ask_the_counter_and_a_labelled_form_with_unticked_boxes(
    app: Flask, client: FlaskClient
) -> None:
    with sessions(app)() as session:
        for _ in range(3):
            make_signature(session, demo_campaign(session))
        session.commit()
    soup = page(client)
    assert text(one(soup, "h1")) == "Status for all now"
    assert "permanent status for all" in text(one(soup, ".petition-text"))
    counter = one(soup, ".petition-counter")
    assert text(one(counter, "[data-count=signatures]")) == "3"
    progress = one(counter, "progress")
    assert (progress["max"], progress["value"]) == ("10", "3")
    form = one(soup, "form#petition-form")
    for name in ("name", "email", "postal_code", "city", "comment"):
        field = one(form, f"[name={name}]")
        assert text(one(form, f"label[for={field['id']}]"))
    boxes = form.select("input[type=checkbox]")
    assert [b["name"] for b in boxes] == ["show_publicly", "share_with_target", "consent_followup"]
    assert not any(b.has_attr("checked") for b in boxes)
    trap = one(form, "input[name=website]")
    assert trap["tabindex"] == "-1" and trap.find_parent(attrs={"aria-hidden": "true"})


def test_the_page_in_french(client: FlaskClient) -> None:
    soup = page(client, PETITION + "?lang=fr")
    assert soup.html is not None and soup.html["lang"] == "fr"
    assert text(one(soup, "h1")) == "Un statut pour tous maintenant"
    assert text(one(soup, "button.primary")) == "Signer la pétition"


def test_the_campaign_page_leads_to_the_petition_only_when_it_is_on(
    app: Flask, client: FlaskClient
) -> None:
    entry = one(page(client, CAMPAIGN), ".petition-entry a.button")
    assert entry["href"] == PETITION and text(entry) == "Sign the petition"
    set_petition(app, petitions=False)
    assert page(client, CAMPAIGN).select(".petition-entry") == []
    assert client.get(PETITION).status_code == 404


def test_signing_counts_and_leads_to_thanks_with_the_ladder_and_the_letter_knows_the_code(
    app: Flask, client: FlaskClient
) -> None:
    client.get(f"{CAMPAIGN}?ref=partner-a&src=whatsapp")
    response = sign(client, show_publicly="y")
    assert response.status_code == 303
    (signature,) = signatures(app)
    assert response.location == f"{PETITION}/{signature.public_id}"
    assert signature.status == SignatureStatus.confirmed and signature.fed_num == 35079
    assert (signature.referral, signature.share_source) == ("partner-a", "whatsapp")
    assert signature.show_publicly and not signature.share_with_target
    # Nothing personal in the address the browser is sent to.
    assert "amira" not in response.location.lower() and "K1P" not in response.location

    soup = page(client, response.location)
    assert "counted" in text(one(soup, ".signature-counted"))
    assert text(one(soup, "[data-count=signatures]")) == "1"
    ladder = one(soup, "section.ladder")
    links = {text(a): str(a["href"]) for a in ladder.select("a.button")}
    assert links == {
        "Now call your MP": f"{CAMPAIGN}/riding/35079",
        "Send the letter": f"{CAMPAIGN}/riding/35079/email",
    }
    assert one(soup, "section.share")
    letter = page(client, links["Send the letter"])
    assert one(letter, "input[name=postal_code]")["value"] == "K1P 5J2"


def test_the_thanks_page_opened_by_someone_else_names_no_riding(
    app: Flask, client: FlaskClient
) -> None:
    location = sign(client).location
    stranger = app.test_client()
    soup = page(stranger, location)
    assert soup.select("section.ladder") == []
    assert "35079" not in soup.decode()


def test_an_uncertain_postal_code_asks_for_the_riding_keeping_what_was_typed(
    app: Flask, client: FlaskClient
) -> None:
    response = sign(client, postal_code="V6B 9Z9", comment="Ma famille attend.")
    assert response.status_code == 400
    soup = parse(response.data)
    fieldset = one(soup, "fieldset")
    assert "several ridings" in text(one(fieldset, "#fed_num-error"))
    radios = fieldset.select("input[type=radio][name=fed_num]")
    assert [r["value"] for r in radios][:2] == ["59035", "59036"]
    form = one(soup, "form#petition-form")
    kept = form_fields(form)
    assert (kept["name"], kept["postal_code"], kept["comment"]) == (
        "Amira Haddad",
        "V6B 9Z9",
        "Ma famille attend.",
    )
    assert signatures(app) == []
    response = client.post(PETITION, data={**kept, "fed_num": "59036"})
    assert response.status_code == 303
    (signature,) = signatures(app)
    assert (signature.fed_num, signature.postal_code) == (59036, "V6B 9Z9")


def test_errors_show_next_to_their_fields(app: Flask, client: FlaskClient) -> None:
    response = sign(client, name="", email="nope", postal_code="90210")
    assert response.status_code == 400
    soup = parse(response.data)
    for name in ("name", "email", "postal_code"):
        field = one(soup, f"[name={name}]")
        assert field["aria-invalid"] == "true"
        assert text(one(soup, f"#{field['id']}-error"))
    assert signatures(app) == []


def test_signing_twice_is_a_friendly_409(app: Flask, client: FlaskClient) -> None:
    assert sign(client).status_code == 303
    response = sign(client, email="AMIRA.haddad@example.org")
    assert response.status_code == 409
    assert text(one(parse(response.data), "p.error")) == (
        "You already signed this petition. Thank you!"
    )
    assert len(signatures(app)) == 1


def test_a_connection_over_its_hourly_limit_gets_a_429(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(PETITION_MIN_FORM_SECONDS=0, PETITION_MAX_PER_IP_PER_HOUR=1)
    set_petition(app)
    client = app.test_client()
    assert sign(client).status_code == 303
    response = sign(client, email="someone.else@example.org")
    assert response.status_code == 429
    assert "Too many signatures" in text(one(parse(response.data), "p.error"))
    assert len(signatures(app)) == 1


def test_a_form_sent_too_fast_or_with_the_trap_filled_is_not_stored(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(PETITION_MIN_FORM_SECONDS=60)
    set_petition(app)
    client = app.test_client()
    response = sign(client, comment="Hello")
    assert response.status_code == 400
    soup = parse(response.data)
    assert text(one(soup, "p.error")) == "Please check your details and send the form again."
    assert form_fields(one(soup, "form#petition-form"))["comment"] == "Hello"
    assert signatures(app) == []

    slow = make_app(PETITION_MIN_FORM_SECONDS=0)
    client = slow.test_client()
    response = sign(client, website="http://spam.example")
    assert response.status_code == 400
    kept = form_fields(one(parse(response.data), "form#petition-form"))
    assert kept["name"] == "Amira Haddad" and kept["website"] == ""
    assert signatures(slow) == []


def test_without_the_form_token_nothing_is_stored(app: Flask, client: FlaskClient) -> None:
    response = client.post(PETITION, data=SIGNER)
    assert response.status_code == 400
    assert signatures(app) == []


def test_a_closed_petition_shows_no_form_and_refuses(app: Flask, client: FlaskClient) -> None:
    fields = form_fields(one(page(client), "form#petition-form"))
    from datetime import UTC, datetime

    set_petition(app, petition_ends_at=datetime(2020, 1, 1, tzinfo=UTC))
    soup = page(client)
    assert soup.select("form#petition-form") == []
    assert "closed" in text(one(soup, ".notice"))
    assert client.post(PETITION, data={**fields, **SIGNER}).status_code == 410
    assert signatures(app) == []


def _confirmation_link(outbox: Path) -> str:
    (path,) = sorted(outbox.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == SIGNER["email"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    (link,) = [ln for ln in body.get_content().splitlines() if "/petition/confirm/" in ln]
    return "/" + str(link).strip().split("/", 3)[3]


def test_confirmation_by_email_link_counts_on_the_button_not_on_opening(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    set_petition(app, petition_confirm=True)
    location = sign(client).location
    soup = page(client, location)
    assert text(one(soup, ".notice strong")) == "Check your inbox."
    assert soup.select("section.share") == []
    link = _confirmation_link(outbox)
    reader = app.test_client()  # opened in the mail app's browser
    opened = page(reader, link)
    assert one(opened, "form[method=post] button.primary")
    assert signatures(app)[0].status == SignatureStatus.awaiting_confirmation
    response = reader.post(link)
    assert response.status_code == 303 and response.location == location
    assert signatures(app)[0].status == SignatureStatus.confirmed
    assert reader.post(link).status_code == 303  # a second click counts nothing more
    with sessions(app)() as session:
        assert session.scalar(select(func.count()).select_from(PetitionSignature)) == 1
    assert client.get(link[:-3] + "abc").status_code == 400


def test_signers_names_and_comments_full_of_markup_are_shown_escaped(
    app: Flask, client: FlaskClient
) -> None:
    set_petition(app, petition_show_signers=True)
    response = sign(
        client,
        name="Zoé O'Brien",
        city="<img src=x onerror=alert(1)>",
        comment="</textarea><script>alert(1)</script>",
        show_publicly="y",
    )
    assert response.status_code == 303
    soup = page(client)
    (item,) = soup.select(".recent-signers li")
    assert text(item) == "Zoé, <img src=x onerror=alert(1)>"
    assert item.find("img") is None and soup.find("script", string=True) is None
    (signature,) = signatures(app)
    assert signature.comment == "</textarea><script>alert(1)</script>"


def test_a_call_after_signing_is_stamped_on_the_signature(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    sign(client)
    riding = page(client, f"{CAMPAIGN}/riding/35079")
    form = one(riding, "section.call-me form")
    data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    response = client.post(
        f"{CAMPAIGN}/riding/35079/call", data={**data, "phone": "613-555-0142", "consent": "y"}
    )
    assert response.status_code == 303
    (signature,) = signatures(app)
    assert signature.called_at is not None and signature.wrote_at is None
    # A stranger's call is not credited to anyone's signature.
    other = app.test_client()
    riding = page(other, f"{CAMPAIGN}/riding/35079")
    form = one(riding, "section.call-me form")
    data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    other.post(
        f"{CAMPAIGN}/riding/35079/call", data={**data, "phone": "613-555-0143", "consent": "y"}
    )
    assert signatures(app)[0].called_at == signature.called_at
    assert session.scalar(select(func.count()).select_from(CallRequest)) == 2


def test_inside_a_partners_frame_without_cookies_the_flow_keeps_its_state(
    app: Flask,
) -> None:
    frame = app.test_client(use_cookies=False)  # a third-party iframe: no cookie of ours
    entry = page(frame, f"{CAMPAIGN}/embed?ref=partner-b&lang=fr")
    link = str(one(entry, ".petition-entry a.button")["href"])
    assert link.startswith(PETITION + "?") and "s=" in link
    form = one(page(frame, link), "form#petition-form")
    response = frame.post(str(form["action"]), data={**form_fields(form), **SIGNER})
    assert response.status_code == 303 and "s=" in response.location
    (signature,) = signatures(app)
    assert signature.referral == "partner-b" and signature.locale == "fr"
    thanks = page(frame, response.location)
    call_link = str(one(thanks, "section.ladder a.button.primary")["href"])
    assert call_link.startswith(f"{CAMPAIGN}/riding/35079?")
    riding = page(frame, call_link)
    call_form = one(riding, "section.call-me form")
    data = {str(i["name"]): str(i.get("value", "")) for i in call_form.select("input[type=hidden]")}
    called = frame.post(
        str(call_form["action"]), data={**data, "phone": "613-555-0142", "consent": "y"}
    )
    assert called.status_code == 303
    assert signatures(app)[0].called_at is not None
    with sessions(app)() as session:
        (call,) = session.scalars(select(CallRequest)).all()
        assert call.referral == "partner-b"
