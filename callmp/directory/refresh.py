"""Compare the data the database holds with the House of Commons' own publications.

``compute_diff`` reads; nothing here writes (``refresh_apply`` does, row by row of the diff).
The members part is in ``refresh_members``, the offices part in ``refresh_offices``, the
rows and their printing in ``refresh_rows``.

Each file is dated (see ``house_files``) and compared with the data it would overwrite: a
members export older than the loaded roster would show departed members as new and undo
later changes, so it is refused unless the operator allows older files; so is an addresses
page older than the loaded offices, and a profile page older than the language it would
replace. A file whose date is unknown is refused too: the data's date could not be recorded.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from callmp.directory import ministry, ministry_apply
from callmp.directory.house_files import HouseSources
from callmp.directory.house_sources import MemberRecord, SourceError
from callmp.directory.refresh_members import (
    CAUCUS_TO_PARTY,
    Seating,
    diff_members,
    diff_profiles,
    normalise_riding_name,
    riding_index,
)
from callmp.directory.refresh_offices import diff_addresses
from callmp.directory.refresh_rows import (
    KINDS,
    Change,
    DiffRow,
    RefreshDiff,
    SourceNote,
    counts_line,
    format_diff,
)
from callmp.models import DataRelease, Office, Person, Riding

__all__ = [
    "CAUCUS_TO_PARTY",
    "KINDS",
    "Change",
    "DiffRow",
    "RefreshDiff",
    "compute_diff",
    "counts_line",
    "format_diff",
    "normalise_riding_name",
]

_DATE_IN_SOURCE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})")
REFRESH = "refresh"


def _date_in(source: str) -> date | None:
    match = _DATE_IN_SOURCE.search(source)
    return date.fromisoformat(match.group(1)) if match else None


def _newest(*dates: date | None) -> date | None:
    found = [d for d in dates if d is not None]
    return max(found) if found else None


def _loaded_dates(session: Session) -> tuple[date | None, date | None]:
    """The newest dates of the loaded roster and offices (an applied refresh counts too)."""
    last_refresh = session.scalars(
        select(DataRelease.as_of)
        .where(DataRelease.kind == REFRESH)
        .order_by(DataRelease.loaded_at.desc(), DataRelease.id.desc())
        .limit(1)
    ).first()
    roster = session.scalar(
        select(func.max(Person.as_of)).where(Person.ourcommons_person_id.is_not(None))
    )
    offices = session.scalar(
        select(func.max(Office.as_of)).join(Person).where(Person.ourcommons_person_id.is_not(None))
    )
    return _newest(roster, last_refresh), _newest(offices, last_refresh)


def _check_dates(
    session: Session, sources: HouseSources, people: dict[int, Person], diff: RefreshDiff
) -> None:
    """Note each source's date against the loaded data's; refuse unknown and older dates."""
    roster, offices = _loaded_dates(session)
    loaded = {"members": roster, "addresses": offices}
    for file in sources.files:
        if file.kind == "profile":
            continue
        diff.sources.append(SourceNote(file.kind, file.name, file.as_of, loaded.get(file.kind)))
    if sources.has("profile"):
        # Each page against the language it would replace (the profile pages are read
        # for the members they cover only).
        known = [
            _date_in(p.preferred_language_source)
            for pid in sources.profile_dates
            if (p := people.get(pid)) is not None
        ]
        names = [f.name for f in sources.files if f.kind == "profile"]
        label = names[0] if len(names) == 1 else f"{len(names)} files"
        as_of = sources.date_of("profile")
        diff.sources.append(SourceNote("profile", label, as_of, _newest(*known)))
    for name in sources.skipped:
        # A file of the folder that no parser recognises may be a page whose layout changed.
        diff.refusals.append(
            f"{name}: not recognised as a House of Commons file (a changed layout, or "
            "something else); remove it from the folder"
        )
    for note in diff.sources:
        if note.as_of is None:
            diff.refusals.append(
                f"{note.name}: the date of its data is unknown; put it in the file name "
                "(YYYY-MM-DD) or give --as-of"
            )
        elif note.older and not diff.allow_older:
            diff.refusals.append(
                f"{note.name}: data of {note.as_of} is older than the data loaded "
                f"({note.loaded}); it would undo later changes (--allow-older to apply it)"
            )


def compute_diff(
    session: Session, sources: HouseSources, *, allow_older: bool = False
) -> RefreshDiff:
    """The differences between the database and ``sources``, with any refusal reasons."""
    diff = RefreshDiff(allow_older=allow_older)
    ridings = list(session.scalars(select(Riding)))
    people = {
        p.ourcommons_person_id: p
        for p in session.scalars(
            select(Person)
            .where(Person.ourcommons_person_id.is_not(None))
            .options(
                selectinload(Person.offices).selectinload(Office.corrections),
                selectinload(Person.email_corrections),
            )
        )
        if p.ourcommons_person_id is not None
    }
    _check_dates(session, sources, people, diff)
    seating = Seating()
    if sources.members is not None:
        as_of = sources.date_of("members")
        seating = diff_members(sources.members, people, riding_index(ridings), as_of, diff)
    if sources.addresses is not None:
        zones = {r.fed_num: r.time_zone for r in ridings}
        as_of = sources.date_of("addresses")
        diff_addresses(sources.addresses, sources.members, people, seating, as_of, zones, diff)
    diff_profiles(sources.profiles, sources.profile_dates, people, seating, diff)
    if sources.ministries:
        _diff_ministry(session, sources, diff)
    order = {kind: n for n, kind in enumerate(KINDS)}
    diff.rows.sort(key=lambda r: (order[r.kind], r.fed_num or 0, r.person_id or 0, r.detail))
    return diff


def _diff_ministry(session: Session, sources: HouseSources, diff: RefreshDiff) -> None:
    """Ministers in and out and new portfolios (see ``ministry_apply``); members the same
    refresh adds count as known."""
    try:
        current = ministry.current_ministers(sources.ministries, "hoc_ministries_fr")
    except SourceError as error:
        diff.refusals.append(str(error))
        return
    members: list[MemberRecord] = sources.members or []
    incoming = {m.person_id for m in members if m.person_id and m.to_date is None}
    found = ministry_apply.diff_ministry(session, current, incoming)
    diff.refusals.extend(found.refusals)
    diff.rows.extend(DiffRow(r.kind, r.fed_num, r.person_id, r.name, r.detail) for r in found.rows)
