"""A petition's deliveries: each round and its recipients, "Deliver now" (leads, after a
confirmation page), and the printable packet (PDF)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp.db import utcnow
from callmp.models import (
    Campaign,
    MessageStatus,
    PetitionDelivery,
    PetitionDeliveryRecipient,
    RecipientOutcome,
    Role,
)
from callmp.petitions import delivery, packet
from callmp.views import presenters
from callmp.views.admin import confirm
from callmp.views.context import campaign_or_404, db, services
from callmp.views.security import role_required, staff

bp = Blueprint("admin_petition", __name__, url_prefix="/admin")

Page = Response | tuple[str, int] | str


@dataclass(frozen=True)
class Row:
    """One recipient of a round as the page shows it."""

    name: str
    riding: str
    signatures: int
    new_signatures: int
    status: str  # queued / sent / failed / not emailed / vacant


def _status(recipient: PetitionDeliveryRecipient) -> str:
    """What became of a recipient's message, in the reader's language."""
    if recipient.outcome == RecipientOutcome.vacant:
        return str(gettext("Vacant: nobody to email"))
    if recipient.outcome == RecipientOutcome.no_email or recipient.message is None:
        return str(gettext("Not emailed: no address"))
    status = recipient.message.status
    if status == MessageStatus.sent:
        return str(gettext("Sent"))
    if status == MessageStatus.failed:
        return str(gettext("Failed"))
    return str(gettext("Queued"))


def _rows(round_: PetitionDelivery, locale: str) -> list[Row]:
    """The round's recipients, MPs first as recorded."""
    rows = []
    for recipient in round_.recipients:
        riding = recipient.riding.name(locale) if recipient.riding is not None else ""
        name = recipient.name or (gettext("Vacant seat") if recipient.fed_num else "")
        rows.append(
            Row(
                name=str(name or gettext("Vacant post")),
                riding=str(riding or gettext("All of Canada")),
                signatures=recipient.signatures,
                new_signatures=recipient.new_signatures,
                status=_status(recipient),
            )
        )
    return rows


def _page(campaign: Campaign, error: str = "", status: int = 200) -> tuple[str, int]:
    """The deliveries page."""
    locale = presenters.locale_code()
    rounds = delivery.rounds(db(), campaign.id)
    html = render_template(
        "admin/petition/deliveries.html",
        campaign=campaign,
        rounds=[(r, _rows(r, locale)) for r in rounds],
        trigger_labels=_trigger_labels(),
        standing=delivery.standing(db(), campaign),
        error=error,
        can_deliver=staff().can(Role.lead),
    )
    return html, status


def _trigger_labels() -> dict[str, str]:
    """Each trigger's label in the reader's language."""
    return {
        "hand": gettext("By hand"),
        "every": gettext("Every N new signatures"),
        "date": gettext("On a date"),
    }


@bp.get("/campaigns/<int:campaign_id>/petition/deliveries")
@role_required(Role.organizer)
def deliveries(campaign_id: int) -> Page:
    """Each delivery round with its recipients and messages, and the schedule in force."""
    return _page(campaign_or_404(campaign_id))


def _delivering(campaign: Campaign) -> confirm.Confirmation:
    """The confirmation of a delivery by hand."""
    title = campaign.text("petition_title", presenters.locale_code()) or campaign.slug
    return confirm.Confirmation(
        heading=gettext("Deliver the petition “%(title)s” now?", title=title),
        explanation=[
            gettext(
                "Each MP whose constituents signed since their previous delivery is emailed "
                "their count and their constituents' comments; each other target is emailed "
                "the national total. Emails cannot be recalled once sent."
            )
        ],
        action=url_for("admin_petition.deliver_now", campaign_id=campaign.id),
        button=gettext("Deliver now"),
        cancel=url_for("admin_petition.deliveries", campaign_id=campaign.id),
    )


@bp.get("/campaigns/<int:campaign_id>/petition/deliver")
@role_required(Role.lead)
def confirm_deliver(campaign_id: int) -> Page:
    """Ask before emailing the petition to its targets."""
    return confirm.page(_delivering(campaign_or_404(campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/petition/deliver")
@role_required(Role.lead)
def deliver_now(campaign_id: int) -> Page:
    """Record a round by hand and queue its emails (from the confirmation page only)."""
    campaign = campaign_or_404(campaign_id)
    if not confirm.confirmed():
        return confirm.refused(_delivering(campaign))
    petitions = services().petitions
    try:
        made = petitions.deliver_now(db(), campaign, staff().id, utcnow())
    except delivery.DeliveryError as refused:
        db().rollback()
        return _page(campaign, gettext(refused.message, **refused.params), 409)
    db().commit()
    if made is None:
        flash(gettext("Another delivery was just recorded: nothing more was sent."), "info")
    else:
        petitions.enqueue(made)
        flash(
            gettext("The petition is on its way. Recipients: %(n)s.", n=len(made.recipients)),
            "info",
        )
    return redirect(url_for("admin_petition.deliveries", campaign_id=campaign.id), 303)


@bp.get("/campaigns/<int:campaign_id>/petition/packet.pdf")
@role_required(Role.organizer)
def packet_pdf(campaign_id: int) -> Page:
    """The printable packet, as a download never kept in a cache."""
    campaign = campaign_or_404(campaign_id)
    font = str(current_app.config.get("PDF_FONT") or packet.DEFAULT_FONT)
    try:
        data = packet.build(db(), campaign, utcnow(), font)
    except packet.PacketError as refused:
        return _page(campaign, gettext(refused.message, **refused.params), 503)
    response = Response(data, mimetype="application/pdf")
    name = f"petition-{campaign.slug}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
