"""Apply a refresh: write exactly the rows of the diff, record the release and one audit entry.

Domain code: no Flask. The diff is computed again here from the same sources and refused as
a whole if it has any refusal, so what is written is what the operator was shown. The
caller commits (one transaction); on a refusal nothing has been written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp import audit
from callmp.directory import freshness, ministry_apply
from callmp.directory.house_files import HouseSources
from callmp.directory.refresh import REFRESH, compute_diff
from callmp.directory.refresh_rows import (
    SOURCE_LABELS,
    Change,
    RefreshDiff,
    counts_line,
    format_diff,
)
from callmp.i18n import N_
from callmp.models import ContactCorrection, DataRelease, Office, OfficeKind, Person, Riding, User

SOURCE_MAX = 300
#: The audit log's sentence for an applied refresh (a msgid; values shown as they are).
REFRESHED = N_("Refreshed from the House of Commons (data of %(date)s): %(changes)s")


class RefreshRefused(Exception):
    """The sources are refused; ``diff`` says why. Nothing was written."""

    def __init__(self, diff: RefreshDiff) -> None:
        super().__init__("; ".join(diff.refusals))
        self.diff = diff


@dataclass(frozen=True)
class ApplyReport:
    """What an applied refresh wrote: the diff, its release, its counts."""

    diff: RefreshDiff
    release: DataRelease

    @property
    def counts(self) -> dict[str, int]:
        """Rows applied, by kind."""
        return self.diff.counts()


def describe_sources(sources: HouseSources) -> str:
    """The files read, for ``DataRelease.source``: kinds and names (profile pages counted)."""
    parts = []
    for kind in ("members", "addresses"):
        parts += [f"{SOURCE_LABELS[kind]} {f.name}" for f in sources.files if f.kind == kind]
    profiles = [f for f in sources.files if f.kind == "profile"]
    if profiles:
        parts.append(f"{len(profiles)} profile pages")
    text = "House of Commons: " + "; ".join(parts)
    return text if len(text) <= SOURCE_MAX else text[: SOURCE_MAX - 1] + "…"


class _Writer:
    """Writes changes; remembers the people it created by House person id."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.created: dict[int, Person] = {}

    def person(self, pid: int) -> Person:
        found = (
            self.created.get(pid)
            or self.session.scalars(
                select(Person).where(Person.ourcommons_person_id == pid)
            ).first()
        )
        if found is None:
            raise LookupError(f"person {pid} is neither in the data nor created by the refresh")
        return found

    def _set(self, row: Any, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(row, key, value)

    def free_seats(self, changes: list[Change]) -> None:
        """Unseat everyone whose seat changes first, so the unique seat never clashes."""
        for change in changes:
            if (
                change.table == "people"
                and change.row_id is not None
                and "fed_num" in change.values
            ):
                person = self.session.get(Person, change.row_id)
                if person is not None and person.fed_num != change.values["fed_num"]:
                    person.fed_num = None
        self.session.flush()

    def write(self, change: Change) -> None:
        values = dict(change.values)
        if change.table == "people" and change.row_id is None and change.person is not None:
            if change.person in self.created or "full_name" not in values:
                self._set(self.person(change.person), values)
            else:
                self.created[change.person] = Person(**values)
                self.session.add(self.created[change.person])
        elif change.table == "offices" and change.row_id is None and change.person is not None:
            owner = self.person(change.person)
            self.session.flush()
            kind = OfficeKind(values.pop("kind"))
            last = self.session.scalar(
                select(func.max(Office.position)).where(
                    Office.person_id == owner.id, Office.kind == kind
                )
            )
            self.session.add(
                Office(person_id=owner.id, kind=kind, position=(last or 0) + 1, **values)
            )
        else:
            model = {
                "people": Person,
                "offices": Office,
                "ridings": Riding,
                "contact_corrections": ContactCorrection,
            }[change.table]
            row = self.session.get(model, change.row_id)
            if row is None:
                raise LookupError(f"{change.table} {change.row_id} is gone")
            if change.delete:
                self.session.delete(row)
            else:
                self._set(row, values)
        self.session.flush()


def apply_diff(
    session: Session,
    sources: HouseSources,
    *,
    now: datetime,
    actor: User | None = None,
    allow_older: bool = False,
    source: str = "",
) -> ApplyReport:
    """Write the diff of ``sources`` with its release and audit entry; the caller commits.

    Raises RefreshRefused (before writing anything) when the diff has any refusal or no
    file was read.
    """
    diff = compute_diff(session, sources, allow_older=allow_older)
    if not diff.sources and not diff.refusals:
        diff.refusals.append("no House of Commons file was read")
    as_of = diff.as_of
    if diff.refusals or as_of is None:
        raise RefreshRefused(diff)
    writer = _Writer(session)
    writer.free_seats([change for row in diff.rows for change in row.changes])
    for row in diff.rows:
        for change in row.changes:
            writer.write(change)
    if sources.ministries:
        # After the members: a minister the same refresh seats must exist first.
        session.flush()
        ministry_apply.apply_sources(
            session, sources.ministries, as_of=sources.date_of("ministry") or as_of
        )
    # The release dates the data as a whole: a refresh that read neither the members
    # export nor the addresses page (a ministry list alone) leaves the rest as old as
    # the load before, so the freshness staff see is that of the oldest part.
    previous = session.scalars(select(DataRelease).order_by(DataRelease.id.desc()).limit(1)).first()
    if previous is not None and not (sources.has("members") and sources.has("addresses")):
        as_of = min(as_of, previous.as_of)
    release = freshness.record_release(
        session,
        kind=REFRESH,
        source=source or describe_sources(sources),
        as_of=as_of,
        now=now,
        user_label=actor.label if actor else audit.COMMAND_LINE,
        summary=format_diff(diff),
    )
    summary = audit.Summary(REFRESHED, {"date": as_of.isoformat(), "changes": counts_line(diff)})
    audit.record(
        session, actor, "data.refresh", summary, object_type="data_release", object_id=release.id
    )
    return ApplyReport(diff, release)
