"""Custom people (not MPs) that campaigns can target, such as a ministerial office: list,
create, change and delete them. The routes are on the target editor's blueprint
(``admin_targets``), whose module imports this one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext

from callmp.campaigns import people_editing, target_editing
from callmp.models import Person, Role
from callmp.views.admin import confirm
from callmp.views.admin.target_forms import PersonForm, person_form_data
from callmp.views.admin.targets import Page, bp
from callmp.views.context import db
from callmp.views.security import role_required, staff


@bp.get("/people")
@role_required(Role.organizer)
def people() -> Page:
    """Custom people (not MPs) campaigns can target."""
    return render_template("admin/targets/people.html", people=target_editing.custom_people(db()))


def _person_page(person: Person | None, form: PersonForm, status: int = 200) -> tuple[str, int]:
    """The custom person form."""
    return render_template("admin/targets/person.html", person=person, form=form), status


@bp.get("/people/new")
@role_required(Role.lead)
def new_person() -> Page:
    """The form for a custom person with their offices."""
    return _person_page(None, PersonForm(formdata=None, data=person_form_data(None)))


@bp.post("/people/new")
@role_required(Role.lead)
def create_person() -> Page:
    """Create a custom person with their offices."""
    return _save_person(None)


def _custom_person(person_id: int) -> Person:
    """The custom person ``person_id`` (not an MP), or 404."""
    found = db().get(Person, person_id)
    if found is None or found.fed_num is not None or found.ourcommons_person_id is not None:
        abort(404)
    return found


@bp.get("/people/<int:person_id>")
@role_required(Role.organizer)
def person(person_id: int) -> Page:
    """One custom person and their offices (leads may change them)."""
    found = _custom_person(person_id)
    return _person_page(found, PersonForm(formdata=None, data=person_form_data(found)))


@bp.post("/people/<int:person_id>")
@role_required(Role.lead)
def save_person(person_id: int) -> Page:
    """Save a custom person and their offices."""
    return _save_person(_custom_person(person_id))


def _save_person(person: Person | None) -> Page:
    """Save the custom person form (POST only)."""
    form = PersonForm()
    try:
        saved = people_editing.save(db(), person, form.data_for_domain(), staff())
    except people_editing.PersonConflict:
        db().rollback()
        flash(gettext(people_editing.CONFLICT), "error")
        return _person_page(person, form, 409)
    except people_editing.PersonInvalid as error:
        db().rollback()
        form.show_errors(error.errors, gettext)
        return _person_page(person, form, 400)
    db().commit()
    flash(gettext("%(name)s saved.", name=saved.full_name), "info")
    return redirect(url_for("admin_targets.person", person_id=saved.id))


def _deleting(person: Person) -> confirm.Confirmation:
    """The confirmation of deleting a custom person."""
    return confirm.Confirmation(
        heading=gettext("Delete %(name)s?", name=person.full_name),
        explanation=[
            gettext(
                "The person and their offices are deleted for good. Calls and letters "
                "already counted stay in the figures. A person a campaign still targets "
                "can't be deleted."
            )
        ],
        action=url_for("admin_targets.delete_person", person_id=person.id),
        button=gettext("Delete this person"),
        cancel=url_for("admin_targets.person", person_id=person.id),
    )


@bp.get("/people/<int:person_id>/delete")
@role_required(Role.lead)
def confirm_delete_person(person_id: int) -> Page:
    """Ask before deleting a custom person."""
    return confirm.page(_deleting(_custom_person(person_id)))


@bp.post("/people/<int:person_id>/delete")
@role_required(Role.lead)
def delete_person(person_id: int) -> Page:
    """Delete a custom person (from the confirmation page), unless a campaign targets them."""
    found = db().get(Person, person_id)
    if found is None:
        abort(404)
    if not confirm.confirmed():
        return confirm.refused(_deleting(found))
    try:
        people_editing.delete(db(), found, staff())
    except target_editing.TargetError as error:
        db().rollback()
        flash(gettext(error.message, **error.params), "error")
        return _person_page(found, PersonForm(formdata=None, data=person_form_data(found)), 400)
    db().commit()
    flash(gettext("Person deleted."), "info")
    return redirect(url_for("admin_targets.people"))
