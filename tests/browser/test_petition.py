"""The petition in a headless Chromium, from a partner's link to a local call.

Done when for issue 19: a supporter signs in English, another in French on a phone with
a postal code whose area spans ridings (they pick theirs); both came by a partner's link;
each confirms from the email the app wrote to its outbox, then climbs the ladder to a
call in local telephony mode. The counts by riding, by referral code and by channel (the
calls' contact events) must then be exact.
"""

from __future__ import annotations

import email
import email.policy
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import (
    CallRequest,
    ContactEvent,
    PetitionSignature,
    SignatureStatus,
)
from callmp.petitions import counts
from tests.factories import demo_campaign, mp
from tests.support.app import sessions
from tests.support.browser import serving
from tests.support.phone import fits_and_passes_axe, phone_page
from tests.support.smtp_peer import free_port

CAMPAIGN = "/c/status-for-all"
#: Seconds the form must have been on screen before it is taken (the bot brake).
MIN_SECONDS = 2
#: A brake no browser beats: the form is refused however slowly the machine fills it in.
#: (A token's time is kept in whole seconds, so a form may look up to a second older
#: than it is; on a loaded machine "faster than MIN_SECONDS" cannot be relied on.)
LONG_BRAKE = 3600


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def app(make_app: Callable[..., Flask], port: int) -> Flask:
    """The app (local mail and telephony, inline queue), its petition confirmed by email."""
    built = make_app(PUBLIC_URL=f"http://127.0.0.1:{port}", PETITION_MIN_FORM_SECONDS=MIN_SECONDS)
    with sessions(built)() as session:
        campaign = demo_campaign(session)
        campaign.petitions = True
        campaign.petition_title_en = "Status for all now"
        campaign.petition_title_fr = "Un statut pour tous maintenant"
        campaign.petition_text_en = "We ask Parliament for permanent status for all."
        campaign.petition_text_fr = "Nous demandons au Parlement un statut permanent pour tous."
        campaign.petition_goal = 10
        campaign.petition_confirm = True
        campaign.petition_show_signers = True
        session.commit()
    return built


@pytest.fixture
def base(app: Flask, port: int) -> Iterator[str]:
    with serving(app, port) as url:
        yield url


def confirmation_link(outbox: Path, address: str) -> str:
    """The link of the one confirmation email sent to ``address``."""
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec != address:
            continue
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found += [ln.strip() for ln in str(body.get_content()).splitlines() if "/petition/" in ln]
    (link,) = found
    return link


def confirm_and_call(page: Page, outbox: Path, address: str, words: dict[str, str]) -> None:
    """Open the emailed link, press its button, then go on to call from the ladder."""
    link = confirmation_link(outbox, address)
    page.goto(link)
    expect(page.locator(".petition-counter strong")).to_have_count(0)  # opening counts nothing
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator(".done").first).to_contain_text(words["confirmed"])
    page.get_by_role("link", name=words["call"]).click()
    page.get_by_label(words["phone"]).fill("613-555-0142")
    page.get_by_label(words["consent"], exact=False).check()
    page.get_by_role("button", name=words["call_me"]).click()
    expect(page.locator("#call-status")).to_have_attribute("data-finished", "true", timeout=15_000)


def test_signers_in_english_and_french_confirm_and_climb_to_a_call_counted_exactly(
    page: Page, browser: Browser, base: str, app: Flask, outbox: Path
) -> None:
    # English, on a desktop, from the Migrant Rights Network's link.
    page.goto(f"{base}{CAMPAIGN}?ref=mrn&src=email")
    page.get_by_role("link", name="Sign the petition").click()
    expect(page.locator("h1")).to_have_text("Status for all now")
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Your email address").fill("noor.haddad@example.org")
    page.get_by_label("Your postal code").fill("k2p 1l4")
    page.get_by_label("A comment (optional)").fill("<b>My cousin</b> picks apples.")
    page.get_by_label("Show my first name", exact=False).check()
    app.config["PETITION_MIN_FORM_SECONDS"] = LONG_BRAKE
    page.get_by_role("button", name="Sign the petition").click()
    # Sent faster than a person types: nothing stored, everything typed kept.
    expect(page.locator("p.error")).to_have_text(
        "Please check your details and send the form again."
    )
    expect(page.get_by_label("Your name")).to_have_value("Noor Haddad")
    expect(page.get_by_label("A comment (optional)")).to_have_value(
        "<b>My cousin</b> picks apples."
    )
    expect(page.get_by_label("Show my first name", exact=False)).to_be_checked()
    app.config["PETITION_MIN_FORM_SECONDS"] = MIN_SECONDS
    time.sleep(MIN_SECONDS + 1)  # the form shown again is taken once the brake is over
    page.get_by_role("button", name="Sign the petition").click()
    expect(page.get_by_text("Check your inbox.")).to_be_visible()
    assert "noor" not in page.url and "K2P" not in page.url.upper()
    confirm_and_call(
        page,
        outbox,
        "noor.haddad@example.org",
        {
            "confirm": "Confirm my signature",
            "confirmed": "Your signature is confirmed and counted.",
            "call": "Now call your MP",
            "phone": "Your phone number",
            "consent": "Call me now at this number",
            "call_me": "Call me",
        },
    )

    # French, on a phone, from another partner's link, in an area split between ridings.
    # The brake is off: the English signer showed it both ways.
    app.config["PETITION_MIN_FORM_SECONDS"] = 0
    with phone_page(browser, locale="fr-CA") as phone:
        phone.goto(f"{base}{CAMPAIGN}?ref=ccr&src=whatsapp")
        phone.get_by_role("link", name="Signer la pétition").click()
        expect(phone.locator("html")).to_have_attribute("lang", "fr")
        fits_and_passes_axe(phone)
        phone.get_by_label("Votre nom").fill("Luc Roy")
        phone.get_by_label("Votre adresse courriel").fill("luc.roy@example.org")
        phone.get_by_label("Votre code postal").fill("v6b 9z9")
        phone.get_by_role("button", name="Signer la pétition").click()
        choices = phone.locator("fieldset input[type=radio][name=fed_num]")
        expect(choices.first).to_be_visible()
        fits_and_passes_axe(phone)
        expect(phone.get_by_label("Votre nom")).to_have_value("Luc Roy")
        phone.locator("fieldset input[value='59036']").check()
        phone.get_by_role("button", name="Signer la pétition").click()
        expect(phone.get_by_text("Vérifiez votre boîte de réception.")).to_be_visible()
        fits_and_passes_axe(phone)
        confirm_and_call(
            phone,
            outbox,
            "luc.roy@example.org",
            {
                "confirm": "Confirmer ma signature",
                "confirmed": "Votre signature est confirmée et comptée.",
                "call": "Appelez maintenant votre député·e",
                "phone": "Votre numéro de téléphone",
                "consent": "Appelez-moi maintenant à ce numéro",
                "call_me": "Appelez-moi",
            },
        )

    with sessions(app)() as session:
        check_counts(session)


def check_counts(session: Session) -> None:
    """Counts by riding, by referral code and by channel, exactly."""
    campaign = demo_campaign(session)
    signatures = session.scalars(select(PetitionSignature).order_by(PetitionSignature.id)).all()
    assert [s.status for s in signatures] == [SignatureStatus.confirmed] * 2
    assert all(s.called_at is not None and s.wrote_at is None for s in signatures)
    assert counts.total(session, campaign.id) == 2
    assert sorted(
        (r.fed_num, r.person_id, r.signatures) for r in counts.by_riding(session, campaign.id)
    ) == sorted([(35079, mp(session, 35079).id, 1), (59036, mp(session, 59036).id, 1)])
    referrals = Counter((s.referral, s.share_source) for s in signatures)
    assert referrals == {("mrn", "email"): 1, ("ccr", "whatsapp"): 1}
    calls = session.scalars(select(CallRequest).order_by(CallRequest.id)).all()
    assert [(c.referral, c.fed_num) for c in calls] == [("mrn", 35079), ("ccr", 59036)]
    events = session.scalars(select(ContactEvent)).all()
    by_channel = Counter((str(e.channel), e.referral, e.fed_num) for e in events)
    targets = len(campaign.targets)  # each call goes through every target in turn
    assert by_channel == {
        ("bridged_call", "mrn", 35079): targets,
        ("bridged_call", "ccr", 59036): targets,
    }
