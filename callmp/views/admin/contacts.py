"""Campaign leads correct MPs' office phones, emails and hours (the shipped data)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from callmp.directory import contact_lists, corrections
from callmp.directory.corrections import CorrectionError
from callmp.letters import bounces
from callmp.models import ContactCorrection, Office, Person, Role
from callmp.views.admin import confirm, language_presenters
from callmp.views.admin.contact_forms import (
    VALUE_HINTS,
    CorrectionForm,
    SearchForm,
    correction_form,
)
from callmp.views.context import db
from callmp.views.security import role_required, staff

bp = Blueprint("admin_contacts", __name__, url_prefix="/admin/contacts")


@bp.get("")
@role_required(Role.lead)
def index() -> str:
    """Search MPs by name or riding; the active corrections, newest first."""
    form = SearchForm(request.args)
    query = (form.q.data or "").strip()[:100]
    found = contact_lists.overview(db(), query)
    flagged = bounces.flagged_rows(db())
    return render_template("admin/contacts/index.html", form=form, overview=found, bounced=flagged)


def _member_or_404(person_id: int) -> Person:
    """The MP from the shipped data with ``person_id`` (custom people live at /admin/people)."""
    person = db().get(Person, person_id)
    if person is None or person.ourcommons_person_id is None:
        abort(404)
    return person


def _targets(person: Person) -> list[str]:
    """Every field of ``person`` a lead can correct, as form targets."""
    return ["email"] + [f"{field}:{o.id}" for o in person.offices for field in ("phone", "hours")]


def _page(person: Person, forms: dict[str, CorrectionForm]) -> str:
    """The MP's contact page."""
    return render_template(
        "admin/contacts/person.html",
        person=person,
        forms=forms,
        hints=VALUE_HINTS,
        agrees=corrections.agrees,
        language=language_presenters.preferred_language(person),
        bounced=bounces.flagged(db(), [person.id]),
    )


@bp.get("/people/<int:person_id>")
@role_required(Role.lead)
def person(person_id: int) -> str:
    """An MP's email and offices with their sources, and a correction form per field."""
    member = _member_or_404(person_id)
    return _page(member, {target: correction_form(target) for target in _targets(member)})


@bp.post("/people/<int:person_id>")
@role_required(Role.lead)
def correct(person_id: int) -> Response | tuple[str, int]:
    """Save one correction (only POST reaches here: HEAD and OPTIONS never save)."""
    member = _member_or_404(person_id)
    forms = {target: correction_form(target) for target in _targets(member)}
    target = request.form.get("target", "")
    if target not in forms:
        abort(400)
    form = forms[target] = correction_form(target, request.form)
    field, _sep, office_id = target.partition(":")
    office = db().get(Office, int(office_id)) if office_id else None
    try:
        corrections.correct(
            db(), staff(), member, field, form.value.data, office=office, note=form.note.data
        )
        if field == "email":  # a new address: the old one's bounces no longer apply
            bounces.clear_flag(db(), member.id, form.value.data or "")
    except CorrectionError as error:
        db().rollback()
        shown = form.note if error.reason == "note" else form.value
        shown.errors = [gettext(error.message, **error.params)]
        return _page(member, forms), 400
    db().commit()
    flash(gettext("Correction saved. Calls and letters use it from now on."), "info")
    return redirect(url_for("admin_contacts.person", person_id=member.id))


def _correction(correction_id: int) -> ContactCorrection:
    """The correction ``correction_id``, or 404."""
    correction = db().get(ContactCorrection, correction_id)
    if correction is None:
        abort(404)
    return correction


def _undoing(correction: ContactCorrection) -> confirm.Confirmation:
    """The confirmation of undoing a correction: which value comes back."""
    person = db().get(Person, correction.person_id)
    name = person.full_name if person is not None else ""
    empty = gettext("(empty)")
    return confirm.Confirmation(
        heading=gettext("Undo the correction for %(name)s?", name=name),
        explanation=[
            gettext(
                "Calls and letters go back to the shipped data: %(shipped)s instead of "
                "%(value)s. The correction stays in the audit log.",
                shipped=correction.shipped_value or empty,
                value=correction.value or empty,
            )
        ],
        action=url_for("admin_contacts.undo", correction_id=correction.id),
        button=gettext("Undo: use the shipped data"),
        cancel=url_for("admin_contacts.person", person_id=correction.person_id),
    )


@bp.get("/corrections/<int:correction_id>/undo")
@role_required(Role.lead)
def confirm_undo(correction_id: int) -> tuple[str, int]:
    """Ask before undoing a correction."""
    return confirm.page(_undoing(_correction(correction_id)))


@bp.post("/corrections/<int:correction_id>/undo")
@role_required(Role.lead)
def undo(correction_id: int) -> Response | tuple[str, int]:
    """Undo a correction (from the confirmation page): the shipped value is back."""
    correction = _correction(correction_id)
    if not confirm.confirmed():
        return confirm.refused(_undoing(correction))
    person_id = correction.person_id
    was_active = correction.active
    corrections.undo(db(), staff(), correction)
    db().commit()
    if was_active:
        flash(gettext("Correction undone: the shipped data is back."), "info")
    else:
        flash(gettext("This correction was already undone or replaced."), "info")
    return redirect(url_for("admin_contacts.person", person_id=person_id))
