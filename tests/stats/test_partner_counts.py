"""A partner's numbers: only events with its code, per local day, and the campaign's total."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from callmp.models import Campaign, Channel, Outcome
from callmp.stats.partner_counts import HEADER, partner_csv, partner_numbers
from tests.factories import add_event, make_campaign, make_target, mp

TORONTO = ZoneInfo("America/Toronto")
VANCOUVER = ZoneInfo("America/Vancouver")
C, Out = Channel, Outcome
#: 02:30 UTC on 2 December: still 1 December on Toronto's and Vancouver's clocks.
LATE = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
#: 07:30 UTC on 2 December: 2 December in Toronto, still 1 December in Vancouver.
EARLY = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
AVALON = 10001


def seed(session: Session, campaign: Campaign) -> None:
    """Events for ``mrn`` on two days, for another code and for no code."""
    person = mp(session, AVALON)
    add_event(session, campaign, person, C.bridged_call, Out.connected, referral="mrn", at=LATE)
    add_event(session, campaign, person, C.bridged_call, Out.busy, referral="mrn", at=LATE)
    add_event(
        session, campaign, person, C.direct_call, Out.left_voicemail, referral="mrn", at=EARLY
    )
    add_event(session, campaign, person, C.email, Out.sent, referral="mrn", at=EARLY)
    add_event(session, campaign, person, C.email, Out.sent, referral="other", at=EARLY)
    add_event(session, campaign, person, C.email, Out.sent, at=EARLY)


def test_only_the_partners_code_counts_per_day_in_the_zone(
    db_session: Session, campaign: Campaign
) -> None:
    seed(db_session, campaign)
    numbers = partner_numbers(db_session, campaign.id, "mrn", TORONTO)
    days = {d.day: d.figures for d in numbers.days}
    assert list(days) == [date(2026, 12, 1), date(2026, 12, 2)]
    first, second = days[date(2026, 12, 1)], days[date(2026, 12, 2)]
    assert (first.values["bridged"], first.values["bridged_connected"]) == (2, 1)
    assert first.values["bridged_unanswered"] == 1 and first.reached == 1
    assert (second.values["direct_voicemail"], second.values["emails_sent"]) == (1, 1)
    assert second.reached == 2 and second.self_reported == 1
    assert numbers.total.reached == 3
    assert numbers.campaign_reached == 5  # every code's contacts made; the busy call is not one
    west = partner_numbers(db_session, campaign.id, "mrn", VANCOUVER)
    assert [(d.day, d.figures.reached) for d in west.days] == [(date(2026, 12, 1), 3)]


def test_another_campaigns_events_with_the_same_code_stay_apart(
    db_session: Session, campaign: Campaign
) -> None:
    seed(db_session, campaign)
    other = make_campaign(db_session)
    make_target(db_session, other)
    add_event(db_session, other, mp(db_session, AVALON), C.email, Out.sent, referral="mrn")
    assert partner_numbers(db_session, other.id, "mrn", TORONTO).total.reached == 1
    assert partner_numbers(db_session, campaign.id, "mrn", TORONTO).total.reached == 3
    assert partner_numbers(db_session, campaign.id, "nobody", TORONTO).days == []


def test_the_csv_has_the_days_and_a_total_line(db_session: Session, campaign: Campaign) -> None:
    seed(db_session, campaign)
    text = "".join(partner_csv(partner_numbers(db_session, campaign.id, "mrn", TORONTO)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADER
    assert [row["date"] for row in rows] == ["2026-12-01", "2026-12-02", "total"]
    assert [row["contacts_made"] for row in rows] == ["1", "2", "3"]
    assert [row["bridged_unanswered"] for row in rows] == ["1", "0", "1"]
    assert rows[-1]["contacts_self_reported"] == "1"
