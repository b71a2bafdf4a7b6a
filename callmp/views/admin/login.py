"""Staff log in and out, and change their own password."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from callmp import accounts
from callmp.db import utcnow
from callmp.models import Role
from callmp.views.admin.account_forms import LoginForm, PasswordForm, ZoneForm, zone_label
from callmp.views.context import LANG_SESSION_KEY, db
from callmp.views.security import StaffLogin, current_staff, login_limits, role_required, staff
from callmp.views.times import staff_zone

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("admin_campaigns.index")


def _fresh_session() -> None:
    """Start the login on a clean session (only the chosen language carries over)."""
    language = session.get(LANG_SESSION_KEY)
    session.clear()
    if language:
        session[LANG_SESSION_KEY] = language
    session.permanent = True


@bp.get("/login")
def login() -> Response | str:
    """The login form (or straight on, when already logged in)."""
    if current_staff() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=LoginForm())


@bp.post("/login")
def submit_login() -> Response | tuple[str, int]:
    """Log in; a wrong address or password gets one message for both."""
    form = LoginForm()
    if not form.validate():
        return render_template("auth/login.html", form=form), 400
    limits = login_limits()
    keys = limits.keys(form.email.data or "", request.remote_addr or "")
    wait = limits.wait(db(), keys)
    if wait is not None:
        # Refused before the password is checked: guessing from here is slowed down.
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        form.password.errors = [
            ngettext(
                "Too many wrong passwords. Please wait %(num)s minute and try again.",
                "Too many wrong passwords. Please wait %(num)s minutes and try again.",
                minutes,
            )
        ]
        page = make_response(render_template("auth/login.html", form=form), 429)
        page.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
        return page
    user = accounts.authenticate(db(), form.email.data or "", form.password.data or "", utcnow())
    if user is None:
        # No rollback here: it would release the keys' locks (``limits.wait``) before this
        # wrong password is counted. A wrong password wrote nothing to undo.
        limits.failed(db(), keys)
        db().commit()
        form.password.errors = [gettext("That email and password don't match an account.")]
        return render_template("auth/login.html", form=form), 401
    limits.succeeded(db(), keys)
    db().commit()
    _fresh_session()
    login_user(StaffLogin(user))
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout() -> Response:
    """Log out, and revoke the session on the server: a copy of the session cookie opens
    nothing afterwards (the blueprint's hook checks the form's CSRF token).

    Flask's sessions live in the cookie, so the server can only revoke them through the
    account's session token, which every session cookie carries: a new one ends this
    session and the account's sessions on other devices too.
    """
    user = current_staff()
    if user is not None:
        accounts.end_sessions(user)
        db().commit()
    logout_user()
    _fresh_session()
    flash(gettext("You are logged out, on this device and every other."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
@role_required(Role.organizer)
def account() -> str:
    """One's own account: the time zone of staff pages, and a way to the password form."""
    return render_template("auth/account.html", form=ZoneForm(zone=str(staff_zone())))


@bp.post("/account/time-zone")
@role_required(Role.organizer)
def save_time_zone() -> Response | tuple[str, int]:
    """Set the zone every staff page shows times in (a POST: a link never changes it)."""
    form = ZoneForm()
    if not form.validate():
        return render_template("auth/account.html", form=form), 400
    if accounts.set_time_zone(db(), staff(), form.zone.data):
        db().commit()
    flash(gettext("Times are now shown in %(zone)s.", zone=zone_label(form.zone.data)), "info")
    return redirect(url_for("auth.account"), 303)


@bp.get("/account/password")
@role_required(Role.organizer)
def password() -> str:
    """The form to change one's own password."""
    return render_template("auth/password.html", form=PasswordForm())


@bp.post("/account/password")
@role_required(Role.organizer)
def change_password() -> Response | tuple[str, int]:
    """Change one's own password; every other session of the account ends."""
    form = PasswordForm()
    user = staff()
    try:
        accounts.change_password(db(), user, form.current.data or "", form.new.data or "", utcnow())
    except accounts.AccountError as error:
        db().rollback()
        field = form.current if error.field == "current" else form.new
        field.errors = [gettext(error.message, **error.params)]
        return render_template("auth/password.html", form=form), 400
    db().commit()
    # This browser stays logged in with the new token; every other one is logged out.
    login_user(StaffLogin(user))
    flash(gettext("Your password is changed. You are logged out everywhere else."), "info")
    return redirect(url_for("admin_campaigns.index"))
