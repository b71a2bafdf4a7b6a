"""The "Share this campaign" block of the thank-you pages (see ``campaigns.sharing``) and
the campaign page's preview card (Open Graph and Twitter card tags)."""

from __future__ import annotations

import re

from flask import current_app, request, url_for
from flask_babel import gettext

from callmp.campaigns import share_image, sharing
from callmp.campaigns.images import MEDIA_TYPES, parse_key
from callmp.models import Campaign
from callmp.views import presenters
from callmp.views.context import content_revision, referral_for

#: Social apps show two or three lines of a card's description.
DESCRIPTION_MAX = 300


def campaign_url(campaign: Campaign) -> str:
    """The campaign page's full address: on the configured public URL when there is one."""
    base = str(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    return base + url_for("public.campaign", slug=campaign.slug)


def share_panel(campaign: Campaign, referral: str | None = None) -> sharing.SharePanel:
    """The share buttons for this supporter: their referral code goes along (``referral``,
    as stored with their call or letter, else the one this session remembers)."""
    return sharing.share_panel(
        campaign,
        campaign_url(campaign),
        referral_for(campaign.slug) if referral is None else referral,
        presenters.locale_code(),
    )


def preview_card(campaign: Campaign) -> list[tuple[str, str, str]]:
    """The Open Graph and Twitter card tags of the campaign page in this page's language:
    (attribute, name, content), attribute being "property" (Open Graph) or "name"."""
    locale = presenters.locale_code()
    title = campaign.text("title", locale) or campaign.title_en or campaign.title_fr
    # Plain spaces only are folded: French no-break spaces stay.
    summary = re.sub(r"[ \t\r\n]+", " ", campaign.text("summary", locale)).strip()
    summary = sharing.shortened(summary, DESCRIPTION_MAX)
    base = str(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    uploaded = parse_key(campaign.share_image)
    if uploaded is not None:
        image = base + url_for("branding.image", key=uploaded.key)
        kind, width, height = MEDIA_TYPES[uploaded.extension], uploaded.width, uploaded.height
    else:
        image = base + url_for(
            "share_images.default_image", slug=campaign.slug, lang=locale, v=content_revision()
        )
        kind, width, height = "image/png", share_image.WIDTH, share_image.HEIGHT
    alt = str(gettext("%(title)s, the campaign's title", title=title))
    others = [lang for lang in campaign.languages.split() if lang != locale]
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", "CallMP"),
        ("property", "og:title", title),
        ("property", "og:description", summary or title),
        ("property", "og:url", campaign_url(campaign)),
        ("property", "og:locale", f"{locale}_CA"),
        *[("property", "og:locale:alternate", f"{lang}_CA") for lang in others],
        ("property", "og:image", image),
        ("property", "og:image:type", kind),
        ("property", "og:image:width", str(width)),
        ("property", "og:image:height", str(height)),
        ("property", "og:image:alt", alt),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", summary or title),
        ("name", "twitter:image", image),
        ("name", "twitter:image:alt", alt),
    ]
    return tags
