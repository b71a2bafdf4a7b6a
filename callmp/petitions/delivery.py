"""Delivering a petition: record one round, email each recipient, and the schedule.

Domain code: no Flask; functions flush but do not commit, and take the clock (``now``).
A round is inserted first, with ``INSERT ... ON CONFLICT DO NOTHING`` on its unique
(campaign, round key): two workers (or two leads) that find the same round due record
it once, and the one that lost builds nothing. The caller commits, then hands
``queued_ids`` to the mail service, whose retries and sweeper send them like letters.

Rounds: "hand" (a lead's "Deliver now"), "every" (N new counted signatures since the
previous round), "date" (the campaign's delivery date came; once per date). An MP is
emailed in a round when some of their constituents signed since their previous
delivery; ministers and other fixed targets are told the national total each round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from callmp.db import insert_once
from callmp.i18n import N_, InputError
from callmp.letters import smtp
from callmp.letters.records import MailSettings
from callmp.models import (
    Campaign,
    DeliveryTrigger,
    MessageStatus,
    PetitionDelivery,
    PetitionDeliveryRecipient,
    RecipientOutcome,
)
from callmp.petitions import comments, counts, recipients
from callmp.petitions.delivery_mail import (
    Comment,
    Counts,
    ProvinceCount,
    delivery_message,
    one_line,
    recipient_locale,
)

log = logging.getLogger(__name__)


class DeliveryError(InputError):
    """A delivery that cannot start (nothing signed yet, no petition)."""


@dataclass(frozen=True)
class Due:
    """A round that should be recorded now."""

    campaign_id: int
    trigger: DeliveryTrigger
    round_key: str


def latest(session: Session, campaign_id: int) -> PetitionDelivery | None:
    """The campaign's most recent round."""
    return session.scalars(
        select(PetitionDelivery)
        .where(PetitionDelivery.campaign_id == campaign_id)
        .order_by(PetitionDelivery.id.desc())
        .limit(1)
    ).first()


def round_count(session: Session, campaign_id: int) -> int:
    """How many rounds the campaign's petition was delivered in."""
    query = select(func.count()).where(PetitionDelivery.campaign_id == campaign_id)
    return int(session.scalar(query) or 0)


def rounds(session: Session, campaign_id: int) -> list[PetitionDelivery]:
    """The campaign's rounds, newest first, with their recipients, ridings and messages."""
    recipients_of = selectinload(PetitionDelivery.recipients)
    return list(
        session.scalars(
            select(PetitionDelivery)
            .where(PetitionDelivery.campaign_id == campaign_id)
            .order_by(PetitionDelivery.id.desc())
            .options(
                selectinload(PetitionDelivery.user),
                recipients_of.selectinload(PetitionDeliveryRecipient.riding),
                recipients_of.selectinload(PetitionDeliveryRecipient.message),
            )
        )
    )


@dataclass(frozen=True)
class Standing:
    """Where the petition stands against its schedule."""

    total: int
    since_last: int  # counted signatures since the latest round (all, before the first)
    to_next: int | None  # new signatures still needed for an every-N round (None: n/a)


def standing(session: Session, campaign: Campaign) -> Standing:
    """The total, what came since the latest round, and what the next every-N round needs."""
    total = counts.total(session, campaign.id)
    previous = latest(session, campaign.id)
    since = total - (previous.total_signatures if previous else 0)
    to_next = None
    if campaign.petition_delivery == DeliveryTrigger.every and campaign.petition_delivery_every:
        to_next = max(0, campaign.petition_delivery_every - since)
    return Standing(total, max(0, since), to_next)


def _after_key(previous: PetitionDelivery | None) -> str:
    """The key of the round that follows ``previous`` (shared by hand and every-N rounds)."""
    return f"after:{previous.id if previous else 0}"


def date_key(at: datetime) -> str:
    """The key of the round due at ``at``: one round per delivery date."""
    return f"date:{at.isoformat()}"


def due(session: Session, campaign: Campaign, now: datetime) -> Due | None:
    """The scheduled round due now for ``campaign``, if any."""
    if not campaign.petitions:
        return None
    previous = latest(session, campaign.id)
    if campaign.petition_delivery == DeliveryTrigger.every and campaign.petition_delivery_every:
        total = counts.total(session, campaign.id)
        already = previous.total_signatures if previous else 0
        if total - already >= campaign.petition_delivery_every:
            return Due(campaign.id, DeliveryTrigger.every, _after_key(previous))
    at = campaign.petition_delivery_at
    if campaign.petition_delivery == DeliveryTrigger.date and at is not None and at <= now:
        key = date_key(at)
        recorded = select(PetitionDelivery.id).where(
            PetitionDelivery.campaign_id == campaign.id, PetitionDelivery.round_key == key
        )
        if session.scalar(recorded) is None and counts.total(session, campaign.id) > 0:
            return Due(campaign.id, DeliveryTrigger.date, key)
    return None


def scheduled(session: Session, now: datetime) -> list[Due]:
    """Every round the schedule asks for now, across campaigns."""
    found = session.scalars(
        select(Campaign).where(
            Campaign.petitions.is_(True),
            Campaign.petition_delivery.in_((DeliveryTrigger.every, DeliveryTrigger.date)),
        )
    )
    return [d for d in (due(session, campaign, now) for campaign in found) if d is not None]


def by_hand(campaign: Campaign, session: Session) -> Due:
    """The round a lead's "Deliver now" starts (DeliveryError when nobody signed yet)."""
    if not campaign.petitions:
        raise DeliveryError("no_petition", N_("This campaign has no petition."))
    if counts.total(session, campaign.id) == 0:
        raise DeliveryError("empty", N_("Nobody has signed the petition yet: nothing to deliver."))
    return Due(campaign.id, DeliveryTrigger.hand, _after_key(latest(session, campaign.id)))


def _previous_counts(session: Session, campaign_id: int, before: int) -> dict[str, int]:
    """Each recipient's count at their latest delivery before round ``before``."""
    last = (
        select(
            PetitionDeliveryRecipient.recipient_key,
            func.max(PetitionDeliveryRecipient.delivery_id).label("delivery_id"),
        )
        .where(
            PetitionDeliveryRecipient.campaign_id == campaign_id,
            PetitionDeliveryRecipient.delivery_id < before,
        )
        .group_by(PetitionDeliveryRecipient.recipient_key)
        .subquery()
    )
    rows = session.execute(
        select(PetitionDeliveryRecipient.recipient_key, PetitionDeliveryRecipient.signatures).join(
            last,
            (PetitionDeliveryRecipient.recipient_key == last.c.recipient_key)
            & (PetitionDeliveryRecipient.delivery_id == last.c.delivery_id),
        )
    ).all()
    return {key: int(n) for key, n in rows}


def record(
    session: Session,
    due_round: Due,
    settings: MailSettings,
    now: datetime,
    user_id: int | None = None,
) -> PetitionDelivery | None:
    """Record ``due_round`` with its recipients and queued messages; None when another
    worker (or lead) recorded it first."""
    campaign = session.get(Campaign, due_round.campaign_id)
    if campaign is None:
        return None
    previous = latest(session, campaign.id)
    national = counts.total(session, campaign.id)
    inserted = insert_once(
        session,
        PetitionDelivery,
        {
            "campaign_id": campaign.id,
            "trigger": due_round.trigger,
            "round_key": due_round.round_key,
            "user_id": user_id,
            "total_signatures": national,
            "new_signatures": max(0, national - (previous.total_signatures if previous else 0)),
            "created_at": now,
        },
    )
    if not inserted:
        return None
    delivery = session.scalars(
        select(PetitionDelivery).where(
            PetitionDelivery.campaign_id == campaign.id,
            PetitionDelivery.round_key == due_round.round_key,
        )
    ).one()
    before = _previous_counts(session, campaign.id, delivery.id)
    provinces = recipients.by_province(session, campaign.id)
    for share in recipients.shares(session, campaign):
        _add_recipient(session, campaign, delivery, share, before, provinces, settings, now)
    session.flush()
    session.expire(delivery, ["recipients"])
    log.info("Petition delivery %s recorded (%s)", delivery.id, due_round.trigger)
    return delivery


def _add_recipient(
    session: Session,
    campaign: Campaign,
    delivery: PetitionDelivery,
    share: recipients.Share,
    before: dict[str, int],
    provinces: list[ProvinceCount],
    settings: MailSettings,
    now: datetime,
) -> None:
    """One recipient row, with its message when there is someone to email."""
    first = share.key not in before
    new = max(0, share.signatures - before.get(share.key, 0))
    if share.mp and new == 0:
        return  # nothing new for this MP since their previous delivery
    row = PetitionDeliveryRecipient(
        delivery_id=delivery.id,
        campaign_id=campaign.id,
        recipient_key=share.key,
        target_id=share.target_id,
        person_id=share.person.id if share.person else None,
        fed_num=share.fed_num,
        name=one_line(share.person.full_name if share.person else "", 200),
        signatures=share.signatures,
        new_signatures=new,
        outcome=RecipientOutcome.emailed,
    )
    session.add(row)
    if share.person is None:
        row.outcome = RecipientOutcome.vacant
    elif not share.email:
        row.outcome = RecipientOutcome.no_email
    else:
        found: list[Comment] = []
        more = 0
        riding_name = ""
        if share.fed_num is not None:
            since = (
                None if first else comments.last_sent(session, campaign.id, share.key, delivery.id)
            )
            found, more = comments.for_riding(session, campaign.id, share.fed_num, since)
            riding = share.person.riding
            riding_name = (
                riding.name(recipient_locale(campaign, share.person)) if riding is not None else ""
            )
        told = Counts(
            signatures=share.signatures,
            new_signatures=new,
            first=first,
            national=delivery.total_signatures,
            riding=riding_name,
            provinces=() if share.mp else provinces,
            comments=found,
            more_comments=more,
        )
        try:
            message = delivery_message(
                campaign, share.person, share.email, told, mp=share.mp, settings=settings, now=now
            )
        except (ValueError, smtp.MailError) as error:  # headers no message can carry
            log.warning(
                "Petition delivery %s: no message for %s: %s", delivery.id, share.key, error
            )
            row.outcome = RecipientOutcome.no_email
        else:
            session.add(message)
            session.flush()
            row.email_message_id = message.id


def queued_ids(delivery: PetitionDelivery) -> list[int]:
    """Ids of the round's messages waiting in the mail queue."""
    return [
        r.email_message_id
        for r in delivery.recipients
        if r.email_message_id is not None
        and r.message is not None
        and r.message.status == MessageStatus.queued
    ]
