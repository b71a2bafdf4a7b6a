"""An organizer on a phone (390 px) in a headless Chromium: the petition on the dashboard,
the constituents table sorted by its headers (links, no JavaScript) and its CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from callmp.models import Role, User
from tests.factories import demo_campaign, make_signature
from tests.support.app import STAFF_PASSWORD, sessions
from tests.support.browser import serving
from tests.support.smtp_peer import free_port


@pytest.fixture
def served(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    app = make_app()
    with serving(app, free_port()) as url:
        yield app, url


def seed(app: Flask) -> int:
    """The demo petition: Ontario 2, Nova Scotia 1, Quebec 1 and its vacant seat 1."""
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.petitions = True
        campaign.petition_goal = 10
        for fed_num in (35075, 35075, 12006, 24058):
            make_signature(session, campaign, fed_num=fed_num, referral="mrn")
        make_signature(session, campaign, fed_num=24058, person_id=None)
        session.commit()
        return campaign.id


def test_an_organizer_on_a_phone_sorts_and_downloads_the_constituents(
    browser: Browser, served: tuple[Flask, str], make_user: Callable[..., User]
) -> None:
    app, base = served
    campaign_id = seed(app)
    organizer = make_user(Role.organizer)
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, java_script_enabled=False, accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.get_by_label("Email").fill(organizer.email)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{base}/admin/campaigns/{campaign_id}/dashboard")
        expect(page.locator("dl.petition-totals [data-figure=signatures]")).to_have_text("5")
        expect(page.locator("section[aria-labelledby=petition] .chart-narrow svg")).to_be_visible()
        page.get_by_role("link", name="How many constituents of each MP signed").click()
        expect(page.locator("h1")).to_have_text("How many constituents of each MP signed")
        rows = page.locator("table.petition-constituents tbody tr")
        expect(rows).to_have_count(4)
        provinces = rows.locator("td:nth-of-type(3)")
        page.locator("table.petition-constituents thead").get_by_role("link", name="Prov.").click()
        assert provinces.all_inner_texts() == ["NS", "ON", "QC", "QC"]
        page.locator("table.petition-constituents thead").get_by_role("link", name="Prov.").click()
        assert provinces.all_inner_texts() == ["QC", "QC", "ON", "NS"]
        # The page is no wider than the phone: the table scrolls inside its own region.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        with page.expect_download() as info:
            page.get_by_role("link", name="Download this table (CSV)").click()
        with open(info.value.path(), encoding="utf-8") as handle:
            lines = list(csv.DictReader(io.StringIO(handle.read())))
        assert [line["province"] for line in lines] == ["QC", "QC", "ON", "NS", ""]
        assert lines[-1]["signatures"] == "5"
    finally:
        context.close()
