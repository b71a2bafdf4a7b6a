"""Counted signatures: confirmed ones only, per riding and the MP they counted for."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from callmp.models import Campaign, Partner, Riding, SignatureStatus
from callmp.petitions import counts, tables
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


# -- Per province, referral, share source, day; the ladder; the constituents table ----------

DAY = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def petition(db_session: Session) -> Campaign:
    """A petition with signatures in three provinces, through partners and shares, some
    unconfirmed, expired, or on another campaign's petition (those must not count).

    Counted: Ottawa Centre 3 (one vacant-seat signature in Papineau besides), Halifax 2,
    Papineau 1 under its MP and 1 vacant: 7 in all.
    """
    campaign = make_campaign(db_session, petitions=True)
    other = make_campaign(db_session, petitions=True)
    lead = make_partner(db_session, campaign, "Migrant Rights Network", "mrn")
    make_partner(db_session, other, "Elsewhere", "else")
    assert lead.code == "mrn"
    make_signature(db_session, campaign, referral="mrn", share_source="")
    make_signature(db_session, campaign, referral="mrn", share_source="whatsapp", called_at=DAY)
    make_signature(db_session, campaign, referral="", share_source="whatsapp", wrote_at=DAY)
    make_signature(
        db_session, campaign, fed_num=12006, referral="union", called_at=DAY, wrote_at=DAY
    )
    make_signature(db_session, campaign, fed_num=12006, share_source="email")
    make_signature(db_session, campaign, fed_num=24058)
    make_signature(db_session, campaign, fed_num=24058, person_id=None)  # a vacant seat
    for status in (SignatureStatus.expired, SignatureStatus.awaiting_confirmation):
        make_signature(db_session, campaign, fed_num=59001, referral="mrn", status=status)
    make_signature(db_session, other, fed_num=59001, referral="mrn", called_at=DAY)
    db_session.flush()
    return campaign


def make_partner(db_session: Session, campaign: Campaign, name: str, code: str) -> Partner:
    partner = Partner(
        campaign_id=campaign.id, name=name, code=code, dashboard_key=f"key-{campaign.id}-{code}"
    )
    db_session.add(partner)
    db_session.flush()
    return partner


def test_per_province_adds_up_the_ridings_and_leaves_out_the_uncounted(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    rows = counts.by_province(counts.by_riding(db_session, campaign.id))
    assert [(r.code, r.abbr, r.name, r.signatures) for r in rows] == [
        (35, "ON", "Ontario", 3),
        (12, "NS", "Nova Scotia", 2),
        (24, "QC", "Quebec", 2),
    ]


def test_a_signature_without_a_riding_counts_under_riding_unknown(db_session: Session) -> None:
    campaign = make_campaign(db_session, petitions=True)
    make_signature(db_session, campaign, fed_num=None)
    make_signature(db_session, campaign, fed_num=62001)
    rows = counts.by_province(counts.by_riding(db_session, campaign.id))
    assert [(r.abbr, r.name, r.signatures) for r in rows] == [
        ("NU", "Nunavut", 1),
        ("", "Riding unknown", 1),
    ]


def test_per_referral_and_share_source_name_the_campaigns_own_partners(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    rows = counts.by_referral(db_session, campaign.id)
    assert [(r.referral, r.partner, r.share_source, r.signatures) for r in rows] == [
        ("", "", "", 2),
        ("", "", "email", 1),
        ("", "", "whatsapp", 1),
        ("mrn", "Migrant Rights Network", "", 1),
        ("mrn", "Migrant Rights Network", "whatsapp", 1),
        ("union", "", "", 1),
    ]
    assert {r.share_source: r.source_label for r in rows}["whatsapp"] == "WhatsApp"
    referrals = counts.per_referral(rows)
    assert [(r.referral, r.partner, r.signatures) for r in referrals] == [
        ("", "", 4),
        ("mrn", "Migrant Rights Network", 2),
        ("union", "", 1),
    ]
    sources = counts.per_source(rows)
    assert [(r.share_source, r.signatures) for r in sources] == [
        ("", 4),
        ("whatsapp", 2),
        ("email", 1),
    ]


def test_the_ladder_counts_counted_signers_who_called_wrote_or_either(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    assert counts.ladder(db_session, campaign.id) == counts.Ladder(
        signers=7, called=2, wrote=2, either=3
    )
    empty = make_campaign(db_session, petitions=True)
    assert counts.ladder(db_session, empty.id) == counts.Ladder(0, 0, 0, 0)


def test_signatures_per_day_follow_the_local_day_across_midnight_and_dst(
    db_session: Session,
) -> None:
    campaign = make_campaign(db_session, petitions=True)
    toronto = ZoneInfo("America/Toronto")
    # 1 November 2026: clocks go back at 06:00 UTC (02:00 EDT becomes 01:00 EST).
    for at in (
        datetime(2026, 10, 31, 3, 59, tzinfo=UTC),  # 30 Oct, 23:59 EDT
        datetime(2026, 10, 31, 4, 0, tzinfo=UTC),  # 31 Oct, 00:00 EDT
        datetime(2026, 11, 1, 3, 30, tzinfo=UTC),  # 31 Oct, 23:30 EDT
        datetime(2026, 11, 1, 4, 30, tzinfo=UTC),  # 1 Nov, 00:30 EDT
        datetime(2026, 11, 2, 4, 30, tzinfo=UTC),  # 1 Nov, 23:30 EST (after the change)
        datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # 2 Nov, 00:00 EST
    ):
        make_signature(db_session, campaign, created_at=at)
    make_signature(
        db_session,
        campaign,
        created_at=datetime(2026, 11, 2, 5, 0, tzinfo=UTC),
        status=SignatureStatus.awaiting_confirmation,
    )
    now = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
    days = counts.by_day(db_session, campaign.id, toronto, now)
    assert [(d.day, d.signatures) for d in days] == [
        (date(2026, 10, 30), 1),
        (date(2026, 10, 31), 2),
        (date(2026, 11, 1), 2),
        (date(2026, 11, 2), 1),
        (date(2026, 11, 3), 0),
        (date(2026, 11, 4), 0),
    ]
    # The same signatures in UTC fall on other days.
    in_utc = counts.by_day(db_session, campaign.id, ZoneInfo("UTC"), now)
    assert [(d.day.day, d.signatures) for d in in_utc[:4]] == [(31, 2), (1, 2), (2, 2), (3, 0)]
    assert counts.by_day(db_session, make_campaign(db_session).id, toronto, now) == []


def test_signatures_per_day_of_one_referral_code(db_session: Session) -> None:
    campaign = petition(db_session)
    now = DAY + timedelta(days=1)
    days = counts.by_day(db_session, campaign.id, ZoneInfo("America/Toronto"), now, referral="mrn")
    assert [(d.day, d.signatures) for d in days] == [(date(2026, 11, 2), 2), (date(2026, 11, 3), 0)]


def test_the_constituents_table_has_a_row_per_mp_and_per_vacant_riding(
    db_session: Session,
) -> None:
    campaign = petition(db_session)
    rows = tables.constituents(db_session, campaign.id)
    ottawa, halifax, papineau = mp(db_session, 35075), mp(db_session, 12006), mp(db_session, 24058)
    assert [(r.fed_num, r.mp_name, r.party, r.province, r.signatures) for r in rows] == [
        (35075, ottawa.full_name, ottawa.party, "ON", 3),
        (12006, halifax.full_name, halifax.party, "NS", 2),
        (24058, papineau.full_name, papineau.party, "QC", 1),
        (24058, "", "", "QC", 1),
    ]
    assert [r.vacant for r in rows] == [False, False, False, True]
    riding = db_session.get(Riding, 24058)
    assert riding is not None
    assert rows[-1].riding("en") == riding.name("en")
    assert rows[-1].riding("fr") == riding.name("fr")


def test_the_constituents_table_sorts_by_every_column(db_session: Session) -> None:
    campaign = petition(db_session)
    rows = tables.constituents(db_session, campaign.id)
    by_province = tables.sort_rows(rows, "province", descending=False, locale="en")
    assert [r.province for r in by_province] == ["NS", "ON", "QC", "QC"]
    fewest = tables.sort_rows(rows, "signatures", descending=False, locale="en")
    assert [r.signatures for r in fewest] == [1, 1, 2, 3]
    by_mp = tables.sort_rows(rows, "mp", descending=True, locale="en")
    # Vacant seats come after the names (so first when reversed).
    assert [r.mp_name for r in by_mp] == [
        "",
        *sorted((r.mp_name for r in rows if r.mp_name), key=str.casefold, reverse=True),
    ]
    for key in tables.SORTS:
        assert sorted(map(id, tables.sort_rows(rows, key, descending=True, locale="fr"))) == sorted(
            map(id, rows)
        )
    with pytest.raises(ValueError, match="unknown sort"):
        tables.sort_rows(rows, "email", descending=True, locale="en")


def test_the_csv_files_parse_back_with_totals_and_no_formulas(db_session: Session) -> None:
    campaign = petition(db_session)
    # A riding whose (made-up) MP's name a spreadsheet would run as a formula.
    person = mp(db_session, 12006)
    person.full_name = "=HYPERLINK(1)"
    db_session.flush()
    rows = list(
        csv.reader(
            io.StringIO(
                "".join(tables.constituents_csv(tables.constituents(db_session, campaign.id)))
            )
        )
    )
    assert tuple(rows[0]) == tables.CONSTITUENTS_HEADER
    assert rows[2][4] == "'=HYPERLINK(1)"
    assert rows[-1] == ["total", "", "", "", "", "", "", "7"]
    assert [row[6] for row in rows[1:-1]] == ["no", "no", "no", "yes"]
    days = counts.by_day(db_session, campaign.id, ZoneInfo("America/Toronto"), DAY)
    day_rows = list(csv.reader(io.StringIO("".join(tables.days_csv(days)))))
    assert day_rows == [["date", "signatures"], ["2026-11-02", "7"], ["total", "7"]]
