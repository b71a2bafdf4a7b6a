"""Moments on staff pages: in the account's time zone, labelled with the zone's abbreviation.

Every staff page shows times through ``staff_time`` (a template global), so the audit
log, the history, the outbox and the dashboard agree with each other and with the
clock on the wall of the person reading them. ``local_moment`` does the work and
needs neither Flask nor a request, so it is tested on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup, escape

from callmp.views.security import current_staff

#: The zone used when neither the account nor the settings name a known one.
FALLBACK_ZONE = "America/Toronto"


def local_moment(moment: datetime, zone: ZoneInfo, locale: str, width: str = "short") -> str:
    """``moment`` on ``zone``'s wall clock in ``locale``, followed by the zone's abbreviation
    at that moment ("2026-03-01, 9:00 a.m. EST"; daylight time gives "EDT").

    ``width`` is a Babel format ("short", "medium") or a date-time pattern. A naive
    ``moment`` is taken as UTC, as the database stores it.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    shown = babel_dates.format_datetime(moment, width, tzinfo=zone, locale=locale)
    abbreviation = babel_dates.format_datetime(moment, "z", tzinfo=zone, locale=locale)
    return f"{shown}\u00a0{abbreviation}"  # the label never wraps alone


def zone_named(name: str | None) -> ZoneInfo | None:
    """The time zone called ``name``, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return None


def staff_zone() -> ZoneInfo:
    """The logged-in account's time zone, else the configured default, else Ottawa's."""
    user = current_staff()
    for name in (user.time_zone if user else None, current_app.config["DASHBOARD_TIME_ZONE"]):
        zone = zone_named(name)
        if zone is not None:
            return zone
    return ZoneInfo(FALLBACK_ZONE)


def _locale() -> str:
    """The page's locale as Babel names it (``en_CA``, ``fr_CA``)."""
    return str(get_locale() or "en_CA")


def staff_time(
    moment: datetime | None, width: str = "short", zone: ZoneInfo | None = None
) -> Markup:
    """A ``<time>`` element: ``moment`` in ``zone`` (default: the account's) and its label."""
    if moment is None:
        return Markup("")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = local_moment(moment, zone or staff_zone(), _locale(), width)
    machine = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}">{}</time>').format(machine, escape(text))
