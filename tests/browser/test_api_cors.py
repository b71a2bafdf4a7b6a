"""A partner's own page calls the JSON API from another origin in a real browser."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser

from callmp.models import Role, User
from callmp.partners import editing
from callmp.partners.editing import PartnerInput
from callmp.views.context import clean_referral
from tests.factories import demo_campaign
from tests.support.app import sessions
from tests.support.browser import serving
from tests.support.smtp_peer import free_port

#: What the partner's page runs: a lookup (a simple GET), then a letter (a JSON POST,
#: which needs a preflight); what the page could read of each, or the error it got.
CALLS = """async ([api, slug]) => {
  const read = async (request) => {
    try {
      const response = await request;
      return {status: response.status, body: await response.json()};
    } catch (error) {
      return {error: String(error)};
    }
  };
  const lookup = await read(fetch(`${api}/api/v1/lookup?postal_code=K2P%201L4`));
  const letter = await read(fetch(`${api}/api/v1/campaigns/${slug}/emails`, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({lang: "fr"}),
  }));
  return {lookup, letter};
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


@pytest.fixture
def partner_site(tmp_path: Path) -> Iterator[int]:
    """A partner's plain page on its own loopback server; its port."""
    (tmp_path / "index.html").write_text("<!doctype html><title>Partner</title><p>Act now</p>")
    port = free_port()

    def handler(*args: Any) -> _Quiet:
        return _Quiet(*args, directory=str(tmp_path))

    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_listed_partner_page_reads_the_answers_and_another_cannot(
    browser: Browser, make_app: Callable[..., Flask], partner_site: int
) -> None:
    app = make_app()
    listed = f"http://localhost:{partner_site}"  # the partner's site
    unlisted = f"http://127.0.0.1:{partner_site}"  # same server, another origin
    with sessions(app)() as db:
        lead = User(email="cors-browser@staff.example", role=Role.lead, password_hash="x")
        db.add(lead)
        campaign = demo_campaign(db)
        slug = campaign.slug
        typed = PartnerInput(name="MRN", code="mrn", origins=listed)
        editing.create(db, campaign, typed, lead, clean_referral)
        db.commit()
    with serving(app, free_port()) as api:
        context = browser.new_context(locale="en-CA")
        try:
            page = context.new_page()
            page.goto(f"{listed}/index.html")
            allowed = page.evaluate(CALLS, [api, slug])
            page.goto(f"{unlisted}/index.html")
            refused = page.evaluate(CALLS, [api, slug])
        finally:
            context.close()
    assert allowed["lookup"]["status"] == 200
    assert allowed["lookup"]["body"]["postal_code"] == "K2P 1L4"
    assert allowed["letter"]["status"] == 400  # the preflight passed; the refusal is readable
    assert allowed["letter"]["body"]["reason"]
    assert "error" in refused["lookup"] and "error" in refused["letter"]
