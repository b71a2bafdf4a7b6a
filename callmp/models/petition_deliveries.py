"""A petition's deliveries: each round of emails to its targets, and who received what.

A round (``PetitionDelivery``) is started by a lead ("hand"), by the scheduler when N new
signatures came in ("every") or when the delivery date came ("date"). Its ``round_key``
is unique per campaign, so two workers that see the same moment record one round: every
scheduled or hand round is keyed by the round it follows (``after:<id>``), a dated round
by its date (``date:<iso>``). Each recipient row keeps the counts it was given and the
message that carries them (none when the person has no address or the seat is vacant).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from callmp.db import Base, UtcDateTime, utcnow
from callmp.models.accounts import User
from callmp.models.emails import EmailMessage
from callmp.models.people import Person, Riding


class DeliveryTrigger(enum.StrEnum):
    """What started a delivery round (the campaign's ``petition_delivery`` values)."""

    hand = "hand"  # a lead pressed "Deliver now"
    every = "every"  # N new signatures since the last round
    date = "date"  # the campaign's delivery date came


class RecipientOutcome(enum.StrEnum):
    """Whether a recipient was emailed, and why not."""

    emailed = "emailed"  # a message is in the mail queue (its own status says the rest)
    no_email = "no_email"  # we have no address for this person: shown, not emailed
    vacant = "vacant"  # the seat or post is empty: the count is shown, nobody is emailed


def _enum(cls: type[enum.StrEnum], length: int) -> Enum:
    return Enum(cls, native_enum=False, length=length, validate_strings=True)


class PetitionDelivery(Base):
    """One round of a petition's delivery to its targets."""

    __tablename__ = "petition_deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "round_key"),
        Index("ix_petition_deliveries_campaign_id_created_at", "campaign_id", "created_at"),
        CheckConstraint("total_signatures >= 0", name="total_signatures"),
        CheckConstraint("new_signatures >= 0", name="new_signatures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    trigger: Mapped[DeliveryTrigger] = mapped_column(_enum(DeliveryTrigger, 10))
    round_key: Mapped[str] = mapped_column(String(64))
    # Who pressed "Deliver now" (None: the scheduler, or an account since deleted).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    total_signatures: Mapped[int] = mapped_column(Integer)
    new_signatures: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship()
    recipients: Mapped[list[PetitionDeliveryRecipient]] = relationship(
        back_populates="delivery",
        order_by="PetitionDeliveryRecipient.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class PetitionDeliveryRecipient(Base):
    """One person (or vacant seat) in a round: what they were told, and the message."""

    __tablename__ = "petition_delivery_recipients"
    __table_args__ = (
        UniqueConstraint("delivery_id", "recipient_key"),
        Index(
            "ix_petition_delivery_recipients_campaign_id_recipient_key",
            "campaign_id",
            "recipient_key",
            "delivery_id",
        ),
        CheckConstraint("signatures >= 0", name="signatures"),
        CheckConstraint("new_signatures >= 0", name="new_signatures"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("petition_deliveries.id", ondelete="CASCADE")
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # ``mp:<person>:<riding>``, ``vacant:<riding>`` or ``target:<target>``: the same
    # recipient across rounds, for "new since their previous delivery".
    recipient_key: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # The riding whose constituents are counted (None: a minister's national total).
    fed_num: Mapped[int | None] = mapped_column(ForeignKey("ridings.fed_num"))
    name: Mapped[str] = mapped_column(String(200), default="")  # as it was at delivery
    signatures: Mapped[int] = mapped_column(Integer)
    new_signatures: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[RecipientOutcome] = mapped_column(_enum(RecipientOutcome, 10))
    email_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_messages.id", ondelete="SET NULL"), unique=True
    )

    delivery: Mapped[PetitionDelivery] = relationship(back_populates="recipients")
    person: Mapped[Person | None] = relationship()
    riding: Mapped[Riding | None] = relationship()
    message: Mapped[EmailMessage | None] = relationship()
