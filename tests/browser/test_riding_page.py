"""The riding page on a phone, in a headless Chromium: whom, then what to do, all of it fitting
a 390 px screen, with no accessibility violation axe-core can find, in both languages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import serving
from tests.support.clock import clock_at
from tests.support.phone import fits_and_passes_axe, phone_page
from tests.support.smtp_peer import free_port

#: Saturday 22:00 in Toronto and Ottawa: every office in the demo is closed.
SATURDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app (local telephony and mail) behind Werkzeug's threaded server."""
    port = free_port()
    with serving(make_app(PUBLIC_URL=f"http://127.0.0.1:{port}"), port) as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone (390 × 844)."""
    with phone_page(browser) as page:
        yield page


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_riding_page_on_a_phone_leads_with_whom_and_says_offices_are_closed(
    phone: Page, base: str, lang: str
) -> None:
    with clock_at(SATURDAY_NIGHT):
        phone.goto(f"{base}/c/status-for-all/riding/35100?lang={lang}")
        fits_and_passes_axe(phone)
    height = phone.evaluate("document.documentElement.scrollHeight")
    assert height < 4000  # it was 4,700 to 5,300 px
    who = phone.locator("section.who")
    closed = phone.locator("section.act .closed-notice")
    call_me = phone.locator("section.call-me button[type=submit]")
    expect(who.locator("li")).to_have_count(2)
    expect(closed).to_be_visible()
    # Whom, then the closed offices, then the phone number: top to bottom.
    tops = [loc.bounding_box()["y"] for loc in (who, closed, call_me)]  # type: ignore[index]
    assert tops == sorted(tops)
    # The menu leads to each way of acting; folded details open on a tap.
    phone.locator("ul.actions-menu a[href='#call-yourself']").click()
    summary = phone.locator("section.target details.talking-points summary").first
    summary.click()
    expect(phone.locator("section.target div.script").first).to_be_visible()
    fits_and_passes_axe(phone)
