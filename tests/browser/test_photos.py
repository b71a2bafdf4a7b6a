"""In a headless Chromium: the campaign and riding pages, an MP's photo included, make no
request that leaves this machine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, Request

from callmp.views.photos import photo_store
from tests.support.browser import serving
from tests.support.photos import portrait
from tests.support.smtp_peer import free_port

#: Chi Nguyen, MP for Spadina—Harbourfront (35100).
NGUYEN = 123192


@pytest.fixture
def base(make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[str]:
    """The app with one MP photo stored, behind Werkzeug's threaded server."""
    port = free_port()
    app = make_app(PUBLIC_URL=f"http://127.0.0.1:{port}", PHOTO_DIR=str(tmp_path / "photos"))
    photo_store(app).store(NGUYEN, portrait("JPEG", (96, 120)))
    with serving(app, port) as url:
        yield url


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_campaign_and_riding_pages_load_nothing_from_other_sites(
    page: Page, base: str, lang: str
) -> None:
    requested: list[str] = []

    def seen(request: Request) -> None:
        requested.append(request.url)

    page.on("request", seen)
    page.goto(f"{base}/c/status-for-all?lang={lang}")
    page.goto(f"{base}/c/status-for-all/riding/35100?lang={lang}")
    photo = page.locator("section.who img.photo")
    photo.scroll_into_view_if_needed()  # the photo loads lazily
    page.wait_for_function("() => document.querySelector('section.who img.photo').complete")
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [96, 120]
    page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).hostname for url in requested}
    assert hosts == {"127.0.0.1"}, sorted(requested)
    paths = [urlsplit(url).path for url in requested]
    assert f"/photos/{NGUYEN}.jpg" in paths
