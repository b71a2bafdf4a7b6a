"""The saved House of Commons files of one refresh, recognised by content, not by name.

Each file also gets a date, the date of the data it holds: a date in its name
(``..._2026-09-02...``, or ``..._2026-04...`` for the first of the month), raised for the
members export to its newest ``FromDateTime`` (the export cannot be older than that), else
the date given by the caller (``--as-of``, or the day a fetch saved it). The refresh refuses
a file older than the data it would overwrite, and a file whose date is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from callmp.directory.house_addresses import TITLE as ADDRESSES_TITLE
from callmp.directory.house_addresses import (
    AddressEntry,
    parse_addresses_html,
    parse_addresses_text,
)
from callmp.directory.house_sources import (
    MEMBERS_ROOT,
    MemberRecord,
    ProfileRecord,
    SourceError,
    parse_members_xml,
    parse_profile_html,
)
from callmp.directory.ministry import MinistryList, looks_like_ministry, parse_ministry_xml

_DAY_IN_NAME = re.compile(r"(?<![0-9])(20[0-9]{2})-([01][0-9])-([0-3][0-9])(?![0-9])")
_MONTH_IN_NAME = re.compile(r"(?<![0-9])(20[0-9]{2})-([01][0-9])(?![0-9])")


@dataclass(frozen=True)
class SourceFile:
    """One file read: what it is, its name and the date of its data (None: unknown)."""

    kind: str  # "members", "addresses", "profile" or "ministry"
    name: str
    as_of: date | None


@dataclass
class HouseSources:
    """The parsed files of one refresh; any of them may be absent."""

    members: list[MemberRecord] | None = None
    addresses: list[AddressEntry] | None = None
    profiles: list[ProfileRecord] = field(default_factory=list)
    ministries: list[MinistryList] = field(default_factory=list)  # English, maybe French
    skipped: list[str] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    #: The date of each profile page, by House person id.
    profile_dates: dict[int, date | None] = field(default_factory=dict)

    def date_of(self, kind: str) -> date | None:
        """The date of the file of ``kind`` (the oldest, for profile pages); None if unknown."""
        dates = [f.as_of for f in self.files if f.kind == kind]
        if not dates or any(d is None for d in dates):
            return None
        return min(d for d in dates if d is not None)

    def has(self, kind: str) -> bool:
        """Whether a file of ``kind`` was read."""
        return any(f.kind == kind for f in self.files)


def date_in_name(name: str) -> date | None:
    """The date a file name gives (a day, or the first of a month), if any."""
    try:
        if match := _DAY_IN_NAME.search(name):
            return date(*(int(part) for part in match.groups()))
        if match := _MONTH_IN_NAME.search(name):
            return date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None
    return None


def _members_date(members: list[MemberRecord], named: date | None) -> date | None:
    """The export's date: its name's, raised to the newest ``FromDateTime`` it lists."""
    if named is None:
        return None
    starts = [m.from_date for m in members if m.from_date is not None]
    return max([named, *starts])


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"{path.name}: not UTF-8 text ({error.reason})") from error


def read_sources(folder: Path, *, as_of: date | None = None) -> HouseSources:
    """Parse the files of ``folder`` that are recognised by content, or raise SourceError.

    ``as_of`` dates the files whose name gives no date.
    """
    sources = HouseSources()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        named = date_in_name(path.name) or as_of
        head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
        if head.startswith("<" + MEMBERS_ROOT) or (
            head.startswith("<?xml") and MEMBERS_ROOT in head
        ):
            if sources.members is not None:
                raise SourceError(f"{path.name}: a second members export; keep only one")
            sources.members = parse_members_xml(data)
            dated = _members_date(sources.members, named)
            sources.files.append(SourceFile("members", path.name, dated))
        elif looks_like_ministry(head):
            sources.ministries.append(parse_ministry_xml(data))
            sources.files.append(SourceFile("ministry", path.name, named))
        elif head.startswith(ADDRESSES_TITLE) or (
            b'class="font-weight-bold"' in data and b"Constituency Office(s)" in data
        ):
            if sources.addresses is not None:
                raise SourceError(f"{path.name}: a second addresses page; keep only one")
            text = _text(path, data)
            if head.startswith(ADDRESSES_TITLE):
                sources.addresses = parse_addresses_text(text)
            else:
                sources.addresses = parse_addresses_html(text)
            sources.files.append(SourceFile("addresses", path.name, named))
        elif b'id="mp-profile-person-id-' in data:
            profile = parse_profile_html(_text(path, data))
            if profile.person_id in sources.profile_dates:
                raise SourceError(f"{path.name}: a second profile page of {profile.person_id}")
            sources.profiles.append(profile)
            sources.profile_dates[profile.person_id] = named
            sources.files.append(SourceFile("profile", path.name, named))
        else:
            sources.skipped.append(path.name)
    return sources
