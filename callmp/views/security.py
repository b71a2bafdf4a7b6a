"""Staff logins in the web app: Flask-Login, role checks, CSRF and the login rate limit.

Supporters never log in; only the staff pages (``/admin``, ``/account``) use this.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, abort, current_app
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFProtect

from callmp import numbers
from callmp.i18n import N_
from callmp.login_limits import Backoff, LoginLimits
from callmp.models import Role, User
from callmp.views import context

F = TypeVar("F", bound=Callable[..., Any])


class StaffLogin(UserMixin):  # type: ignore[misc]
    """The logged-in account as Flask-Login sees it.

    Its id carries the account's session token, so a new password (which draws a new
    token) ends every session opened before, on every device.
    """

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        """``<account id>:<session token>``."""
        return f"{self.user.id}:{self.user.session_token}"

    @property
    def is_active(self) -> bool:
        """Deactivated accounts can't log in."""
        return self.user.active


def _load(session_id: str) -> StaffLogin | None:
    """The account of a login session, if its token still matches."""
    user_id, _sep, token = session_id.partition(":")
    number = numbers.whole_number(user_id)
    if number is None or not token:
        return None
    user = context.db().get(User, number)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return StaffLogin(user)


def current_staff() -> User | None:
    """The logged-in staff account of this request, if any."""
    if not current_user.is_authenticated:
        return None
    return cast(StaffLogin, current_user).user


def staff() -> User:
    """The logged-in staff account (for views behind ``role_required``)."""
    user = current_staff()
    if user is None:  # pragma: no cover - role_required runs first
        abort(401)
    return user


def role_required(role: Role) -> Callable[[F], F]:
    """Only accounts with ``role`` or a higher one: others are sent to log in, or get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                manager: LoginManager = current_app.login_manager  # type: ignore[attr-defined]
                return manager.unauthorized()
            if not user.can(role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate


def login_limits(app: Flask | None = None) -> LoginLimits:
    """The app's login limits (counted in the database, shared by every process)."""
    found: LoginLimits = (app or current_app).extensions["callmp.login_limits"]
    return found


def _login_limits(config: Mapping[str, Any]) -> LoginLimits:
    """Login limits from the settings."""
    first = timedelta(seconds=int(config["LOGIN_FIRST_WAIT_SECONDS"]))
    longest = timedelta(seconds=int(config["LOGIN_LONGEST_WAIT_SECONDS"]))
    return LoginLimits(
        secret=str(config["SECRET_KEY"]).encode(),
        per_account_address=Backoff(int(config["LOGIN_FREE_TRIES"]), first, longest),
        per_address=Backoff(int(config["LOGIN_ADDRESS_FREE_TRIES"]), first, longest),
    )


def _no_store(response: Response) -> Response:
    """Staff pages hold campaign data and personal details: never cache them."""
    response.headers["Cache-Control"] = "no-store"
    return response


#: Role names for staff pages, marked for translation.
ROLE_NAMES = {
    Role.organizer: N_("Organizer"),
    Role.lead: N_("Campaign lead"),
    Role.admin: N_("Admin"),
}


def role_name(role: Role | str) -> str:
    """A role's name in the current language."""
    return str(gettext(ROLE_NAMES[Role(role)]))


def init_auth(app: Flask, staff_blueprints: list[Any]) -> None:
    """Logins, CSRF on every staff form, no caching, and the login rate limits."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=app.config["SESSION_COOKIE_SECURE"],
        # Only staff sessions are permanent; a supporter's lasts as long as the browser.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=int(app.config["STAFF_SESSION_HOURS"])),
    )
    # Supporters' forms check their own tokens (so a failure re-shows what they wrote);
    # staff blueprints check every POST before the view runs.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf = CSRFProtect(app)

    manager = LoginManager(app)
    manager.login_view = "auth.login"
    manager.login_message = lazy_gettext("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.user_loader(_load)

    def _staff_csrf() -> None:
        if app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # only unsafe methods are checked

    # Hooks of the staff blueprints only: other requests (every supporter's) skip them.
    for blueprint in staff_blueprints:
        app.before_request_funcs.setdefault(blueprint.name, []).append(_staff_csrf)
        app.after_request_funcs.setdefault(blueprint.name, []).append(_no_store)

    # Logins are limited in the database (callmp/login_limits.py), which every process
    # shares; Flask-Limiter's burst limit on public writes is in callmp/views/rate_limits.py.
    app.extensions["callmp.login_limits"] = _login_limits(app.config)
