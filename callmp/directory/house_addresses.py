"""Parser for the House of Commons page "Addresses for current members of Parliament"
(``/Members/en/addresses``) as a text extract: one line per text run of the page.

The page names members ``Last, First`` and gives neither person id nor riding; the refresh
joins its members to the members export by name. Pure functions; no database, no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from callmp.directory.house_sources import SourceError
from callmp.directory.phones import PhoneError, parse_office_phone

TITLE = "Addresses for current members of Parliament"
FOOTER = "Top of Page"
HILL_HEADING = "Hill Office"
OFFICES_HEADING = "Constituency Office(s)"
MAIN_MARKER = "(Main office)"
#: The page lists every sitting member (343 seats); fewer means a partial page.
MIN_MEMBERS = 300
PROVINCES = {
    "Alberta": "AB",
    "British Columbia": "BC",
    "Manitoba": "MB",
    "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL",
    "Northwest Territories": "NT",
    "Nova Scotia": "NS",
    "Nunavut": "NU",
    "Ontario": "ON",
    "Prince Edward Island": "PE",
    "Quebec": "QC",
    "Saskatchewan": "SK",
    "Yukon": "YT",
}
_POSTAL = re.compile(r"^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$")
_NOTE = re.compile(r"^\(([^()]+)\)\s+(?=\S)")
_NUMBER_LINE = re.compile(r"^(Telephone|Fax):\s*(.*)$")


@dataclass
class OfficeRecord:
    """One office as the page lists it; phones as published and in E.164 ("" if invalid)."""

    kind: str  # "hill" or "constituency"
    street: str = ""
    city: str = ""
    province_abbr: str = ""
    postal_code: str = ""
    phone_raw: str = ""
    phone: str = ""
    fax_raw: str = ""
    fax: str = ""
    is_main: bool = False
    note: str = ""


@dataclass
class AddressEntry:
    """One member of the addresses page with their Hill office (if listed) and offices."""

    last_name: str
    first_name: str
    hill: OfficeRecord | None = None
    offices: list[OfficeRecord] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The name as the page writes it."""
        return f"{self.last_name}, {self.first_name}"


def _e164(raw: str) -> str:
    try:
        return parse_office_phone(raw)[0]
    except PhoneError:
        return ""


def _numbers(lines: list[str], i: int, office: OfficeRecord) -> int:
    """Read the Telephone:/Fax: lines at ``i`` into ``office``; the next index."""
    while i < len(lines) and (match := _NUMBER_LINE.match(lines[i])):
        label, raw = match.group(1), match.group(2).strip()
        if label == "Telephone":
            office.phone_raw, office.phone = raw, _e164(raw) if raw else ""
        else:
            office.fax_raw, office.fax = raw, _e164(raw) if raw else ""
        i += 1
    return i


def _is_member_start(lines: list[str], i: int) -> bool:
    """Whether line ``i`` is a ``Last, First`` name: the next line opens a member's block."""
    if "," not in lines[i] or i + 1 >= len(lines):
        return False
    following = lines[i + 1]
    return following in (HILL_HEADING, OFFICES_HEADING) or bool(_NUMBER_LINE.match(following))


def _office(lines: list[str], i: int, who: str) -> tuple[OfficeRecord, int]:
    """Read one constituency office starting at ``i``: street line(s), city, postal code."""
    start = i
    while i < len(lines) and not _POSTAL.match(lines[i]):
        if lines[i] == FOOTER or _is_member_start(lines, i) or i - start > 6:
            raise SourceError(f"addresses page, {who}: an office without a postal code")
        i += 1
    if i >= len(lines) or i - start < 1:
        raise SourceError(f"addresses page, {who}: an office without a city")
    city_line = lines[i - 1]
    city, _, province = city_line.rpartition(", ")
    if province not in PROVINCES or not city:
        raise SourceError(f"addresses page, {who}: not a 'City, Province' line: {city_line!r}")
    street_lines = lines[start : i - 1]
    is_main = any(line.endswith(MAIN_MARKER) for line in street_lines)
    parts = [line.removesuffix(MAIN_MARKER).strip() for line in street_lines]
    # A note such as "(By appointment only)" opens the street line; it is not the street.
    note = _NOTE.match(parts[0]) if parts else None
    if note:
        parts[0] = parts[0][note.end() :]
    office = OfficeRecord(
        kind="constituency",
        street=", ".join(" ".join(p.split()) for p in parts if p),
        city=city.strip(),
        province_abbr=PROVINCES[province],
        postal_code=lines[i],
        is_main=is_main,
        note=note.group(1) if note else "",
    )
    return office, _numbers(lines, i + 1, office)


def parse_addresses_text(text: str, *, minimum: int = MIN_MEMBERS) -> list[AddressEntry]:
    """Parse the addresses page's text extract, or raise SourceError."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != TITLE:
        raise SourceError(f"addresses page: the first line is not {TITLE!r}")
    if FOOTER not in lines:
        raise SourceError(f"addresses page: no {FOOTER!r} footer; the file looks truncated")
    lines = lines[1 : lines.index(FOOTER)]
    entries: list[AddressEntry] = []
    i = 0
    while i < len(lines):
        if not _is_member_start(lines, i):
            raise SourceError(f"addresses page: expected a member's name, found {lines[i]!r}")
        last, _, first = lines[i].partition(", ")
        entry = AddressEntry(last_name=last.strip(), first_name=first.strip())
        i += 1
        if lines[i] == HILL_HEADING or _NUMBER_LINE.match(lines[i]):
            entry.hill = OfficeRecord(kind="hill")
            i = _numbers(lines, i + (lines[i] == HILL_HEADING), entry.hill)
        if i < len(lines) and lines[i] == OFFICES_HEADING:
            i += 1
            while i < len(lines) and not _is_member_start(lines, i):
                office, i = _office(lines, i, entry.name)
                entry.offices.append(office)
            if not entry.offices:
                raise SourceError(f"addresses page, {entry.name}: no office under its heading")
            # The 2023 page leaves the marker off a few members' only office; two main
            # offices, though, mean the blocks were misread.
            if sum(o.is_main for o in entry.offices) > 1:
                raise SourceError(f"addresses page, {entry.name}: several main offices")
        elif i < len(lines) and not _is_member_start(lines, i):
            raise SourceError(f"addresses page, {entry.name}: no {OFFICES_HEADING!r} heading")
        # else: a new member whose offices are not listed yet (Gainey on the 2023 page).
        if any(e.name == entry.name for e in entries[-3:]):
            raise SourceError(f"addresses page: {entry.name} is listed twice")
        entries.append(entry)
    if len(entries) < minimum:
        raise SourceError(
            f"addresses page: only {len(entries)} members (the full page lists at least "
            f"{minimum}); refusing a partial file"
        )
    return entries


class _AddressesHtml(HTMLParser):
    """The text of the members' blocks (``h2.font-weight-bold`` onwards), one line per run."""

    BREAKS = frozenset({"br", "p", "h2", "h3", "div", "li"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.started = False
        self.lines: list[str] = []
        self.current: list[str] = []

    def _break(self) -> None:
        line = " ".join("".join(self.current).split())
        if line and self.started:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2" and "font-weight-bold" in (dict(attrs).get("class") or "").split():
            self.started = True
        if tag in self.BREAKS:
            self._break()
        if tag == "footer" and self.started:
            self._break()
            self.lines.append(FOOTER)
            self.started = False

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BREAKS:
            self._break()

    def handle_data(self, data: str) -> None:
        self.current.append(data)


def addresses_html_to_text(html: str) -> str:
    """The addresses page's HTML as the line-based text :func:`parse_addresses_text` reads."""
    if "</html>" not in html[-4096:].lower():
        raise SourceError("addresses page: no closing </html>; the file looks truncated")
    parser = _AddressesHtml()
    # See house_sources.parse_profile_html: "--!>" closes a comment in HTML5.
    parser.feed(html.replace("--!>", "-->"))
    parser.close()
    lines = parser.lines
    if lines and lines[-1] != FOOTER:
        lines.append(FOOTER)
    # Two spaces after the colon, as in the text extract; the parser accepts either.
    return "\n".join([TITLE, *lines])


def parse_addresses_html(html: str, *, minimum: int = MIN_MEMBERS) -> list[AddressEntry]:
    """Parse the addresses page as saved HTML, or raise SourceError."""
    return parse_addresses_text(addresses_html_to_text(html), minimum=minimum)
