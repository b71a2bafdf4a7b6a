"""Signing a campaign's petition: check the ask, store one signature per address.

Domain code: no Flask; flushes, never commits. The unique key (campaign, address HMAC)
decides which of two signatures racing for one address is stored: the insert that loses
inserts nothing (``INSERT ... ON CONFLICT DO NOTHING``) and is told "you already signed".
The hourly limit per connection is counted after the new row is in, under a lock on the
connection (PostgreSQL) or the database's write lock (SQLite), so racing signatures from
one connection are counted one after the other, on every server. When a signature is
refused after its row went in, the caller rolls the transaction back.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callmp.db import insert_once, lock_keys
from callmp.i18n import N_, InputError
from callmp.letters import compose
from callmp.letters.records import keyed_hash
from callmp.models import Campaign, PetitionSignature, SignatureStatus
from callmp.petitions import confirmation
from callmp.petitions.settings import PetitionSettings
from callmp.templating import strip_control

COMMENT_MAX = 1000


class SignatureRefused(InputError):
    """A signature we won't take; ``status`` is the HTTP status to answer with."""

    status: int = 400


def refused(reason: str, message: str, status: int) -> SignatureRefused:
    """A refusal with its HTTP status."""
    error = SignatureRefused(reason, message)
    error.status = status
    return error


def clean_comment(raw: str | None) -> str:
    """The signer's optional comment: NFC, Unix line breaks, no control characters."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = strip_control(text).strip()
    if len(text) > COMMENT_MAX:
        raise SignatureRefused(
            "comment", N_("Please keep this under %(n)s characters."), {"n": str(COMMENT_MAX)}
        )
    return text


def is_open(campaign: Campaign, now: datetime) -> bool:
    """Whether the campaign's petition takes signatures at ``now``."""
    ends = campaign.petition_ends_at
    return bool(campaign.petitions) and (ends is None or now < ends)


@dataclass(frozen=True)
class SignAsk:
    """A signature as the supporter gave it, with the riding they live in (settled by the
    same lookup as letters: an uncertain postal code was resolved by their own pick)."""

    campaign: Campaign
    name: str
    email: str
    postal_code: str
    fed_num: int
    person_id: int | None  # the riding's sitting MP; None when the seat is vacant
    city: str = ""
    comment: str = ""
    locale: str = "en"
    show_publicly: bool = False
    share_with_target: bool = False
    consent_followup: bool = False
    referral: str = ""
    share_source: str = ""
    ip: str = ""


@dataclass
class Signed:
    """A stored signature and the ids of the messages to hand to the mail queue."""

    signature: PetitionSignature
    message_ids: list[int] = field(default_factory=list)


def signed_from_ip(session: Session, ip_key: str, since: datetime) -> int:
    """Signatures of every campaign from the connection ``ip_key`` since ``since``."""
    query = select(func.count()).where(
        PetitionSignature.ip_hmac == ip_key, PetitionSignature.created_at >= since
    )
    return int(session.scalar(query) or 0)


def _checked(ask: SignAsk) -> dict[str, str]:
    """Name, address, city and comment cleaned again (whoever built the ask)."""
    try:
        return {
            "name": compose.clean_name(ask.name),
            "email": compose.clean_email(ask.email),
            "city": compose.clean_city(ask.city),
            "comment": clean_comment(ask.comment),
        }
    except InputError as error:
        raise SignatureRefused(error.reason, error.message, error.params) from None


def _duplicate() -> SignatureRefused:
    return refused("duplicate", N_("You already signed this petition. Thank you!"), 409)


def sign(session: Session, ask: SignAsk, *, settings: PetitionSettings, now: datetime) -> Signed:
    """Store a signature: awaiting its emailed link, or counted at once.

    Raises SignatureRefused: 404 petition off, 410 past its deadline, 409 this address
    already signed, 429 too many signatures from this connection this hour (the caller
    rolls back: the row is in the session by then).
    """
    campaign = ask.campaign
    if not campaign.petitions:
        raise refused("off", N_("This campaign has no petition."), 404)
    if not is_open(campaign, now):
        raise refused("closed", N_("This petition is closed: it no longer takes signatures."), 410)
    fields = _checked(ask)
    mail = settings.mail
    email_key = keyed_hash(fields["email"], mail)
    ip_key = keyed_hash("ip:" + ask.ip, mail) if ask.ip else ""
    if ip_key:
        lock_keys(session, "petition-ip:" + ip_key)
    confirm = bool(campaign.petition_confirm)
    values: dict[str, Any] = {
        **fields,
        "public_id": secrets.token_urlsafe(16),
        "fed_num": ask.fed_num,
        "person_id": ask.person_id,
        "locale": ask.locale[:5],
        "referral": ask.referral[:64],
        "share_source": ask.share_source[:16],
        "ip_hmac": ip_key,
        "postal_code": ask.postal_code[:7],
        "show_publicly": ask.show_publicly,
        "share_with_target": ask.share_with_target,
        "consent_followup": ask.consent_followup,
        "status": SignatureStatus.awaiting_confirmation if confirm else SignatureStatus.confirmed,
        "confirmed_at": None if confirm else now,
        "reminded_at": None,
        "called_at": None,
        "wrote_at": None,
        "purged_at": None,
        "created_at": now,
    }
    mine = (PetitionSignature.campaign_id == campaign.id) & (
        PetitionSignature.email_hmac == email_key
    )
    earlier = session.scalars(select(PetitionSignature.status).where(mine)).first()
    if earlier is None:
        row = {**values, "campaign_id": campaign.id, "email_hmac": email_key}
        if not insert_once(session, PetitionSignature, row):
            raise _duplicate()  # the same address, signed a moment ago elsewhere
    elif earlier == SignatureStatus.expired:
        # Never confirmed: the address signs again on the same row, which only one of
        # two racing signatures can take from "expired".
        moved = session.execute(
            update(PetitionSignature)
            .where(mine, PetitionSignature.status == SignatureStatus.expired)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            raise _duplicate()
    else:
        raise _duplicate()
    signature = session.scalars(
        select(PetitionSignature)
        .where(PetitionSignature.public_id == values["public_id"])
        .execution_options(populate_existing=True)  # a reused row may be in the session
    ).one()
    if ip_key and signed_from_ip(session, ip_key, now - timedelta(hours=1)) > (
        settings.max_per_ip_per_hour
    ):
        raise refused(
            "ip_limit",
            N_("Too many signatures were sent from this connection. Please try again later."),
            429,
        )
    signed = Signed(signature)
    if confirm:
        message = confirmation.confirmation_message(campaign, signature, mail, now)
        session.add(message)
        session.flush()
        signed.message_ids.append(message.id)
    return signed
