"""The running totals: kept exact by the database's triggers, and the tables built on them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from callmp.db import insert_once
from callmp.models import (
    Campaign,
    Channel,
    ContactEvent,
    CountByOffice,
    CountByReferral,
    Outcome,
    ReferralCode,
)
from callmp.stats import consistency
from callmp.stats import timeline as stats_timeline
from callmp.stats import totals as stats
from tests.factories import add_event, demo_campaign, make_campaign, mp
from tests.support.app import sessions


def events_by_outcome(db_session: Session, campaign: Campaign) -> dict[str, dict[str, int]]:
    """A fresh count of the events by channel and outcome, straight from the table."""
    counted: dict[str, dict[str, int]] = {str(c): {} for c in Channel}
    rows = db_session.execute(
        select(ContactEvent.channel, ContactEvent.outcome, func.count())
        .where(ContactEvent.campaign_id == campaign.id)
        .group_by(ContactEvent.channel, ContactEvent.outcome)
    )
    for channel, outcome, n in rows:
        counted[str(channel)][str(outcome)] = n
    return counted


def test_each_insert_update_and_delete_moves_the_totals(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    hill = spadina.offices[0]
    assert add_event(
        db_session,
        campaign,
        spadina,
        Channel.bridged_call,
        Outcome.connected,
        office=hill,
        duration=45,
        key="k1",
    )
    # A replayed webhook with the same key counts nothing.
    assert not add_event(
        db_session,
        campaign,
        spadina,
        Channel.bridged_call,
        Outcome.connected,
        office=hill,
        duration=45,
        key="k1",
    )
    add_event(db_session, campaign, spadina, Channel.email, Outcome.queued, key="mail")
    add_event(db_session, campaign, spadina, Channel.direct_call, Outcome.no_answer, office=hill)
    db_session.flush()
    result = stats.totals(db_session, campaign.id)
    assert result.by_outcome == events_by_outcome(db_session, campaign)
    assert result.by_outcome["bridged_call"] == {"connected": 1}
    assert (result.figures.reached, result.figures.calls_reached) == (2, 1)

    # The letter is sent: the event's outcome changes, and the totals follow.
    db_session.execute(
        update(ContactEvent).where(ContactEvent.dedupe_key == "mail").values(outcome="sent")
    )
    result = stats.totals(db_session, campaign.id)
    assert result.by_outcome["email"] == {"sent": 1}
    assert result.figures.values["emails_sent"] == 1
    assert result.figures.values["emails_queued"] == 0

    db_session.execute(delete(ContactEvent).where(ContactEvent.dedupe_key == "k1"))
    result = stats.totals(db_session, campaign.id)
    assert result.by_outcome["bridged_call"] == {}
    assert result.figures.duration_s == 0
    office_total = db_session.scalar(
        select(func.sum(CountByOffice.duration_s)).where(CountByOffice.campaign_id == campaign.id)
    )
    assert office_total == 0
    assert consistency.check(db_session, campaign.id) == []


def test_check_finds_a_total_edited_by_hand_and_rebuild_repairs_it(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    for _ in range(3):
        add_event(db_session, campaign, spadina, Channel.email, Outcome.sent, referral="union")
    db_session.flush()
    assert consistency.check(db_session) == []
    db_session.execute(update(CountByReferral).values(n=CountByReferral.n + 5))
    (mismatch,) = consistency.check(db_session, campaign.id)
    assert (mismatch.table, mismatch.stored, mismatch.counted) == ("counts_by_referral", 8, 3)
    consistency.rebuild(db_session, [campaign.id])
    assert consistency.check(db_session) == []
    assert stats.totals(db_session, campaign.id).figures.values["emails_sent"] == 3


def test_concurrent_writers_lose_no_count(app: Flask) -> None:
    factory = sessions(app)
    with factory() as db_session:
        campaign = demo_campaign(db_session)
        target = campaign.targets[0]
        person = mp(db_session, 35100)
        office = person.offices[0]
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for i in range(40):
                with factory() as own:
                    for _ in range(2):  # each webhook delivered twice
                        add_event(
                            own,
                            campaign,
                            person,
                            Channel.bridged_call,
                            Outcome.busy,
                            office=office,
                            target=target,
                            referral=f"r{worker % 2}",
                            key=f"c:{worker}:{i}",
                        )
                    own.commit()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as db_session:
        assert stats.totals(db_session, campaign.id).figures.values["bridged_unanswered"] == 240
        assert [
            (c, f.values["bridged"])
            for c, _l, f in stats.referral_rows(db_session, campaign.id)
            if c
        ] == [("r0", 120), ("r1", 120)]
        assert consistency.check(db_session) == []


def test_office_rows_split_by_office_with_riding_party_and_province(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    hill, local = spadina.offices[0], spadina.offices[1]
    add_event(
        db_session,
        campaign,
        spadina,
        Channel.bridged_call,
        Outcome.connected,
        office=hill,
        duration=60,
    )
    add_event(db_session, campaign, spadina, Channel.bridged_call, Outcome.busy, office=hill)
    add_event(
        db_session,
        campaign,
        spadina,
        Channel.bridged_call,
        Outcome.left_voicemail,
        office=local,
        duration=20,
    )
    add_event(db_session, campaign, spadina, Channel.email, Outcome.failed)
    db_session.flush()
    rows = {
        (r.person_id, r.office.id if r.office else None): r
        for r in stats.office_rows(db_session, campaign.id)
    }
    assert set(rows) == {(spadina.id, hill.id), (spadina.id, local.id), (spadina.id, None)}
    at_hill = rows[(spadina.id, hill.id)]
    assert (at_hill.province, at_hill.party) == ("ON", spadina.party)
    assert at_hill.riding is not None and at_hill.riding.fed_num == 35100
    assert at_hill.figures.values["bridged"] == 2
    assert at_hill.figures.values["bridged_connected"] == 1
    assert at_hill.figures.values["bridged_unanswered"] == 1
    assert (at_hill.figures.reached, at_hill.figures.duration_s) == (1, 60)
    assert rows[(spadina.id, local.id)].figures.values["bridged_voicemail"] == 1
    assert rows[(spadina.id, None)].figures.values["emails_failed"] == 1
    assert rows[(spadina.id, None)].figures.reached == 0


def test_target_rows_follow_the_campaign_order_and_count_people(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    own_mp, minister_target = campaign.targets[0], campaign.targets[1]
    assert minister_target.portfolio is not None  # the demo aims at the portfolio
    minister = minister_target.portfolio.holder
    assert minister is not None
    for fed in (35100, 35100, 24003, 59001):
        add_event(
            db_session, campaign, mp(db_session, fed), Channel.email, Outcome.sent, target=own_mp
        )
    add_event(
        db_session,
        campaign,
        minister,
        Channel.direct_call,
        Outcome.talked_to_staff,
        target=minister_target,
    )
    db_session.flush()
    rows = stats.target_rows(db_session, campaign.id)
    assert [r.target_id for r in rows] == [own_mp.id, minister_target.id]
    assert [(r.people, r.figures.reached) for r in rows] == [(3, 4), (1, 1)]
    assert rows[1].figures.values["direct_talked"] == 1


def test_referral_rows_list_named_codes_even_without_contacts(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    db_session.add(ReferralCode(campaign_id=campaign.id, code="quiet", label="Quiet partner"))
    db_session.add(ReferralCode(campaign_id=campaign.id, code="union", label="Union local"))
    spadina = mp(db_session, 35100)
    for referral in ("union", "union", "", "unknown-code"):
        add_event(db_session, campaign, spadina, Channel.email, Outcome.sent, referral=referral)
    db_session.flush()
    rows = [
        (code, label, f.reached) for code, label, f in stats.referral_rows(db_session, campaign.id)
    ]
    assert rows == [
        ("union", "Union local", 2),
        ("", "", 1),
        ("unknown-code", "", 1),
        ("quiet", "Quiet partner", 0),
    ]


@pytest.mark.parametrize(
    ("zone", "first_hour"),
    [("America/St_Johns", "11:00"), ("America/Toronto", "10:00"), ("America/Vancouver", "07:00")],
)
def test_the_timeline_counts_local_hours_exactly(
    db_session: Session, zone: str, first_hour: str
) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    # 15:00 and 15:29 UTC share a half hour; 15:30 starts the next one.
    for minute, outcome in (
        (0, Outcome.sent),
        (29, Outcome.sent),
        (30, Outcome.failed),
        (31, Outcome.sent),
    ):
        add_event(
            db_session,
            campaign,
            spadina,
            Channel.email,
            outcome,
            at=datetime(2026, 12, 1, 15, minute, tzinfo=UTC),
        )
    db_session.flush()
    tz = ZoneInfo(zone)
    now = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)
    points = stats_timeline.timeline(db_session, campaign.id, tz, unit="hour", since=None, now=now)
    labels = [(p.start.strftime("%H:%M"), p.by_channel["email"]) for p in points]
    if zone == "America/St_Johns":  # UTC-3:30: 15:00-15:29 is 11:30-11:59, 15:30 is 12:00
        assert labels == [("11:00", 2), ("12:00", 1), ("13:00", 0)]
    else:
        assert labels[0] == (first_hour, 3)  # the failed letter is not a contact made
        assert sum(n for _h, n in labels) == 3
        assert len(labels) == 3
    assert all(p.start.tzinfo == tz for p in points)


def test_the_timeline_by_day_fills_empty_days_and_crosses_dst(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    zone = ZoneInfo("America/Toronto")
    # 02:30 UTC on 2 Nov 2026 is still 1 November in Toronto (DST ended on 1 November).
    for at in (datetime(2026, 10, 31, 12, tzinfo=UTC), datetime(2026, 11, 2, 2, 30, tzinfo=UTC)):
        add_event(db_session, campaign, spadina, Channel.direct_call, Outcome.left_voicemail, at=at)
    db_session.flush()
    now = datetime(2026, 11, 3, 12, tzinfo=UTC)
    points = stats_timeline.timeline(db_session, campaign.id, zone, unit="day", since=None, now=now)
    assert [
        (p.start.date().isoformat(), p.start.hour, p.by_channel["direct_call"]) for p in points
    ] == [
        ("2026-10-31", 0, 1),
        ("2026-11-01", 0, 1),
        ("2026-11-02", 0, 0),
        ("2026-11-03", 0, 0),
    ]
    since = now - timedelta(hours=3)
    hours = stats_timeline.timeline(
        db_session, campaign.id, zone, unit="hour", since=since, now=now
    )
    assert len(hours) == 4 and sum(p.by_channel["direct_call"] for p in hours) == 0


def test_a_campaign_with_no_events_has_zero_everywhere(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    result = stats.totals(db_session, campaign.id)
    assert result.figures.reached == 0
    assert all(not outcomes for outcomes in result.by_outcome.values())
    assert stats.office_rows(db_session, campaign.id) == []
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert (
        stats_timeline.timeline(
            db_session, campaign.id, ZoneInfo("UTC"), unit="day", since=None, now=now
        )
        == []
    )


def test_deleting_a_campaign_takes_its_totals_with_it(db_session: Session) -> None:
    campaign = make_campaign(db_session, slug="short-lived", title_en="Short", title_fr="Court")
    person = mp(db_session, 35100)
    for referral in ("a", "b"):
        insert_once(
            db_session,
            ContactEvent,
            {
                "campaign_id": campaign.id,
                "person_id": person.id,
                "channel": Channel.email,
                "outcome": Outcome.sent,
                "referral": referral,
                "dedupe_key": f"gone:{referral}",
            },
        )
    assert stats.totals(db_session, campaign.id).figures.reached == 2
    db_session.execute(delete(Campaign).where(Campaign.id == campaign.id))
    for model in (CountByOffice, CountByReferral):
        remaining = select(func.count()).select_from(model).where(model.campaign_id == campaign.id)
        assert db_session.scalar(remaining) == 0
    assert consistency.check(db_session) == []


def test_the_check_counts_command_reports_and_repairs(app: Flask) -> None:
    with sessions(app)() as db_session:
        campaign = demo_campaign(db_session)
        add_event(db_session, campaign, mp(db_session, 35100), Channel.email, Outcome.sent)
        db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["check-counts"])
    assert result.exit_code == 0, result.output
    assert "every running total equals its events" in result.output
    with sessions(app)() as db_session:
        db_session.execute(update(CountByOffice).values(n=CountByOffice.n + 1))
        db_session.commit()
    result = runner.invoke(args=["check-counts"])
    assert result.exit_code == 1
    assert "counts_by_office" in result.output and "stored 2, events 1" in result.output
    result = runner.invoke(args=["check-counts", "--repair"])
    assert result.exit_code == 0, result.output
    assert "every running total equals its events" in result.output


def test_the_first_hour_of_a_window_counts_from_its_start(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    # 15:05 UTC is 10:05 in Toronto: before the window's "since" (10:40) but in its first hour.
    add_event(
        db_session,
        campaign,
        spadina,
        Channel.email,
        Outcome.sent,
        at=datetime(2026, 12, 1, 15, 5, tzinfo=UTC),
    )
    db_session.flush()
    since = datetime(2026, 12, 1, 15, 40, tzinfo=UTC)
    now = datetime(2026, 12, 1, 16, 10, tzinfo=UTC)
    zone = ZoneInfo("America/Toronto")
    points = stats_timeline.timeline(
        db_session, campaign.id, zone, unit="hour", since=since, now=now
    )
    assert [(p.start.hour, p.by_channel["email"]) for p in points] == [(10, 1), (11, 0)]


def test_every_table_splits_contacts_into_verified_and_self_reported(db_session: Session) -> None:
    campaign = demo_campaign(db_session)
    spadina = mp(db_session, 35100)
    hill = spadina.offices[0]
    made = (
        (Channel.bridged_call, Outcome.connected, True, False),
        (Channel.bridged_call, Outcome.left_voicemail, True, False),
        (Channel.bridged_call, Outcome.busy, False, False),
        (Channel.direct_call, Outcome.talked_to_staff, True, True),
        (Channel.direct_call, Outcome.no_answer, False, True),
        (Channel.email, Outcome.sent, True, False),
        (Channel.email, Outcome.queued, True, False),
        (Channel.email, Outcome.mailto, True, True),
        (Channel.email, Outcome.failed, False, False),
    )
    for channel, outcome, _reached, _self in made:
        add_event(db_session, campaign, spadina, channel, outcome, office=hill, referral="x")
    db_session.commit()
    assert [stats.is_self_reported(c, o) for c, o, _r, _s in made] == [s for *_, s in made]
    reached_self = sum(1 for _c, _o, r, s in made if r and s)
    reached_verified = sum(1 for _c, _o, r, s in made if r and not s)
    assert (reached_self, reached_verified) == (2, 4)
    figures = stats.totals(db_session, campaign.id).figures
    (office,) = stats.office_rows(db_session, campaign.id)
    target = stats.target_rows(db_session, campaign.id)[0]
    ((_code, _label, referral),) = stats.referral_rows(db_session, campaign.id)
    for row in (figures, office.figures, target.figures, referral):
        assert (row.reached, row.verified, row.self_reported) == (6, 4, 2)
