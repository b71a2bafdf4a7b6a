"""A partner's own numbers: its contacts per local day, by channel and outcome, and the
petition signatures its code brought.

Domain code: no Flask. A partner's contacts are the campaign's events that carry its
referral code; its signatures, the petition's confirmed signatures that carry it. Only
counts leave here: no supporter, signer, riding or office of anyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.models import ContactEvent
from callmp.petitions import counts as petition_counts
from callmp.stats.exports import BATCH, _lines
from callmp.stats.totals import COLUMNS, Figures, totals

#: The CSV's columns: the local day, each figure of the staff tables, the contacts made.
HEADER = ("date", *(column.key for column in COLUMNS), "contacts_made", "contacts_self_reported")
#: With a petition on, a last column: the signatures the partner's code brought that day.
PETITION_HEADER = (*HEADER, "petition_signatures")


@dataclass(frozen=True)
class Day:
    """One local day's contacts brought by the partner."""

    day: date
    figures: Figures
    signatures: int = 0


@dataclass(frozen=True)
class PartnerNumbers:
    """A partner's days (oldest first), their sum, and the whole campaign's contacts made;
    with the petition on, its signatures and the petition's."""

    days: list[Day]
    total: Figures = field(default_factory=Figures)
    campaign_reached: int = 0
    petition: bool = False
    signatures: int = 0
    campaign_signatures: int = 0


def partner_numbers(
    session: Session,
    campaign_id: int,
    code: str,
    zone: ZoneInfo,
    *,
    petition: bool = False,
    now: datetime | None = None,
) -> PartnerNumbers:
    """The contacts carrying ``code`` in the campaign, per day in ``zone`` (and, with
    ``petition``, the signatures carrying it, counted up to ``now``)."""
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
    reached = totals(session, campaign_id).figures.reached
    if not petition:
        days = [Day(day, by_day[day]) for day in sorted(by_day)]
        return PartnerNumbers(days, total, reached)
    signed = {
        d.day: d.signatures
        for d in petition_counts.by_day(session, campaign_id, zone, now or utcnow(), referral=code)
        if d.signatures
    }
    days = [
        Day(day, by_day.get(day, Figures()), signed.get(day, 0))
        for day in sorted(by_day.keys() | signed.keys())
    ]
    return PartnerNumbers(
        days,
        total,
        reached,
        petition=True,
        signatures=sum(signed.values()),
        campaign_signatures=petition_counts.total(session, campaign_id),
    )


def _cells(day: date | str, figures: Figures, signatures: int | None) -> list[object]:
    values = [figures.values[column.key] for column in COLUMNS]
    extra = [] if signatures is None else [signatures]
    return [str(day), *values, figures.reached, figures.self_reported, *extra]


def partner_csv(numbers: PartnerNumbers) -> Iterator[str]:
    """The per-day table as CSV text, with a last ``total`` line (and, with the petition
    on, a last column of signatures)."""

    def signed(n: int) -> int | None:
        return n if numbers.petition else None

    rows = [_cells(d.day.isoformat(), d.figures, signed(d.signatures)) for d in numbers.days]
    rows.append(_cells("total", numbers.total, signed(numbers.signatures)))
    return _lines(rows, PETITION_HEADER if numbers.petition else HEADER)
