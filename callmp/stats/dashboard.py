"""An organizer's dashboard of one campaign: totals, charts, and tables to filter and sort.

Domain code: no Flask. Assembles the read-only queries of ``callmp.stats.totals`` and
``callmp.stats.timeline`` for one page; the view only parses the request and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from callmp.models import Campaign
from callmp.petitions import tables as petition_tables
from callmp.stats import share_sources
from callmp.stats import timeline as stats_timeline
from callmp.stats import totals as stats

#: Time zones an organizer may read the dashboard in (Canada's, and UTC).
TIME_ZONES = (
    "America/St_Johns",
    "America/Halifax",
    "America/Toronto",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
    "America/Whitehorse",
    "UTC",
)
#: How far back the hourly chart looks.
RECENT_HOURS = 72
#: The columns shown in the office and target tables (the CSV files have them all).
TABLE_COLUMNS = (
    "bridged",
    "bridged_connected",
    "bridged_voicemail",
    "bridged_unanswered",
    "direct_talked",
    "direct_voicemail",
    "direct_no_answer",
    "emails",
    "emails_sent",
    "emails_failed",
    "emails_bounced",
)
#: Ways to sort the office table besides its figures.
TEXT_SORTS = ("name", "riding", "province", "party")
SORTS = frozenset((*TEXT_SORTS, "reached", *stats.COLUMN_KEYS))


@dataclass(frozen=True)
class Filters:
    """What the organizer asked to see in the office table."""

    province: str = ""
    party: str = ""
    sort: str = "reached"
    descending: bool = True


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    campaign: Campaign
    zone: ZoneInfo
    now: datetime
    totals: stats.Totals
    hours: list[stats_timeline.Point]
    days: list[stats_timeline.Point]
    offices: list[stats.OfficeRow]  # filtered and sorted
    offices_total: stats.Figures  # of the filtered rows
    targets: list[stats.TargetRow]
    referrals: list[tuple[str, str, stats.Figures]]
    shares: list[share_sources.ShareRow]
    parties: list[str]  # present among the rows, for the filter
    petition: petition_tables.PetitionBoard | None = None  # when the petition is on


def build(
    session: Session, campaign: Campaign, zone: ZoneInfo, filters: Filters, now: datetime
) -> Dashboard:
    """The dashboard of ``campaign`` as of ``now``, its times in ``zone``."""
    rows = stats.office_rows(session, campaign.id)
    shown = office_table(rows, filters)
    subtotal = stats.Figures()
    for row in shown:
        subtotal.merge(row.figures)
    since = now - timedelta(hours=RECENT_HOURS - 1)
    start = campaign.starts_at if campaign.starts_at and campaign.starts_at < now else None
    end = min(now, campaign.ends_at) if campaign.ends_at else now
    return Dashboard(
        campaign=campaign,
        zone=zone,
        now=now,
        totals=stats.totals(session, campaign.id),
        hours=stats_timeline.timeline(
            session, campaign.id, zone, unit="hour", since=since, now=now
        ),
        days=stats_timeline.timeline(session, campaign.id, zone, unit="day", since=start, now=end),
        offices=shown,
        offices_total=subtotal,
        targets=stats.target_rows(session, campaign.id),
        referrals=stats.referral_rows(session, campaign.id),
        shares=share_sources.share_rows(session, campaign.id),
        parties=sorted({r.party for r in rows if r.party}),
        petition=petition_tables.board(session, campaign, zone, now)
        if campaign.petitions
        else None,
    )


def office_table(rows: list[stats.OfficeRow], filters: Filters) -> list[stats.OfficeRow]:
    """The office table as asked: the rows of the province and party, in the order."""
    return sort_rows(filter_rows(rows, filters), filters)


def filter_rows(rows: list[stats.OfficeRow], filters: Filters) -> list[stats.OfficeRow]:
    """The rows of the asked province and party (empty: any)."""
    return [
        row
        for row in rows
        if (not filters.province or row.province == filters.province)
        and (not filters.party or row.party == filters.party)
    ]


def sort_rows(rows: list[stats.OfficeRow], filters: Filters) -> list[stats.OfficeRow]:
    """The rows in the asked order; ties keep a stable order by name and office."""

    def text_key(row: stats.OfficeRow) -> tuple[Any, ...]:
        name = row.person.full_name.casefold() if row.person else ""
        riding = row.riding.name_current.casefold() if row.riding else ""
        office = row.office.position if row.office else 99
        kind = str(row.office.kind) if row.office else "~"
        by = {"name": name, "riding": riding, "province": row.province, "party": row.party}
        return (by.get(filters.sort, ""), name, kind, office)

    ordered = sorted(rows, key=text_key)
    if filters.sort in TEXT_SORTS:
        return list(reversed(ordered)) if filters.descending else ordered

    def figure(row: stats.OfficeRow) -> int:
        if filters.sort == "reached":
            return row.figures.reached
        return row.figures.values[filters.sort]

    # Sorted twice: by figure (stable), so equal figures stay in name order.
    return sorted(ordered, key=figure, reverse=filters.descending)
