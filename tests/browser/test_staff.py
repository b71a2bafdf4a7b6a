"""A campaign lead in a headless Chromium: log in, edit the talking points, publish the
change, preview it as a supporter in a riding, compare the versions and restore the old one."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from callmp.models import Role, User
from tests.support.app import STAFF_PASSWORD
from tests.support.browser import serving
from tests.support.smtp_peer import free_port

ADDED = "Please also ask about family reunification for {riding}."


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app behind Werkzeug's threaded server on a free loopback port."""
    with serving(make_app(), free_port()) as url:
        yield url


def test_a_lead_edits_previews_compares_and_restores_the_talking_points(
    page: Page,
    base: str,
    make_user: Callable[..., User],
) -> None:
    lead = make_user(Role.lead)
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/login?next=%2Fadmin")
    page.get_by_label("Email").fill(lead.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/admin")

    page.get_by_role("link", name="Status for all", exact=False).first.click()
    page.get_by_role("link", name="Edit", exact=True).click()
    points = page.get_by_label("Talking points (English)")
    original = points.input_value()
    points.fill(original + "\n" + ADDED + "\n")
    page.get_by_role("button", name="Save as unpublished changes").click()
    expect(page.locator(".flash")).to_be_visible()
    # The campaign is published: the change waits in a draft until the lead publishes it.
    page.get_by_role("link", name="Review the changes").click()
    page.get_by_role("button", name="Publish these changes").click()
    expect(page.locator(".flash")).to_contain_text("published as version")

    page.get_by_role("link", name="Preview", exact=True).first.click()
    page.get_by_label("Postal code").fill("K2P 1L4")
    page.get_by_role("button", name="Preview").click()
    filled = "Please also ask about family reunification for Ottawa Centre."
    expect(page.get_by_text(filled).first).to_be_visible()

    page.goto(f"{base}/admin")
    page.get_by_role("link", name="Status for all", exact=False).first.click()
    page.get_by_role("link", name="History").click()
    page.get_by_role("link", name="Compare with version 1").click()
    expect(page.locator("ins").filter(has_text="family reunification").first).to_be_visible()

    page.go_back()
    page.get_by_role("link", name="Restore version 1").click()
    expect(page.locator("section.field-diff")).to_have_count(1)
    page.get_by_role("button", name="Restore version 1").click()
    page.goto(f"{base}/admin")
    page.get_by_role("link", name="Status for all", exact=False).first.click()
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Talking points (English)")).to_have_value(original)
