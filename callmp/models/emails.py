"""Supporters' letters to their targets: the submission, and one stored message per recipient."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow
from callmp.models.campaigns import Campaign


def _enum(cls: type[enum.StrEnum]) -> Enum:
    """A portable string enum column type."""
    return Enum(cls, native_enum=False, length=24, validate_strings=True)


class SubmissionStatus(enum.StrEnum):
    """Where a supporter's letter is as a whole."""

    awaiting_confirmation = "awaiting_confirmation"  # waits for the supporter's link
    queued = "queued"  # confirmed (or no confirmation asked): its messages are in the queue
    expired = "expired"  # never confirmed: nothing was sent to anyone but the supporter


class EmailSubmission(Base):
    """One supporter's letter, sent as one message per target.

    Name, address, postal code and letter text are purged after the retention period
    (the riding stays); the HMAC of the address stays to catch duplicates, and the
    contact events stay for the counts.
    """

    __tablename__ = "email_submissions"
    # Each hot query reads a range bounded by what it filters on, however many letters the
    # campaign has: the duplicate check (one address, one campaign, the last day), the
    # hourly count per connection, letters with the same words, the sweeper's unconfirmed
    # letters and its purge of what is past the retention period.
    __table_args__ = (
        Index(
            "ix_email_submissions_email_hmac_campaign_id_created_at",
            "email_hmac",
            "campaign_id",
            "created_at",
        ),
        Index("ix_email_submissions_ip_hmac_created_at", "ip_hmac", "created_at"),
        Index(
            "ix_email_submissions_campaign_id_fingerprint_status",
            "campaign_id",
            "fingerprint",
            "status",
        ),
        Index("ix_email_submissions_status_created_at", "status", "created_at"),
        Index("ix_email_submissions_purged_at_created_at", "purged_at", "created_at"),
        # The IP-hash purge: only hashes not yet cleared, by age (a partial index).
        Index(
            "ix_email_submissions_created_at_unswept_ip",
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
    share_source: Mapped[str] = mapped_column(String(16), default="", server_default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_hmac: Mapped[str] = mapped_column(String(64))
    ip_hmac: Mapped[str] = mapped_column(String(64), default="")
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    personal_line: Mapped[str] = mapped_column(Text, default="")
    consent_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    # Hash of the letter as the supporter left it: how many others sent the same words.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[SubmissionStatus] = mapped_column(_enum(SubmissionStatus))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    messages: Mapped[list[EmailMessage]] = relationship(
        back_populates="submission", order_by="EmailMessage.id"
    )


class MessageKind(enum.StrEnum):
    """What a stored message is for."""

    letter = "letter"  # to a target, from the campaign address on the supporter's behalf
    confirmation = "confirmation"  # to the supporter: confirm your address
    reminder = "reminder"  # to the supporter, once: you haven't confirmed yet
    petition_confirmation = "petition_confirmation"  # to a signer: confirm your signature
    petition_delivery = "petition_delivery"  # to a target: how many constituents signed
    bounce_notice = "bounce_notice"  # to a supporter: your letter to a target came back


class MessageStatus(enum.StrEnum):
    """Where one message is; a worker claims ``queued`` by moving it to ``sending``."""

    held = "held"  # a letter waiting for its submission to be confirmed
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"  # permanent refusal, or temporary ones for longer than the retry period
    expired = "expired"  # held, and the submission was never confirmed
    duplicate = "duplicate"  # the same supporter already wrote this target recently
    bounced = "bounced"  # accepted, then returned by the receiving end (a DSN)


class EmailMessage(Base):
    """One message to one recipient, with every header it will carry."""

    __tablename__ = "email_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message belongs to: a supporter's letter, a petition signature (its
    # confirmation) or neither (a petition's delivery to a target).
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_submissions.id", ondelete="CASCADE"), index=True
    )
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("petition_signatures.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind))
    # Indexed: whether a target has letters is asked when a campaign's targets change.
    target_id: Mapped[int | None] = mapped_column(
        ForeignKey("targets.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, default=0)  # target order in the letter
    locale: Mapped[str] = mapped_column(String(5), default="en")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    to_address: Mapped[str | None] = mapped_column(String(254))
    reply_to_name: Mapped[str] = mapped_column(String(200), default="")
    reply_to_address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus), index=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    error: Mapped[str] = mapped_column(String(300), default="")
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_try_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    bounced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    submission: Mapped[EmailSubmission | None] = relationship(back_populates="messages")
