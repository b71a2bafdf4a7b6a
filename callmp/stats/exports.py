"""CSV exports of a campaign's counts: the per-office table, and every contact event.

Domain code: no Flask. Both are generators of CSV text, so the web layer can stream them:
the events of a large campaign are read from the database in batches, never all at once.
No personal data: events carry the targets (public officials), the supporter's riding and
the referral code, never a supporter's number, address or name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from callmp.directory import phones
from callmp.models import ContactEvent, Office, Person, Riding, Target
from callmp.stats.totals import COLUMNS, OfficeRow, is_self_reported

#: Rows read from the database per batch while streaming the events.
BATCH = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

OFFICE_HEADER = (
    "person",
    "party",
    "province",
    "riding_fed_num",
    "riding",
    "office_kind",
    "office",
    "office_city",
    "office_phone",
    *(column.key for column in COLUMNS),
    "contacts_made",
    "call_seconds",
    # Added after the others so existing spreadsheets keep their columns.
    "contacts_verified",
    "contacts_self_reported",
)
EVENT_HEADER = (
    "event_id",
    "time_utc",
    "time_local",
    "channel",
    "outcome",
    "duration_s",
    "target_position",
    "target_kind",
    "person",
    "party",
    "office_kind",
    "office",
    "office_city",
    "supporter_riding_fed_num",
    "supporter_riding",
    "referral",
    "self_reported",
)


def safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (text starting = + - @ gets a ')."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def office_phone(e164: str) -> str:
    """An office's number as people write it (``613-992-0946``): a spreadsheet reads it as
    text, where ``+16139920946`` would need the apostrophe that ``safe`` adds."""
    if not e164:
        return ""
    try:
        return phones.spoken(e164)
    except phones.PhoneError:
        return e164  # not a number we can read: written as stored, made safe like any cell


def _lines(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[str]:
    """CSV text for ``header`` and ``rows``, a chunk of lines at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe(value) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def offices_csv(rows: Iterable[OfficeRow], locale: str) -> Iterator[str]:
    """The per-office table as CSV, every figure in its own column."""

    def cells(row: OfficeRow) -> list[Any]:
        person, office, riding = row.person, row.office, row.riding
        return [
            person.full_name if person else "",
            row.party,
            row.province,
            riding.fed_num if riding else "",
            riding.name(locale) if riding else "",
            str(office.kind) if office else "",
            office.label(locale) if office else "",
            office.city if office else "",
            office_phone(office.phone) if office else "",
            *(row.figures.values[column.key] for column in COLUMNS),
            row.figures.reached,
            row.figures.duration_s,
            row.figures.verified,
            row.figures.self_reported,
        ]

    return _lines((cells(row) for row in rows), OFFICE_HEADER)


def events_csv(session: Session, campaign_id: int, zone: ZoneInfo, locale: str) -> Iterator[str]:
    """Every contact event of the campaign as CSV, oldest first, read in batches."""
    supporter_riding = aliased(Riding)
    name = supporter_riding.name_fr if locale == "fr" else supporter_riding.name_current
    office_label = Office.label_fr if locale == "fr" else Office.label_en
    query = (
        select(
            ContactEvent.id,
            ContactEvent.created_at,
            ContactEvent.channel,
            ContactEvent.outcome,
            ContactEvent.duration_s,
            Target.position,
            Target.kind,
            Person.full_name,
            Person.party,
            Office.kind,
            office_label,
            Office.city,
            ContactEvent.fed_num,
            name,
            ContactEvent.referral,
        )
        .outerjoin(Target, Target.id == ContactEvent.target_id)
        .outerjoin(Person, Person.id == ContactEvent.person_id)
        .outerjoin(Office, Office.id == ContactEvent.office_id)
        .outerjoin(supporter_riding, supporter_riding.fed_num == ContactEvent.fed_num)
        .where(ContactEvent.campaign_id == campaign_id)
        .order_by(ContactEvent.id)
        .execution_options(yield_per=BATCH)
    )

    def rows() -> Iterator[list[Any]]:
        for row in session.execute(query):
            at: datetime = row[1]
            yield [
                row[0],
                at.isoformat(timespec="seconds"),
                at.astimezone(zone).isoformat(timespec="seconds"),
                str(row[2]),
                str(row[3]),
                "" if row[4] is None else row[4],
                "" if row[5] is None else row[5],
                "" if row[6] is None else str(row[6]),
                row[7] or "",
                row[8] or "",
                "" if row[9] is None else str(row[9]),
                row[10] or "",
                row[11] or "",
                "" if row[12] is None else row[12],
                row[13] or "",
                row[14] or "",
                "yes" if is_self_reported(row[2], row[3]) else "no",
            ]

    return _lines(rows(), EVENT_HEADER)
