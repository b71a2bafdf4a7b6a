"""What the petition's staff pages show: the signatures chart, sort links, labels."""

from __future__ import annotations

from typing import Any

from babel import dates as babel_dates
from flask import request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from callmp.petitions import counts
from callmp.stats import charts

#: The signatures' colour on the chart (the dashboard's blue).
COLOUR = "#1f5fa8"
#: Sorts that start ascending (text); the figures start with the most.
TEXT_SORTS = frozenset({"mp", "party", "riding", "province"})


def day_chart(days: list[counts.DayCount], width: int) -> Markup:
    """Signatures per local day, as the dashboard's other charts."""
    locale = get_locale() or "en_CA"
    label = gettext("Signatures")
    buckets = [
        charts.Bucket(
            label=str(babel_dates.format_date(d.day, "d MMM", locale=locale)),
            title=str(babel_dates.format_date(d.day, "EEEE d MMMM y", locale=locale)),
            values={"signatures": d.signatures},
        )
        for d in days
    ]
    return charts.bar_chart(
        buckets,
        [charts.Series("signatures", label, COLOUR)],
        title=gettext("Signatures per day"),
        description=gettext("Bars: confirmed signatures per day, by the day they were signed."),
        empty_text=gettext("No signatures yet."),
        width=width,
        max_labels=12 if width >= 720 else 5,
    )


def province_name(row: counts.ProvinceCount) -> str:
    """A province's name in the page's language."""
    return str(gettext(row.name))


def source_name(row: counts.ReferralCount) -> str:
    """A share channel's name in the page's language ("" for none)."""
    return str(gettext(row.source_label)) if row.source_label else ""


def sort_url(key: str, current: str, descending: bool) -> str:
    """This page sorted by ``key``: the current column flips, a new one starts with the
    most (figures) or from A (text)."""
    if key == current:
        direction = "asc" if descending else "desc"
    else:
        direction = "asc" if key in TEXT_SORTS else "desc"
    values: dict[str, Any] = {**(request.view_args or {}), "sort": key, "dir": direction}
    return url_for(str(request.endpoint), **values)


def sort_state(key: str, current: str, descending: bool) -> str:
    """The ``aria-sort`` of a column header."""
    if key != current:
        return "none"
    return "descending" if descending else "ascending"
