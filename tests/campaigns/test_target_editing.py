"""Finding MPs to target by name or riding number."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callmp.campaigns import target_editing


@pytest.mark.parametrize("query", ["²", "٣٥٠٠٢", "9" * 30, str(2**63)])
def test_find_mps_with_odd_digits_finds_no_one_and_does_not_crash(
    db_session: Session, query: str
) -> None:
    assert target_editing.find_mps(db_session, query) == []


def test_find_mps_by_riding_number(db_session: Session) -> None:
    found = target_editing.find_mps(db_session, "35002")
    assert [person.fed_num for person in found] == [35002]
