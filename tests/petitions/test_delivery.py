"""Delivery rounds: who receives what, new since last time, the schedule, two workers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from callmp.db import make_engine, make_session_factory
from callmp.letters.records import from_address
from callmp.models import (
    DeliveryTrigger,
    EmailMessage,
    MessageKind,
    MessageStatus,
    PetitionDelivery,
    PetitionDeliveryRecipient,
    RecipientOutcome,
)
from callmp.petitions import comments, delivery
from callmp.petitions.delivery import DeliveryError
from tests.factories import make_signature, mp
from tests.petitions.delivery_data import (
    GASPESIE,
    NOW,
    OTTAWA_CENTRE,
    SETTINGS,
    VACANT,
    petition,
    signed,
)


def _by_key(round_: PetitionDelivery) -> dict[str, tuple[int, int, RecipientOutcome]]:
    return {r.recipient_key: (r.signatures, r.new_signatures, r.outcome) for r in round_.recipients}


def _deliver_by_hand(session: Session, now: datetime = NOW) -> PetitionDelivery:
    campaign = petition(session)
    made = delivery.record(session, delivery.by_hand(campaign, session), SETTINGS, now, None)
    assert made is not None
    session.commit()
    return made


def test_each_mp_gets_their_own_constituents_and_the_minister_the_national_total(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    signed(db_session, campaign)
    minister_target = campaign.targets[1]
    made = _deliver_by_hand(db_session)

    ottawa, gaspesie = mp(db_session, OTTAWA_CENTRE), mp(db_session, GASPESIE)
    assert _by_key(made) == {
        f"mp:{ottawa.id}:{OTTAWA_CENTRE}": (3, 3, RecipientOutcome.emailed),
        f"mp:{gaspesie.id}:{GASPESIE}": (2, 2, RecipientOutcome.emailed),
        f"vacant:{VACANT}": (1, 1, RecipientOutcome.vacant),
        f"target:{minister_target.id}": (6, 6, RecipientOutcome.emailed),
    }
    assert (made.trigger, made.total_signatures, made.new_signatures) == (
        DeliveryTrigger.hand,
        6,
        6,
    )
    emailed = [r for r in made.recipients if r.outcome == RecipientOutcome.emailed]
    for row in emailed:
        message = db_session.get(EmailMessage, row.email_message_id)
        assert message is not None
        assert (message.kind, message.status, message.submission_id) == (
            MessageKind.petition_delivery,
            MessageStatus.queued,
            None,
        )
        assert message.from_address == from_address(campaign, SETTINGS) != ""
    to = {db_session.get(EmailMessage, r.email_message_id).to_address for r in emailed}  # type: ignore[union-attr]
    holder = minister_target.portfolio.holder  # type: ignore[union-attr]
    assert holder is not None
    minister_address = (minister_target.portfolio.office_person or holder).email  # type: ignore[union-attr]
    assert to == {ottawa.email, gaspesie.email, minister_address}
    assert sorted(delivery.queued_ids(made)) == sorted(r.email_message_id or 0 for r in emailed)


def test_an_mp_without_an_email_address_is_listed_as_not_emailed(db_session: Session) -> None:
    campaign = petition(db_session)
    signed(db_session, campaign)
    mp(db_session, GASPESIE).email = ""
    made = _deliver_by_hand(db_session)
    row = next(r for r in made.recipients if r.fed_num == GASPESIE)
    assert (row.outcome, row.signatures, row.email_message_id) == (
        RecipientOutcome.no_email,
        2,
        None,
    )
    assert row.name == mp(db_session, GASPESIE).full_name


def test_a_second_round_tells_what_is_new_and_skips_mps_with_nothing_new(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    signed(db_session, campaign)
    _deliver_by_hand(db_session)
    make_signature(db_session, campaign, fed_num=OTTAWA_CENTRE)
    make_signature(db_session, campaign, fed_num=OTTAWA_CENTRE)
    second = _deliver_by_hand(db_session, NOW + timedelta(days=1))

    ottawa = mp(db_session, OTTAWA_CENTRE)
    keys = _by_key(second)
    assert keys[f"mp:{ottawa.id}:{OTTAWA_CENTRE}"] == (5, 2, RecipientOutcome.emailed)
    assert not [k for k in keys if str(GASPESIE) in k or str(VACANT) in k]
    assert keys[f"target:{campaign.targets[1].id}"] == (8, 2, RecipientOutcome.emailed)
    assert (second.total_signatures, second.new_signatures) == (8, 2)


def test_deliver_now_refuses_an_empty_petition(db_session: Session) -> None:
    campaign = petition(db_session)
    try:
        delivery.by_hand(campaign, db_session)
    except DeliveryError as error:
        assert error.reason == "empty"
    else:
        raise AssertionError("an empty petition was delivered")


def test_every_n_new_signatures_starts_a_round_once_the_threshold_is_reached(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    campaign.petition_delivery, campaign.petition_delivery_every = "every", 3
    for _ in range(2):
        make_signature(db_session, campaign)
    assert delivery.scheduled(db_session, NOW) == []
    make_signature(db_session, campaign)
    (due,) = delivery.scheduled(db_session, NOW)
    assert due.trigger == DeliveryTrigger.every
    made = delivery.record(db_session, due, SETTINGS, NOW)
    assert made is not None and made.total_signatures == 3
    assert delivery.scheduled(db_session, NOW) == []
    for _ in range(2):
        make_signature(db_session, campaign)
    assert delivery.scheduled(db_session, NOW) == []
    make_signature(db_session, campaign)
    (again,) = delivery.scheduled(db_session, NOW)
    second = delivery.record(db_session, again, SETTINGS, NOW + timedelta(hours=1))
    assert second is not None and (second.total_signatures, second.new_signatures) == (6, 3)


def test_a_dated_delivery_goes_once_when_its_date_comes(db_session: Session) -> None:
    campaign = petition(db_session)
    campaign.petition_delivery = "date"
    campaign.petition_delivery_at = NOW
    make_signature(db_session, campaign)
    assert delivery.scheduled(db_session, NOW - timedelta(minutes=1)) == []
    (due,) = delivery.scheduled(db_session, NOW + timedelta(minutes=1))
    assert due.trigger == DeliveryTrigger.date
    assert delivery.record(db_session, due, SETTINGS, NOW + timedelta(minutes=1)) is not None
    make_signature(db_session, campaign)
    assert delivery.scheduled(db_session, NOW + timedelta(days=2)) == []
    # The lead moves the date: that date gets its own round.
    campaign.petition_delivery_at = NOW + timedelta(days=3)
    assert delivery.scheduled(db_session, NOW + timedelta(days=2)) == []
    assert len(delivery.scheduled(db_session, NOW + timedelta(days=3))) == 1


def test_two_workers_that_find_the_same_round_due_record_it_once(
    db_session: Session, database_url: str
) -> None:
    campaign = petition(db_session)
    campaign.petition_delivery, campaign.petition_delivery_every = "every", 2
    signed(db_session, campaign)
    db_session.commit()
    engine = make_engine(database_url)
    try:
        first, second = make_session_factory(engine)(), make_session_factory(engine)()
        (due_first,) = delivery.scheduled(first, NOW)
        (due_second,) = delivery.scheduled(second, NOW)
        assert due_first == due_second
        assert delivery.record(first, due_first, SETTINGS, NOW) is not None
        first.commit()
        assert delivery.record(second, due_second, SETTINGS, NOW) is None
        second.commit()
        first.close()
        second.close()
    finally:
        engine.dispose()
    db_session.expire_all()
    rounds = db_session.scalar(select(func.count()).select_from(PetitionDelivery))
    rows = db_session.scalar(select(func.count()).select_from(PetitionDeliveryRecipient))
    sent = db_session.scalar(
        select(func.count())
        .select_from(EmailMessage)
        .where(EmailMessage.kind == MessageKind.petition_delivery)
    )
    assert (rounds, rows, sent) == (1, 4, 3)


def test_delivery_messages_lose_their_text_after_the_retention_period(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    make_signature(db_session, campaign, comment="Mon commentaire", share_with_target=True)
    made = _deliver_by_hand(db_session)
    ids = delivery.queued_ids(made)
    db_session.execute(
        update(EmailMessage).where(EmailMessage.id.in_(ids)).values(status=MessageStatus.sent)
    )
    assert comments.purge_sent(db_session, NOW + timedelta(days=29), 30) == 0
    assert comments.purge_sent(db_session, NOW + timedelta(days=30), 30) == len(ids) == 2
    db_session.expire_all()
    assert [db_session.get(EmailMessage, i).body for i in ids] == [None, None]  # type: ignore[union-attr]
    assert [(r.signatures, r.new_signatures) for r in latest_round(db_session)] == [(1, 1)] * 2


def latest_round(session: Session) -> list[PetitionDeliveryRecipient]:
    found = session.scalars(select(PetitionDelivery).order_by(PetitionDelivery.id.desc())).first()
    assert found is not None
    return list(found.recipients)


def test_two_workers_racing_in_threads_record_one_round(
    db_session: Session, database_url: str
) -> None:
    campaign = petition(db_session)
    campaign.petition_delivery, campaign.petition_delivery_every = "every", 2
    signed(db_session, campaign)
    db_session.commit()
    engine = make_engine(database_url)
    both_found = threading.Barrier(2, timeout=10)
    made: list[int | None] = []

    def worker() -> None:
        with make_session_factory(engine)() as session:
            (due,) = delivery.scheduled(session, NOW)
            both_found.wait()  # both saw the round due before either recorded it
            recorded = delivery.record(session, due, SETTINGS, NOW)
            session.commit()
            made.append(recorded.id if recorded is not None else None)

    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        engine.dispose()
    assert len(made) == 2 and made.count(None) == 1
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(PetitionDelivery)) == 1
