"""A branded campaign in a headless Chromium: its colour really paints the page, readably."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from callmp.models import Campaign
from tests.support.app import sessions
from tests.support.browser import serving
from tests.support.phone import fits_and_passes_axe, phone_page
from tests.support.smtp_peer import free_port

ACCENT = "rgb(138, 28, 75)"  # #8a1c4b


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app with the demo campaign branded, behind Werkzeug's threaded server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(PUBLIC_URL=url)
    with sessions(app)() as session:
        session.execute(
            update(Campaign).values(accent_color="#8a1c4b", organization_name="Migrant Rights")
        )
        session.commit()
    with serving(app, port):
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    with phone_page(browser) as page:
        yield page


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_campaign_and_riding_pages_wear_the_accent_colour(
    phone: Page, base: str, lang: str
) -> None:
    phone.goto(f"{base}/c/status-for-all?lang={lang}")
    expect(phone.locator("main p.organization")).to_have_text("Migrant Rights")
    button = phone.locator("form button.primary").first
    background = button.evaluate("b => getComputedStyle(b).backgroundColor")
    assert background == ACCENT
    fits_and_passes_axe(phone)  # axe's colour-contrast rule included
    with phone.expect_navigation():
        phone.locator("input[name=postal_code]").fill("M5V 3L9")
        button.click()
    link = phone.locator("main a:not(.button)").first
    assert link.evaluate("a => getComputedStyle(a).color") == ACCENT
    fits_and_passes_axe(phone)
