"""Compare the portfolios the database holds with the ministry list, and apply it.

Domain code: no Flask. Ministers are joined to members on the House person id; a minister
who is not a member in the database is a refusal, not a guess. Applying sets each listed
portfolio's holder (creating portfolios that are new) and leaves every portfolio the list
no longer names vacant, so a campaign aimed at a portfolio follows a shuffle with no edit.
Offices of portfolios (the ministerial office contacts) are never touched here.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from callmp.directory.house_sources import SourceError
from callmp.directory.ministry import MinisterRecord, MinistryList, current_ministers
from callmp.models import Person, Portfolio

#: The diff rows this module adds to a refresh's diff (``refresh.KINDS``), in order.
KINDS = ("portfolio_new", "minister_in", "minister_out")


def holder_source(as_of: date) -> str:
    """The source recorded for holders read from the ministry list of ``as_of``."""
    return f"hoc_ministries_{as_of.isoformat()}"


@dataclass(frozen=True)
class MinistryRow:
    """One difference (the same fields as ``refresh.DiffRow``)."""

    kind: str
    fed_num: int | None
    person_id: int | None  # the House person id of the minister concerned
    name: str
    detail: str


@dataclass
class MinistryDiff:
    """What applying the ministry list would change, and why it would be refused."""

    rows: list[MinistryRow] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MinistryApplied:
    """What ``apply_ministry`` changed, for the refresh's audit entry."""

    new_portfolios: int
    holders_changed: int
    vacated: int


def _members(session: Session, ministers: Sequence[MinisterRecord]) -> dict[int, Person]:
    ids = {m.person_id for m in ministers}
    people = session.scalars(select(Person).where(Person.ourcommons_person_id.in_(ids)))
    return {p.ourcommons_person_id: p for p in people if p.ourcommons_person_id is not None}


def _portfolios(session: Session) -> dict[str, Portfolio]:
    query = select(Portfolio).options(selectinload(Portfolio.holder))
    return {p.slug: p for p in session.scalars(query)}


def _label(person: Person | None) -> str:
    return person.full_name if person is not None else "vacant"


def diff_ministry(
    session: Session, ministers: Sequence[MinisterRecord], incoming: Set[int] = frozenset()
) -> MinistryDiff:
    """The rows ``apply_ministry`` would change: new portfolios, ministers in and out.

    ``incoming``: House person ids the same refresh adds as members (a new member may be
    made a minister at once); applying the members first makes them known.
    """
    diff = MinistryDiff()
    members = _members(session, ministers)
    missing = sorted({m.person_id for m in ministers} - set(members) - set(incoming))
    for person_id in missing:
        who = next(m.full_name for m in ministers if m.person_id == person_id)
        diff.refusals.append(f"ministry list: {who} (#{person_id}) is not a member we know")
    existing = _portfolios(session)
    listed = {m.slug for m in ministers}
    for record in ministers:
        new = members.get(record.person_id)
        portfolio = existing.get(record.slug)
        fed = new.fed_num if new is not None else None
        if portfolio is None:
            french = record.title_fr or "French title missing"
            diff.rows.append(
                MinistryRow(
                    "portfolio_new", None, None, record.title, f"{french}; {record.full_name}"
                )
            )
        old = portfolio.holder if portfolio is not None else None
        if old is not None and old is new:
            continue
        diff.rows.append(
            MinistryRow(
                "minister_in",
                fed,
                record.person_id,
                record.full_name,
                f"{record.title} (was {_label(old)})",
            )
        )
        if old is not None:
            diff.rows.append(
                MinistryRow(
                    "minister_out",
                    old.fed_num,
                    old.ourcommons_person_id,
                    old.full_name,
                    f"{record.title} (now {record.full_name})",
                )
            )
    for slug, portfolio in existing.items():
        old = portfolio.holder
        if slug not in listed and old is not None:
            diff.rows.append(
                MinistryRow(
                    "minister_out",
                    old.fed_num,
                    old.ourcommons_person_id,
                    old.full_name,
                    f"{portfolio.title_en} (no longer listed: vacant)",
                )
            )
    return diff


def apply_ministry(
    session: Session, ministers: Sequence[MinisterRecord], *, as_of: date
) -> MinistryApplied:
    """Set every portfolio's holder from ``ministers`` (the current ones), as of ``as_of``.

    Refuses (SourceError, nothing changed) when a minister is not a member we know. Flushes.
    """
    members = _members(session, ministers)
    missing = sorted({m.person_id for m in ministers} - set(members))
    if missing:
        raise SourceError(f"ministry list: unknown members {missing}; nothing applied")
    existing = _portfolios(session)
    source = holder_source(as_of)
    new = changed = vacated = 0
    for record in ministers:
        portfolio = existing.get(record.slug)
        if portfolio is None:
            portfolio = Portfolio(slug=record.slug, title_en=record.title)
            session.add(portfolio)
            existing[record.slug] = portfolio
            new += 1
        holder = members[record.person_id]
        if portfolio.holder is not holder:
            changed += 1
            portfolio.holder = holder
        portfolio.holder_since = record.from_date
        portfolio.title_en = record.title
        if record.title_fr:  # a missing French title never erases a known one
            portfolio.title_fr, portfolio.title_fr_source = record.title_fr, record.title_fr_source
        portfolio.precedence = record.precedence
        portfolio.holder_source, portfolio.holder_as_of = source, as_of
    listed = {m.slug for m in ministers}
    for slug, portfolio in existing.items():
        if slug not in listed:
            if portfolio.holder is not None:
                vacated += 1
            portfolio.holder, portfolio.holder_since = None, None
            portfolio.holder_source, portfolio.holder_as_of = source, as_of
    session.flush()
    return MinistryApplied(new, changed, vacated)


def apply_sources(
    session: Session, lists: Sequence[MinistryList], *, as_of: date
) -> MinistryApplied:
    """Apply the ministry exports of a refresh (``HouseSources.ministries``), as of ``as_of``."""
    ministers = current_ministers(lists, f"hoc_ministries_fr_{as_of.isoformat()}")
    return apply_ministry(session, ministers, as_of=as_of)
