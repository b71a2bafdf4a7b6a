"""A call's row as the webhooks read and write it: columns loaded, guarded one-row writes."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from callmp.calls import call_rows
from callmp.calls.call_rows import CallRow
from callmp.models import CallRequest, CallStatus, Campaign, Channel, ContactEvent, Outcome

SID = "CA" + "a" * 32


def stored(db_session: Session, campaign: Campaign, public_id: str, **values: object) -> int:
    """A request committed with ``values``; its id."""
    call = CallRequest(
        public_id=public_id,
        campaign_id=campaign.id,
        phone="+16135550142",
        phone_hmac="h-" + public_id,
        status=CallStatus.queued,
        **values,
    )
    db_session.add(call)
    db_session.commit()
    return call.id


def row(db_session: Session, public_id: str) -> CallRow:
    """The request as a webhook loads it."""
    loaded = call_rows.load(db_session, public_id)
    assert loaded is not None
    return loaded


def in_db(db_session: Session, call_id: int) -> tuple[object, ...]:
    """Provider id, status and whether the number is kept, as stored."""
    db_session.expire_all()
    call = db_session.get(CallRequest, call_id)
    assert call is not None
    return call.provider_sid, call.status, call.phone is not None


def test_a_loaded_row_holds_the_columns_a_webhook_reads_never_the_phone(
    db_session: Session, campaign: Campaign
) -> None:
    call_id = stored(db_session, campaign, "p1", step=1, office_try=2, plan="{}")
    loaded = row(db_session, "p1")
    assert (loaded.id, loaded.status, loaded.step, loaded.office_try, loaded.plan) == (
        call_id,
        CallStatus.queued,
        1,
        2,
        "{}",
    )
    assert not hasattr(loaded, "phone")
    assert call_rows.load(db_session, "nobody") is None
    assert call_rows.load(db_session, "x" * 33) is None


def test_link_and_move_writes_both_under_their_own_guards(
    db_session: Session, campaign: Campaign
) -> None:
    call_id = stored(db_session, campaign, "p2")
    loaded = row(db_session, "p2")
    call_rows.link_and_move(db_session, loaded, SID, CallStatus.in_progress)
    db_session.commit()
    assert (loaded.provider_sid, loaded.status) == (SID, CallStatus.in_progress)
    assert in_db(db_session, call_id) == (SID, CallStatus.in_progress, True)


def test_a_stale_row_is_linked_but_never_moved_back(
    db_session: Session, campaign: Campaign
) -> None:
    call_id = stored(db_session, campaign, "p3")
    stale = row(db_session, "p3")
    # Another delivery finished the call meanwhile (and dropped the number).
    db_session.execute(
        update(CallRequest)
        .where(CallRequest.id == call_id)
        .values(status=CallStatus.completed, phone=None)
    )
    db_session.commit()
    call_rows.link_and_move(db_session, stale, SID, CallStatus.in_progress)
    db_session.commit()
    assert in_db(db_session, call_id) == (SID, CallStatus.completed, False)
    assert (stale.provider_sid, stale.status) == (SID, CallStatus.completed)


def test_a_sid_another_request_holds_is_left_to_it_while_the_call_moves_on(
    db_session: Session, campaign: Campaign
) -> None:
    stored(db_session, campaign, "owner", provider_sid=SID)
    call_id = stored(db_session, campaign, "p4")
    loaded = row(db_session, "p4")
    call_rows.link_and_move(db_session, loaded, SID, CallStatus.in_progress)
    db_session.commit()
    assert in_db(db_session, call_id) == (None, CallStatus.in_progress, True)
    assert (loaded.provider_sid, loaded.status) == (None, CallStatus.in_progress)
    # Neither guard holds any more: nothing is written.
    assert not call_rows.link(db_session, loaded, SID)
    assert not call_rows.move_forward(db_session, loaded, CallStatus.ringing)


def test_a_dial_load_tells_whether_that_dial_is_counted_as_its_key_spells_it(
    db_session: Session, campaign: Campaign
) -> None:
    call_id = stored(db_session, campaign, "p9", step=0)
    other_id = stored(db_session, campaign, "p10", step=0)

    def seen(public_id: str, step: int, office: int) -> bool:
        found = call_rows.load_dialled(db_session, public_id, step, office)
        assert found is not None
        loaded, counted = found
        assert loaded == row(db_session, public_id)  # the same row as ``load`` gives
        key = call_rows.dial_key(loaded.id, step, office)
        assert counted is call_rows.counted(db_session, key)
        return counted

    assert not seen("p9", 0, 1)
    event = {"campaign_id": campaign.id, "channel": Channel.bridged_call}
    db_session.add(ContactEvent(**event, outcome=Outcome.busy, dedupe_key=f"b:{call_id}:0:1"))
    db_session.add(ContactEvent(**event, outcome=Outcome.busy, dedupe_key=f"b:{call_id}:1:-"))
    db_session.commit()
    assert call_rows.dial_key(call_id, 0, 1) == f"b:{call_id}:0:1"
    assert seen("p9", 0, 1)
    assert not seen("p9", 0, 0) and not seen("p9", 1, 0) and not seen("p9", 10, 1)
    assert not seen("p10", 0, 1)  # another call's dial
    assert other_id != call_id
    assert call_rows.load_dialled(db_session, "nobody", 0, 0) is None
    assert call_rows.load_dialled(db_session, "x" * 33, 0, 0) is None
