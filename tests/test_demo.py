"""The demo campaign can be seeded again on every start without breaking what was counted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from callmp import demo
from callmp.models import TargetKind


def test_seeding_twice_keeps_targets_and_offices_in_place(session: Session) -> None:
    first = demo.seed(session)
    session.commit()
    target_ids = [t.id for t in first.targets]
    minister = first.targets[1].person
    assert minister is not None
    office_ids = [o.id for o in minister.offices]
    again = demo.seed(session)
    session.commit()
    assert again.id == first.id
    assert [t.id for t in again.targets] == target_ids
    assert [t.kind for t in again.targets] == [TargetKind.own_mp, TargetKind.person]
    assert again.targets[1].person is not None
    assert [o.id for o in again.targets[1].person.offices] == office_ids
    assert office_ids and all(o.phone for o in again.targets[1].person.offices)
    assert again.call_intro_en and again.call_intro_fr
