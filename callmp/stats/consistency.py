"""Check the running totals against the events they count, and rebuild them.

Domain code: no Flask. The triggers keep the totals exact; this is the proof (``flask
check-counts``, the tests, the benchmark) and the repair should a total ever be edited by
hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from callmp.models import (
    BUCKET_SECONDS,
    ContactEvent,
    CountByOffice,
    CountByReferral,
    CountByTime,
)

E = ContactEvent


def _bucket(session: Session) -> ColumnElement[Any]:
    """The event's half-hour bucket, computed by the database as the trigger does."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", E.created_at), Integer) // BUCKET_SECONDS
    return cast(func.floor(func.extract("epoch", E.created_at) / BUCKET_SECONDS), Integer)


def _keys(session: Session) -> list[tuple[type[Any], list[Any], bool]]:
    """Each running total's model, the event expressions of its key, and whether it sums time."""
    zero = literal(0)
    return [
        (
            CountByOffice,
            [
                E.campaign_id,
                func.coalesce(E.target_id, zero),
                func.coalesce(E.person_id, zero),
                func.coalesce(E.office_id, zero),
                E.channel,
                E.outcome,
            ],
            True,
        ),
        (CountByTime, [E.campaign_id, _bucket(session), E.channel, E.outcome], False),
        (
            CountByReferral,
            [E.campaign_id, func.coalesce(E.referral, ""), E.channel, E.outcome],
            False,
        ),
    ]


_COLUMNS = {
    CountByOffice: ["campaign_id", "target_id", "person_id", "office_id", "channel", "outcome"],
    CountByTime: ["campaign_id", "bucket", "channel", "outcome"],
    CountByReferral: ["campaign_id", "referral", "channel", "outcome"],
}


@dataclass(frozen=True)
class Mismatch:
    """A running total that differs from the events: table, key, stored and counted."""

    table: str
    key: tuple[Any, ...]
    stored: int
    counted: int


def check(session: Session, campaign_id: int | None = None) -> list[Mismatch]:
    """Every running total that does not equal a fresh count of the events."""
    mismatches: list[Mismatch] = []
    for model, exprs, _timed in _keys(session):
        columns = [getattr(model, name) for name in _COLUMNS[model]]
        counted_q = select(*exprs, func.count()).group_by(*exprs)
        stored_q = select(*columns, model.n).where(model.n != 0)
        if campaign_id is not None:
            counted_q = counted_q.where(E.campaign_id == campaign_id)
            stored_q = stored_q.where(model.campaign_id == campaign_id)
        counted = {tuple(row[:-1]): int(row[-1]) for row in session.execute(counted_q)}
        stored = {tuple(row[:-1]): int(row[-1]) for row in session.execute(stored_q)}
        for key in sorted(set(counted) | set(stored), key=repr):
            if counted.get(key, 0) != stored.get(key, 0):
                table = model.__tablename__
                mismatches.append(Mismatch(table, key, stored.get(key, 0), counted.get(key, 0)))
    return mismatches


def rebuild(session: Session, campaign_ids: Sequence[int] | None = None) -> None:
    """Recount the running totals from the events (all campaigns, or those given)."""
    for model, exprs, timed in _keys(session):
        wipe = delete(model)
        selected = select(*exprs, func.count()).group_by(*exprs)
        if campaign_ids is not None:
            wipe = wipe.where(model.campaign_id.in_(campaign_ids))
            selected = selected.where(E.campaign_id.in_(campaign_ids))
        session.execute(wipe)
        names = [*_COLUMNS[model], "n"]
        if timed:
            names.append("duration_s")
            selected = selected.add_columns(func.coalesce(func.sum(E.duration_s), 0))
        session.execute(insert(model).from_select(names, selected))
