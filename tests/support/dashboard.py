"""Reading the organizer's dashboard page in tests."""

from __future__ import annotations

from tests.support.html import one, parse, text


def headline(body: bytes) -> dict[str, str]:
    """The dashboard's headline figures by label (numbers as shown, units left off); the
    contacts' headline, not the petition's."""
    dl = one(parse(body), "dl.headline:not(.petition-totals, .petition-ladder)")
    return {text(one(div, "dt")): text(one(div, "dd")).split(" ")[0] for div in dl.select("div")}
