"""Supporters' consent to follow-up email (CASL), and mail that came back.

A consent record keeps the exact words a supporter saw when they ticked the (unticked by
default) box, in the language shown, with the organization that asked, the action and
where it was taken (page or a partner's embed), so the consent can be proven; it is
withdrawn (never deleted while it stands) through a one-click link or the public page,
and erased with the person on a privacy request. A bounced address of an MP is counted
so that leads are told to correct it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from callmp.db import Base, UtcDateTime, utcnow


class ConsentRecord(Base):
    """One supporter's express consent to the campaign's organization emailing them."""

    __tablename__ = "consent_records"
    __table_args__ = (
        # The export of a campaign's standing consents, newest first; the search of a
        # person by keyed hash (email or phone); the purge by age.
        Index("ix_consent_records_campaign_id_withdrawn_at", "campaign_id", "withdrawn_at"),
        Index("ix_consent_records_email_hmac", "email_hmac"),
        Index("ix_consent_records_phone_hmac", "phone_hmac"),
        Index("ix_consent_records_purged_at_created_at", "purged_at", "created_at"),
        # The purge of withdrawn consents' proof reads only what is due.
        Index("ix_consent_records_withdrawn_at", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The secret of the one-click unsubscribe link (never the address itself).
    unsubscribe_key: Mapped[str] = mapped_column(String(43), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))  # call, report, letter, petition
    source: Mapped[str] = mapped_column(String(16), default="page")  # page, embed, api
    referral: Mapped[str] = mapped_column(String(64), default="")
    share_source: Mapped[str] = mapped_column(String(16), default="")
    locale: Mapped[str] = mapped_column(String(5), default="en")
    # Exactly what the supporter read beside the box, and who asked.
    wording: Mapped[str] = mapped_column(Text)
    organization: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    email_hmac: Mapped[str] = mapped_column(String(64), default="")
    phone_hmac: Mapped[str] = mapped_column(String(64), default="")
    postal_code: Mapped[str] = mapped_column(String(7), default="")
    fed_num: Mapped[int | None] = mapped_column(ForeignKey("ridings.fed_num"))
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_submissions.id", ondelete="SET NULL"), index=True
    )
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("petition_signatures.id", ondelete="SET NULL"), index=True
    )
    call_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_requests.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_via: Mapped[str] = mapped_column(String(16), default="")  # link, page, staff
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BouncedAddress(Base):
    """A recipient address (an MP's or an office's) that mail bounced from."""

    __tablename__ = "bounced_addresses"

    address: Mapped[str] = mapped_column(String(254), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    bounces: Mapped[int] = mapped_column(Integer, default=0)
    last_reason: Mapped[str] = mapped_column(String(300), default="")
    last_bounce_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set once the address bounced often enough for leads to be asked to correct it;
    # cleared when they do.
    flagged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
