"""An organizer and a supporter in a headless Chromium: the dashboard's filters, sorting,
time zone and CSV download, and the campaign page's counter refreshing by itself."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from callmp.models import Channel, Outcome, Role, User
from tests.factories import add_event, demo_campaign, mp
from tests.support.app import STAFF_PASSWORD, sessions
from tests.support.browser import serving
from tests.support.smtp_peer import free_port


@pytest.fixture
def served(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    """The app (recounting on every request) behind a threaded server on loopback."""
    app = make_app(COUNTS_CACHE_SECONDS=0)
    with serving(app, free_port()) as url:
        yield app, url


def seed(app: Flask) -> int:
    """Calls to an Ontario and a Quebec MP, a letter to a Nova Scotia MP; the campaign id."""
    now = datetime.now(UTC)
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.petitions = False  # the contacts' dashboard alone (petitions have their own)
        for fed, outcome in ((35100, Outcome.connected), (24058, Outcome.left_voicemail)):
            person = mp(session, fed)
            add_event(
                session,
                campaign,
                person,
                Channel.bridged_call,
                outcome,
                office=person.offices[0],
                duration=90,
                at=now - timedelta(hours=2),
            )
        add_event(session, campaign, mp(session, 12006), Channel.email, Outcome.sent, at=now)
        session.commit()
        return campaign.id


def test_an_organizer_filters_sorts_and_downloads_the_office_table(
    page: Page,
    served: tuple[Flask, str],
    make_user: Callable[..., User],
) -> None:
    app, base = served
    campaign_id = seed(app)
    organizer = make_user(Role.organizer)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(organizer.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/admin/campaigns/{campaign_id}")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Dashboard")
    expect(page.locator("figure.chart .chart-wide svg")).to_have_count(2)
    expect(page.locator("dl.headline dd").first).to_have_text("3")
    rows = page.locator("table.offices tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Times in").select_option("America/St_Johns")
    page.get_by_label("Province or territory").select_option("QC")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("QC")
    expect(page.get_by_label("Times in")).to_have_value("America/St_Johns")

    page.get_by_label("Province or territory").select_option("")
    page.get_by_role("button", name="Show").click()
    page.locator("table.offices thead").get_by_role("link", name="Person").click()
    names = rows.locator("th").all_inner_texts()
    assert names == sorted(names) and len(names) == 3
    page.locator("table.offices thead").get_by_role("link", name="Person").click()
    assert rows.locator("th").all_inner_texts() == sorted(names, reverse=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download every contact (CSV, no personal data)").click()
    path = info.value.path()
    with open(path, encoding="utf-8") as handle:
        events = list(csv.DictReader(io.StringIO(handle.read())))
    assert len(events) == 3
    # Each time in Newfoundland's offset at that instant (-03:30, or -02:30 in summer).
    for row in events:
        utc = datetime.fromisoformat(row["time_utc"])
        local = utc.astimezone(ZoneInfo("America/St_Johns"))
        assert row["time_local"] == local.isoformat(timespec="seconds")


def test_the_campaign_counter_refreshes_itself(
    page: Page,
    served: tuple[Flask, str],
) -> None:
    app, base = served
    seed(app)
    page.clock.install()
    page.goto(f"{base}/c/status-for-all?lang=en")
    total = page.locator('.counter [data-count="total"]')
    expect(total).to_have_text("3")
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        for _ in range(1200):
            add_event(session, campaign, mp(session, 35100), Channel.email, Outcome.mailto)
        session.commit()
    page.clock.run_for(31_000)  # the counter polls every 30 seconds
    expect(total).to_have_text("1,203")
    expect(page.locator('.counter [data-count="emails"]')).to_have_text("1,201")
