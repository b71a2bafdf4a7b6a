"""Counted signatures: confirmed ones only, per riding and the MP they counted for."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callmp.models import SignatureStatus
from callmp.petitions import counts
from tests.factories import make_campaign, make_signature, mp


def test_only_confirmed_signatures_count_per_riding_and_mp(db_session: Session) -> None:
    campaign = make_campaign(db_session, petitions=True)
    other = make_campaign(db_session, petitions=True)
    for _ in range(3):
        make_signature(db_session, campaign, fed_num=35075)
    make_signature(db_session, campaign, fed_num=24003)
    make_signature(db_session, campaign, fed_num=35075, status=SignatureStatus.expired)
    make_signature(
        db_session, campaign, fed_num=35075, status=SignatureStatus.awaiting_confirmation
    )
    make_signature(db_session, other, fed_num=35075)

    assert counts.total(db_session, campaign.id) == 4
    rows = counts.by_riding(db_session, campaign.id)
    assert [(row.fed_num, row.signatures) for row in rows] == [(35075, 3), (24003, 1)]
    assert rows[0].person_id == mp(db_session, 35075).id
