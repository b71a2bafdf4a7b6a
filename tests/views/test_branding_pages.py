"""A campaign's look on its public pages: its organization's name and accent colour."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import Campaign, User
from tests.support.html import one, parse, text

CAMPAIGN = "/c/status-for-all"
PAGES = (CAMPAIGN, f"{CAMPAIGN}/riding/35100", f"{CAMPAIGN}/riding/35100/email")
DECLARATION = re.compile(r"([-a-z]+)\s*:\s*([^;{}]+);")


def _brand(session: Session, **values: str) -> None:
    session.execute(update(Campaign).where(Campaign.slug == "status-for-all").values(**values))
    session.commit()


def _stylesheets(client: FlaskClient, url: str) -> list[str]:
    soup = parse(client.get(url).data)
    return [str(link["href"]) for link in soup.select("head link[rel=stylesheet]")]


def test_a_branded_campaign_carries_its_colour_and_name_on_its_pages(
    client: FlaskClient, session: Session
) -> None:
    _brand(session, accent_color="#8a1c4b", organization_name="Migrant Rights Network")
    for url in PAGES:
        sheets = _stylesheets(client, url)
        brand = [href for href in sheets if urlsplit(href).path == f"{CAMPAIGN}/brand.css"]
        assert len(brand) == 1 and sheets.index(brand[0]) > 0, url  # after the site's own
        assert text(one(parse(client.get(url).data), "main p.organization")) == (
            "Migrant Rights Network"
        )
    response = client.get(brand[0])
    assert response.status_code == 200 and response.mimetype == "text/css"
    declarations = DECLARATION.findall(response.get_data(as_text=True))
    assert ("--accent", "#8a1c4b") in [(name, value.strip()) for name, value in declarations]


def test_an_unbranded_campaign_keeps_callmps_look(client: FlaskClient) -> None:
    for url in PAGES:
        assert all("brand.css" not in href for href in _stylesheets(client, url))
        assert not parse(client.get(url).data).select("p.organization")
    assert client.get(f"{CAMPAIGN}/brand.css").status_code == 404


def test_staff_pages_keep_callmps_look(
    client: FlaskClient, session: Session, login_as: Callable[..., User]
) -> None:
    _brand(session, accent_color="#8a1c4b", organization_name="Migrant Rights Network")
    login_as()
    campaign_id = session.scalars(
        select(Campaign.id).where(Campaign.slug == "status-for-all")
    ).one()
    url = f"/admin/campaigns/{campaign_id}"
    assert client.get(url).status_code == 200
    assert all("brand.css" not in href for href in _stylesheets(client, url))
    assert not parse(client.get(url).data).select("p.organization")
