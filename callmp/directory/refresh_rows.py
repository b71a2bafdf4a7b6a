"""The rows of a refresh diff, the database changes each row stands for, and how it prints.

A row is what an operator reads ("Hill office phone 613-... -> 613-..."); its ``changes`` are
exactly what ``--apply`` writes for it, so applying changes the rows the diff shows and
nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: The kinds of diff rows, in the order they are printed and applied (new members are
#: created before their offices, languages and emails are written).
KINDS = (
    "new_member",
    "departure",
    "vacancy",
    "riding_change",
    "party_change",
    "honorific_change",
    "office_new",
    "office_moved",
    "office_removed",
    "main_office_change",
    "phone_change",
    "email_change",
    "correction",
    "language_change",
    # The ministry list's rows (callmp.directory.ministry_apply), applied after the members.
    "portfolio_new",
    "minister_in",
    "minister_out",
)
#: Who a source is, in the diff's header.
SOURCE_LABELS = {
    "members": "members export",
    "addresses": "addresses page",
    "profile": "profile pages",
    "ministry": "ministry list",
}


@dataclass(frozen=True)
class Change:
    """One row written by ``--apply``: a table, the row's key (None: a new row), values.

    ``person`` is the House person id of a new person, or of the person a new office
    belongs to (the person may be created by the same refresh).
    """

    table: str  # "people", "offices", "ridings" or "contact_corrections"
    row_id: int | None
    values: Mapping[str, Any] = field(default_factory=dict)
    delete: bool = False
    person: int | None = None


@dataclass(frozen=True)
class DiffRow:
    """One difference between the database and the sources."""

    kind: str
    fed_num: int | None
    person_id: int | None
    name: str
    detail: str
    changes: tuple[Change, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class SourceNote:
    """A file read, its date, and the date of the data it would overwrite."""

    kind: str
    name: str
    as_of: date | None
    loaded: date | None  # the newest date of the loaded data of this kind, if known

    @property
    def older(self) -> bool:
        """Whether the file is older than the data it would overwrite."""
        return self.as_of is not None and self.loaded is not None and self.as_of < self.loaded


@dataclass
class RefreshDiff:
    """What a refresh would change, and why it would be refused (if it would)."""

    rows: list[DiffRow] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    sources: list[SourceNote] = field(default_factory=list)
    allow_older: bool = False

    def of(self, kind: str) -> list[DiffRow]:
        """The rows of one kind."""
        return [row for row in self.rows if row.kind == kind]

    def counts(self) -> dict[str, int]:
        """How many rows of each kind, in print order (kinds with rows only)."""
        found = {kind: len(self.of(kind)) for kind in KINDS}
        return {kind: n for kind, n in found.items() if n}

    @property
    def as_of(self) -> date | None:
        """The date of the data: the oldest of the sources (None if one has no date)."""
        dates = [note.as_of for note in self.sources]
        if not dates or any(d is None for d in dates):
            return None
        return min(d for d in dates if d is not None)

    def add(
        self, kind: str, who: tuple[int | None, int | None, str], detail: str, *changes: Change
    ) -> None:
        """Add a row of ``kind`` about ``who`` (riding, House person id, name)."""
        self.rows.append(DiffRow(kind, who[0], who[1], who[2], detail, changes))


def counts_line(diff: RefreshDiff) -> str:
    """The counts of each kind on one line ("new member 9, departure 3"), or "none"."""
    parts = [f"{kind.replace('_', ' ')} {n}" for kind, n in diff.counts().items()]
    return ", ".join(parts) or "none"


def _header(diff: RefreshDiff) -> list[str]:
    lines = ["Sources (House of Commons):"]
    for note in diff.sources:
        when = note.as_of.isoformat() if note.as_of else "date unknown"
        line = f"  {SOURCE_LABELS.get(note.kind, note.kind)}: {note.name} ({when})"
        if note.older:
            allowed = "allowed by --allow-older" if diff.allow_older else "refused"
            loaded = note.loaded.isoformat() if note.loaded else ""
            line += f" OLDER than the loaded data ({loaded}): {allowed}"
        lines.append(line)
    if not diff.sources:
        lines.append("  none")
    data_date = diff.as_of.isoformat() if diff.as_of else "unknown"
    lines.append(f"Data as of: {data_date} (the oldest source)")
    lines.append(f"Changes: {counts_line(diff)} ({len(diff.rows)} in all)")
    return lines


def format_diff(diff: RefreshDiff) -> str:
    """The diff as readable lines: sources and counts, refusals, then one section per kind."""
    lines = _header(diff)
    if diff.refusals:
        count = len(diff.refusals)
        lines.append(f"REFUSED ({count} {'problem' if count == 1 else 'problems'}):")
        lines.extend(f"  {reason}" for reason in diff.refusals)
    for kind in KINDS:
        rows = diff.of(kind)
        if rows:
            lines.append(f"{kind.replace('_', ' ')} ({len(rows)}):")
            for row in rows:
                who = " ".join(
                    part
                    for part in (
                        str(row.fed_num or ""),
                        row.name,
                        f"(#{row.person_id})" if row.person_id else "",
                    )
                    if part
                )
                lines.append(f"  {who}: {row.detail}")
    if not diff.rows and not diff.refusals:
        lines.append("no differences")
    return "\n".join(lines)
