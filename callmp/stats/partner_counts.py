"""A partner's own numbers: its contacts per local day, by channel and outcome.

Domain code: no Flask. A partner's contacts are the campaign's events that carry its
referral code. Only counts leave here: no supporter, riding or office of anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import ContactEvent
from callmp.stats.exports import BATCH, _lines
from callmp.stats.totals import COLUMNS, Figures, totals

#: The CSV's columns: the local day, each figure of the staff tables, the contacts made.
HEADER = ("date", *(column.key for column in COLUMNS), "contacts_made", "contacts_self_reported")


@dataclass(frozen=True)
class Day:
    """One local day's contacts brought by the partner."""

    day: date
    figures: Figures


@dataclass(frozen=True)
class PartnerNumbers:
    """A partner's days (oldest first), their sum, and the whole campaign's contacts made."""

    days: list[Day]
    total: Figures = field(default_factory=Figures)
    campaign_reached: int = 0


def partner_numbers(
    session: Session, campaign_id: int, code: str, zone: ZoneInfo
) -> PartnerNumbers:
    """The contacts carrying ``code`` in the campaign, per day in ``zone``."""
    query = (
        select(ContactEvent.created_at, ContactEvent.channel, ContactEvent.outcome)
        .where(ContactEvent.campaign_id == campaign_id, ContactEvent.referral == code)
        .execution_options(yield_per=BATCH)
    )
    by_day: dict[date, Figures] = {}
    total = Figures()
    for at, channel, outcome in session.execute(query):
        day = at.astimezone(zone).date()
        by_day.setdefault(day, Figures()).add(str(channel), str(outcome), 1)
        total.add(str(channel), str(outcome), 1)
    days = [Day(day, by_day[day]) for day in sorted(by_day)]
    return PartnerNumbers(days, total, totals(session, campaign_id).figures.reached)


def _cells(day: date | str, figures: Figures) -> list[object]:
    values = [figures.values[column.key] for column in COLUMNS]
    return [str(day), *values, figures.reached, figures.self_reported]


def partner_csv(numbers: PartnerNumbers) -> Iterator[str]:
    """The per-day table as CSV text, with a last ``total`` line."""
    rows = [_cells(d.day.isoformat(), d.figures) for d in numbers.days]
    rows.append(_cells("total", numbers.total))
    return _lines(rows, HEADER)
