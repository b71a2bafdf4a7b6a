"""Versions of a campaign (list, differences, restore) and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from callmp import audit as audit_log
from callmp import numbers
from callmp.campaigns import drafts, version_diffs
from callmp.campaigns import versions as history
from callmp.models import Campaign, CampaignStatus, Role
from callmp.views import presenters
from callmp.views.admin import audit_presenters, confirm
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_history", __name__, url_prefix="/admin")

#: A campaign's own staff page (every role may see it), tried in order.
_CAMPAIGN_ENDPOINTS = ("admin_campaigns.show", "admin_campaigns.edit")


@bp.app_template_global()
def campaign_url(campaign_id: int) -> str:
    """The staff page of a campaign (its versions if the campaign pages aren't there)."""
    for endpoint in _CAMPAIGN_ENDPOINTS:
        try:
            return url_for(endpoint, campaign_id=campaign_id)
        except BuildError:
            continue
    return url_for("admin_history.versions", campaign_id=campaign_id)


def _int_arg(name: str) -> int | None:
    """An optional whole-number query parameter; anything else is a bad request."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    number = numbers.whole_number(raw)
    if number is None:
        abort(400)
    return number


@bp.get("/campaigns/<int:campaign_id>/versions")
@role_required(Role.organizer)
def versions(campaign_id: int) -> str:
    """Every version of a campaign, newest first, with what each one changed."""
    return _versions_page(campaign_or_404(campaign_id))


def _versions_page(campaign: Campaign, error: str = "") -> str:
    """The list of versions, with a refused restore's reason on top if there is one."""
    return render_template(
        "admin/history/versions.html",
        campaign=campaign,
        rows=version_diffs.history_rows(db(), campaign.id),
        field_label=version_diffs.field_label,
        can_restore=staff().can(Role.lead),
        error=error,
    )


@bp.get("/campaigns/<int:campaign_id>/versions/compare")
@role_required(Role.organizer)
def compare(campaign_id: int) -> str | tuple[str, int]:
    """The differences between two versions (``?a=`` the older side, ``?b=`` the newer)."""
    campaign = campaign_or_404(campaign_id)
    a, b = _int_arg("a"), _int_arg("b")
    if a is None or b is None:
        abort(404)
    try:
        comparison = version_diffs.compare(db(), campaign, a, b)
    except version_diffs.UnknownVersion:
        abort(404)
    page = render_template(
        "admin/history/compare.html",
        campaign=campaign,
        comparison=comparison,
        same_number=a == b,
        can_restore=staff().can(Role.lead),
    )
    return (page, 400) if a == b else page


def _restoring(campaign: Campaign, number: int) -> confirm.Confirmation:
    """The confirmation of restoring version ``number``, with what it would change."""
    version = history.find_version(db(), campaign.id, number)
    if version is None:
        abort(404)
    explanation = [
        gettext(
            "The campaign's texts, settings, targets and referral codes become as they were "
            "in version %(number)s, kept as a new version. Its status does not change.",
            number=number,
        )
    ]
    if campaign.status == CampaignStatus.published:
        explanation.append(gettext("The campaign is published: supporters see this at once."))
    if drafts.find(db(), campaign.id) is not None:
        explanation.append(
            gettext(
                "The unpublished changes are kept: review them again afterwards, as they "
                "are compared with the restored campaign."
            )
        )
    title = campaign.text("title", presenters.locale_code()) or campaign.slug
    return confirm.Confirmation(
        heading=gettext("Restore version %(number)s of %(title)s?", number=number, title=title),
        explanation=explanation,
        action=url_for("admin_history.restore", campaign_id=campaign.id, number=number),
        button=gettext("Restore version %(number)s", number=number),
        cancel=url_for("admin_history.versions", campaign_id=campaign.id),
        diffs=version_diffs.diff_snapshots(db(), history.snapshot(campaign), version.snapshot),
        diffs_heading=gettext("What restoring changes"),
    )


@bp.get("/campaigns/<int:campaign_id>/versions/<int:number>/restore")
@role_required(Role.lead)
def confirm_restore(campaign_id: int, number: int) -> tuple[str, int]:
    """Ask before restoring an old version, showing what it would change."""
    return confirm.page(_restoring(campaign_or_404(campaign_id), number))


@bp.post("/campaigns/<int:campaign_id>/versions/<int:number>/restore")
@role_required(Role.lead)
def restore(campaign_id: int, number: int) -> Response | tuple[str, int]:
    """Bring back an old version as the newest version, not its status (once confirmed)."""
    campaign = campaign_or_404(campaign_id)
    if not confirm.confirmed():
        return confirm.refused(_restoring(campaign, number))
    try:
        version = history.restore(db(), campaign, number, staff())
    except history.VersionNotFound:
        db().rollback()
        abort(404)
    except history.RestoreRefused as refused:
        db().rollback()
        return _versions_page(campaign, error=gettext(refused.message, **refused.params)), 409
    db().commit()
    if version is None:
        flash(gettext("The campaign already matches version %(number)s.", number=number), "info")
    else:
        flash(
            gettext(
                "Version %(number)s is restored as version %(new)s.",
                number=number,
                new=version.number,
            ),
            "info",
        )
    return redirect(url_for("admin_history.versions", campaign_id=campaign_id), 303)


@bp.get("/audit")
@role_required(Role.lead)
def audit() -> str:
    """The audit log, newest first, by campaign and kind of action, page by page."""
    campaign_id, before = _int_arg("campaign_id"), _int_arg("before")
    action = request.args.get("action", "").strip()
    if action and action not in audit_log.ACTION_GROUPS:
        abort(400)
    page = audit_log.page(
        db(),
        campaign_id=campaign_id,
        action=action or None,
        before=before,
        locale=presenters.locale_code(),
    )
    return render_template(
        "admin/history/audit.html",
        summary=audit_presenters.summary,
        page=page,
        campaign_id=campaign_id,
        action=action,
        groups=audit_log.ACTION_GROUPS,
        action_label=audit_log.action_label,
        object_label=audit_log.object_label,
    )
