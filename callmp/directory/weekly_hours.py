"""An office's week of opening hours: spans of days and times, read from and written as text.

Pure functions: no database, no Flask. ``Office.hours`` holds text such as
``Mon-Thu 09:00-17:00; Fri 09:00-12:00``; ``parse_hours`` reads it, ``canonical_hours``
writes it back and ``format_hours`` shows it in a language.
``callmp.directory.office_hours`` decides from these whether an office is open.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from itertools import pairwise

from babel import dates as babel_dates

from callmp.i18n import N_, InputError

WEEKDAYS = frozenset(range(5))


@dataclass(frozen=True)
class Hours:
    """When an office answers: on ``days`` (0 = Monday) from ``opens`` until ``closes``."""

    days: frozenset[int] = WEEKDAYS
    opens: time = time(9, 0)
    closes: time = time(17, 0)

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError("days must be a non-empty set of weekdays 0 (Monday) to 6 (Sunday)")
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are wall-clock times without a time zone")
        if not self.opens < self.closes:
            raise ValueError("an office must open before it closes on the same day")


DEFAULT_HOURS = Hours()


@dataclass(frozen=True)
class WeeklyHours:
    """An office's week: opening spans, each on some days; open when any span is."""

    spans: tuple[Hours, ...] = (DEFAULT_HOURS,)

    def __post_init__(self) -> None:
        if not self.spans:
            raise ValueError("an office's week needs at least one opening span")

    def day(self, weekday: int) -> list[tuple[time, time]]:
        """The (opens, closes) spans of ``weekday`` (0 = Monday), earliest first."""
        return sorted((s.opens, s.closes) for s in self.spans if weekday in s.days)


DEFAULT_WEEK = WeeklyHours()


class HoursError(InputError):
    """Opening hours we can't read; ``message`` is an untranslated msgid with ``params``."""


_DAYS = (
    ("monday", "lundi"),
    ("tuesday", "mardi"),
    ("wednesday", "mercredi"),
    ("thursday", "jeudi"),
    ("friday", "vendredi"),
    ("saturday", "samedi"),
    ("sunday", "dimanche"),
)
_TIME = re.compile(r"(\d{1,2})\s*(?::\s*(\d{2})|h\s*(\d{2})?)", re.IGNORECASE)
_SPAN_DASH = re.compile(r"\s*[-\u2013\u2014]\s*|\s+(?:to|à|a)\s+", re.IGNORECASE)
_SEGMENT = re.compile(r"(?P<days>[^\d]*?)\s*(?P<times>\d.*)")
_BAD_DAY = N_(
    '"%(text)s" is not a day of the week. Write days as Mon, Tue, Wed, Thu, Fri, Sat, Sun '
    '(or lun, mar, mer, jeu, ven, sam, dim), e.g. "Mon-Thu 09:00-17:00; Fri 09:00-12:00".'
)
_NO_DAYS = N_('"%(text)s" needs days before its times, e.g. "Mon-Fri 09:00-17:00".')
_NO_TIMES = N_('"%(text)s" needs opening times after its days, e.g. "Mon-Fri 09:00-17:00".')
_BAD_SPAN = N_('"%(text)s" is not an opening span. Write two 24-hour times, e.g. "09:00-17:00".')
_BAD_TIME = N_('"%(text)s" is not a time. Use 24-hour times such as 09:00, 9:30 or 17 h.')
_BACKWARDS = N_('"%(text)s" closes before it opens. Use 24-hour times, e.g. "09:00-17:00".')
_OVERLAP = N_("%(day)s is open twice at once (%(first)s and %(second)s). List each time once.")


def _fold(text: str) -> str:
    """``text`` in lower case without accents, for matching day names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _weekday(word: str) -> int:
    """The weekday (0 = Monday) of an English or French day name or abbreviation."""
    folded = _fold(word).strip().rstrip(".")
    if len(folded) >= 3:
        for number, names in enumerate(_DAYS):
            if any(name.startswith(folded) for name in names):
                return number
    raise HoursError("day", _BAD_DAY, {"text": word.strip()})


def _days(text: str, segment: str) -> frozenset[int]:
    """The weekdays of ``Mon-Thu`` / ``lun, mer`` / ``Fri-Mon`` (ranges may wrap)."""
    if not text.strip():
        raise HoursError("no_days", _NO_DAYS, {"text": segment})
    days: set[int] = set()
    for item in re.split(r"[,/&]|\s+(?:and|et)\s+", text, flags=re.IGNORECASE):
        if not item.strip():
            raise HoursError("day", _BAD_DAY, {"text": text.strip()})
        ends = _SPAN_DASH.split(item.strip())
        if len(ends) > 2:
            raise HoursError("day", _BAD_DAY, {"text": item.strip()})
        first, last = _weekday(ends[0]), _weekday(ends[-1])
        days.update((first + step) % 7 for step in range((last - first) % 7 + 1))
    return frozenset(days)


def _time(text: str) -> time:
    """A 24-hour wall time: ``09:00``, ``9:00``, ``9h``, ``9 h 30``."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise HoursError("time", _BAD_TIME, {"text": text.strip()})
    hour, minute = int(match[1]), int(match[2] or match[3] or 0)
    if hour > 23 or minute > 59:
        raise HoursError("time", _BAD_TIME, {"text": text.strip()})
    return time(hour, minute)


def _span(text: str, days: frozenset[int]) -> Hours:
    """One opening span such as ``09:00-17:00`` on ``days``."""
    ends = _SPAN_DASH.split(text.strip())
    if len(ends) != 2:
        raise HoursError("span", _BAD_SPAN, {"text": text.strip()})
    opens, closes = _time(ends[0]), _time(ends[1])
    if not opens < closes:
        raise HoursError("backwards", _BACKWARDS, {"text": text.strip()})
    return Hours(days=days, opens=opens, closes=closes)


def parse_hours(text: str) -> WeeklyHours:
    """Read ``Mon-Thu 09:00-17:00; Fri 09:00-12:00`` (empty: weekdays 9 to 5).

    Segments are separated by ``;`` or new lines; each names days (English or French,
    ranges and comma lists) then one or more spans separated by commas. Raises HoursError
    (a ValueError) with an English message.
    """
    spans: list[Hours] = []
    for raw in re.split(r"[;\n]", unicodedata.normalize("NFKC", text)):
        segment = " ".join(raw.split())
        if not segment:
            continue
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise HoursError("no_times", _NO_TIMES, {"text": segment})
        days = _days(match["days"], segment)
        spans.extend(_span(part, days) for part in match["times"].split(","))
    if not spans:
        return DEFAULT_WEEK
    _refuse_overlaps(spans)
    return WeeklyHours(tuple(spans))


def _refuse_overlaps(spans: list[Hours]) -> None:
    """Raise HoursError when two spans are open on the same day at the same time."""
    for day in range(7):
        today = sorted((s for s in spans if day in s.days), key=lambda s: s.opens)
        for first, second in pairwise(today):
            if second.opens < first.closes:
                params = {"day": _DAYS[day][0].title(), "first": _text(first)}
                raise HoursError("overlap", _OVERLAP, params | {"second": _text(second)})


def _text(span: Hours) -> str:
    """A span's times as ``09:00-17:00``."""
    return f"{span.opens:%H:%M}-{span.closes:%H:%M}"


_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _day_groups(week: WeeklyHours) -> list[tuple[list[int], list[tuple[time, time]]]]:
    """Runs of consecutive weekdays that keep the same spans (closed days left out)."""
    groups: list[tuple[list[int], list[tuple[time, time]]]] = []
    for day in range(7):
        spans = week.day(day)
        if not spans:
            continue
        if groups and groups[-1][0][-1] == day - 1 and groups[-1][1] == spans:
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans))
    return groups


def canonical_hours(week: WeeklyHours) -> str:
    """``week`` written the way ``parse_hours`` reads it, e.g. ``Mon-Thu 09:00-17:00``."""
    parts = []
    for days, spans in _day_groups(week):
        names = _ABBREVIATIONS[days[0]]
        if len(days) > 1:
            names += "-" + _ABBREVIATIONS[days[-1]]
        parts.append(names + " " + ", ".join(f"{o:%H:%M}-{c:%H:%M}" for o, c in spans))
    return "; ".join(parts)


def format_hours(hours: Hours | WeeklyHours, locale: str) -> str:
    """``hours`` for people in ``locale``, e.g. "Mon–Thu 9:00 AM–5:00 PM; Fri 9:00 AM–12:00 PM"."""
    week = hours if isinstance(hours, WeeklyHours) else WeeklyHours((hours,))
    names = babel_dates.get_day_names("abbreviated", locale=locale)
    parts = []
    for days, spans in _day_groups(week):
        label = str(names[days[0]])
        if len(days) > 1:
            label += "\u2013" + str(names[days[-1]])
        times = ", ".join(
            babel_dates.format_time(o, "short", locale=locale)
            + "\u2013"
            + babel_dates.format_time(c, "short", locale=locale)
            for o, c in spans
        )
        parts.append(f"{label} {times}")
    return "; ".join(parts)


@lru_cache(maxsize=1024)
def stored_hours(text: str) -> WeeklyHours:
    """The hours in an ``Office.hours`` cell; unreadable text counts as the default."""
    try:
        return parse_hours(text or "")
    except ValueError:
        return DEFAULT_WEEK
