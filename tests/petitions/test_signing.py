"""Signing: stored once per address, refused when closed, limited per connection."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.letters.records import keyed_hash
from callmp.models import (
    EmailMessage,
    MessageKind,
    MessageStatus,
    PetitionSignature,
    SignatureStatus,
)
from callmp.petitions import counts, signing
from callmp.petitions.signing import SignatureRefused
from tests.factories import mp
from tests.petitions.helpers import NOW, OTTAWA_CENTRE, SETTINGS, petition_campaign, sign_ask


def rows(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PetitionSignature)) or 0)


def test_a_signature_without_confirmation_counts_at_once_for_the_riding_and_its_mp(
    db_session: Session,
) -> None:
    campaign = petition_campaign(db_session)
    ask = sign_ask(db_session, campaign, referral="partner-a", share_source="email")
    signed = signing.sign(db_session, ask, settings=SETTINGS, now=NOW)
    db_session.commit()

    signature = signed.signature
    assert signature.status == SignatureStatus.confirmed and signature.confirmed_at == NOW
    assert (signature.fed_num, signature.person_id) == (
        OTTAWA_CENTRE,
        mp(db_session, OTTAWA_CENTRE).id,
    )
    assert (signature.referral, signature.share_source) == ("partner-a", "email")
    assert signature.email_hmac == keyed_hash("amira.haddad@example.org", SETTINGS.mail)
    assert signature.ip_hmac == keyed_hash("ip:192.0.2.10", SETTINGS.mail)
    assert not (signature.show_publicly or signature.share_with_target)
    assert not signature.consent_followup
    assert signed.message_ids == []
    assert counts.total(db_session, campaign.id) == 1


def test_a_vacant_seat_counts_under_the_riding_alone(db_session: Session) -> None:
    campaign = petition_campaign(db_session)
    ask = sign_ask(db_session, campaign, person_id=None)
    signature = signing.sign(db_session, ask, settings=SETTINGS, now=NOW).signature
    db_session.commit()
    assert (signature.fed_num, signature.person_id) == (OTTAWA_CENTRE, None)
    assert [(r.fed_num, r.person_id) for r in counts.by_riding(db_session, campaign.id)] == [
        (OTTAWA_CENTRE, None)
    ]


def test_with_confirmation_it_waits_and_queues_one_confirmation_email(
    db_session: Session,
) -> None:
    campaign = petition_campaign(db_session, petition_confirm=True)
    signed = signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    db_session.commit()

    assert signed.signature.status == SignatureStatus.awaiting_confirmation
    assert counts.total(db_session, campaign.id) == 0
    (message,) = db_session.scalars(select(EmailMessage)).all()
    assert [message.id] == signed.message_ids
    assert message.kind == MessageKind.petition_confirmation
    assert (message.signature_id, message.submission_id) == (signed.signature.id, None)
    assert message.status == MessageStatus.queued
    assert message.to_address == "amira.haddad@example.org"
    assert "/c/status-for-all/petition/confirm/" in (message.body or "")


@pytest.mark.parametrize("again", ["amira.haddad@example.org", "Amira.Haddad@EXAMPLE.org"])
def test_the_same_address_again_is_a_friendly_409_and_stores_nothing(
    db_session: Session, again: str
) -> None:
    campaign = petition_campaign(db_session)
    signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    db_session.commit()
    with pytest.raises(SignatureRefused) as refused:
        signing.sign(
            db_session,
            sign_ask(db_session, campaign, email=again, ip="198.51.100.4"),
            settings=SETTINGS,
            now=NOW + timedelta(days=3),
        )
    db_session.rollback()
    assert (refused.value.reason, refused.value.status) == ("duplicate", 409)
    assert refused.value.message == "You already signed this petition. Thank you!"
    assert rows(db_session) == 1


def test_an_expired_signature_may_sign_again_on_its_own_row(db_session: Session) -> None:
    campaign = petition_campaign(db_session, petition_confirm=True)
    first = signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    first.signature.status = SignatureStatus.expired
    db_session.commit()
    old_id, old_public = first.signature.id, first.signature.public_id

    later = NOW + timedelta(days=5)
    again = signing.sign(
        db_session,
        sign_ask(db_session, campaign, name="Amira H.", fed_num=24003, person_id=None),
        settings=SETTINGS,
        now=later,
    )
    db_session.commit()
    signature = again.signature
    assert signature.id == old_id and signature.public_id != old_public
    assert signature.status == SignatureStatus.awaiting_confirmation
    assert (signature.name, signature.fed_num, signature.created_at) == ("Amira H.", 24003, later)
    assert rows(db_session) == 1 and len(again.message_ids) == 1


def test_an_unconfirmed_signature_is_still_a_duplicate(db_session: Session) -> None:
    campaign = petition_campaign(db_session, petition_confirm=True)
    signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    db_session.commit()
    with pytest.raises(SignatureRefused) as refused:
        signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    assert refused.value.status == 409


def test_the_same_address_may_sign_another_campaigns_petition(db_session: Session) -> None:
    from tests.factories import make_campaign

    campaign = petition_campaign(db_session)
    other = make_campaign(db_session, petitions=True, petition_confirm=False)
    signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    signing.sign(db_session, sign_ask(db_session, other), settings=SETTINGS, now=NOW)
    db_session.commit()
    assert rows(db_session) == 2


def test_a_petition_that_is_off_or_past_its_deadline_refuses(db_session: Session) -> None:
    campaign = petition_campaign(db_session, petitions=False)
    with pytest.raises(SignatureRefused) as off:
        signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    assert (off.value.reason, off.value.status) == ("off", 404)

    campaign = petition_campaign(db_session, petition_ends_at=NOW)
    with pytest.raises(SignatureRefused) as closed:
        signing.sign(db_session, sign_ask(db_session, campaign), settings=SETTINGS, now=NOW)
    assert (closed.value.reason, closed.value.status) == ("closed", 410)
    ask = sign_ask(db_session, campaign)
    signing.sign(db_session, ask, settings=SETTINGS, now=NOW - timedelta(seconds=1))
    assert rows(db_session) == 1  # a second before the deadline still counts


def test_one_connection_signs_at_most_the_hourly_limit_across_campaigns(
    db_session: Session,
) -> None:
    from tests.factories import make_campaign

    campaign = petition_campaign(db_session)
    other = make_campaign(db_session, petitions=True, petition_confirm=False)
    for n, where in enumerate([campaign, other, campaign]):
        ask = sign_ask(db_session, where, email=f"signer{n}@example.org")
        signing.sign(db_session, ask, settings=SETTINGS, now=NOW + timedelta(minutes=n))
        db_session.commit()
    fourth = sign_ask(db_session, other, email="signer4@example.org")
    with pytest.raises(SignatureRefused) as limited:
        signing.sign(db_session, fourth, settings=SETTINGS, now=NOW + timedelta(minutes=30))
    db_session.rollback()
    assert (limited.value.reason, limited.value.status) == ("ip_limit", 429)
    assert rows(db_session) == 3
    # Another connection signs meanwhile; an hour after the first, this one may again.
    elsewhere = replace(fourth, ip="198.51.100.9")
    signing.sign(db_session, elsewhere, settings=SETTINGS, now=NOW + timedelta(minutes=30))
    fifth = sign_ask(db_session, other, email="signer5@example.org")
    signing.sign(db_session, fifth, settings=SETTINGS, now=NOW + timedelta(minutes=61))
    db_session.commit()
    assert rows(db_session) == 5


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("name", "", "name"),
        ("name", "Amira\r\nBcc: all@example.org", "name"),
        ("name", "<Amira>", "name"),
        ("email", "not an address", "email"),
        ("email", "a@example.org\r\nBcc: x@example.org", "email"),
        ("comment", "x" * (signing.COMMENT_MAX + 1), "comment"),
    ],
)
def test_bad_fields_are_refused_with_a_400_and_store_nothing(
    db_session: Session, field: str, value: str, reason: str
) -> None:
    campaign = petition_campaign(db_session)
    ask = sign_ask(db_session, campaign, **{field: value})
    with pytest.raises(SignatureRefused) as refused:
        signing.sign(db_session, ask, settings=SETTINGS, now=NOW)
    assert (refused.value.reason, refused.value.status) == (reason, 400)
    assert rows(db_session) == 0


def test_a_comment_full_of_markup_and_control_characters_is_stored_as_plain_text(
    db_session: Session,
) -> None:
    campaign = petition_campaign(db_session)
    comment = "<script>alert(1)</script>\r\n=cmd|' /C calc'!A0\x00\x1b[31m\u202eevil"
    ask = sign_ask(db_session, campaign, comment=comment, city="<b>Ottawa</b>")
    signature = signing.sign(db_session, ask, settings=SETTINGS, now=NOW).signature
    db_session.commit()
    db_session.expire_all()
    assert signature.comment == "<script>alert(1)</script>\n=cmd|' /C calc'!A0[31mevil"
    assert signature.city == "<b>Ottawa</b>"  # stored as typed; every page escapes it
