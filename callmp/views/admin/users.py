"""Admins manage staff accounts: add, change role, deactivate, set a new password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import login_user
from werkzeug.wrappers import Response

from callmp import accounts
from callmp.db import utcnow
from callmp.models import Role, User
from callmp.views.admin.account_forms import EditUserForm, NewUserForm
from callmp.views.context import db
from callmp.views.security import StaffLogin, role_required, staff

bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")


def _error_to_form(form: NewUserForm | EditUserForm, error: accounts.AccountError) -> None:
    """Show a refused value next to its field."""
    field = getattr(form, error.field, None) or form.password
    field.errors = [gettext(error.message, **error.params)]


@bp.get("")
@role_required(Role.admin)
def index() -> str:
    """Every account, and the form to add one."""
    return render_template("admin/users.html", form=NewUserForm(), users=accounts.list_users(db()))


@bp.post("")
@role_required(Role.admin)
def add() -> Response | tuple[str, int]:
    """Add an account (only POST reaches here: HEAD and OPTIONS never save)."""
    form = NewUserForm()
    try:
        user = accounts.create_user(
            db(),
            email=form.email.data or "",
            password=form.password.data or "",
            role=Role(form.role.data) if form.role.data in set(Role) else Role.organizer,
            name=form.name.data or "",
            actor=staff(),
        )
    except accounts.AccountError as error:
        db().rollback()
        _error_to_form(form, error)
        return render_template("admin/users.html", form=form, users=accounts.list_users(db())), 400
    db().commit()
    flash(gettext("Account %(email)s added.", email=user.email), "info")
    return redirect(url_for("admin_users.index"))


def _account(user_id: int) -> User:
    """The account ``user_id``, or 404."""
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/<int:user_id>")
@role_required(Role.admin)
def edit(user_id: int) -> str:
    """One account: name, role, active, and a new password if needed."""
    user = _account(user_id)
    return render_template("admin/user.html", form=EditUserForm(obj=user), user=user)


@bp.post("/<int:user_id>")
@role_required(Role.admin)
def save(user_id: int) -> Response | tuple[str, int]:
    """Save an account's name, role, standing and new password."""
    user = _account(user_id)
    form = EditUserForm()
    if form.role.data not in set(Role):
        form.role.errors = [gettext("Please choose a role.")]
        return render_template("admin/user.html", form=form, user=user), 400
    change = accounts.AccountChange(
        name=form.name.data or "", role=Role(form.role.data), active=bool(form.active.data)
    )
    try:
        accounts.update_user(db(), user, change, staff())
        if form.password.data:
            accounts.set_password(db(), user, form.password.data, utcnow(), actor=staff())
    except accounts.AccountError as error:
        db().rollback()
        _error_to_form(form, error)
        return render_template("admin/user.html", form=form, user=user), 400
    db().commit()
    if form.password.data and user.id == staff().id:
        login_user(StaffLogin(user))  # an admin resetting their own password stays in
    flash(gettext("Account %(email)s saved.", email=user.email), "info")
    return redirect(url_for("admin_users.index"))
