"""What the dashboard page shows: labels in the organizer's language, charts, sort links."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from babel import dates as babel_dates
from babel.numbers import get_group_symbol
from flask import request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from callmp.i18n import N_
from callmp.models import Channel, Outcome
from callmp.stats import charts, dashboard
from callmp.stats import totals as stats
from callmp.stats.timeline import Point

CHANNEL_LABELS = {
    Channel.bridged_call: N_("Bridged calls"),
    Channel.direct_call: N_("Direct calls"),
    Channel.email: N_("Emails"),
}
#: Colours told apart by people with the common colour-vision deficiencies.
CHANNEL_COLOURS = {
    Channel.bridged_call: "#1f5fa8",
    Channel.direct_call: "#e69f00",
    Channel.email: "#009e73",
}
OUTCOME_LABELS = {
    Outcome.connected: N_("Connected"),
    Outcome.short: N_("Connected briefly"),
    Outcome.left_voicemail: N_("Left a voicemail"),
    Outcome.busy: N_("Busy"),
    Outcome.no_answer: N_("No answer"),
    Outcome.failed: N_("Failed"),
    Outcome.cancelled: N_("Cancelled by the supporter"),
    Outcome.no_number: N_("No phone number"),
    Outcome.talked_to_staff: N_("Talked to staff"),
    Outcome.skipped: N_("Didn't call"),
    Outcome.queued: N_("Queued"),
    Outcome.sent: N_("Sent"),
    Outcome.mailto: N_("From own mail app"),
    Outcome.bounced: N_("Bounced"),
}
#: The outcomes each channel can have, in the order the totals table lists them.
CHANNEL_OUTCOMES = {
    Channel.bridged_call: (
        Outcome.connected,
        Outcome.short,
        Outcome.left_voicemail,
        Outcome.busy,
        Outcome.no_answer,
        Outcome.failed,
        Outcome.cancelled,
        Outcome.no_number,
    ),
    Channel.direct_call: (
        Outcome.talked_to_staff,
        Outcome.left_voicemail,
        Outcome.no_answer,
        Outcome.skipped,
    ),
    Channel.email: (Outcome.sent, Outcome.queued, Outcome.mailto, Outcome.failed, Outcome.bounced),
}
_COLUMN_LABELS = {column.key: column.label for column in stats.COLUMNS}


#: The office table shows this many rows unless asked for all (the CSV always has all).
OFFICE_ROWS_SHOWN = 250


@cache
def _group_symbol(locale: str) -> str:
    """The thousands separator of ``locale``."""
    return str(get_group_symbol(locale))


def number(value: int) -> str:
    """A whole number with the page language's thousands separator (the tables hold
    thousands of them, so this skips Babel's general formatter)."""
    return f"{value:,}".replace(",", _group_symbol(str(get_locale() or "en_CA")))


def channel_label(channel: str) -> str:
    """A channel's name in the current language."""
    return str(gettext(CHANNEL_LABELS[Channel(channel)]))


def outcome_label(outcome: str) -> str:
    """An outcome's name in the current language."""
    return str(gettext(OUTCOME_LABELS[Outcome(outcome)]))


def reached(channel: str, outcome: str) -> bool:
    """Whether the outcome counts as a contact made (for the totals table's marks)."""
    return stats.is_reached(channel, outcome)


def table_columns() -> list[tuple[str, str, str]]:
    """(key, label, channel label) of each column of the office and target tables."""
    result = []
    for key in dashboard.TABLE_COLUMNS:
        column = next(c for c in stats.COLUMNS if c.key == key)
        result.append((key, gettext(_COLUMN_LABELS[key]), channel_label(column.channel)))
    return result


def sort_url(key: str) -> str:
    """This page sorted by ``key``: descending first, flipped when already sorted by it."""
    args = request.args.to_dict()
    same = args.get("sort", "reached") == key
    text_first = key in dashboard.TEXT_SORTS
    descending = args.get("dir", "desc") == "desc"
    # A new column starts descending (names: A to Z); the current one flips.
    flipped = "asc" if descending else "desc"
    direction = flipped if same else ("asc" if text_first else "desc")
    values: dict[str, Any] = {**(request.view_args or {}), **args, "sort": key, "dir": direction}
    return url_for(str(request.endpoint), **values) + "#offices"


def sort_state(key: str) -> str:
    """``ascending``/``descending`` for the column the table is sorted by, else ``none``."""
    if request.args.get("sort", "reached") != key:
        return "none"
    return "ascending" if request.args.get("dir", "desc") == "asc" else "descending"


def local_time(moment: datetime, board: dashboard.Dashboard, format: str = "medium") -> str:
    """``moment`` as a date and time in the dashboard's zone and the page's language."""
    return str(
        babel_dates.format_datetime(
            moment, format=format, tzinfo=board.zone, locale=get_locale() or "en_CA"
        )
    )


def _series() -> list[charts.Series]:
    """One chart series per channel."""
    return [charts.Series(str(c), channel_label(c), CHANNEL_COLOURS[c]) for c in CHANNEL_LABELS]


def _bucket(point: Point, label_format: str, title_format: str) -> charts.Bucket:
    """A chart bar for one point of the timeline."""
    locale = get_locale() or "en_CA"
    return charts.Bucket(
        label=str(babel_dates.format_datetime(point.start, label_format, locale=locale)),
        title=str(babel_dates.format_datetime(point.start, title_format, locale=locale)),
        values=point.by_channel,
    )


#: Drawing widths (user units) of the charts: the narrow one is drawn for phones, so that
#: its labels keep a readable size instead of shrinking with a wide drawing.
WIDE, NARROW = 720, 340


def hour_chart(board: dashboard.Dashboard, width: int = WIDE) -> Markup:
    """Contacts made per hour over the last three days."""
    return charts.bar_chart(
        [_bucket(p, "EEE HH:mm", "EEEE d MMMM, HH:mm") for p in board.hours],
        _series(),
        title=gettext("Contacts made per hour, last %(hours)s hours", hours=dashboard.RECENT_HOURS),
        description=gettext("Stacked bars: bridged calls, direct calls and emails per hour."),
        empty_text=gettext("No contacts in these hours."),
        width=width,
        max_labels=12 if width >= WIDE else 4,
    )


def day_chart(board: dashboard.Dashboard, width: int = WIDE) -> Markup:
    """Contacts made per day since the campaign began."""
    return charts.bar_chart(
        [_bucket(p, "d MMM", "EEEE d MMMM y") for p in board.days],
        _series(),
        title=gettext("Contacts made per day"),
        description=gettext("Stacked bars: bridged calls, direct calls and emails per day."),
        empty_text=gettext("No contacts yet."),
        width=width,
        max_labels=12 if width >= WIDE else 5,
    )
