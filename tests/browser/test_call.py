"""The supporter's call flow in a headless Chromium, against the app on a real server.

Playwright drives the system's Chromium (it cannot download its own here). The app runs
in Twilio mode against the loopback stand-in; the test plays Twilio by sending signed
webhooks, and the status page must follow the call by itself through its script.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from callmp.models import CallRequest
from tests.support.app import twilio_settings
from tests.support.browser import serving
from tests.support.smtp_peer import free_port
from tests.support.twilio_standin import TwilioStandIn


@dataclass
class Live:
    """The app served on a loopback port, and the Twilio stand-in it talks to."""

    base: str
    standin: TwilioStandIn

    def webhook(self, path: str, params: dict[str, str]) -> int:
        """POST a webhook signed as Twilio would sign it; the HTTP status."""
        url = self.base + path
        signature = RequestValidator(self.standin.auth_token).compute_signature(url, params)
        request = urllib.request.Request(  # noqa: S310 - loopback URL built above
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)


@pytest.fixture
def live(make_app: Callable[..., Flask]) -> Iterator[Live]:
    """The app in Twilio mode behind Werkzeug's threaded server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with TwilioStandIn() as standin:
        app = make_app(**twilio_settings(standin, PUBLIC_URL=base))
        with serving(app, port):
            yield Live(base=base, standin=standin)


def _ask_for_a_call(page: Page, live: Live) -> None:
    """From the campaign page: postal code, then phone and consent, then "Call me"."""
    page.goto(f"{live.base}/c/status-for-all")
    page.get_by_label("Your postal code").fill("m5v 3l9")
    page.get_by_role("button", name="Find my MP").click()
    expect(page.locator("h2#call-me")).to_have_text("Get connected by phone")
    page.get_by_label("Your phone number").fill("613-555-0142")
    page.get_by_label("Call me now at this number", exact=False).check()
    page.get_by_role("button", name="Call me").click()


def test_status_page_follows_the_call_by_itself(page: Page, live: Live, session: Session) -> None:
    _ask_for_a_call(page, live)
    expect(page.locator(".status-message")).to_contain_text("ringing")
    call = session.scalars(select(CallRequest)).one()
    assert call.provider_sid and call.public_id in page.url
    page.evaluate("window.sameDocument = true")  # gone if the page reloaded itself
    calls = f"/twilio/calls/{call.public_id}"
    assert (
        live.webhook(f"{calls}/status", {"CallSid": call.provider_sid, "CallStatus": "in-progress"})
        == 204
    )
    expect(page.locator(".status-message")).to_have_text(
        "You're on the call. Thank you!", timeout=10_000
    )
    assert live.webhook(f"{calls}/answer", {"CallSid": call.provider_sid}) == 200
    assert (
        live.webhook(f"{calls}/gather?step=0", {"CallSid": call.provider_sid, "Digits": "1"}) == 200
    )
    dial = {"CallSid": call.provider_sid, "DialCallStatus": "completed", "DialCallDuration": "95"}
    assert live.webhook(f"{calls}/dial?step=0&office=0", dial) == 200
    expect(page.locator(".attempts li").first).to_contain_text("Connected", timeout=10_000)
    done = {"CallSid": call.provider_sid, "CallStatus": "completed"}
    assert live.webhook(f"{calls}/status", done) == 204
    expect(page.locator("#call-status")).to_have_attribute("data-finished", "true", timeout=10_000)
    expect(page.locator(".status-message")).to_contain_text("The call has ended")
    expect(page.locator("main")).to_contain_text("Share the campaign")
    assert page.evaluate("window.sameDocument === true")  # updated in place (WCAG 2.2.1)


def test_a_refused_number_is_explained_next_to_the_field_and_focused(
    page: Page, live: Live
) -> None:
    page.goto(f"{live.base}/c/status-for-all")
    page.get_by_label("Your postal code").fill("M5V 3L9")
    page.get_by_role("button", name="Find my MP").click()
    page.get_by_label("Your phone number").fill("1-800-555-0142")
    page.get_by_label("Call me now at this number", exact=False).check()
    page.get_by_role("button", name="Call me").click()
    field = page.get_by_label("Your phone number")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    expect(field).to_have_accessible_description(
        "For example: 613-555-0123 "
        + (
            "We can't call toll-free numbers (1-800, 1-888 and the like). "
            "Please enter the number of the phone you will answer."
        )
    )
    assert live.standin.requests == []  # nothing was placed


def test_the_call_pages_in_french(browser: Browser, live: Live) -> None:
    context = browser.new_context(locale="fr-CA")
    try:
        page = context.new_page()
        page.goto(f"{live.base}/c/status-for-all")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        page.get_by_label("Votre code postal").fill("M5V 3L9")
        page.get_by_role("button", name="Trouver mon ou ma député·e").click()
        expect(page.get_by_role("button", name="Appelez-moi")).to_be_visible()
    finally:
        context.close()
