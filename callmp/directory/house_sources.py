"""Parsers for the House of Commons' member publications: the members export (XML) and a
member's profile page. Pure functions on text; no database, no network.

Each parser refuses bad or partial input with a :class:`SourceError` naming the problem,
so a refresh never applies half a download or a changed page layout.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

from callmp.directory import languages

HOUSE_SITE = "https://www.ourcommons.ca"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
MEMBERS_ROOT = "ArrayOfMemberOfParliament"
MEMBER_TAG = "MemberOfParliament"
#: A full export of the House lists at least this many sitting members (343 seats).
MIN_SITTING_MEMBERS = 300
_DIGITS = re.compile(r"^[0-9]{1,9}$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T00:00:00$")


class SourceError(ValueError):
    """A House of Commons file that cannot be trusted as a whole: nothing is taken from it."""


@dataclass(frozen=True)
class MemberRecord:
    """One member as the members export lists them."""

    person_id: int | None
    honorific: str
    first_name: str
    last_name: str
    constituency: str
    province: str
    caucus: str
    from_date: date | None
    to_date: date | None

    @property
    def full_name(self) -> str:
        """First and last name, as the app shows them."""
        return f"{self.first_name} {self.last_name}"


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _date(element: ET.Element, tag: str, where: str) -> date | None:
    child = element.find(tag)
    if child is None or child.get(XSI_NIL) == "true" or not (child.text or "").strip():
        return None
    match = _DATE.match((child.text or "").strip())
    if not match:
        raise SourceError(f"{where}: {tag} is not a date: {child.text!r}")
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def parse_members_xml(
    data: bytes | str, *, minimum: int = MIN_SITTING_MEMBERS
) -> list[MemberRecord]:
    """Parse the members search export (with or without ``PersonId``), or raise SourceError."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    # The export has no DTD; refusing one rules out entity expansion, the XML attack the
    # standard library's parser is open to (defusedxml is not a dependency).
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise SourceError("members export: a DTD or entity declaration; refused")
    try:
        root = ET.fromstring(raw)  # noqa: S314 - DTDs refused above
    except ET.ParseError as error:
        raise SourceError(f"members export: not well-formed XML ({error})") from error
    if root.tag != MEMBERS_ROOT:
        raise SourceError(f"members export: root element is <{root.tag}>, not <{MEMBERS_ROOT}>")
    records: list[MemberRecord] = []
    seen: dict[int, str] = {}
    for number, element in enumerate(root, start=1):
        if element.tag != MEMBER_TAG:
            raise SourceError(f"members export: unexpected element <{element.tag}>")
        where = f"members export, member {number}"
        raw_id = _text(element, "PersonId")
        person_id: int | None = None
        if element.find("PersonId") is not None:
            if not _DIGITS.match(raw_id):
                raise SourceError(f"{where}: PersonId is not a number: {raw_id!r}")
            person_id = int(raw_id)
        record = MemberRecord(
            person_id=person_id,
            honorific=_text(element, "PersonShortHonorific"),
            first_name=_text(element, "PersonOfficialFirstName"),
            last_name=_text(element, "PersonOfficialLastName"),
            constituency=_text(element, "ConstituencyName"),
            province=_text(element, "ConstituencyProvinceTerritoryName"),
            caucus=_text(element, "CaucusShortName"),
            from_date=_date(element, "FromDateTime", where),
            to_date=_date(element, "ToDateTime", where),
        )
        name = record.full_name.strip()
        if not record.last_name:
            raise SourceError(f"{where}: no name")
        if not record.constituency:
            raise SourceError(f"{where} ({name}): no constituency")
        if person_id is not None:
            if person_id in seen:
                raise SourceError(
                    f"members export: person id {person_id} appears twice "
                    f"({seen[person_id]}, {name})"
                )
            seen[person_id] = name
        records.append(record)
    if seen and len(seen) != len(records):
        raise SourceError("members export: some members have a PersonId and others do not")
    sitting = sum(1 for r in records if r.to_date is None)
    if sitting < minimum:
        raise SourceError(
            f"members export: only {sitting} sitting members (a full export has at least "
            f"{minimum}); refusing a partial file"
        )
    return records


@dataclass(frozen=True)
class ProfileRecord:
    """What a member's profile page says about them."""

    person_id: int
    name: str
    constituency: str
    province: str
    party: str
    preferred_language: str
    photo_url: str
    email: str = ""


class _ProfileParser(HTMLParser):
    """Collects the h1, the profile container's id, photo and its dt/dd pairs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h1: list[str] = []
        self.in_h1 = False
        self.person_id = ""
        self.photo = ""
        self.depth = 0  # div depth inside the profile container; 0 = outside
        self.pairs: list[tuple[str, str]] = []
        self.cell: str | None = None
        self.cell_text: list[str] = []
        self.term = ""
        self.in_contact = False  # past the opening of the contact tab (div#contact)
        self.email = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "h1" and not self.h1:
            self.in_h1 = True
        if tag == "div":
            if self.depth:
                self.depth += 1
            elif (values.get("id") or "").startswith("mp-profile-person-id-"):
                self.person_id = (values.get("id") or "").removeprefix("mp-profile-person-id-")
                self.depth = 1
        if tag == "div" and values.get("id") == "contact":
            self.in_contact = True
        href = values.get("href") or ""
        if self.in_contact and tag == "a" and href.startswith("mailto:") and not self.email:
            self.email = href.removeprefix("mailto:").strip()
        if self.depth and tag == "img" and not self.photo:
            self.photo = values.get("src") or ""
        if self.depth and tag in ("dt", "dd"):
            self.cell, self.cell_text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self.in_h1 = False
        if tag == "div" and self.depth:
            self.depth -= 1
        if self.cell == tag:
            text = " ".join("".join(self.cell_text).split())
            if tag == "dt":
                self.term = text.rstrip(":").strip()
            elif self.term:
                self.pairs.append((self.term, text))
                self.term = ""
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.in_h1:
            self.h1.append(data)
        if self.cell:
            self.cell_text.append(data)


def parse_profile_html(html: str) -> ProfileRecord:
    """Parse a member's profile page (``/Members/en/{slug}({id})``), or raise SourceError."""
    if "</html>" not in html[-4096:].lower():
        raise SourceError("profile page: no closing </html>; the file looks truncated")
    parser = _ProfileParser()
    # The page closes a comment with "--!>", which HTML5 accepts but older html.parser
    # versions do not: they would swallow the whole profile into the comment.
    parser.feed(html.replace("--!>", "-->"))
    parser.close()
    if not _DIGITS.match(parser.person_id):
        raise SourceError("profile page: no mp-profile-person-id container")
    fields = dict(parser.pairs)
    name = " ".join("".join(parser.h1).split())
    missing = [
        label
        for label in ("Political Affiliation", "Constituency", "Province / Territory")
        if not fields.get(label)
    ]
    if not name:
        missing.insert(0, "name")
    if missing:
        raise SourceError(
            f"profile page {parser.person_id}: missing {', '.join(missing)} (layout changed?)"
        )
    photo = parser.photo
    if photo.startswith("/"):
        photo = HOUSE_SITE + photo
    return ProfileRecord(
        person_id=int(parser.person_id),
        name=name,
        constituency=fields["Constituency"],
        province=fields["Province / Territory"],
        party=fields["Political Affiliation"],
        preferred_language=fields.get("Preferred Language", ""),
        photo_url=photo,
        email=parser.email,
    )


def language_code(value: str, where: str) -> str:
    """The app's code for a profile page's preferred language, or raise SourceError."""
    try:
        return languages.language_code(value)
    except ValueError as error:
        raise SourceError(f"{where}: {error}") from None
