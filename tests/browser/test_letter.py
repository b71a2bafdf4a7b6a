"""The supporter's letter in a headless Chromium: write, preview, send, confirm from the email.

The app runs on a real loopback server with the local mail backend; the confirmation
link is read from the ``.eml`` file the app wrote, as a supporter would open it.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import serving
from tests.support.phone import fits_and_passes_axe, phone_page
from tests.support.smtp_peer import free_port


@pytest.fixture
def base(make_app: Callable[..., Flask]) -> Iterator[str]:
    """The app (local mail, inline queue) behind Werkzeug's threaded server."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(make_app(PUBLIC_URL=url), port):
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page the size of a phone (390 × 844)."""
    with phone_page(browser) as page:
        yield page


def mails(outbox: Path) -> list[email.message.EmailMessage]:
    """Every message the app wrote to the outbox."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(outbox.glob("*.eml"))
    ]


def test_a_supporter_writes_previews_sends_and_confirms_a_letter(
    page: Page, base: str, outbox: Path
) -> None:
    page.goto(f"{base}/c/status-for-all")
    page.get_by_label("Your postal code").fill("k2p 1l4")
    page.get_by_role("button", name="Find my MP").click()
    page.get_by_role("link", name="Write a letter").click()
    expect(page.get_by_label("Your postal code")).to_have_value("K2P 1L4")
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Your email address").fill("noor.haddad@example.org")
    page.get_by_label("A line in your own words").fill("My cousin picks apples in Ontario.")
    page.get_by_role("button", name="Preview my letter").click()
    letters = page.locator("section.letter")
    expect(letters).to_have_count(2)
    expect(letters.first.locator("pre")).to_contain_text("My cousin picks apples in Ontario.")
    expect(letters.first.locator("pre")).to_contain_text("Noor Haddad")
    assert list(outbox.glob("*.eml")) == []  # a preview sends nothing
    page.get_by_role("button", name="Send my 2 letters").click()
    expect(page.get_by_text("Check your inbox.")).to_be_visible()
    assert "noor" not in page.url
    (link_mail,) = mails(outbox)
    assert link_mail["To"].addresses[0].addr_spec == "noor.haddad@example.org"
    text = str(link_mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    (link,) = [line.strip() for line in text.splitlines() if "/emails/confirm/" in line]
    page.goto(link)
    assert len(mails(outbox)) == 1  # opening the link sends nothing
    page.get_by_role("button", name="Confirm and send").click()
    expect(page.get_by_text("Your address is confirmed")).to_be_visible()
    expect(page.locator("ol.letters li")).to_have_count(2)
    expect(page.locator("ol.letters li").first).to_contain_text("sent")
    sent = [m for m in mails(outbox) if m["To"].addresses[0].addr_spec != "noor.haddad@example.org"]
    assert len(sent) == 2
    assert all(m["Reply-To"].addresses[0].addr_spec == "noor.haddad@example.org" for m in sent)


def test_on_a_phone_the_letter_fits_the_screen_and_send_is_tappable(
    phone: Page, base: str, outbox: Path
) -> None:
    phone.goto(f"{base}/c/status-for-all")
    phone.get_by_label("Your postal code").fill("k2p 1l4")
    phone.get_by_role("button", name="Find my MP").click()
    phone.get_by_role("link", name="Write a letter").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Write to them")
    fits_and_passes_axe(phone)
    name = phone.get_by_label("Your name")
    name.fill("Noor Haddad")
    # Names are written as typed: only the postal code shows in capitals.
    assert name.evaluate("e => getComputedStyle(e).textTransform") == "none"
    email_box = phone.get_by_label("Your email address")
    email_box.fill("noor.haddad@example.org")
    letter = phone.get_by_label("Your letter")
    assert letter.evaluate("e => getComputedStyle(e).fontFamily") == name.evaluate(
        "e => getComputedStyle(e).fontFamily"
    )  # the page's font, not a 20-column monospace box
    for box in (email_box, letter):
        assert box.bounding_box()["width"] >= 330  # type: ignore[index]  # the screen's width
    phone.get_by_role("button", name="Preview my letter").click()
    expect(phone.locator("section.letter")).to_have_count(2)
    fits_and_passes_axe(phone)
    # A tap lands on the button itself (Playwright checks nothing covers it).
    phone.get_by_role("button", name="Send my 2 letters").click()
    expect(phone.get_by_text("Check your inbox.")).to_be_visible()
    fits_and_passes_axe(phone)
    assert len(list(outbox.glob("*.eml"))) == 1  # the confirmation link only


def test_switching_language_keeps_what_was_typed_and_puts_none_of_it_in_the_url(
    page: Page, base: str, outbox: Path
) -> None:
    page.goto(f"{base}/c/status-for-all/riding/35100/email")
    page.get_by_label("Your name").fill("Noor Haddad")
    page.get_by_label("Your email address").fill("noor.haddad@example.org")
    page.get_by_label("Your postal code").fill("M5V 3L9")
    page.get_by_label("A line in your own words").fill("Ma cousine cueille des pommes.")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Votre nom")).to_have_value("Noor Haddad")
    expect(page.get_by_label("Votre adresse courriel")).to_have_value("noor.haddad@example.org")
    expect(page.get_by_label("Votre code postal")).to_have_value("M5V 3L9")
    expect(page.locator("textarea[name=personal_line]")).to_have_value(
        "Ma cousine cueille des pommes."
    )
    expect(page.locator("textarea[name=body]")).to_contain_text("J'habite")  # the French draft
    page.locator("button[name=action][value=preview]").click()
    expect(page.locator("section.letter")).to_have_count(2)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your letter")
    expect(page.locator("section.letter pre").first).to_contain_text("Ma cousine cueille")
    expect(page.locator("section.letter pre").first).to_contain_text("Noor Haddad")
    for url in (page.url, *[r.url for r in page.context.pages]):
        assert "noor" not in url and "M5V" not in url.upper()
    assert list(outbox.glob("*.eml")) == []
