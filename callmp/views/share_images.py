"""The campaign's share image (Open Graph ``og:image``), drawn and kept per revision."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from werkzeug.wrappers import Response

from callmp.campaigns import share_image
from callmp.views.context import content_revision, running_campaign, services

bp = Blueprint("share_images", __name__)

#: The URL carries the content revision, so a preview card's image may be kept a day.
MAX_AGE_SECONDS = 24 * 3600


def _draw(title: str, footer: str, accent: str) -> bytes:
    """The default image of this title (a few tens of milliseconds with Pillow)."""
    font = share_image.find_font(str(current_app.config.get("SHARE_IMAGE_FONT") or ""))
    return share_image.default_image(title, footer, accent or share_image.DEFAULT_ACCENT, font)


@bp.get("/c/<slug>/share-image.<any(en, fr):lang>.png")
def default_image(slug: str, lang: str) -> Response:
    """The campaign's default share image in ``lang`` (a text 404 for no such campaign)."""
    campaign = running_campaign(slug)
    if campaign is None:
        abort(404)
    title = campaign.text("title", lang) or campaign.title_en or campaign.title_fr
    key = ("share image", slug, lang)
    footer = campaign.organization_name or "CallMP"
    png = services().running.derived.get(
        content_revision(), key, lambda: _draw(title, footer, campaign.accent_color)
    )
    response = Response(png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    return response
