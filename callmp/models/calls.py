"""Click-to-call requests, Twilio callbacks seen, the blocklist, and contact events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow
from callmp.models.campaigns import Campaign


def _enum(cls: type[enum.StrEnum]) -> Enum:
    """A portable string enum column type with a CHECK of the allowed values."""
    return Enum(cls, native_enum=False, length=20, validate_strings=True)


class CallStatus(enum.StrEnum):
    """Where a call request is; it only ever moves forward (see ``RANK``)."""

    pending = "pending"  # stored, not yet handed to the queue
    queued = "queued"  # in the queue, waiting for the throttle
    placing = "placing"  # a worker is asking the provider to place it
    ringing = "ringing"  # the provider accepted it; the supporter's phone rings
    in_progress = "in_progress"  # the supporter answered
    completed = "completed"  # the call ended normally
    failed = "failed"  # it could not be placed, or retries ran out
    blocked = "blocked"  # the number asked never to be called again


RANK = {status: rank for rank, status in enumerate(CallStatus)}
FINAL = frozenset({CallStatus.completed, CallStatus.failed, CallStatus.blocked})


class CallRequest(Base):
    """A supporter's "call me" request: stored first, then queued, placed and followed."""

    __tablename__ = "call_requests"
    # The limits count one number's (or one connection's) requests of the last hour or day,
    # and the sweeper looks for unfinished requests: each reads only the rows it counts.
    __table_args__ = (
        Index("ix_call_requests_phone_hmac_created_at", "phone_hmac", "created_at"),
        Index("ix_call_requests_ip_hmac_created_at", "ip_hmac", "created_at"),
        Index("ix_call_requests_status_created_at", "status", "created_at"),
        # The retention purge reads only requests not yet purged.
        Index("ix_call_requests_purged_at_created_at", "purged_at", "created_at"),
        # The IP-hash purge: only hashes not yet cleared, by age (a partial index).
        Index(
            "ix_call_requests_created_at_unswept_ip",
            "created_at",
            sqlite_where=text("ip_hmac != ''"),
            postgresql_where=text("ip_hmac != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    fed_num: Mapped[int | None] = mapped_column(ForeignKey("ridings.fed_num"))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    referral: Mapped[str] = mapped_column(String(64), default="")
    # Which share button brought the supporter ("" for none): see callmp.stats.share_sources.
    share_source: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # The number itself is kept only while the call needs it; the HMAC stays for limits.
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_hmac: Mapped[str] = mapped_column(String(64))
    ip_hmac: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[CallStatus] = mapped_column(_enum(CallStatus), default=CallStatus.pending)
    error_reason: Mapped[str] = mapped_column(String(40), default="")
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    # After a create that timed out, the provider may still be creating the call: no
    # attempt (worker, duplicate job or sweeper) before this moment, then look for it first.
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    step: Mapped[int] = mapped_column(SmallInteger, default=0)  # index of the current target
    office_try: Mapped[int] = mapped_column(SmallInteger, default=0)  # office within target
    # Local telephony only: what the voice would have said and which numbers it would
    # have dialled (JSON), shown on the supporter's status page. Never personal data.
    transcript: Mapped[str | None] = mapped_column(Text)
    # The call's plan (targets, offices in order, words; JSON), fixed when it is requested
    # and read by its webhooks. Campaign data only, never personal. None on older calls.
    plan: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    # When the retention purge cleared the phone number and transcript (the counts stay).
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    campaign: Mapped[Campaign] = relationship()


class ProviderEvent(Base):
    """A provider callback already handled: (call sid, event) is recorded once."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("call_sid", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class BlockedPhone(Base):
    """A number that pressed 9: never call it again (only its HMAC is kept)."""

    __tablename__ = "blocked_phones"

    phone_hmac: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Channel(enum.StrEnum):
    """How the supporter contacted the target."""

    bridged_call = "bridged_call"
    direct_call = "direct_call"
    email = "email"


class Outcome(enum.StrEnum):
    """What came of one contact attempt."""

    connected = "connected"  # bridged, and talked longer than the threshold
    short = "short"  # bridged, but shorter than the threshold
    busy = "busy"
    no_answer = "no_answer"
    failed = "failed"
    cancelled = "cancelled"  # the supporter skipped or hung up before the office answered
    no_number = "no_number"  # nothing to dial for this target
    talked_to_staff = "talked_to_staff"  # direct call, self-reported
    left_voicemail = "left_voicemail"
    skipped = "skipped"
    queued = "queued"  # email, waiting in the queue
    sent = "sent"  # email, accepted by the mail server
    bounced = "bounced"  # email, accepted and then returned by the receiving end
    mailto = "mailto"  # email written in the supporter's own mail app (self-reported)


class ContactEvent(Base):
    """One contact attempt with one target: every total is counted from these rows."""

    __tablename__ = "contact_events"
    # Exports read a campaign's events in order; the counts come from callmp.models.stats.
    __table_args__ = (
        Index("ix_contact_events_campaign_id_id", "campaign_id", "id"),
        # A partner's dashboard reads its own contacts, not the whole campaign's.
        Index(
            "ix_contact_events_campaign_id_referral_created_at",
            "campaign_id",
            "referral",
            "created_at",
        ),
        # Covers the "brought by shares" table: a range of the events shares brought only.
        Index(
            "ix_contact_events_share",
            "campaign_id",
            "share_source",
            "referral",
            "channel",
            "outcome",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # Indexed: whether a target has contacts is asked when a campaign's targets change.
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("targets.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"))
    fed_num: Mapped[int | None] = mapped_column(ForeignKey("ridings.fed_num"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    referral: Mapped[str] = mapped_column(String(64), default="")
    share_source: Mapped[str] = mapped_column(String(16), default="", server_default="")
    call_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_requests.id", ondelete="SET NULL"), index=True
    )
    email_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="SET NULL"), index=True
    )
    # Makes replayed webhooks and double submissions harmless: one row per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
