"""A phone-sized page in the headless browser, and what every supporter page must pass on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, ViewportSize

from tests.support.browser import csp_violations

#: A common phone's screen in CSS pixels.
PHONE: ViewportSize = {"width": 390, "height": 844}


@contextmanager
def phone_page(browser: Browser, locale: str = "en-CA") -> Iterator[Page]:
    """A page the size of a phone, with touch; fails on any CSP violation."""
    context = browser.new_context(viewport=PHONE, locale=locale, has_touch=True)
    page = context.new_page()
    violations = csp_violations(page)
    try:
        yield page
    finally:
        context.close()
    assert violations == [], "the page broke its Content-Security-Policy"


def fits_and_passes_axe(page: Page) -> None:
    """No horizontal scrolling, and zero axe-core violations of any impact."""
    # Measured once the page and its stylesheet have loaded: a form's answer may still be
    # loading when its first element shows (seen on a busy machine: a 2,012 px wide page).
    page.wait_for_load_state("load")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide on a {width[1]} px screen"
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations] == []
