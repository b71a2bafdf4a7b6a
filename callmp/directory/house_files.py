"""The saved House of Commons files of one refresh, recognised by content, not by name."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class HouseSources:
    """The parsed files of one refresh; any of them may be absent."""

    members: list[MemberRecord] | None = None
    addresses: list[AddressEntry] | None = None
    profiles: list[ProfileRecord] = field(default_factory=list)
    ministries: list[MinistryList] = field(default_factory=list)  # English, maybe French
    skipped: list[str] = field(default_factory=list)


def _text(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SourceError(f"{path.name}: not UTF-8 text ({error.reason})") from error


def read_sources(folder: Path) -> HouseSources:
    """Parse the files of ``folder`` that are recognised by content, or raise SourceError."""
    sources = HouseSources()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        head = data[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
        if head.startswith("<" + MEMBERS_ROOT) or (
            head.startswith("<?xml") and MEMBERS_ROOT in head
        ):
            if sources.members is not None:
                raise SourceError(f"{path.name}: a second members export; keep only one")
            sources.members = parse_members_xml(data)
        elif looks_like_ministry(head):
            sources.ministries.append(parse_ministry_xml(data))
        elif head.startswith(ADDRESSES_TITLE):
            if sources.addresses is not None:
                raise SourceError(f"{path.name}: a second addresses page; keep only one")
            sources.addresses = parse_addresses_text(_text(path, data))
        elif b'class="font-weight-bold"' in data and b"Constituency Office(s)" in data:
            if sources.addresses is not None:
                raise SourceError(f"{path.name}: a second addresses page; keep only one")
            sources.addresses = parse_addresses_html(_text(path, data))
        elif b'id="mp-profile-person-id-' in data:
            sources.profiles.append(parse_profile_html(_text(path, data)))
        else:
            sources.skipped.append(path.name)
    return sources
