"""The "Share this campaign" block of the thank-you pages (see ``campaigns.sharing``)."""

from __future__ import annotations

from flask import current_app, request, url_for

from callmp.campaigns import sharing
from callmp.models import Campaign
from callmp.views import presenters
from callmp.views.context import referral_for


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
