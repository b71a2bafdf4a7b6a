"""Campaign leads choose a campaign's targets: own MP with filters and fallback, people.

Organizers see the same pages without the buttons; every POST needs a lead.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from callmp.campaigns import drafts, target_editing, target_words, targets
from callmp.models import Campaign, Role, Target, TargetKind
from callmp.templating import PLACEHOLDERS
from callmp.views import presenters
from callmp.views.admin import confirm
from callmp.views.admin.target_forms import (
    OwnMpForm,
    PersonTargetForm,
    PortfolioTargetForm,
    people_choices,
    person_label,
    portfolio_label,
)
from callmp.views.context import campaign_or_404, db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_targets", __name__, url_prefix="/admin")

Page = Response | tuple[str, int] | str
TargetForm = OwnMpForm | PersonTargetForm | PortfolioTargetForm
#: The form of each kind of target.
FORMS: dict[TargetKind, type[TargetForm]] = {
    TargetKind.own_mp: OwnMpForm,
    TargetKind.person: PersonTargetForm,
    TargetKind.portfolio: PortfolioTargetForm,
}


def _fill_portfolio(form: PortfolioTargetForm, found: target_editing.Choices) -> None:
    """Give the portfolio form its portfolios and the people who may stand in."""
    locale = presenters.locale_code()
    form.portfolio_id.choices = [
        SelectChoice(str(p.id), portfolio_label(p, locale)) for p in found.portfolios
    ]
    form.fallback_person_id.choices = people_choices(
        [(str(lazy_gettext("Other people")), found.custom), (str(lazy_gettext("MPs")), found.mps)],
        gettext("Nobody (say the post is vacant)"),
    )


def _fill(own: OwnMpForm, fixed: PersonTargetForm, found: target_editing.Choices) -> None:
    """Give the forms their choices from the data."""
    own.parties.choices = [SelectChoice(p, presenters.party_name(p)) for p in found.parties]
    french = presenters.locale_code() == "fr"
    own.provinces.choices = [
        SelectChoice(abbr, f"{abbr} · {fr if french else en}") for abbr, en, fr in found.provinces
    ]
    groups = [(str(lazy_gettext("Other people")), found.custom)]
    own.fallback_person_id.choices = people_choices(
        [*groups, (str(lazy_gettext("MPs")), found.mps)], gettext("Nobody (skip, or say vacant)")
    )
    fixed.person_id.choices = people_choices(
        [(str(lazy_gettext("MPs found")), found.found), *groups], None
    )


def _editor(
    campaign: Campaign,
    *,
    own: OwnMpForm | None = None,
    fixed: PersonTargetForm | None = None,
    portfolio: PortfolioTargetForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The target editor, with forms carrying the lead's input and errors if given."""
    own = own or OwnMpForm(formdata=None)
    fixed = fixed or PersonTargetForm(formdata=None)
    portfolio = portfolio or PortfolioTargetForm(formdata=None)
    query = (fixed.q.data if fixed.q.data is not None else request.args.get("q", "")).strip()
    fixed.q.data = query[:100]
    found = target_editing.choices(db(), fixed.q.data)
    _fill(own, fixed, found)
    _fill_portfolio(portfolio, found)
    draft = drafts.find(db(), campaign.id)
    with drafts.editable(db(), campaign) as shown:
        page = render_template(
            "admin/targets/index.html",
            campaign=shown,
            draft=draft,
            targets=sorted(shown.targets, key=lambda t: t.position),
            own=own,
            fixed=fixed,
            portfolio=portfolio,
            query=fixed.q.data,
            found=found.found,
            own_mp=TargetKind.own_mp,
            portfolio_kind=TargetKind.portfolio,
            split_parties=targets.split_parties,
            has_words=target_words.has_words,
        )
    return page, status


def _refused(form: Any, error: target_editing.TargetError) -> None:
    """Show a refused value next to its field (or above the form)."""
    db().rollback()
    field = getattr(form, error.field, None)
    message = gettext(error.message, **error.params)
    if field is None:
        flash(message, "error")
    else:
        field.errors = [message]


@bp.get("/campaigns/<int:campaign_id>/targets")
@role_required(Role.organizer)
def index(campaign_id: int) -> Page:
    """The campaign's targets in order, and (for leads) the forms to change them."""
    return _editor(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/targets/own-mp")
@role_required(Role.lead)
def add_own_mp(campaign_id: int) -> Page:
    """Add the supporter's own MP, with optional filters and a fallback person."""
    campaign = campaign_or_404(campaign_id)
    form = OwnMpForm()
    try:
        choice = form.choice()
        drafts.save_edit(
            db(), campaign, staff(), lambda shown: target_editing.add(db(), shown, choice, staff())
        )
    except target_editing.TargetError as error:
        _refused(form, error)
        return _editor(campaign, own=form, status=400)
    db().commit()
    flash(gettext("Target added: the supporter's own MP."), "info")
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/targets/person")
@role_required(Role.lead)
def add_person(campaign_id: int) -> Page:
    """Add a fixed person: an MP found by name or riding, or a custom person."""
    campaign = campaign_or_404(campaign_id)
    form = PersonTargetForm()

    def add(shown: Campaign) -> str:
        target = target_editing.add(db(), shown, form.choice(), staff())
        return target.person.full_name if target.person else ""

    try:
        name = drafts.save_edit(db(), campaign, staff(), add)
    except target_editing.TargetError as error:
        _refused(form, error)
        return _editor(campaign, fixed=form, status=400)
    db().commit()
    flash(gettext("Target added: %(name)s.", name=name), "info")
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/targets/portfolio")
@role_required(Role.lead)
def add_portfolio(campaign_id: int) -> Page:
    """Add a minister's portfolio: whoever holds it when a supporter comes."""
    campaign = campaign_or_404(campaign_id)
    form = PortfolioTargetForm()

    def add(shown: Campaign) -> str:
        target = target_editing.add(db(), shown, form.choice(), staff())
        return target.portfolio.title(presenters.locale_code()) if target.portfolio else ""

    try:
        title = drafts.save_edit(db(), campaign, staff(), add)
    except target_editing.TargetError as error:
        _refused(form, error)
        return _editor(campaign, portfolio=form, status=400)
    db().commit()
    flash(gettext("Target added: %(name)s.", name=title), "info")
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/targets/<int:target_id>/move")
@role_required(Role.lead)
def move(campaign_id: int, target_id: int) -> Page:
    """Move a target one place up or down."""
    campaign = campaign_or_404(campaign_id)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        drafts.save_edit(
            db(),
            campaign,
            staff(),
            lambda shown: target_editing.move(db(), shown, target_id, step, staff()),
        )
    except target_editing.TargetError as error:
        _refused(None, error)
        return _editor(campaign, status=400)
    db().commit()
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


def _removing(campaign: Campaign, target: Target, number: int) -> confirm.Confirmation:
    """The confirmation of removing ``target`` (number ``number`` in the list)."""
    who = (
        gettext("the supporter's own MP")
        if target.kind == TargetKind.own_mp
        else target.portfolio.title(presenters.locale_code())
        if target.portfolio is not None
        else (target.person.full_name if target.person else "")
    )
    explanation = [
        gettext(
            "Supporters will no longer be asked to contact %(who)s. Calls and letters "
            "already counted for this target stay in the figures.",
            who=who,
        )
    ]
    if drafts.uses_draft(db(), campaign):
        explanation.append(
            gettext(
                "Supporters see this campaign: the removal waits with the other unpublished "
                "changes until a lead publishes them."
            )
        )
    return confirm.Confirmation(
        heading=gettext("Remove target %(number)s (%(who)s)?", number=number, who=who),
        explanation=explanation,
        action=url_for("admin_targets.remove", campaign_id=campaign.id, target_id=target.id),
        button=gettext("Remove the target"),
        cancel=url_for("admin_targets.index", campaign_id=campaign.id),
    )


def _removal_page(campaign: Campaign, target_id: int, refused: bool) -> Page:
    """The confirmation of removing a target, as the campaign's edits see it."""
    with drafts.editable(db(), campaign) as shown:
        target = _target(shown, target_id)
        number = sorted(shown.targets, key=lambda t: t.position).index(target) + 1
        confirmation = _removing(shown, target, number)
        return confirm.refused(confirmation) if refused else confirm.page(confirmation)


@bp.get("/campaigns/<int:campaign_id>/targets/<int:target_id>/remove")
@role_required(Role.lead)
def confirm_remove(campaign_id: int, target_id: int) -> Page:
    """Ask before removing a target."""
    return _removal_page(campaign_or_404(campaign_id), target_id, refused=False)


@bp.post("/campaigns/<int:campaign_id>/targets/<int:target_id>/remove")
@role_required(Role.lead)
def remove(campaign_id: int, target_id: int) -> Page:
    """Remove a target (from the confirmation page only)."""
    campaign = campaign_or_404(campaign_id)
    if not confirm.confirmed():
        return _removal_page(campaign, target_id, refused=True)
    try:
        drafts.save_edit(
            db(),
            campaign,
            staff(),
            lambda shown: target_editing.remove(db(), shown, target_id, staff()),
        )
    except target_editing.TargetError as error:
        _refused(None, error)
        return _editor(campaign, status=400)
    db().commit()
    flash(gettext("Target removed."), "info")
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


def _target(campaign: Campaign, target_id: int) -> Target:
    """The campaign's target ``target_id``, or 404."""
    target = db().get(Target, target_id)
    if target is None or target.campaign_id != campaign.id:
        abort(404)
    return target


@bp.get("/campaigns/<int:campaign_id>/targets/<int:target_id>")
@role_required(Role.lead)
def edit(campaign_id: int, target_id: int) -> Page:
    """The form to change a target's roles, own words and, for the own MP, filters."""
    with drafts.editable(db(), campaign_or_404(campaign_id)) as campaign:
        target = _target(campaign, target_id)
        form = FORMS[target.kind](formdata=None, data=_stored(target))
        return _target_page(campaign, target, form, 200)


@bp.post("/campaigns/<int:campaign_id>/targets/<int:target_id>")
@role_required(Role.lead)
def save(campaign_id: int, target_id: int) -> Page:
    """Change a target's roles, own words and, for the own MP, its filters and fallback."""
    campaign = campaign_or_404(campaign_id)
    forms: list[TargetForm] = []

    def update(shown: Campaign) -> None:
        target = _target(shown, target_id)
        form = FORMS[target.kind]()
        forms.append(form)
        target_editing.update(db(), shown, target, form.choice(), staff())

    try:
        drafts.save_edit(db(), campaign, staff(), update)
    except target_editing.TargetError as error:
        _refused(forms[0], error)
        with drafts.editable(db(), campaign) as shown:
            return _target_page(shown, _target(shown, target_id), forms[0], 400)
    db().commit()
    flash(gettext("Target saved."), "info")
    return redirect(url_for("admin_targets.index", campaign_id=campaign.id))


def _target_page(campaign: Campaign, target: Target, form: TargetForm, status: int) -> Page:
    """The target form with the people it may name."""
    found = target_editing.choices(db())
    if isinstance(form, PortfolioTargetForm):
        _fill_portfolio(form, found)
    elif isinstance(form, OwnMpForm):
        _fill(form, PersonTargetForm(formdata=None), found)
    else:
        _fill(OwnMpForm(formdata=None), form, found)
        if target.person is not None and target.person.fed_num is not None:
            current = SelectChoice(str(target.person.id), person_label(target.person))
            form.person_id.choices = [current, *form.person_id.choices]
    page = render_template(
        "admin/targets/edit.html",
        campaign=campaign,
        target=target,
        form=form,
        placeholders=PLACEHOLDERS,
    )
    return page, status


def _stored(target: Target) -> dict[str, Any]:
    """A target's stored values as its form's data."""
    data: dict[str, Any] = {"role_en": target.role_en, "role_fr": target.role_fr}
    data |= target_words.stored(target)
    if target.kind == TargetKind.own_mp:
        return data | {
            "parties": targets.split_parties(target.parties),
            "provinces": target.provinces.split(),
            "fallback_person_id": str(target.fallback_person_id or ""),
        }
    if target.kind == TargetKind.portfolio:
        return data | {
            "portfolio_id": str(target.portfolio_id),
            "fallback_person_id": str(target.fallback_person_id or ""),
        }
    return data | {"person_id": str(target.person_id)}


# The custom people's pages are on this blueprint too: importing them registers them.
from callmp.views.admin import people as _people  # noqa: E402, F401
