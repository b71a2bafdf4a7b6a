"""Parse the House of Commons' ministry list (``/Members/{en,fr}/ministries/xml``).

Pure functions on text; no database, no network. The list has one ``<Minister>`` element
per minister and portfolio (``PersonId``, the official names, ``Title``: the portfolio in
the page's language, ``OrderOfPrecedence``, ``FromDateTime``, ``ToDateTime``, empty while
current). No saved copy of a real export was available when this was written: the shape
follows public code that reads it, and a file without ``PersonId`` is refused, since
ministers are joined to members on the House person id, never on names.

Portfolios are keyed by a slug of the English title. French titles come from the French
export when the folder holds one, else from ``KNOWN_FRENCH_TITLES``; otherwise the French
title stays empty (missing), never invented.
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from callmp.directory.house_sources import XSI_NIL, SourceError

MINISTER_TAG = "Minister"
#: A current ministry has far more members; fewer means a partial or wrong file.
MIN_CURRENT_MINISTERS = 8
_DIGITS = re.compile(r"^[0-9]{1,9}$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(T[0-9:.]+)?$")
_ENGLISH = re.compile(r"\b(of|and|the|for|with)\b", re.IGNORECASE)
_FRENCH = re.compile(r"\b(de|des|du|la|le|les|et|aux?|ministre)\b", re.IGNORECASE)
_NOT_WORD = re.compile(r"[^a-z0-9]+")

#: French titles of portfolios, for when no French export is in the folder. Taken from the
#: Government of Canada's published French titles; only portfolios checked by hand.
KNOWN_FRENCH_TITLES = {
    "minister-of-immigration-refugees-and-citizenship": (
        "ministre de l'Immigration, des Réfugiés et de la Citoyenneté"
    ),
    "prime-minister": "premier ministre",
    "minister-of-finance-and-national-revenue": "ministre des Finances et du Revenu national",
    "minister-of-foreign-affairs": "ministre des Affaires étrangères",
    "minister-of-health": "ministre de la Santé",
    "minister-of-justice-and-attorney-general-of-canada": (
        "ministre de la Justice et procureur général du Canada"
    ),
}
KNOWN_TITLES_SOURCE = "callmp:known-french-titles"


@dataclass(frozen=True)
class MinisterRecord:
    """One minister in one portfolio, as the ministry list gives it."""

    person_id: int
    honorific: str
    first_name: str
    last_name: str
    title: str
    precedence: int
    from_date: date | None
    to_date: date | None
    title_fr: str = ""  # the French title, once joined (see ``current_ministers``)
    title_fr_source: str = ""

    @property
    def full_name(self) -> str:
        """First and last name, as the app shows them."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def slug(self) -> str:
        """The portfolio's key: a slug of its (English) title."""
        return portfolio_slug(self.title)


@dataclass(frozen=True)
class MinistryList:
    """One parsed ministry export and the language its titles are in."""

    language: str  # "en" or "fr"
    ministers: list[MinisterRecord]


def portfolio_slug(title: str) -> str:
    """A stable key for a portfolio title: ASCII, lower case, words joined by hyphens."""
    text = unicodedata.normalize("NFKD", title.replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub("-", text.replace("'", "")).strip("-")[:120]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # a namespace, if the export has one, is not needed


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element, name: str) -> str:
    child = _child(element, name)
    return " ".join((child.text or "").split()) if child is not None else ""


def _date(element: ET.Element, name: str, where: str) -> date | None:
    child = _child(element, name)
    if child is None or child.get(XSI_NIL) == "true" or not (child.text or "").strip():
        return None
    match = _DATE.match((child.text or "").strip())
    if not match:
        raise SourceError(f"{where}: {name} is not a date: {child.text!r}")
    return date(*(int(part) for part in match.groups()[:3]))


def _language(titles: Sequence[str]) -> str:
    """The titles' language, by their small words ("of", "and" against "de", "et")."""
    english = sum(1 for t in titles if _ENGLISH.search(t))
    french = sum(1 for t in titles if _FRENCH.search(t) and not _ENGLISH.search(t))
    if english == french:
        raise SourceError("ministry list: cannot tell whether its titles are English or French")
    return "en" if english > french else "fr"


def _minister(element: ET.Element, number: int) -> MinisterRecord:
    where = f"ministry list, minister {number}"
    raw_id = _text(element, "PersonId")
    if not raw_id:
        raise SourceError(
            f"{where}: no PersonId; ministers cannot be joined on the House person id"
        )
    if not _DIGITS.match(raw_id):
        raise SourceError(f"{where}: PersonId is not a number: {raw_id!r}")
    title = _text(element, "Title")
    if not title:
        raise SourceError(f"{where} (#{raw_id}): no Title (portfolio)")
    precedence = _text(element, "OrderOfPrecedence")
    return MinisterRecord(
        person_id=int(raw_id),
        honorific=_text(element, "PersonShortHonorific"),
        first_name=_text(element, "PersonOfficialFirstName"),
        last_name=_text(element, "PersonOfficialLastName"),
        title=title,
        precedence=int(precedence) if _DIGITS.match(precedence) else 0,
        from_date=_date(element, "FromDateTime", where),
        to_date=_date(element, "ToDateTime", where),
    )


def looks_like_ministry(head: str) -> bool:
    """True when the start of a file looks like a ministry list (by content, not name)."""
    return f"<{MINISTER_TAG}>" in head or f"<{MINISTER_TAG} " in head


def parse_ministry_xml(data: bytes | str, *, minimum: int = MIN_CURRENT_MINISTERS) -> MinistryList:
    """Parse one ministry export, or raise SourceError naming what is wrong."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise SourceError("ministry list: a DTD or entity declaration; refused")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - DTDs refused above
    except ET.ParseError as error:
        raise SourceError(f"ministry list: not well-formed XML ({error})") from error
    elements = list(root)
    if not elements or any(_local(e.tag) != MINISTER_TAG for e in elements):
        raise SourceError(f"ministry list: <{_local(root.tag)}> does not hold only <Minister>")
    ministers = [_minister(element, n) for n, element in enumerate(elements, start=1)]
    current = [m for m in ministers if m.to_date is None]
    if len(current) < minimum:
        raise SourceError(
            f"ministry list: only {len(current)} current ministers (at least {minimum} "
            "expected); refusing a partial file"
        )
    twice = [slug for slug, n in Counter(m.slug for m in current).items() if n > 1]
    if twice:
        raise SourceError(f"ministry list: portfolio listed twice: {', '.join(sorted(twice))}")
    return MinistryList(_language([m.title for m in current]), ministers)


def _join_key(record: MinisterRecord) -> tuple[int, date | None, int]:
    return record.person_id, record.from_date, record.precedence


def current_ministers(lists: Sequence[MinistryList], source_fr: str) -> list[MinisterRecord]:
    """The current ministers of the English list, each with a French title where known.

    The French export's entry is the one with the same person, start date and precedence
    (and the same place among that person's entries); ``source_fr`` names it.
    """
    english = [m for m in lists if m.language == "en"]
    french = [m for m in lists if m.language == "fr"]
    if len(english) != 1 or len(french) > 1:
        raise SourceError(
            "ministry list: need exactly one English export (and at most one French one)"
        )
    titles: dict[tuple[tuple[int, date | None, int], int], str] = {}
    if french:
        seen: Counter[tuple[int, date | None, int]] = Counter()
        for record in french[0].ministers:
            if record.to_date is None:
                titles[(_join_key(record), seen[_join_key(record)])] = record.title
                seen[_join_key(record)] += 1
    found: list[MinisterRecord] = []
    seen_en: Counter[tuple[int, date | None, int]] = Counter()
    for record in english[0].ministers:
        if record.to_date is not None:
            continue
        key = (_join_key(record), seen_en[_join_key(record)])
        seen_en[_join_key(record)] += 1
        if key in titles:
            record = replace(record, title_fr=titles[key], title_fr_source=source_fr)
        elif record.slug in KNOWN_FRENCH_TITLES:
            record = replace(
                record,
                title_fr=KNOWN_FRENCH_TITLES[record.slug],
                title_fr_source=KNOWN_TITLES_SOURCE,
            )
        found.append(record)
    return found
