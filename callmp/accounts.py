"""Staff accounts: create, authenticate, change passwords and roles. Domain code, no Flask.

Passwords are hashed with Argon2id (argon2-cffi's defaults, which follow RFC 9106's
recommendations); hashes made with older parameters are upgraded at the next login.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.i18n import N_
from callmp.models import Role, User
from callmp.models.accounts import new_session_token

MIN_PASSWORD = 12
MAX_PASSWORD = 256
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Checked when the email is unknown, so a wrong address takes as long as a wrong
    password and response times don't tell which accounts exist."""
    return _hasher.hash("not a password anyone has")


class AccountError(ValueError):
    """Refused account input, with an untranslated message and the field it concerns."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def clean_email(raw: str | None) -> str:
    """A staff email address, checked (no DNS) and lower-cased."""
    try:
        return clean_address((raw or "").strip()).lower()
    except AddressError:
        raise AccountError("email", N_("Please enter a valid email address.")) from None


def check_password(password: str | None) -> str:
    """``password`` when it is long enough (and not absurdly long)."""
    password = password or ""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            "password",
            N_("Please choose a password of at least %(num)s characters."),
            num=MIN_PASSWORD,
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            "password",
            N_("Please choose a password of at most %(num)s characters."),
            num=MAX_PASSWORD,
        )
    return password


def find(session: Session, email: str) -> User | None:
    """The account with ``email`` (any case), if there is one."""
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    name: str = "",
    actor: User | None = None,
) -> User:
    """A new account; raises AccountError for a bad or taken address or a weak password."""
    email = clean_email(email)
    password = check_password(password)
    if find(session, email) is not None:
        raise AccountError("email", N_("An account with this email address already exists."))
    user = User(email=email, name=name.strip()[:100], role=Role(role))
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    summary = audit.Summary(
        N_("created %(email)s as %(role)s"), {"email": user.email, "role": str(user.role)}
    )
    audit.record(session, actor, "user.create", summary, user=user)
    return user


def authenticate(session: Session, email: str, password: str, now: datetime) -> User | None:
    """The active account matching ``email`` and ``password``, or None."""
    user = find(session, email or "")
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password or "")
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def set_password(
    session: Session, user: User, password: str, now: datetime, actor: User | None = None
) -> None:
    """Give ``user`` a new password and end every session opened with the old one."""
    user.password_hash = hash_password(check_password(password))
    user.session_token = new_session_token()
    user.password_changed_at = now
    audit.record(
        session,
        actor or user,
        "user.password",
        audit.Summary(N_("new password for %(email)s"), {"email": user.email}),
        user=user,
    )


def change_password(session: Session, user: User, current: str, new: str, now: datetime) -> None:
    """The account holder's own change: the current password must be right."""
    try:
        _hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise AccountError("current", N_("Your current password is not right.")) from None
    set_password(session, user, new, now)


def end_sessions(user: User) -> None:
    """Log ``user`` out everywhere: a new session token makes every session cookie
    issued so far (including copies of it) worthless."""
    user.session_token = new_session_token()


@dataclass(frozen=True)
class AccountChange:
    """What an admin sets on someone's account."""

    name: str
    role: Role
    active: bool


def update_user(session: Session, user: User, change: AccountChange, actor: User) -> None:
    """Change an account's name, role or standing; the last active admin can't be demoted."""
    demoting = user.role == Role.admin and (change.role != Role.admin or not change.active)
    if demoting and user.active and active_admins(session) <= 1:
        raise AccountError("role", N_("There must be at least one active admin."))
    before = (user.name, user.role, user.active)
    user.name = change.name.strip()[:100]
    user.role = Role(change.role)
    if user.active and not change.active:
        user.session_token = new_session_token()  # a deactivated account is logged out
    user.active = change.active
    if before != (user.name, user.role, user.active):
        message = (
            N_("%(email)s: %(role)s, active")
            if user.active
            else N_("%(email)s: %(role)s, deactivated")
        )
        summary = audit.Summary(message, {"email": user.email, "role": str(user.role)})
        audit.record(session, actor, "user.update", summary, user=user)


def active_admins(session: Session) -> int:
    """How many active admin accounts there are."""
    query = select(func.count()).select_from(User).where(User.role == Role.admin, User.active)
    return session.scalar(query) or 0


def list_users(session: Session) -> list[User]:
    """Every account: admins, then leads, then organizers (the names sort so), then by email."""
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def set_time_zone(session: Session, user: User, zone: str) -> bool:
    """Remember the time zone ``user``'s dashboards are shown in; True when it changed."""
    try:
        ZoneInfo(zone)
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ValueError(f"unknown time zone {zone!r}") from error
    if user.time_zone == zone:
        return False
    user.time_zone = zone
    session.flush()
    return True
