"""A campaign's look on its public pages: a tiny stylesheet with its accent colour.

The Content-Security-Policy allows styles from our own origin only (no inline style), so
the colour comes as a stylesheet of the app's, its address carrying the content revision.
"""

from __future__ import annotations

from flask import Blueprint, abort, url_for
from werkzeug.wrappers import Response

from callmp.models import Campaign
from callmp.views.context import content_revision, running_campaign

bp = Blueprint("branding", __name__)

MAX_AGE_SECONDS = 24 * 3600


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
