"""Images a lead uploads (logo, header, share image): checked, kept, shown, versioned."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callmp.campaigns import images
from callmp.campaigns import versions as history
from callmp.models import Campaign, CampaignImage, Role, User
from tests.support.html import one, parse
from tests.views.admin.test_campaigns import (
    NEW_CAMPAIGN,
    campaign_by_slug,
    csrf,
    field_error,
    form_values,
)

Login = Callable[..., User]


def _picture(size: tuple[int, int], kind: str = "PNG", colour: str = "#8a1c4b") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=kind)
    return out.getvalue()


def _post_new(client: FlaskClient, **files: tuple[bytes, str]) -> Any:
    data: dict[str, Any] = {**NEW_CAMPAIGN, "csrf_token": csrf(client)}
    for name, (content, filename) in files.items():
        data[name] = (io.BytesIO(content), filename)
    return client.post("/admin/campaigns/new", data=data, content_type="multipart/form-data")


def _decoded(client: FlaskClient, url: str) -> Image.Image:
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    picture = Image.open(io.BytesIO(response.data))
    picture.load()
    assert response.mimetype == Image.MIME[str(picture.format)]
    return picture


def test_a_lead_uploads_a_logo_a_header_and_a_share_image(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    response = _post_new(
        client,
        logo_image_upload=(_picture((200, 100)), "logo.png"),
        header_image_upload=(_picture((800, 200), "JPEG"), "header.jpg"),
        share_image_upload=(_picture((1200, 630)), "card.png"),
    )
    assert response.status_code == 302
    campaign = campaign_by_slug(session, "fair-wages")
    sizes = {}
    for name in images.IMAGE_FIELDS:
        stored = images.parse_key(getattr(campaign, name))
        assert stored is not None
        sizes[name] = (stored.width, stored.height)
        picture = _decoded(client, f"/images/{stored.key}")
        assert picture.size == sizes[name]
    assert sizes == {
        "logo_image": (200, 100),
        "header_image": (800, 200),
        "share_image": (1200, 630),
    }
    # The editor shows each image, keeps its key, and offers to remove it.
    page = parse(client.get(f"/admin/campaigns/{campaign.id}/edit").data)
    values = form_values(one(page, "form.campaign-form"))
    assert values["logo_image"] == campaign.logo_image
    assert len(page.select(".current-image img")) == 3
    values["logo_image_remove"] = "y"
    assert client.post(f"/admin/campaigns/{campaign.id}/edit", data=values).status_code == 302
    assert campaign_by_slug(session, "fair-wages").logo_image == ""
    session.expire_all()
    history.restore(session, campaign_by_slug(session, "fair-wages"), 1, None)
    session.commit()
    assert campaign_by_slug(session, "fair-wages").logo_image == campaign.logo_image


def test_a_file_that_is_not_an_image_is_refused_next_to_its_field(
    client: FlaskClient, login_as: Login, session: Session
) -> None:
    login_as(Role.lead)
    response = _post_new(
        client,
        logo_image_upload=(b"%PDF-1.7 not a picture", "logo.pdf"),
        share_image_upload=(_picture((1200, 630)), "card.png"),
    )
    assert response.status_code == 400
    page = parse(response.data)
    assert field_error(page, "logo_image_upload") == "The file is not a JPEG or PNG image."
    assert session.scalar(select(func.count()).select_from(CampaignImage)) == 0
    assert session.scalar(select(func.count()).select_from(Campaign)) == 1  # the demo only


def test_a_made_up_image_key_is_refused(client: FlaskClient, login_as: Login) -> None:
    login_as(Role.lead)
    forged = "0" * 40 + "-1200x630.png"
    response = client.post(
        "/admin/campaigns/new",
        data={**NEW_CAMPAIGN, "share_image": forged, "csrf_token": csrf(client)},
    )
    assert response.status_code == 400
    assert "not one of this site's" in field_error(parse(response.data), "share_image_upload")


def test_public_pages_show_the_images_and_the_card_uses_the_share_image(
    client: FlaskClient, session: Session
) -> None:
    keys = {
        name: images.store(session, _picture(size))
        for name, size in (
            ("logo_image", (120, 120)),
            ("header_image", (960, 240)),
            ("share_image", (1200, 628)),
        )
    }
    session.execute(
        update(Campaign)
        .where(Campaign.slug == "status-for-all")
        .values(organization_name="Migrant Rights Network", **keys)
    )
    session.commit()
    soup = parse(client.get("/c/status-for-all").data)
    header = one(soup, "main img.header-image")
    assert header["alt"] == "" and (header["width"], header["height"]) == ("960", "240")
    assert _decoded(client, str(header["src"])).size == (960, 240)
    logo = one(soup, "main p.organization img.logo")
    assert logo["alt"] == ""  # the name beside it says whose it is
    assert _decoded(client, str(logo["src"])).size == (120, 120)
    card = {str(m["property"]): str(m["content"]) for m in soup.select("meta[property]")}
    assert urlsplit(card["og:image"]).path == f"/images/{keys['share_image']}"
    assert (card["og:image:width"], card["og:image:height"]) == ("1200", "628")
    assert _decoded(client, card["og:image"]).size == (1200, 628)


def test_an_unknown_image_is_a_text_404(client: FlaskClient) -> None:
    response = client.get("/images/" + "0" * 40 + "-10x10.png")
    assert response.status_code == 404 and response.mimetype == "text/plain"
    assert client.get("/images/nonsense").status_code == 404
