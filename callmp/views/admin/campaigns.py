"""Campaign leads create, edit, preview, publish and archive campaigns (organizers look)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp import numbers
from callmp.campaigns import drafts, editing
from callmp.campaigns import fields as campaign_fields
from callmp.campaigns import preview as campaign_preview
from callmp.campaigns import status as campaign_status
from callmp.campaigns.fields import (
    DELIVERY_LABELS,
    LABELS,
    LANGUAGE_LABELS,
    POLICY_LABELS,
    CampaignInvalid,
    FieldError,
)
from callmp.db import utcnow
from callmp.directory import lookup, postal_codes
from callmp.models import Campaign, Role, User
from callmp.templating import PLACEHOLDERS
from callmp.views import context as web
from callmp.views import presenters
from callmp.views.admin import confirm
from callmp.views.admin.campaign_forms import CampaignForm, PreviewForm
from callmp.views.admin.campaign_uploads import take_uploads
from callmp.views.context import campaign_or_404, db
from callmp.views.public_forms import translate_postal_error
from callmp.views.riding_page import riding_page
from callmp.views.security import role_required, staff
from callmp.views.template_globals import status_name

bp = Blueprint("admin_campaigns", __name__, url_prefix="/admin")

Page = Response | tuple[str, int] | str


def message(error: FieldError) -> str:
    """A refused edit's message in the current language."""
    params = dict(error.params)
    if "status" in params:
        params["status"] = status_name(params["status"])
    if error.missing:
        params["missing"] = ", ".join(gettext(LABELS[key]) for key in error.missing)
    return str(gettext(error.message, **params))


def _show(campaign: Campaign, errors: list[str] | None = None, status: int = 200) -> Page:
    """The read-only campaign page, with refusals at the top if any."""
    page = render_template(
        "admin/campaigns/show.html",
        campaign=campaign,
        draft=drafts.find(db(), campaign.id),
        errors=errors or [],
        languages=LANGUAGE_LABELS,
        policies=POLICY_LABELS,
        deliveries=DELIVERY_LABELS,
    )
    return page, status


@bp.get("")
@role_required(Role.organizer)
def index() -> str:
    """Every campaign, newest first."""
    return render_template(
        "admin/campaigns/index.html", campaigns=campaign_status.list_campaigns(db())
    )


@bp.get("/campaigns/<int:campaign_id>")
@role_required(Role.organizer)
def show(campaign_id: int) -> Page:
    """One campaign's settings, texts and targets; leads also get its actions."""
    return _show(campaign_or_404(campaign_id))


def _edit_page(
    form: CampaignForm,
    campaign: Campaign | None,
    errors: list[str],
    status: int,
    *,
    stale: bool = False,
) -> Page:
    """The campaign form, with the placeholders the texts may use.

    For a campaign whose edits go to a draft, the form shows the draft and carries its
    revision (``stale``: the lead's input came back because the draft moved on).
    """
    draft = drafts.find(db(), campaign.id) if campaign is not None else None
    to_draft = campaign is not None and drafts.uses_draft(db(), campaign)
    if to_draft:
        form.draft_revision.data = str(drafts.revision(draft))
    page = render_template(
        "admin/campaigns/edit.html",
        form=form,
        campaign=campaign,
        draft=draft,
        to_draft=to_draft,
        stale=stale,
        errors=errors,
        placeholders=PLACEHOLDERS,
        time_zone=campaign_fields.EDIT_TIME_ZONE.key,
    )
    return page, status


@contextmanager
def as_edited(campaign: Campaign | None) -> Iterator[Campaign | None]:
    """The campaign as its edit pages show it (a new one: None)."""
    if campaign is None:
        yield None
        return
    with drafts.editable(db(), campaign) as shown:
        yield shown


def _form(campaign: Campaign | None) -> Page:
    """The campaign form with the stored values (a live campaign's: its draft's)."""
    with as_edited(campaign) as shown:
        form = CampaignForm(data=campaign_fields.form_values(shown))
        return _edit_page(form, shown, [], 200)


def _refused_page(form: CampaignForm, campaign: Campaign | None, error: CampaignInvalid) -> Page:
    """The form again with every refused field marked."""
    by_field: dict[str, list[str]] = {}
    general = []
    for refused in error.errors:
        if refused.name:
            by_field.setdefault(refused.name, []).append(message(refused))
        else:
            general.append(message(refused))
    form.show_errors({name: [" ".join(texts)] for name, texts in by_field.items()})
    if by_field:
        general.insert(0, gettext("Please correct the fields marked below."))
    with as_edited(campaign) as shown:
        return _edit_page(form, shown, general, 400)


def _save(campaign: Campaign | None) -> Page:
    """Save what was posted: a new version, a draft's change, or the form again with errors."""
    form = CampaignForm()
    to_draft = campaign is not None and drafts.uses_draft(db(), campaign)
    try:
        take_uploads(form)  # new images first: their keys are then saved like any field
        data = form.to_input()
        if campaign is None:
            saved = editing.save(db(), None, data, staff(), web.clean_referral)
        else:
            drafts.save_edit(
                db(),
                campaign,
                staff(),
                lambda shown: editing.save(db(), shown, data, staff(), web.clean_referral),
                expected=numbers.whole_number(form.draft_revision.data) or 0,
            )
            saved = campaign
    except CampaignInvalid as error:
        db().rollback()
        return _refused_page(form, campaign, error)
    except drafts.DraftStale as stale:
        db().rollback()
        with as_edited(campaign) as shown:
            return _edit_page(form, shown, [gettext(stale.message)], 409, stale=True)
    db().commit()
    if to_draft:
        flash(
            gettext(
                "Changes saved as a draft: supporters still see the published campaign "
                "until you publish the changes."
            ),
            "info",
        )
    else:
        flash(gettext("Campaign %(slug)s saved.", slug=saved.slug), "info")
    return redirect(url_for("admin_campaigns.show", campaign_id=saved.id))


@bp.get("/campaigns/new")
@role_required(Role.lead)
def new() -> Page:
    """The form for a new campaign."""
    return _form(None)


@bp.post("/campaigns/new")
@role_required(Role.lead)
def create() -> Page:
    """A new campaign, saved as a draft."""
    return _save(None)


@bp.get("/campaigns/<int:campaign_id>/edit")
@role_required(Role.lead)
def edit(campaign_id: int) -> Page:
    """The form to change a campaign's settings and texts."""
    return _form(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/edit")
@role_required(Role.lead)
def save(campaign_id: int) -> Page:
    """Change a campaign's settings and texts; each save that changes something is a version."""
    return _save(campaign_or_404(campaign_id))


def _change(campaign_id: int, change: Callable[[Any, Campaign, User], None], done: str) -> Page:
    """Apply a status change and go back to the campaign, or show why it was refused."""
    campaign = campaign_or_404(campaign_id)
    try:
        change(db(), campaign, staff())
    except CampaignInvalid as error:
        db().rollback()
        return _show(campaign, [message(refused) for refused in error.errors], 400)
    db().commit()
    flash(done, "info")
    return redirect(url_for("admin_campaigns.show", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/publish")
@role_required(Role.lead)
def publish(campaign_id: int) -> Page:
    """Show the campaign to supporters, once it is complete."""
    return _change(campaign_id, campaign_status.publish, gettext("The campaign is published."))


def _title(campaign: Campaign) -> str:
    """The campaign's name in the page's language."""
    return campaign.text("title", presenters.locale_code()) or campaign.slug


def _unpublishing(campaign: Campaign) -> confirm.Confirmation:
    """The confirmation of taking a campaign back to draft."""
    return confirm.Confirmation(
        heading=gettext("Unpublish %(title)s?", title=_title(campaign)),
        explanation=[
            gettext(
                "Supporters will no longer see the campaign: its page and its share links "
                "answer “not found”, and no new calls or letters start. Calls already under "
                "way finish. You can publish it again later."
            )
        ],
        action=url_for("admin_campaigns.unpublish", campaign_id=campaign.id),
        button=gettext("Unpublish the campaign"),
        cancel=url_for("admin_campaigns.show", campaign_id=campaign.id),
    )


def _archiving(campaign: Campaign) -> confirm.Confirmation:
    """The confirmation of archiving a campaign."""
    return confirm.Confirmation(
        heading=gettext("Archive %(title)s?", title=_title(campaign)),
        explanation=[
            gettext(
                "The campaign closes: supporters no longer see it and no new calls or "
                "letters start. Its figures and history stay. A lead can publish it again."
            )
        ],
        action=url_for("admin_campaigns.archive", campaign_id=campaign.id),
        button=gettext("Archive the campaign"),
        cancel=url_for("admin_campaigns.show", campaign_id=campaign.id),
    )


@bp.get("/campaigns/<int:campaign_id>/unpublish")
@role_required(Role.lead)
def confirm_unpublish(campaign_id: int) -> Page:
    """Ask before taking the campaign back to draft."""
    return confirm.page(_unpublishing(campaign_or_404(campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/unpublish")
@role_required(Role.lead)
def unpublish(campaign_id: int) -> Page:
    """Take the campaign back to draft (from the confirmation page only)."""
    if not confirm.confirmed():
        return confirm.refused(_unpublishing(campaign_or_404(campaign_id)))
    done = gettext("The campaign is back to draft: supporters no longer see it.")
    return _change(campaign_id, campaign_status.unpublish, done)


@bp.get("/campaigns/<int:campaign_id>/archive")
@role_required(Role.lead)
def confirm_archive(campaign_id: int) -> Page:
    """Ask before closing the campaign."""
    return confirm.page(_archiving(campaign_or_404(campaign_id)))


@bp.post("/campaigns/<int:campaign_id>/archive")
@role_required(Role.lead)
def archive(campaign_id: int) -> Page:
    """Close the campaign (from the confirmation page only)."""
    if not confirm.confirmed():
        return confirm.refused(_archiving(campaign_or_404(campaign_id)))
    done = gettext("The campaign is archived: supporters no longer see it.")
    return _change(campaign_id, campaign_status.archive, done)


def _choose(campaign: Campaign, form: PreviewForm, status: int, **context: Any) -> Page:
    """The preview's first step: which supporter to preview (or which of several ridings)."""
    page = render_template(
        "admin/campaigns/preview_start.html", campaign=campaign, form=form, **context
    )
    return page, status


@bp.get("/campaigns/<int:campaign_id>/preview")
@role_required(Role.organizer)
def preview(campaign_id: int) -> Page:
    """What a supporter in one riding sees, hears and gets to send; nothing is counted.

    With ``?draft=1``, the campaign as its unpublished changes have it.
    """
    campaign = campaign_or_404(campaign_id)
    if request.args.get("draft") == "1" and drafts.find(db(), campaign.id) is not None:
        with drafts.materialized(db(), campaign) as shown:
            return _preview(shown, draft=True)
    return _preview(campaign, draft=False)


def _preview(campaign: Campaign, *, draft: bool) -> Page:
    """The preview's steps for ``campaign`` as given (``draft``: its unpublished changes)."""
    form = PreviewForm(request.args)
    raw_fed = (form.fed_num.data or "").strip()
    fed_num = lookup.parse_fed_num(raw_fed)
    if raw_fed and fed_num is None:
        form.fed_num.errors = [gettext("A riding number has 5 digits, like 35079.")]
        return _choose(campaign, form, 400, draft_preview=draft)
    postal_code = None
    if (form.postal_code.data or "").strip():
        try:
            result = web.lookup_postal_code(form.postal_code.data)
        except postal_codes.PostalCodeError as error:
            form.postal_code.errors = [translate_postal_error(error)]
            return _choose(campaign, form, 400, draft_preview=draft)
        postal_code = result.postal_code
        ridings = [c.riding.fed_num for c in result.candidates]
        if fed_num is None or fed_num not in ridings:
            if result.best is None:
                notice = gettext(result.notice) if result.notice else None
                status = 200 if result.candidates else 404
                return _choose(
                    campaign,
                    form,
                    status,
                    candidates=result.candidates,
                    postal_code=postal_code,
                    notice=notice,
                    draft_preview=draft,
                )
            fed_num = result.best.riding.fed_num
    if fed_num is None:
        return _choose(campaign, form, 200, draft_preview=draft)
    locale = presenters.locale_code()
    extra = campaign_preview.build(db(), campaign, fed_num, locale, utcnow())
    if extra is None:
        form.fed_num.errors = [gettext("There is no riding with this number.")]
        return _choose(campaign, form, 404, draft_preview=draft)
    return riding_page(
        campaign.slug,
        fed_num,
        preview=campaign,
        preview_postal_code=postal_code,
        template="admin/campaigns/preview.html",
        extra=extra,
        other_locale="en" if locale == "fr" else "fr",
        draft_preview=draft,
    )
