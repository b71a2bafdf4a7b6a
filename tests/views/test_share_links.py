"""The thank-you pages offer plain share links, each carrying its channel and the ref.

Every share address is URL-decoded and the campaign address inside it parsed: it must be
the campaign's page with ``ref`` and ``src`` only, nothing about the supporter.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import Campaign
from tests.support.html import form_fields, one, parse, text

CAMPAIGN = "/c/status-for-all"
RIDING = f"{CAMPAIGN}/riding/35100"
WRITE = f"{RIDING}/email"
PHONE = "613-555-0142"
LETTER = {
    "name": "Jane Doe",
    "email": "jane.supporter@example.org",
    "postal_code": "M5V 3L9",
    "city": "Toronto",
    "personal_line": "My neighbour has cared for elders here for eleven years.",
}
#: Whatever the supporter gave: none of it may appear in a share link.
PERSONAL = ("6135550142", "555-0142", "jane", "Jane", "M5V", "3L9", "example.org")
NETWORKS = {
    "facebook": "www.facebook.com",
    "x": "x.com",
    "bluesky": "bsky.app",
    "whatsapp": "wa.me",
}


def _call_thanks(client: FlaskClient) -> BeautifulSoup:
    form = one(parse(client.get(RIDING).data), "section.call-me form")
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    response = client.post(f"{RIDING}/call", data={**fields, "phone": PHONE, "consent": "y"})
    return parse(client.get(response.headers["Location"]).data)


def _report_thanks(client: FlaskClient) -> BeautifulSoup:
    form = parse(client.get(RIDING).data).select("form.report")[0]
    fields = form_fields(form)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    data = {**fields, f"{prefix}-outcome": "talked_to_staff"}
    response = client.post(str(form["action"]).split("#")[0], data=data)
    return parse(client.get(response.headers["Location"].split("#")[0]).data)


def _letter_thanks(client: FlaskClient) -> BeautifulSoup:
    fields = {**form_fields(one(parse(client.get(WRITE).data), "form[method=post]")), **LETTER}
    preview = parse(client.post(WRITE, data={**fields, "action": "preview"}).data)
    form = one(preview, "form[method=post]")
    sent = client.post(str(form["action"]), data={**form_fields(form), "action": "send"})
    return parse(client.get(sent.headers["Location"]).data)


def _shared_address(link: Tag) -> str:
    """The campaign address inside one share link, decoded."""
    href = str(link["href"])
    source = str(link["data-source"])
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    if source == "facebook":
        assert parts.path == "/sharer/sharer.php"
        (address,) = query["u"]
    elif source == "x":
        assert parts.path == "/intent/post"
        (address,) = query["url"]
        assert query["text"][0]
    elif source in ("bluesky", "whatsapp"):
        assert parts.path == ("/intent/compose" if source == "bluesky" else "/")
        (words,) = query["text"]
        address = words.rsplit(" ", 1)[1]
    else:
        assert parts.scheme == "mailto" and parts.path == ""
        assert "+" not in parts.query  # mail clients read + literally: spaces are %20
        body = unquote(parts.query.split("body=", 1)[1])
        address = body.rsplit("\n", 1)[1]
    if source in NETWORKS:
        assert parts.scheme == "https" and parts.netloc == NETWORKS[source]
    return address


def _check_panel(soup: BeautifulSoup, ref: str | None) -> None:
    section = one(soup, "section.share")
    assert text(one(section, "h2")) == "Share this campaign"
    links = section.select("ul.share-links a")
    assert [link["data-source"] for link in links] == [*NETWORKS, "email"]
    addresses = {str(link["data-source"]): _shared_address(link) for link in links}
    field = one(section, "input.share-url")
    assert field.has_attr("readonly")
    assert one(section, f"label[for={field['id']}]")
    addresses["link"] = str(field["value"])
    for source, address in addresses.items():
        parts = urlsplit(address)
        assert parts.path == CAMPAIGN and not parts.fragment
        wanted = {"src": [source], **({"ref": [ref]} if ref else {})}
        assert parse_qs(parts.query) == wanted, address
    for link in links:
        assert {"noopener", "noreferrer"} <= set(link.get_attribute_list("rel"))
        href = unquote(str(link["href"]))
        assert not any(piece in href for piece in PERSONAL), href
    button = one(section, "button.copy-link")
    assert button["type"] == "button" and button["data-copy"] == field["id"]
    assert any(str(s["src"]).endswith("/static/share.js") for s in soup.select("script[src]"))


@pytest.mark.parametrize("thanks", [_call_thanks, _report_thanks, _letter_thanks])
def test_each_thank_you_page_shares_the_campaign_with_ref_and_source(
    client: FlaskClient, session: Session, thanks: object
) -> None:
    session.execute(update(Campaign).values(email_confirm=False))
    session.commit()
    client.get(f"{CAMPAIGN}?ref=union-7&src=facebook")
    assert callable(thanks)
    _check_panel(thanks(client), "union-7")


def test_without_a_referral_the_links_carry_the_source_only(
    client: FlaskClient, session: Session
) -> None:
    _check_panel(_report_thanks(client), None)


def test_the_prepared_message_is_in_the_pages_language(
    client: FlaskClient, session: Session
) -> None:
    campaign = session.scalars(select(Campaign).where(Campaign.slug == "status-for-all")).one()
    client.get(f"{CAMPAIGN}?lang=fr")
    soup = _report_thanks(client)
    section = one(soup, "section.share")
    assert text(one(section, "h2")) == "Partagez cette campagne"
    message = one(section, ".share-message").get_text()
    assert message.startswith(campaign.text("title", "fr") + " \u2014 ")
    assert "\u00a0:" in message  # the title's French typography is kept
    x = next(a for a in section.select("a") if a["data-source"] == "x")
    assert parse_qs(urlsplit(str(x["href"])).query)["text"] == [message]
    assert text(one(section, "button.copy-link")) == "Copier le lien"


def test_pages_before_acting_offer_no_share_block(client: FlaskClient) -> None:
    assert not parse(client.get(RIDING).data).select("section.share")
