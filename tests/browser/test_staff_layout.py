"""Staff pages in a headless Chromium on a phone (390 x 844) and a desktop (1280 x 900), in
English and French: no horizontal overflow, readable chart labels, and no axe-core
violation of any impact, with axe's tap-target rule (WCAG 2.5.8, 24 x 24 px) switched on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from callmp.campaigns import editing, fields
from callmp.directory import corrections
from callmp.models import Channel, Outcome, Role, User
from callmp.views.context import clean_referral
from tests.factories import add_event, demo_campaign, mp
from tests.support.app import STAFF_PASSWORD
from tests.support.browser import serving
from tests.support.smtp_peer import free_port

PHONE, DESKTOP = (390, 844), (1280, 900)
#: axe-core's default rules, and its target-size rule (off by default).
AXE_OPTIONS = {"rules": {"target-size": {"enabled": True}}}
_axe = Axe()


@pytest.fixture
def site(app: Flask, session: Session, make_user: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The app on loopback with contacts, a second version, a correction and an admin."""
    admin: User = make_user(Role.admin, email="a-rather-long-address@staff.example")
    campaign = demo_campaign(session)
    now = datetime.now(UTC)
    members = [mp(session, fed) for fed in (35100, 12006, 24058)]
    for hour in range(40):
        member = members[hour % 3]
        add_event(
            session,
            campaign,
            member,
            Channel.bridged_call,
            Outcome.connected,
            office=member.offices[0],
            duration=60,
            at=now - timedelta(hours=hour * 2),
            referral="union" if hour % 2 else "",
        )
    data = fields.CampaignInput(**fields.form_values(campaign))
    changed = replace(data, talking_points_en=data.talking_points_en + "\nThank you.")
    editing.save(session, campaign, changed, session.get(User, admin.id), clean_referral)
    corrections.correct(session, None, members[0], "email", "chi.nguyen.office@parl.gc.ca")
    session.commit()
    ids = {"c": campaign.id, "person": members[0].id, "user": admin.id, "email": admin.email}
    with serving(app, free_port()) as base:
        yield base, ids


def _log_in(page: Page, base: str, email: str) -> None:
    """Log in through the form."""
    page.goto(f"{base}/login?lang=en")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/admin")


PAGES = (
    "/admin",
    "/admin/campaigns/{c}/dashboard",
    "/admin/campaigns/{c}/dashboard?tz=America/Halifax",
    "/admin/audit",
    "/admin/campaigns/{c}/versions",
    "/admin/campaigns/{c}/versions/compare?a=1&b=2",
    "/admin/campaigns/{c}/targets",
    "/admin/people",
    "/admin/contacts",
    "/admin/contacts/people/{person}",
    "/admin/users",
    "/admin/users/{user}",
    "/account",
)


def _problems(page: Page) -> list[str]:
    """Horizontal overflow and axe-core violations of the page shown."""
    found = []
    width, scroll = page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
    if scroll > width:
        found.append(f"page is {scroll} px wide in a {width} px window")
    for violation in _axe.run(page, options=AXE_OPTIONS).response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        found.append(f"axe {violation['id']}: {targets}")
    return found


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_staff_pages_fit_a_phone_and_a_desktop_and_pass_axe(
    browser: Browser, site: tuple[str, dict[str, Any]], lang: str
) -> None:
    base, ids = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=f"{lang}-CA")
    page = context.new_page()
    _log_in(page, base, ids["email"])
    found: dict[str, list[str]] = {}
    try:
        for width, height in (PHONE, DESKTOP):
            page.set_viewport_size({"width": width, "height": height})
            for path in PAGES:
                url = path.format(**ids)
                response = page.goto(f"{base}{url}{'&' if '?' in url else '?'}lang={lang}")
                assert response is not None and response.status == 200, url
                problems = _problems(page)
                if problems:
                    found[f"{url} at {width} px"] = problems
    finally:
        context.close()
    assert found == {}


def test_the_dashboards_wide_tables_scroll_inside_labelled_regions_on_a_phone(
    browser: Browser, site: tuple[str, dict[str, Any]]
) -> None:
    base, ids = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-CA")
    page = context.new_page()
    _log_in(page, base, ids["email"])
    page.goto(f"{base}/admin/campaigns/{ids['c']}/dashboard")
    region = page.get_by_role("region", name="By target (scrolls sideways)")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # wide, yet inside
    region.focus()  # a keyboard reaches it, to scroll with the arrow keys
    assert region.evaluate("el => document.activeElement === el")
    # The phone's chart: labels of at least 10 px, not shrunk with a desktop drawing.
    sizes = page.locator("figure.chart .chart-narrow text.x-label").evaluate_all(
        "els => els.map(el => el.getBoundingClientRect().height)"
    )
    assert sizes and min(sizes) >= 10
    assert page.locator("figure.chart .chart-wide").first.is_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.locator("figure.chart .chart-narrow").first.is_hidden()
    context.close()
