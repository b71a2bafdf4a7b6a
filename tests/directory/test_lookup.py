"""Postal code -> riding(s) -> member(s), on the shipped data."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callmp.directory import lookup, postal_codes
from callmp.directory.lookup import Match
from callmp.directory.postal_index import PostalIndex


def _feds(result: lookup.LookupResult) -> list[int]:
    return [c.riding.fed_num for c in result.candidates]


def test_lookup_exact_code_gives_its_riding_and_member(
    db_session: Session, index: PostalIndex
) -> None:
    result = lookup.lookup(db_session, index, "m5v 3l9")
    assert result.postal_code == "M5V 3L9"
    assert result.match == Match.exact
    assert result.certain
    assert _feds(result) == [35100]
    member = result.candidates[0].member
    assert member is not None
    assert member.full_name == "Chi Nguyen"
    assert {str(o.kind) for o in member.offices} == {"hill", "constituency"}


def test_lookup_unknown_code_falls_back_to_fsa_ranked_by_share(
    db_session: Session, index: PostalIndex
) -> None:
    # V6B is split between Vancouver Centre (~85%) and Vancouver East (~14%).
    assert index.code("V6B9Z9") is None
    result = lookup.lookup(db_session, index, "V6B 9Z9")
    assert not result.certain
    shares = [c.share or 0.0 for c in result.candidates]
    assert shares == sorted(shares, reverse=True)
    assert _feds(result)[:2] == [59035, 59036]
    assert result.match == Match.fsa_split
    assert result.best is None


def test_lookup_unknown_code_in_dominated_fsa_answers_but_stays_uncertain(
    db_session: Session, index: PostalIndex
) -> None:
    shares = index.fsa("K1A")
    assert shares  # K1A is handled separately below; find a dominated FSA in the data
    dominated = next(
        fsa
        for fsa in ("A1A", "B3H", "E1A", "M4C", "T2P", "R3T", "S4P", "G1R")
        if index.fsa(fsa) and index.fsa(fsa)[0].share >= 0.9
    )
    code = f"{dominated} 9Z9"
    assert index.code(postal_codes.compact(code)) is None
    result = lookup.lookup(db_session, index, code)
    assert result.match == Match.fsa_majority
    assert not result.certain
    assert result.best is not None
    assert result.best.riding.fed_num == index.fsa(dominated)[0].fed_num


def test_lookup_split_fsa_offers_candidates_above_noise(
    db_session: Session, index: PostalIndex
) -> None:
    result = lookup.lookup(db_session, index, "V6B 9Z9", min_share=0.05)
    assert all((c.share or 0) >= 0.05 for c in result.candidates)
    assert len(result.candidates) >= 2


@pytest.mark.parametrize(
    ("code", "fed_num"),
    [
        ("Y1A 1A1", 60001),
        ("X1A 2N6", 61001),
        ("X0E 0N0", 61001),
        ("X0A 0H0", 62001),
        ("X0C 9Z9", 62001),
        ("Y0B 9Z9", 60001),
    ],
)
def test_lookup_territories_have_one_riding_each(
    db_session: Session, index: PostalIndex, code: str, fed_num: int
) -> None:
    result = lookup.lookup(db_session, index, code)
    assert result.match == Match.territory
    assert result.certain
    assert _feds(result) == [fed_num]


def test_lookup_k1a_is_answered_but_marked_government(
    db_session: Session, index: PostalIndex
) -> None:
    result = lookup.lookup(db_session, index, "K1A 0A6")
    assert result.match == Match.government
    assert not result.certain
    assert result.best is not None
    assert result.best.riding.fed_num == 35079
    assert result.notice is not None and "K1A" in result.notice


def test_lookup_vacant_seat_names_no_member(db_session: Session, index: PostalIndex) -> None:
    # Scarborough North (35095) is vacant in the shipped roster.
    code = next(
        f"{fsa}9Z9"
        for fsa in ("M1V", "M1W", "M1S", "M1X", "M1B")
        if index.fsa(fsa) and index.fsa(fsa)[0].fed_num == 35095
    )
    result = lookup.lookup(db_session, index, code)
    candidate = next(c for c in result.candidates if c.riding.fed_num == 35095)
    assert candidate.vacant
    assert candidate.member is None
    assert candidate.riding.previous_member


def test_lookup_suspect_code_uses_its_fsa(db_session: Session, index: PostalIndex) -> None:
    # The data README: H3Z 2Y7 is geocoded into Lac-Saint-Louis although H3Z is Westmount.
    entry = index.code("H3Z2Y7")
    assert entry is not None and entry.suspect
    result = lookup.lookup(db_session, index, "H3Z 2Y7")
    assert result.match == Match.suspect
    assert not result.certain
    assert _feds(result)[0] == index.fsa("H3Z")[0].fed_num
    assert _feds(result)[0] != entry.fed_num


def test_lookup_near_boundary_code_offers_the_other_riding(
    db_session: Session, index: PostalIndex
) -> None:
    entry = index.code("H2X1Y4")
    assert entry is not None and entry.near_boundary and entry.alt_fed_num
    result = lookup.lookup(db_session, index, "H2X 1Y4")
    assert result.match == Match.near_boundary
    assert _feds(result) == [entry.fed_num, entry.alt_fed_num]
    assert result.best is not None and result.best.riding.fed_num == entry.fed_num


def test_lookup_unknown_fsa_says_so(db_session: Session, index: PostalIndex) -> None:
    assert index.fsa("L3W") == ()
    result = lookup.lookup(db_session, index, "L3W 0G9")
    assert result.match == Match.unknown
    assert result.candidates == []
    assert result.best is None


def test_lookup_rejects_what_is_not_a_postal_code(db_session: Session, index: PostalIndex) -> None:
    with pytest.raises(postal_codes.PostalCodeError) as caught:
        lookup.lookup(db_session, index, "90210")
    assert caught.value.reason == "us_zip"


def test_every_riding_in_the_postal_tables_is_in_the_database(
    db_session: Session, index: PostalIndex
) -> None:
    found = lookup.ridings_with_members(db_session, sorted(index.fed_nums()))
    assert len(found) == 343


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("35002", 35002),
        (" 35002 ", 35002),
        (35002, 35002),
        ("٣٥٠٠٢", None),  # Arabic-Indic digits: isdigit() is true, but not ours
        ("3500²", None),  # isdigit() is true and int() raises
        ("３５００２", None),
        (str(2**63), None),
        (2**63, None),
        (True, None),
        (35002.0, None),
        ("-35002", None),
    ],
)
def test_parse_fed_num_takes_five_ascii_digits_only(value: object, expected: int | None) -> None:
    assert lookup.parse_fed_num(value) == expected
