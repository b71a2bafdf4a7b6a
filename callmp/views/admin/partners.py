"""Campaign leads list a campaign's partners: their codes, sites and private dashboards.

Organizers see the list without the private links (a link is a key for the partner alone);
leads and admins add, edit, remove partners and replace a link.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp.models import Campaign, Partner, Role
from callmp.partners import editing
from callmp.views.admin import confirm
from callmp.views.admin.partner_forms import PartnerForm
from callmp.views.context import campaign_or_404, clean_referral, db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_partners", __name__, url_prefix="/admin/campaigns/<int:campaign_id>")

Page = Response | tuple[str, int] | str


def _partner(campaign: Campaign, partner_id: int) -> Partner:
    """The campaign's partner ``partner_id``, or 404."""
    partner = editing.find(db(), campaign.id, partner_id)
    if partner is None:
        abort(404)
    return partner


def _refused(form: PartnerForm, error: editing.PartnerInvalid) -> None:
    """Put each refusal next to its field (nothing was written)."""
    db().rollback()
    for name, (message, params) in error.errors.items():
        getattr(form, name).errors = [gettext(message, **params)]


def private_link(partner: Partner) -> str:
    """The partner's dashboard link as the partner opens it: on the public address when
    one is set (staff may be on an internal one), else on this request's."""
    base = str(current_app.config["PUBLIC_URL"] or "").rstrip("/")
    if not base:
        return url_for("partner_dashboard.show", token=partner.dashboard_key, _external=True)
    return base + url_for("partner_dashboard.show", token=partner.dashboard_key)


def _index(campaign: Campaign, form: PartnerForm, status: int = 200) -> tuple[str, int]:
    """The partner list with the form to add one."""
    page = render_template(
        "admin/partners/index.html",
        campaign=campaign,
        partners=editing.of_campaign(db(), campaign.id),
        form=form,
        private_link=private_link,
    )
    return page, status


def _edit(campaign: Campaign, partner: Partner, form: PartnerForm, status: int = 200) -> Page:
    """One partner's form."""
    page = render_template(
        "admin/partners/edit.html", campaign=campaign, partner=partner, form=form
    )
    return page, status


def _listed(campaign: Campaign) -> Response:
    return redirect(url_for("admin_partners.index", campaign_id=campaign.id))


@bp.get("/partners")
@role_required(Role.organizer)
def index(campaign_id: int) -> Page:
    """The campaign's partners; leads also get the form to add one."""
    return _index(campaign_or_404(campaign_id), PartnerForm(formdata=None))


@bp.post("/partners")
@role_required(Role.lead)
def create(campaign_id: int) -> Page:
    """Add a partner (a new private link is drawn for it)."""
    campaign = campaign_or_404(campaign_id)
    form = PartnerForm()
    try:
        partner = editing.create(db(), campaign, form.values(), staff(), clean_referral)
    except editing.PartnerInvalid as error:
        _refused(form, error)
        return _index(campaign, form, 400)
    db().commit()
    flash(gettext("Partner added: %(name)s.", name=partner.name), "info")
    return _listed(campaign)


@bp.get("/partners/<int:partner_id>")
@role_required(Role.lead)
def edit(campaign_id: int, partner_id: int) -> Page:
    """A partner's name, code and sites, ready to change."""
    campaign = campaign_or_404(campaign_id)
    partner = _partner(campaign, partner_id)
    form = PartnerForm(formdata=None, name=partner.name, code=partner.code, origins=partner.origins)
    return _edit(campaign, partner, form)


@bp.post("/partners/<int:partner_id>")
@role_required(Role.lead)
def update(campaign_id: int, partner_id: int) -> Page:
    """Save a partner's changes (its private link stays)."""
    campaign = campaign_or_404(campaign_id)
    partner = _partner(campaign, partner_id)
    form = PartnerForm()
    try:
        editing.update(db(), campaign, partner, form.values(), staff(), clean_referral)
    except editing.PartnerInvalid as error:
        _refused(form, error)
        return _edit(campaign, _partner(campaign, partner_id), form, 400)
    db().commit()
    flash(gettext("Partner saved: %(name)s.", name=partner.name), "info")
    return _listed(campaign)


def _replacing(campaign: Campaign, partner: Partner) -> confirm.Confirmation:
    return confirm.Confirmation(
        heading=gettext("Give %(name)s a new private link?", name=partner.name),
        explanation=[
            gettext(
                "The link they have now stops working at once. Send them the new one "
                "shown on the partners page."
            )
        ],
        action=url_for("admin_partners.new_link", campaign_id=campaign.id, partner_id=partner.id),
        button=gettext("Replace the private link"),
        cancel=url_for("admin_partners.index", campaign_id=campaign.id),
    )


@bp.get("/partners/<int:partner_id>/new-link")
@role_required(Role.lead)
def confirm_new_link(campaign_id: int, partner_id: int) -> tuple[str, int]:
    """Ask before replacing a partner's private link."""
    campaign = campaign_or_404(campaign_id)
    return confirm.page(_replacing(campaign, _partner(campaign, partner_id)))


@bp.post("/partners/<int:partner_id>/new-link")
@role_required(Role.lead)
def new_link(campaign_id: int, partner_id: int) -> Page:
    """Replace the private link (from the confirmation page)."""
    campaign = campaign_or_404(campaign_id)
    partner = _partner(campaign, partner_id)
    if not confirm.confirmed():
        return confirm.refused(_replacing(campaign, partner))
    editing.replace_key(db(), campaign, partner, staff())
    db().commit()
    flash(
        gettext("New private link for %(name)s: the old one no longer works.", name=partner.name),
        "info",
    )
    return _listed(campaign)


def _removing(campaign: Campaign, partner: Partner) -> confirm.Confirmation:
    return confirm.Confirmation(
        heading=gettext("Remove the partner %(name)s?", name=partner.name),
        explanation=[
            gettext(
                "Their private link stops working and their sites may no longer embed the "
                "campaign. Contacts they brought keep their code (%(code)s) in the counts.",
                code=partner.code,
            )
        ],
        action=url_for("admin_partners.delete", campaign_id=campaign.id, partner_id=partner.id),
        button=gettext("Remove the partner"),
        cancel=url_for("admin_partners.index", campaign_id=campaign.id),
    )


@bp.get("/partners/<int:partner_id>/delete")
@role_required(Role.lead)
def confirm_delete(campaign_id: int, partner_id: int) -> tuple[str, int]:
    """Ask before removing a partner."""
    campaign = campaign_or_404(campaign_id)
    return confirm.page(_removing(campaign, _partner(campaign, partner_id)))


@bp.post("/partners/<int:partner_id>/delete")
@role_required(Role.lead)
def delete(campaign_id: int, partner_id: int) -> Page:
    """Remove a partner (from the confirmation page)."""
    campaign = campaign_or_404(campaign_id)
    partner = _partner(campaign, partner_id)
    if not confirm.confirmed():
        return confirm.refused(_removing(campaign, partner))
    name = partner.name
    editing.delete(db(), campaign, partner, staff())
    db().commit()
    flash(gettext("Partner removed: %(name)s.", name=name), "info")
    return _listed(campaign)
