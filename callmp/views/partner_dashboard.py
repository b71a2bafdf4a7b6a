"""A partner's private dashboard: its own contacts (and petition signatures) per day, at a
link only it has.

No login: the link's key is the credential (``partners.editing.by_key``). A wrong or
replaced key is a plain 404. The variable is called ``token`` so the access log writes it
as ``[token]``; the pages ask browsers not to send it on as a Referer nor to keep a copy.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template

from callmp.db import utcnow
from callmp.i18n import N_
from callmp.models import Campaign, Channel, Partner
from callmp.partners import editing
from callmp.stats import partner_counts
from callmp.stats.totals import COLUMNS, Column
from callmp.views import presenters
from callmp.views.context import db

bp = Blueprint("partner_dashboard", __name__, url_prefix="/p")

#: The table's column groups: the channel's name and its figures, as the staff tables.
GROUPS: tuple[tuple[str, tuple[Column, ...]], ...] = tuple(
    (label, tuple(c for c in COLUMNS if c.channel == channel))
    for label, channel in (
        (N_("Calls through CallMP"), Channel.bridged_call),
        (N_("Calls dialled by supporters"), Channel.direct_call),
        (N_("Letters"), Channel.email),
    )
)


def _partner(token: str) -> tuple[Partner, Campaign]:
    """The partner and campaign of the link's key, or 404."""
    partner = editing.by_key(db(), token)
    campaign = db().get(Campaign, partner.campaign_id) if partner is not None else None
    if partner is None or campaign is None:
        abort(404)
    return partner, campaign


def _zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config["DASHBOARD_TIME_ZONE"]))


#: No Referer out of these pages, no copy kept, no index: set after the security headers
#: (``views/headers.py``), so they have the last word.
PRIVATE_HEADERS: tuple[tuple[str, str], ...] = (
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
    ("X-Robots-Tag", "noindex, nofollow"),
)


@bp.get("/<token>")
def show(token: str) -> str:
    """The partner's contacts per day by channel and outcome, its total, the campaign's."""
    partner, campaign = _partner(token)
    zone = _zone()
    numbers = partner_counts.partner_numbers(
        db(), campaign.id, partner.code, zone, petition=campaign.petitions, now=utcnow()
    )
    return render_template(
        "partner/dashboard.html",
        partner=partner,
        campaign=campaign,
        title=campaign.text("title", presenters.locale_code()) or campaign.slug,
        numbers=numbers,
        groups=GROUPS,
        zone=str(zone),
        token=token,
    )


@bp.get("/<token>/contacts.csv")
def contacts_csv(token: str) -> Response:
    """The same per-day table as CSV."""
    partner, campaign = _partner(token)
    zone = _zone()
    numbers = partner_counts.partner_numbers(
        db(), campaign.id, partner.code, zone, petition=campaign.petitions, now=utcnow()
    )
    day = utcnow().astimezone(zone).date().isoformat()
    response = Response("".join(partner_counts.partner_csv(numbers)), mimetype="text/csv")
    name = f"{campaign.slug}-{partner.code}-{day}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
