"""Whether the people on a riding page can be reached by phone now, in the visitor's words.

A supporter deciding how to act needs to know, before giving a phone number, whether a
call now reaches a person or a voicemail, and when the offices open again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from babel import dates as babel_dates
from flask_babel import get_locale, gettext

from callmp.directory.office_hours import open_state
from callmp.models import Office, OfficeKind


@dataclass(frozen=True)
class Opening:
    """When an office (the soonest of several) next opens, as the page says it."""

    at: datetime  # aware, in the office's own time zone
    label: str  # "Monday at 9:00 AM in Ottawa"


@dataclass(frozen=True)
class Reach:
    """Whether someone can be called now: a number, an open office, the next opening."""

    dialable: bool  # at least one office has a phone number
    open_now: bool  # at least one office with a number is open now
    next_opening: Opening | None  # when none is open: the soonest opening

    @property
    def label(self) -> str:
        """ "Open now", "Closed now: opens Monday at 9:00 AM in Ottawa", or no number."""
        if not self.dialable:
            return str(gettext("No phone number listed"))
        if self.open_now:
            return str(gettext("An office is open now"))
        if self.next_opening is None:  # pragma: no cover - an office with hours opens
            return str(gettext("Closed now"))
        return str(gettext("Closed now: opens %(when)s", when=self.next_opening.label))


def _city(office: Office) -> str:
    """The city whose clock an office keeps, for "in Ottawa" (empty when unknown)."""
    return office.city or ("Ottawa" if office.kind == OfficeKind.hill else "")


def opening_label(office: Office, at: datetime, now: datetime) -> str:
    """ "today at 9:00 AM in Ottawa", "tomorrow at ...", "Monday at ...", on its wall clock."""
    locale = get_locale()
    local_now = now.astimezone(at.tzinfo)
    days = (at.date() - local_now.date()).days
    if days == 0:
        day = str(gettext("today"))
    elif days == 1:
        day = str(gettext("tomorrow"))
    else:
        day = babel_dates.format_date(at.date(), "EEEE", locale=locale)
    time = babel_dates.format_time(at, "short", tzinfo=at.tzinfo, locale=locale)
    city = _city(office)
    if city:
        return str(gettext("%(day)s at %(time)s in %(city)s", day=day, time=time, city=city))
    return str(gettext("%(day)s at %(time)s their time", day=day, time=time))


def reach(reached_by: Sequence[Office], now: datetime) -> Reach:
    """Whether a target can be called at ``now`` through ``reached_by``, by their hours."""
    offices = [o for o in reached_by if o.phone]
    if not offices:
        return Reach(dialable=False, open_now=False, next_opening=None)
    soonest: tuple[datetime, Office] | None = None
    for office in offices:
        state = open_state(office.time_zone, now, office.hours)
        if state.open:
            return Reach(dialable=True, open_now=True, next_opening=None)
        if state.next_open is not None and (soonest is None or state.next_open < soonest[0]):
            soonest = (state.next_open, office)
    opening = (
        Opening(at=soonest[0], label=opening_label(soonest[1], soonest[0], now))
        if soonest is not None
        else None
    )
    return Reach(dialable=True, open_now=False, next_opening=opening)


def all_closed(reaches: list[Reach]) -> bool:
    """True when someone has a number and nobody with a number is open now: a call now
    reaches voicemail everywhere."""
    dialable = [r for r in reaches if r.dialable]
    return bool(dialable) and not any(r.open_now for r in dialable)


def soonest_opening(reaches: list[Reach]) -> Opening | None:
    """The first opening among ``reaches`` (None when nobody opens or someone is open)."""
    openings = [r.next_opening for r in reaches if r.next_opening is not None]
    return min(openings, key=lambda o: o.at) if openings else None
