"""Staff accounts (admins, campaign leads, organizers) and the audit log of their changes."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class Role(enum.StrEnum):
    """What a staff member may do; each role can do everything the ones before it can."""

    organizer = "organizer"  # sees counts
    lead = "lead"  # also edits campaigns, targets, scripts and contact data
    admin = "admin"  # also manages people's accounts


ROLE_RANK = {Role.organizer: 1, Role.lead: 2, Role.admin: 3}


def new_session_token() -> str:
    """A random token tying login sessions to the current password."""
    return secrets.token_urlsafe(24)


class User(Base):
    """A staff account. Supporters never have one."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True)
    )
    password_hash: Mapped[str] = mapped_column(String(255))
    # Part of every login session's id: a new password draws a new token, which ends
    # every session opened with the old one, on every device.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The time zone dashboards are shown in, once the person picked one ("": the default).
    time_zone: Mapped[str] = mapped_column(String(40), default="", server_default="")

    def can(self, role: Role) -> bool:
        """True when this account's role includes ``role``."""
        return self.active and ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def label(self) -> str:
        """How the account is named in history and the audit log."""
        return self.name or self.email


class AuditEntry(Base):
    """One change made by a staff member: who, when, what kind, to what, in a sentence."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Kept as written at the time, so the entry still reads right if the account goes.
    user_label: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)  # e.g. "campaign.publish"
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None] = mapped_column(Integer)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    summary: Mapped[str] = mapped_column(Text, default="")
    # The summary as an untranslated msgid and its values, so that staff pages show it in
    # the reader's language ("" for entries written before, shown as ``summary``).
    message: Mapped[str] = mapped_column(String(200), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class LoginFailures(Base):
    """Wrong passwords lately for one key: an account from one address, or one address.

    Kept in the database so every web process sees the same count. Keys are keyed
    hashes, so neither addresses nor emails are stored here.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # Until then every login with this key is refused without checking the password.
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
