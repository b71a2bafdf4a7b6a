"""The Content-Security-Policy in a real browser: what it blocks, and that the check of
every browser test (tests/browser/conftest.py) sees the violations."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Error

from tests.support.browser import csp_violations, serving
from tests.support.smtp_peer import free_port


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app behind Werkzeug's threaded server on a free loopback port."""
    with serving(make_app(), free_port()) as url:
        yield url


@pytest.mark.parametrize("path", ["/c/status-for-all", "/login"])
def test_inline_script_and_framing_are_blocked_and_reported(
    browser: Browser, base: str, path: str
) -> None:
    context = browser.new_context(locale="en-CA")
    page = context.new_page()
    violations = csp_violations(page)
    try:
        page.goto(base + path)
        # What an injected script would do: it must not run.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true'; document.body.appendChild(s); }"
        )
        assert page.evaluate("() => window.injected === true") is False
        assert any("script-src" in text for text in violations), violations
        # Our pages in another site's frame: refused by frame-ancestors 'none'.
        page.set_content(f'<iframe src="{base}{path}"></iframe>')
        frame = page.frames[-1]
        with pytest.raises(Error):
            frame.wait_for_selector("main", timeout=2000)
        assert any("frame-ancestors" in text for text in violations), violations
    finally:
        context.close()
