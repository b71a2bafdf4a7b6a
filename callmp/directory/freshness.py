"""How old the loaded MP and office data is: the releases recorded at each load.

Every import of the shipped files records a ``DataRelease`` of kind "shipped" (once per
distinct load: importing the same files again adds nothing), and ``flask data refresh
--apply`` records one of kind "refresh". Staff pages read the newest of either, whatever
its kind, and warn campaign leads when the data itself (``as_of``, not the load) is older
than the configured age. No Flask here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.directory import data_import
from callmp.directory.data_import import ImportReport
from callmp.i18n import N_
from callmp.models import DataCheck, DataRelease

SHIPPED = "shipped"
REFRESH = "refresh"
#: What a shipped release names as its source (a msgid: staff pages translate it); the
#: files' README gives each field's own source and date.
SHIPPED_SOURCE = N_("House of Commons, via CallMP's data files (data/README.md)")
#: The date columns whose oldest value is the shipped data's date.
_DATE_COLUMNS = (("mps.csv", "roster_as_of"), ("offices.csv", "as_of"))


@dataclass(frozen=True)
class Freshness:
    """The loaded data's date and source, how it got here, and its age on ``today``."""

    kind: str
    source: str
    as_of: date
    loaded_at: datetime
    age_days: int


def shipped_as_of(data_dir: Path) -> date | None:
    """The date of the shipped data: the oldest roster or office date, None if none."""
    dates: set[date] = set()
    for name, column in _DATE_COLUMNS:
        path = data_dir / name
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get(column):
                    dates.add(date.fromisoformat(row[column]))
    return min(dates) if dates else None


def newest(session: Session) -> DataRelease | None:
    """The release loaded last, of either kind (by insertion: clocks may disagree)."""
    return session.scalars(select(DataRelease).order_by(DataRelease.id.desc()).limit(1)).first()


def record_release(
    session: Session,
    *,
    kind: str,
    source: str,
    as_of: date,
    summary: str = "",
    user_label: str = "",
    now: datetime | None = None,
) -> DataRelease:
    """Add one release row (the caller commits)."""
    release = DataRelease(
        kind=kind,
        source=source[:300],
        as_of=as_of,
        loaded_at=now or utcnow(),
        user_label=user_label[:254],
        summary=summary,
    )
    session.add(release)
    session.flush()
    return release


def _changed(report: ImportReport) -> bool:
    """True when the import created, updated or removed any row."""
    return bool(report.created or report.updated or report.removed)


def record_shipped(
    session: Session,
    data_dir: Path,
    report: ImportReport,
    *,
    user_label: str = "",
    now: datetime | None = None,
) -> DataRelease | None:
    """Record an import of the shipped files, unless it loaded nothing new.

    The same files imported again (every ``flask prepare`` does) add no row. After a
    refresh, an import that changed no row leaves the refresh as the newest release; one
    that changed rows put shipped values back, so it is recorded, with the files' date.
    """
    as_of = shipped_as_of(data_dir)
    if as_of is None:
        return None
    last = newest(session)
    if last is not None:
        if (last.kind, last.source, last.as_of) == (SHIPPED, SHIPPED_SOURCE, as_of):
            return last
        if last.kind != SHIPPED and not _changed(report):
            return last
    return record_release(
        session,
        kind=SHIPPED,
        source=SHIPPED_SOURCE,
        as_of=as_of,
        summary=report.summary(),
        user_label=user_label,
        now=now,
    )


def current(session: Session, today: date) -> Freshness | None:
    """The newest release as seen on ``today``; None when no load was ever recorded."""
    release = newest(session)
    if release is None:
        return None
    return Freshness(
        kind=release.kind,
        source=release.source,
        as_of=release.as_of,
        loaded_at=release.loaded_at,
        age_days=(today - release.as_of).days,
    )


def max_age_days(setting: object) -> int:
    """``DATA_MAX_AGE_DAYS`` as a number of days; 0 (no warning) for empty or 0."""
    text = str(setting if setting is not None else "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise ValueError("DATA_MAX_AGE_DAYS must be a whole number of days, 0 or empty")
    return int(text)


def is_stale(freshness: Freshness | None, max_age: int) -> bool:
    """True when the data is older than ``max_age`` days (never when ``max_age`` is 0)."""
    if max_age <= 0 or freshness is None:
        return False
    return freshness.age_days > max_age


@dataclass(frozen=True)
class DataOverview:
    """What staff pages say about the data: its freshness, whether leads are warned, the
    last scheduled check, and (for the data page) the latest loads."""

    freshness: Freshness | None
    max_age: int
    stale: bool
    last_check: DataCheck | None
    releases: list[DataRelease] = field(default_factory=list)


def last_check(session: Session) -> DataCheck | None:
    """The most recent scheduled data check, if any ran."""
    return session.scalars(select(DataCheck).order_by(DataCheck.id.desc()).limit(1)).first()


def overview(session: Session, today: date, max_age: int, *, releases: int = 0) -> DataOverview:
    """The data's freshness on ``today`` against ``max_age``, with the last ``releases``."""
    found = current(session, today)
    loads: list[DataRelease] = []
    if releases:
        loads = list(
            session.scalars(select(DataRelease).order_by(DataRelease.id.desc()).limit(releases))
        )
    return DataOverview(
        freshness=found,
        max_age=max_age,
        stale=is_stale(found, max_age),
        last_check=last_check(session),
        releases=loads,
    )


@dataclass(frozen=True)
class ShippedImport:
    """What importing the shipped files did: its report, or the refresh that kept it out."""

    report: ImportReport | None
    superseded_by: DataRelease | None = None

    def summary(self) -> str:
        """One line for the command line."""
        if self.report is not None:
            return self.report.summary()
        assert self.superseded_by is not None
        return (
            "shipped data not imported: the data was refreshed from the House of Commons "
            f"(release #{self.superseded_by.id}, loaded {self.superseded_by.loaded_at:%Y-%m-%d}) "
            "after these files were loaded; `flask import-data --force` loads them anyway"
        )


def superseding_refresh(session: Session, data_dir: Path) -> DataRelease | None:
    """The applied refresh that is newer than the shipped files, if any.

    Every ``flask prepare`` (each container start) imports the shipped files; after a
    refresh that would put the files' older values back. The files count as newer only
    when their date is later than the last shipped import's (a new CallMP release).
    """
    last = newest(session)
    if last is None or last.kind != REFRESH:
        return None
    files = shipped_as_of(data_dir)
    shipped = session.scalars(
        select(DataRelease)
        .where(DataRelease.kind == SHIPPED)
        .order_by(DataRelease.id.desc())
        .limit(1)
    ).first()
    if files is not None and shipped is not None and files > shipped.as_of:
        return None
    return last


def import_shipped(
    session: Session,
    data_dir: Path,
    *,
    force: bool = False,
    user_label: str = "",
    now: datetime | None = None,
) -> ShippedImport:
    """Import the shipped files and record the load, unless a newer refresh supersedes
    them (``force`` imports anyway). The caller commits."""
    superseded = None if force else superseding_refresh(session, data_dir)
    if superseded is not None:
        return ShippedImport(None, superseded)
    report = data_import.import_all(session, data_dir)
    record_shipped(session, data_dir, report, user_label=user_label, now=now)
    return ShippedImport(report)
