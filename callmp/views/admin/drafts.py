"""Unpublished changes to a campaign: review them against what supporters see, publish
them, or discard them (each after a confirmation, without JavaScript)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp import numbers
from callmp.campaigns import draft_publishing, drafts
from callmp.campaigns.fields import CampaignInvalid
from callmp.models import Campaign, Role
from callmp.views import presenters
from callmp.views.admin import confirm
from callmp.views.admin.campaigns import message
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_drafts", __name__, url_prefix="/admin")

Page = Response | tuple[str, int] | str


def _none_left(campaign: Campaign) -> Response:
    """Back to the campaign after a POST: its changes were published or discarded meanwhile."""
    flash(gettext("This campaign has no unpublished changes (any more)."), "info")
    return redirect(url_for("admin_campaigns.show", campaign_id=campaign.id), 303)


def _changes_page(campaign: Campaign, error: str = "", status: int = 200) -> Page:
    """The differences between the live campaign and its draft, with the lead's buttons
    (a page saying there are none when there is no draft)."""
    try:
        found: draft_publishing.Changes | None = draft_publishing.changes(db(), campaign)
    except draft_publishing.NoDraft:
        found = None
    page = render_template(
        "admin/campaigns/changes.html",
        campaign=campaign,
        changes=found,
        draft=found.draft if found is not None else None,
        error=error,
        can_publish=staff().can(Role.lead),
    )
    return page, status


def _posted_revision() -> int:
    """The draft revision the lead's confirmation page showed (0 when missing)."""
    return numbers.whole_number(request.form.get("revision", "")) or 0


@bp.get("/campaigns/<int:campaign_id>/changes")
@role_required(Role.organizer)
def changes(campaign_id: int) -> Page:
    """What the unpublished changes would change for supporters, and (leads) Publish."""
    return _changes_page(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/changes/publish")
@role_required(Role.lead)
def publish_changes(campaign_id: int) -> Page:
    """Apply the reviewed draft: supporters see it now; it becomes a version."""
    campaign = campaign_or_404(campaign_id)
    if not confirm.confirmed():
        refusal = gettext("Nothing was done yet: please confirm with the button below.")
        return _changes_page(campaign, refusal, 400)
    try:
        number = draft_publishing.publish(db(), campaign, staff(), expected=_posted_revision())
    except draft_publishing.NoDraft:
        db().rollback()
        return _none_left(campaign)
    except (drafts.DraftStale, draft_publishing.DraftRefused) as refused:
        db().rollback()
        return _changes_page(campaign, gettext(refused.message, **refused.params), 409)
    except CampaignInvalid as invalid:
        db().rollback()
        return _changes_page(campaign, " ".join(message(e) for e in invalid.errors), 400)
    db().commit()
    if number is None:
        flash(gettext("The changes matched the published campaign: nothing changed."), "info")
    else:
        flash(gettext("The changes are published as version %(number)s.", number=number), "info")
    return redirect(url_for("admin_campaigns.show", campaign_id=campaign.id), 303)


def _discarding(campaign: Campaign, revision: int) -> confirm.Confirmation:
    """The confirmation of dropping the campaign's unpublished changes."""
    title = campaign.text("title", presenters.locale_code()) or campaign.slug
    return confirm.Confirmation(
        heading=gettext("Discard the unpublished changes to %(title)s?", title=title),
        explanation=[
            gettext(
                "Every change saved since the campaign was last published is dropped for "
                "good. Supporters keep seeing the campaign as it is now."
            )
        ],
        action=url_for("admin_drafts.discard_changes", campaign_id=campaign.id),
        button=gettext("Discard the changes"),
        cancel=url_for("admin_drafts.changes", campaign_id=campaign.id),
        hidden={"revision": str(revision)},
    )


@bp.get("/campaigns/<int:campaign_id>/changes/discard")
@role_required(Role.lead)
def confirm_discard(campaign_id: int) -> Page:
    """Ask before dropping the unpublished changes, listing them."""
    campaign = campaign_or_404(campaign_id)
    try:
        found = draft_publishing.changes(db(), campaign)
    except draft_publishing.NoDraft:
        return _changes_page(campaign)
    confirmation = _discarding(campaign, found.draft.revision)
    confirmation.diffs = found.diffs
    confirmation.diffs_heading = gettext("The changes that would be lost")
    return confirm.page(confirmation)


@bp.post("/campaigns/<int:campaign_id>/changes/discard")
@role_required(Role.lead)
def discard_changes(campaign_id: int) -> Page:
    """Drop the unpublished changes (from the confirmation page only)."""
    campaign = campaign_or_404(campaign_id)
    draft = drafts.find(db(), campaign.id)
    if not confirm.confirmed():
        return confirm.refused(_discarding(campaign, drafts.revision(draft)))
    try:
        draft_publishing.discard(db(), campaign, staff(), expected=_posted_revision())
    except draft_publishing.NoDraft:
        db().rollback()
        return _none_left(campaign)
    except drafts.DraftStale as stale:
        db().rollback()
        return _changes_page(campaign, gettext(stale.message), 409)
    db().commit()
    flash(gettext("The unpublished changes are discarded."), "info")
    return redirect(url_for("admin_campaigns.show", campaign_id=campaign.id), 303)
