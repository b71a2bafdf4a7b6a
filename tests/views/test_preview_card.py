"""The campaign page's preview card: Open Graph and Twitter tags, and the image they name."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import Campaign
from tests.support.html import parse

CAMPAIGN = "/c/status-for-all"


def _tags(soup: BeautifulSoup) -> dict[str, list[str]]:
    """Every meta tag of the head by property or name, in order."""
    found: dict[str, list[str]] = {}
    head = soup.head
    assert head is not None
    for meta in head.select("meta[property], meta[name]"):
        key = str(meta.get("property") or meta.get("name"))
        found.setdefault(key, []).append(str(meta["content"]))
    return found


def _campaign(session: Session) -> Campaign:
    return session.scalars(select(Campaign).where(Campaign.slug == "status-for-all")).one()


def _image(client: FlaskClient, url: str) -> Image.Image:
    parts = urlsplit(url)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


@pytest.mark.parametrize(("lang", "other"), [("en", "fr"), ("fr", "en")])
def test_the_campaign_page_carries_a_preview_card_in_its_language(
    client: FlaskClient, session: Session, lang: str, other: str
) -> None:
    campaign = _campaign(session)
    tags = _tags(parse(client.get(f"{CAMPAIGN}?lang={lang}").data))
    title = campaign.text("title", lang)
    assert tags["og:title"] == tags["twitter:title"] == [title]
    summary = " ".join(campaign.text("summary", lang).split(" ")).strip()
    (description,) = tags["og:description"]
    assert tags["twitter:description"] == [description]
    # The summary, or its beginning cut at a word when it is long.
    assert description == summary or (
        len(description) <= 300
        and description.endswith("…")
        and summary.startswith(description[:-1])
        and summary[len(description) - 1] in " ,;:"
    )
    assert tags["og:type"] == ["website"]
    assert tags["og:locale"] == [f"{lang}_CA"]
    assert tags["og:locale:alternate"] == [f"{other}_CA"]
    assert urlsplit(tags["og:url"][0]).path == CAMPAIGN and not urlsplit(tags["og:url"][0]).query
    assert tags["twitter:card"] == ["summary_large_image"]
    (image_url,) = tags["og:image"]
    assert tags["twitter:image"] == [image_url]
    assert urlsplit(image_url).scheme in ("http", "https")
    assert (tags["og:image:width"], tags["og:image:height"]) == (["1200"], ["630"])
    assert tags["og:image:alt"] == tags["twitter:image:alt"]
    assert title in tags["og:image:alt"][0]
    image = _image(client, image_url)
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_the_default_image_differs_by_language_and_follows_the_title(
    client: FlaskClient, session: Session
) -> None:
    pictures = {
        lang: _image(
            client, _tags(parse(client.get(f"{CAMPAIGN}?lang={lang}").data))["og:image"][0]
        )
        for lang in ("en", "fr")
    }
    assert pictures["en"].tobytes() != pictures["fr"].tobytes()
    before = _tags(parse(client.get(f"{CAMPAIGN}?lang=en").data))["og:image"][0]
    session.execute(update(Campaign).values(title_en="A new title for the card"))
    session.commit()
    after = _tags(parse(client.get(f"{CAMPAIGN}?lang=en").data))["og:image"][0]
    assert after != before  # a new content revision: a new address, a fresh image
    assert _image(client, after).tobytes() != pictures["en"].tobytes()


def test_the_share_image_of_an_unknown_campaign_is_404(client: FlaskClient) -> None:
    assert client.get("/c/no-such-campaign/share-image.en.png").status_code == 404
    assert client.get(f"{CAMPAIGN}/share-image.de.png").status_code == 404
