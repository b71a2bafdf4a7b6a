"""The campaign embedded in a partner's page on another origin, in headless Chromium.

The app runs on ``http://127.0.0.1:<port>``; the partner's page on ``http://localhost:<port>``
(another site) holds the snippet. Chromium blocks third-party cookies, and the test checks
that no request from the frame carried one: a supporter makes a local call, reports a
direct call and sends a letter confirmed from the outbox, in English and in French, each
counted under the partner's referral code. A page on an origin not on the partner's list
gets no frame but the link to the campaign's own page.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Frame, Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from callmp.models import Channel, ContactEvent, EmailSubmission, Partner
from tests.factories import demo_campaign
from tests.support.app import sessions
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, serving
from tests.support.smtp_peer import free_port

pytestmark = pytest.mark.real_clock("Chromium and the live server run on the real clock")

SLUG = "status-for-all"
CODE = "homecare"
#: Chromium's own switch that blocks every third-party cookie.
NO_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium that blocks third-party cookies."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, NO_THIRD_PARTY_COOKIES]
        )
        yield chromium
        chromium.close()


@contextmanager
def partner_site(app_base: str, lang: str, host: str) -> Iterator[str]:
    """A partner's page holding the snippet, on ``host`` at a port of its own; its URL."""
    port = free_port()
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        "<title>Partner</title></head><body><h1>Partner</h1>"
        f'<script src="{app_base}/embed.js" data-campaign="{SLUG}" data-ref="{CODE}" async>'
        "</script></body></html>"
    ).encode()

    def wsgi(_environ: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [page]

    server = make_server("127.0.0.1", port, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}/"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def app_base(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    """The app (local telephony and mail, inline queue) on 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = make_app(PUBLIC_URL=url)
    with serving(app, port):
        yield app, url


def _add_partner(app: Flask, origin: str) -> None:
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        session.add(
            Partner(
                campaign_id=campaign.id,
                name="Home Care Now",
                code=CODE,
                origins=origin,
                dashboard_key="d" * 40,
            )
        )
        session.commit()


def _events(app: Flask) -> list[ContactEvent]:
    with sessions(app)() as session:
        return list(session.scalars(select(ContactEvent).order_by(ContactEvent.id)))


def _confirm_link(outbox: Path, address: str) -> str:
    """The confirmation link mailed to ``address`` (the live server may still be writing it)."""
    for _attempt in range(50):
        found = _mailed_link(outbox, address)
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no message to {address}")


def _mailed_link(outbox: Path, address: str) -> str | None:
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"].addresses[0].addr_spec == address:
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            text = str(body.get_content())
            return next(line.strip() for line in text.splitlines() if "/emails/confirm/" in line)
    return None


def _frame(page: Page, app_base: str) -> Frame:
    """The campaign's frame once its page is there."""
    page.wait_for_selector("div.callmp-embed iframe")
    frame = page.frame_locator("div.callmp-embed iframe")
    expect(frame.locator("html.embedded")).to_have_count(1)
    found = next(f for f in page.frames if f.url.startswith(app_base))
    return found


@pytest.mark.parametrize(
    ("lang", "postal_code", "address"),
    [("en", "K2P 1L4", "noor.haddad@example.org"), ("fr", "H2X 1Y4", "luc.tremblay@example.org")],
)
def test_a_supporter_acts_three_ways_inside_a_partners_frame(
    browser: Browser,
    app_base: tuple[Flask, str],
    outbox: Path,
    lang: str,
    postal_code: str,
    address: str,
) -> None:
    app, base = app_base
    with partner_site(base, lang, "localhost") as partner:
        _add_partner(app, partner.rstrip("/"))
        context = browser.new_context(locale="en-CA")
        page = context.new_page()
        page.goto(partner)
        frame = _frame(page, base)
        assert frame.evaluate("document.documentElement.lang") == lang
        # The frame fits its page: the partner's page got its height.
        height = page.eval_on_selector("div.callmp-embed iframe", "f => f.offsetHeight")
        assert height > 320

        # A local call ("call me").
        frame.fill("input[name=postal_code]", postal_code)
        frame.click("form#lookup-form button[type=submit]")
        frame.wait_for_selector("#call-form")
        riding_url = frame.url
        assert postal_code.replace(" ", "") not in riding_url.upper().replace("+", "")
        frame.fill("#call-form input[name=phone]", "613-555-0142")
        frame.check("#call-form input[name=consent]")
        frame.click("#call-form button[type=submit]")
        frame.wait_for_selector("#call-status[data-finished=true]")
        # The server's random port may hold "555"; the number must not be in the rest.
        where = urlsplit(frame.url)
        assert "555" not in where.path + "?" + where.query
        calls = [e for e in _events(app) if e.channel == Channel.bridged_call]
        assert calls and {e.referral for e in calls} == {CODE}

        # A direct call, reported.
        frame.goto(riding_url)
        report = frame.locator("form.report").first
        frame.locator("details.report-box summary").first.click()
        report.locator("input[value=left_voicemail]").check()
        with frame.expect_navigation():
            report.locator("button[type=submit]").click()
        expect(frame.locator("p.done[role=status]")).to_have_count(1)
        direct = [e for e in _events(app) if e.channel == Channel.direct_call]
        assert len(direct) == 1 and direct[0].referral == CODE

        # A letter, confirmed from the email.
        frame.goto(riding_url)
        frame.click("a[href*='/email']")
        frame.fill("#letter-form input[name=name]", "Noor Haddad")
        frame.fill("#letter-form input[name=email]", address)
        frame.fill("#letter-form input[name=postal_code]", postal_code)
        frame.click("#letter-form button[name=action][value=preview]")
        with frame.expect_navigation():
            frame.click("#letter-preview button[name=action][value=send]")
        assert address.split("@")[0] not in frame.url
        link = _confirm_link(outbox, address)
        # The supporter opens the link from their mail app: a page of its own (and its
        # own cookies), not the partner's.
        mail_app = browser.new_context(locale="en-CA")
        confirming = mail_app.new_page()
        confirming.goto(link)
        with confirming.expect_navigation():
            confirming.click("form[method=post] button[type=submit]")
        with sessions(app)() as session:
            (submission,) = session.scalars(select(EmailSubmission)).all()
            assert submission.referral == CODE
        letters = [e for e in _events(app) if e.channel == Channel.email]
        assert letters and {e.referral for e in letters} == {CODE}
        assert {e.referral for e in _events(app)} == {CODE}
        # The partner's private dashboard shows exactly those contacts, per channel.
        board = mail_app.new_page()
        board.goto(f"{base}/p/{'d' * 40}")
        totals = {
            str(cell.get_attribute("data-key")): int(cell.inner_text().replace(",", ""))
            for cell in board.locator("tfoot td[data-key]").all()
        }
        events = _events(app)
        # The local call reached each target (the MP and the minister): one event each.
        assert totals["bridged"] == sum(e.channel == Channel.bridged_call for e in events) == 2
        assert totals["direct"] == sum(e.channel == Channel.direct_call for e in events) == 1
        assert totals["direct_voicemail"] == 1
        assert totals["emails"] == len(letters)
        mail_app.close()
        # The frame's pages could keep no cookie of ours, so none was ever sent: the flow
        # above needed none.
        assert [c["domain"] for c in context.cookies()] == []
        context.close()


def test_a_site_not_on_the_list_gets_the_link_instead_of_a_frame(
    browser: Browser, app_base: tuple[Flask, str]
) -> None:
    app, base = app_base
    _add_partner(app, "http://partner.invalid")
    with partner_site(base, "fr", "localhost") as stranger:
        context = browser.new_context(locale="fr-CA")
        page = context.new_page()
        page.goto(stranger)
        link = page.locator("div.callmp-embed a")
        expect(link).to_be_visible(timeout=15_000)
        expect(link).to_have_text("Ouvrir cette campagne sur sa propre page")
        assert link.get_attribute("href") == f"{base}/c/{SLUG}?lang=fr&ref={CODE}"
        expect(page.locator("div.callmp-embed iframe")).to_be_hidden()
        # The frame never showed the campaign: the browser refused it.
        assert not any(
            f.url.startswith(base) and f.query_selector("html.embedded") for f in page.frames
        )
        context.close()
