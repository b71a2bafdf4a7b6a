"""Rural postal codes (second character 0): an area, not a point, on the shipped data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from callmp.directory import lookup, postal_codes
from callmp.directory.lookup import Match
from callmp.directory.postal_index import PostalIndex
from tests.directory.test_postal_index import ROWS, write_folder
from tests.support.rural import MIN_SHARE, lone_rural_code, shared_rural_code


def _others_by_share(index: PostalIndex, code: str, own: int) -> list[int]:
    """The code's FSA's ridings above the noise share, largest first, but its own."""
    shares = index.fsa(postal_codes.fsa(code))
    return [s.fed_num for s in shares if s.share >= MIN_SHARE and s.fed_num != own]


def test_rural_code_in_a_shared_area_offers_its_point_riding_first(index: PostalIndex) -> None:
    code = shared_rural_code(index)
    entry = index.code(postal_codes.compact(code))
    assert entry is not None and postal_codes.is_rural(code)
    others = _others_by_share(index, code, entry.fed_num)
    assert others and index.fsa(code[:3])[0].fed_num != entry.fed_num
    match, ranked = lookup.resolve(index, code)
    assert match == Match.rural_area
    feds = [fed for fed, _ in ranked]
    assert feds == [entry.fed_num, *others]
    assert len(set(feds)) == len(feds)
    # No share: the FSA's shares would not say how likely each riding is for this code.
    assert [share for _, share in ranked] == [None] * len(feds)


def test_a_known_rural_code_in_a_shared_area_is_not_certain(index: PostalIndex) -> None:
    # K0A 1A0 (rural Ottawa): its point lies in a riding that holds a minority of K0A.
    entry = index.code("K0A1A0")
    assert entry is not None and not entry.suspect and not entry.near_boundary
    assert len(_others_by_share(index, "K0A 1A0", entry.fed_num)) >= 2
    match, ranked = lookup.resolve(index, "K0A 1A0")
    assert (match, ranked[0][0]) == (Match.rural_area, entry.fed_num)


def test_rural_code_whose_area_is_one_riding_stays_exact(
    db_session: Session, index: PostalIndex
) -> None:
    code = lone_rural_code(index)
    entry = index.code(postal_codes.compact(code))
    assert entry is not None and postal_codes.is_rural(code)
    result = lookup.lookup(db_session, index, code)
    assert result.match == Match.exact
    assert result.certain and result.notice is None
    assert [c.riding.fed_num for c in result.candidates] == [entry.fed_num]


def test_rural_area_result_is_uncertain_and_asks_to_choose(
    db_session: Session, index: PostalIndex
) -> None:
    code = shared_rural_code(index)
    result = lookup.lookup(db_session, index, code)
    assert result.match == Match.rural_area
    assert not result.certain
    assert result.best is None
    assert result.notice is not None and "rural" in result.notice
    assert "Elections Canada" in result.notice
    assert len(result.candidates) >= 2
    with pytest.raises(lookup.RidingNeeded) as caught:
        lookup.choose(result, None)
    assert caught.value.reason == "choose_riding"
    second = result.candidates[1].riding.fed_num
    assert lookup.choose(result, second) == second
    with pytest.raises(lookup.RidingNeeded) as mismatch:
        lookup.choose(result, 35100)
    assert mismatch.value.reason == "riding_mismatch"


def test_settling_a_rural_code_takes_a_pick_among_its_candidates(
    db_session: Session, index: PostalIndex
) -> None:
    code = shared_rural_code(index)
    ranked = [fed for fed, _ in lookup.resolve(index, code)[1]]
    with pytest.raises(lookup.RidingNeeded) as caught:
        lookup.settle(db_session, index, code, None, code_required=True, pick_must_match=True)
    assert [c.riding.fed_num for c in caught.value.candidates] == ranked
    settled = lookup.settle(
        db_session, index, code, ranked[0], code_required=True, pick_must_match=True
    )
    assert settled.candidate.riding.fed_num == ranked[0]


def test_rural_code_near_a_boundary_is_a_rural_area_keeping_the_neighbour(
    index: PostalIndex,
) -> None:
    def neighbour_outside_fsa(compact: str) -> bool:
        entry = index.code(compact)
        assert entry is not None
        feds = {s.fed_num for s in index.fsa(compact[:3]) if s.share >= MIN_SHARE}
        return entry.near_boundary and entry.alt_fed_num not in feds and len(feds) > 1

    compact = next(c for c in index.rural_codes() if neighbour_outside_fsa(c))
    entry = index.code(compact)
    assert entry is not None and entry.alt_fed_num is not None
    match, ranked = lookup.resolve(index, f"{compact[:3]} {compact[3:]}")
    assert match == Match.rural_area
    assert ranked[0][0] == entry.fed_num
    assert ranked[-1] == (entry.alt_fed_num, None)


def test_territory_rural_codes_stay_certain(index: PostalIndex) -> None:
    territorial = [c for c in index.rural_codes() if c[0] in "XY"]
    assert territorial
    for compact in territorial:
        match, _ = lookup.resolve(index, f"{compact[:3]} {compact[3:]}")
        assert match == Match.territory


def test_rural_codes_are_those_whose_second_character_is_zero(tmp_path: Path) -> None:
    index = PostalIndex.load(write_folder(tmp_path, ROWS))
    assert index.rural_codes() == [row[:6] for row in ROWS if row[1] == "0"]
    assert "K1A0A6" not in index.rural_codes()
    (tmp_path / "empty").mkdir()
    empty = PostalIndex.load(write_folder(tmp_path / "empty", []))
    assert empty.rural_codes() == []
