"""Petitions: a campaign's "add your name", one signature per person, and its deliveries.

The petition's own words (title, text, goal, deadline, delivery schedule) are campaign
fields (``Campaign.petition_*``), so they are edited, versioned and published with the
rest of the campaign. A signature keeps the signer's name, address, postal code and
comment only for the retention period; the riding, the MP it counted for, the referral
and the share source stay, so the counts outlive the purge.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow
from callmp.models.campaigns import Campaign


class SignatureStatus(enum.StrEnum):
    """Where a signature is: only confirmed ones are counted."""

    awaiting_confirmation = "awaiting_confirmation"  # waits for the signer's link
    confirmed = "confirmed"  # counted (confirmed, or the campaign asks no confirmation)
    expired = "expired"  # never confirmed: not counted; the address may sign again


class PetitionSignature(Base):
    """One person's name on one campaign's petition (one per address: ``email_hmac``)."""

    __tablename__ = "petition_signatures"
    # The unique key is what makes a signature count once per person, however many
    # processes take the same address at once. Each hot query reads a range bounded by
    # what it filters on: counts by riding, by referral and share source, over time; the
    # hourly count per connection; the sweeper's unconfirmed and purgeable signatures.
    __table_args__ = (
        UniqueConstraint("campaign_id", "email_hmac"),
        Index(
            "ix_petition_signatures_campaign_id_status_fed_num", "campaign_id", "status", "fed_num"
        ),
        Index(
            "ix_petition_signatures_campaign_id_status_created_at",
            "campaign_id",
            "status",
            "created_at",
        ),
        Index(
            "ix_petition_signatures_campaign_id_status_referral",
            "campaign_id",
            "status",
            "referral",
            "share_source",
        ),
        Index("ix_petition_signatures_ip_hmac_created_at", "ip_hmac", "created_at"),
        Index("ix_petition_signatures_status_created_at", "status", "created_at"),
        Index("ix_petition_signatures_purged_at_created_at", "purged_at", "created_at"),
        # The IP-hash purge: only hashes not yet cleared, by age (a partial index).
        Index(
            "ix_petition_signatures_created_at_unswept_ip",
            "created_at",
            sqlite_where=text("ip_hmac != ''"),
            postgresql_where=text("ip_hmac != ''"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    fed_num: Mapped[int | None] = mapped_column(ForeignKey("ridings.fed_num"))
    # The riding's MP when the person signed: "constituents of this MP" stays true after
    # a by-election, and a vacant seat counts under the riding alone.
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str] = mapped_column(String(5), default="en")
    referral: Mapped[str] = mapped_column(String(64), default="")
    share_source: Mapped[str] = mapped_column(String(16), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_hmac: Mapped[str] = mapped_column(String(64))
    ip_hmac: Mapped[str] = mapped_column(String(64), default="")
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    # What the signer agreed to, each box unticked by default: their first name and city
    # on the public page; their name, city and comment in what their MP receives.
    show_publicly: Mapped[bool] = mapped_column(Boolean, default=False)
    share_with_target: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[SignatureStatus] = mapped_column(
        Enum(SignatureStatus, native_enum=False, length=24, validate_strings=True)
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The action ladder: when the signer went on to call or write (first time each).
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    wrote_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    campaign: Mapped[Campaign] = relationship()
