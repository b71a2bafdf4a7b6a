"""What the public page may show of signers, and the ladder's first-time stamps."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from callmp.models import SignatureStatus
from callmp.petitions import ladder, public
from tests.factories import make_campaign, make_signature
from tests.petitions.helpers import NOW, petition_campaign


def test_recent_signers_are_first_names_and_cities_of_those_who_agreed(
    db_session: Session,
) -> None:
    campaign = petition_campaign(db_session, petition_show_signers=True)
    at = NOW
    make_signature(db_session, campaign, name="Amira Haddad", city="Ottawa", show_publicly=True)
    make_signature(db_session, campaign, name="Jean Tremblay", city="Gatineau")  # said no
    make_signature(
        db_session,
        campaign,
        name="Waiting Person",
        show_publicly=True,
        status=SignatureStatus.awaiting_confirmation,
    )
    make_signature(db_session, campaign, name="Gone Person", show_publicly=True, purged_at=at)
    make_signature(
        db_session,
        campaign,
        name="  Li   Wei Chen ",
        city="",
        show_publicly=True,
        created_at=at + timedelta(hours=1),
    )
    signers = public.recent_signers(db_session, campaign, 10)
    assert signers == [public.Signer("Li", ""), public.Signer("Amira", "Ottawa")]
    assert public.recent_signers(db_session, campaign, 1) == [public.Signer("Li", "")]

    campaign.petition_show_signers = False
    assert public.recent_signers(db_session, campaign, 10) == []


def test_the_counter_counts_confirmed_signatures_toward_the_goal(db_session: Session) -> None:
    campaign = petition_campaign(db_session, petition_goal=4)
    for _ in range(3):
        make_signature(db_session, campaign)
    make_signature(db_session, campaign, status=SignatureStatus.expired)
    assert public.counter(db_session, campaign) == public.PetitionCounter(3, 4, 75)
    for _ in range(3):
        make_signature(db_session, campaign)
    assert public.counter(db_session, campaign).percent == 100
    campaign.petition_goal = None
    assert public.counter(db_session, campaign) == public.PetitionCounter(6, 0, 0)


def test_each_step_is_stamped_the_first_time_only_on_its_own_campaign(
    db_session: Session,
) -> None:
    campaign = petition_campaign(db_session)
    signature = make_signature(db_session, campaign)
    other = make_campaign(db_session, petitions=True)
    first, later = NOW, NOW + timedelta(hours=1)
    assert ladder.record_step(db_session, campaign.id, signature.public_id, ladder.Step.call, first)
    assert not ladder.record_step(
        db_session, campaign.id, signature.public_id, ladder.Step.call, later
    )
    assert not ladder.record_step(
        db_session, other.id, signature.public_id, ladder.Step.write, later
    )
    assert ladder.record_step(
        db_session, campaign.id, signature.public_id, ladder.Step.write, later
    )
    db_session.commit()
    db_session.refresh(signature)
    assert (signature.called_at, signature.wrote_at) == (first, later)
