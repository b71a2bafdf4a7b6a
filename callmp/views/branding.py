"""A campaign's look on its public pages: a tiny stylesheet with its accent colour, and
the images its lead uploaded (logo, header, share image).

The Content-Security-Policy allows styles from our own origin only (no inline style), so
the colour comes as a stylesheet of the app's, its address carrying the content revision.
"""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from werkzeug.wrappers import Response

from callmp.campaigns import images
from callmp.campaigns.images import parse_key
from callmp.models import Campaign
from callmp.views.context import content_revision, db, running_campaign

bp = Blueprint("branding", __name__)

MAX_AGE_SECONDS = 24 * 3600
IMAGE_MAX_AGE_SECONDS = 365 * 24 * 3600


def _darker(colour: str) -> str:
    """``colour`` a quarter of the way to black (buttons' hover)."""
    parts = (int(colour[i : i + 2], 16) * 3 // 4 for i in (1, 3, 5))
    return "#" + "".join(f"{part:02x}" for part in parts)


def brand_css_url(campaign: Campaign | None) -> str | None:
    """The address of the campaign's stylesheet, or None when it keeps CallMP's look."""
    if campaign is None or not campaign.accent_color:
        return None
    return url_for("branding.brand_css", slug=campaign.slug, v=content_revision())


@bp.get("/c/<slug>/brand.css")
def brand_css(slug: str) -> Response:
    """The campaign's accent colour as CSS custom properties (checked when saved)."""
    campaign = running_campaign(slug)
    if campaign is None or not campaign.accent_color:
        abort(404)
    accent = campaign.accent_color
    css = (
        f":root {{ --accent: {accent}; }}\n"
        f"button.primary:hover, a.button.primary:hover {{ background: {_darker(accent)}; }}\n"
        f".counter {{ border-left-color: {accent}; }}\n"
    )
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE_SECONDS
    return response


@bp.get("/images/<key>")
def image(key: str) -> Response:
    """An uploaded campaign image (its key names its content: kept by browsers for long)."""
    found = images.load(db(), key)
    if found is None:
        return Response("no such image\n", status=404, mimetype="text/plain")
    response = Response(found.data, mimetype=found.media_type)
    response.cache_control.public = True
    response.cache_control.max_age = IMAGE_MAX_AGE_SECONDS
    response.cache_control.immutable = True
    return response


def image_url(key: str, external: bool = False) -> str | None:
    """The address of an uploaded image, or None for no (or no well-formed) key."""
    return url_for("branding.image", key=key, _external=external) if parse_key(key) else None
