"""Sharing in a headless Chromium: a supporter who came from a share link acts, then
copies their own share link with the button (Clipboard API) on a phone-sized page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from callmp.models import ContactEvent
from tests.support.app import sessions
from tests.support.browser import csp_violations, serving
from tests.support.phone import PHONE, fits_and_passes_axe
from tests.support.smtp_peer import free_port


@pytest.fixture
def site(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    """The app behind Werkzeug's threaded server, and its address."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(PUBLIC_URL=url)
    with serving(app, port):
        yield app, url


@pytest.fixture
def phone(browser: Browser, site: tuple[Flask, str]) -> Iterator[Page]:
    """A phone-sized page allowed to use the clipboard on the app's origin."""
    context = browser.new_context(viewport=PHONE, locale="en-CA", has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site[1])
    page = context.new_page()
    violations = csp_violations(page)
    yield page
    context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


def test_a_visitor_from_a_share_link_reports_a_call_and_copies_their_own_link(
    phone: Page, site: tuple[Flask, str]
) -> None:
    app, base = site
    phone.goto(f"{base}/c/status-for-all?ref=union-7&src=whatsapp")
    phone.get_by_label("Your postal code").fill("M5V 3L9")
    phone.get_by_role("button", name="Find my MP").click()
    phone.locator("details.report-box summary").first.click()
    phone.locator("form.report").first.get_by_text("I talked to someone").click()
    phone.locator("form.report").first.locator("button[type=submit]").click()
    share = phone.locator("section.share")
    expect(share.get_by_role("heading", name="Share this campaign")).to_be_visible()
    expect(share.get_by_role("link", name="Share on WhatsApp (opens in a new tab)")).to_be_visible()
    fits_and_passes_axe(phone)
    share.get_by_role("button", name="Copy link").click()
    expect(share.locator(".copy-status")).to_have_text("Link copied.")
    copied = str(phone.evaluate("navigator.clipboard.readText()"))
    parts = urlsplit(copied)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{base}/c/status-for-all"
    assert parse_qs(parts.query) == {"ref": ["union-7"], "src": ["link"]}
    with sessions(app)() as session:
        (event,) = session.scalars(select(ContactEvent)).all()
        assert (event.referral, event.share_source) == ("union-7", "whatsapp")
