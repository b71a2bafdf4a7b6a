"""Confirmation links, reminders, expiry, and the purge that keeps the counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.letters import delivery
from callmp.letters.confirmation import ConfirmError
from callmp.models import EmailMessage, MessageKind, MessageStatus, SignatureStatus
from callmp.petitions import confirmation, counts, signing, sweep
from tests.petitions.helpers import NOW, SETTINGS, petition_campaign, sign_ask

MAIL = SETTINGS.mail


def _signed(db_session: Session, **fields: object) -> signing.Signed:
    campaign = petition_campaign(db_session, petition_confirm=True)
    ask = sign_ask(db_session, campaign, **fields)
    signed = signing.sign(db_session, ask, settings=SETTINGS, now=NOW)
    db_session.commit()
    return signed


def _token(db_session: Session, signed: signing.Signed) -> str:
    url = confirmation.confirm_url(signed.signature.campaign, signed.signature, MAIL)
    return url.rsplit("/", 1)[1]


def test_the_link_confirms_once_and_the_signature_counts(db_session: Session) -> None:
    signed = _signed(db_session)
    token = _token(db_session, signed)
    later = NOW + timedelta(hours=2)
    signature, confirmed = confirmation.confirm(db_session, token, MAIL, later)
    db_session.commit()
    assert confirmed and signature.status == SignatureStatus.confirmed
    assert signature.confirmed_at == later
    assert counts.total(db_session, signature.campaign_id) == 1
    again, confirmed_again = confirmation.confirm(db_session, token, MAIL, later)
    assert (again.id, confirmed_again) == (signature.id, False)
    assert counts.total(db_session, signature.campaign_id) == 1


def test_a_tampered_or_letter_link_confirms_nothing(db_session: Session) -> None:
    signed = _signed(db_session)
    token = _token(db_session, signed)
    for bad in (token[:-2] + "xx", "garbage", ""):
        with pytest.raises(ConfirmError) as error:
            confirmation.confirm(db_session, bad, MAIL, NOW)
        assert error.value.reason == "invalid"
    # A letter's token for the same public id is signed with another salt.
    from itsdangerous import URLSafeTimedSerializer

    from callmp.letters import confirmation as letters

    letter_token = URLSafeTimedSerializer(MAIL.secret, salt=letters.TOKEN_SALT).dumps(
        signed.signature.public_id
    )
    with pytest.raises(ConfirmError):
        confirmation.confirm(db_session, letter_token, MAIL, NOW)
    assert counts.total(db_session, signed.signature.campaign_id) == 0


def test_a_link_past_the_confirmation_period_has_expired(db_session: Session) -> None:
    signed = _signed(db_session)
    token = _token(db_session, signed)
    too_late = NOW + timedelta(hours=MAIL.confirm_hours, minutes=1)
    with pytest.raises(ConfirmError) as error:
        confirmation.find_by_token(db_session, token, MAIL, too_late)
    assert error.value.reason == "expired"


def test_the_sweep_reminds_once_then_expires_and_the_address_may_sign_again(
    db_session: Session,
) -> None:
    signed = _signed(db_session)
    day = NOW + timedelta(hours=MAIL.reminder_hours, minutes=1)
    first = delivery.sweep(db_session, MAIL, day, stuck_after_s=600)
    second = delivery.sweep(db_session, MAIL, day + timedelta(minutes=5), stuck_after_s=600)
    db_session.commit()
    reminders = [
        m
        for m in db_session.scalars(select(EmailMessage).order_by(EmailMessage.id))
        if m.subject.startswith("Reminder")
    ]
    assert (first.reminded, second.reminded, len(reminders)) == (1, 0, 1)
    assert reminders[0].id in first.due
    assert reminders[0].kind == MessageKind.petition_confirmation
    assert reminders[0].signature_id == signed.signature.id

    ended = NOW + timedelta(hours=MAIL.confirm_hours, minutes=1)
    result = delivery.sweep(db_session, MAIL, ended, stuck_after_s=600)
    db_session.commit()
    db_session.refresh(signed.signature)
    assert result.expired == 1 and signed.signature.status == SignatureStatus.expired
    ask = sign_ask(db_session, signed.signature.campaign)
    again = signing.sign(db_session, ask, settings=SETTINGS, now=ended)
    assert again.signature.id == signed.signature.id
    assert again.signature.status == SignatureStatus.awaiting_confirmation


def test_the_purge_clears_what_names_the_signer_and_keeps_what_counts(
    db_session: Session,
) -> None:
    signed = _signed(
        db_session,
        comment="My family waits.",
        referral="partner-a",
        share_source="whatsapp",
        show_publicly=True,
        share_with_target=True,
        consent_followup=True,
    )
    signature = signed.signature
    confirmation.confirm(db_session, _token(db_session, signed), MAIL, NOW)
    db_session.execute(update(EmailMessage).values(status=MessageStatus.sent))
    db_session.commit()
    kept = {
        name: getattr(signature, name)
        for name in ("fed_num", "person_id", "referral", "share_source", "status", "email_hmac")
    }
    before = NOW + timedelta(days=MAIL.retention_days) - timedelta(minutes=1)
    assert sweep.purge(db_session, MAIL, before) == 0
    after = NOW + timedelta(days=MAIL.retention_days)
    assert sweep.purge(db_session, MAIL, after) == 1
    db_session.commit()
    db_session.refresh(signature)
    assert signature.name == ""
    assert signature.email is None
    assert signature.postal_code == ""
    assert signature.city == ""
    assert signature.comment == ""
    assert signature.ip_hmac == ""
    assert signature.purged_at == after
    assert {name: getattr(signature, name) for name in kept} == kept
    assert kept["status"] == SignatureStatus.confirmed and kept["referral"] == "partner-a"
    # The confirmation email held the address: gone too. The count stays.
    assert db_session.scalars(select(EmailMessage)).all() == []
    assert counts.total(db_session, signature.campaign_id) == 1
    assert sweep.purge(db_session, MAIL, after + timedelta(days=1)) == 0


def test_the_purge_waits_for_a_confirmation_still_being_sent(db_session: Session) -> None:
    signed = _signed(db_session)
    short = replace(MAIL, retention_days=1)
    assert sweep.purge(db_session, short, NOW + timedelta(days=2)) == 0  # still queued
    db_session.refresh(signed.signature)
    assert signed.signature.email == "amira.haddad@example.org"
