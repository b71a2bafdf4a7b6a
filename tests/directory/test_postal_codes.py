"""Postal codes: normalising the spellings people type, and saying exactly what is wrong."""

from __future__ import annotations

import pytest

from callmp.directory import postal_codes
from callmp.directory.postal_codes import PostalCodeError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("K1A 0A6", "K1A 0A6", id="already-normal"),
        pytest.param("k1a0a6", "K1A 0A6", id="lower-case-no-space"),
        pytest.param("k1a 0a6", "K1A 0A6", id="lower-case-with-space"),
        pytest.param("K1a 0A6", "K1A 0A6", id="mixed-case"),
        pytest.param("K1A-0A6", "K1A 0A6", id="hyphen"),
        pytest.param("K1A\u20130A6", "K1A 0A6", id="en-dash"),
        pytest.param("K1A\u20140A6", "K1A 0A6", id="em-dash"),
        pytest.param(" k1a 0a6 ", "K1A 0A6", id="surrounding-spaces"),
        pytest.param("K1A  0A6", "K1A 0A6", id="double-space"),
        pytest.param("K1A\t0A6", "K1A 0A6", id="tab"),
        pytest.param("\tK1A0A6\n", "K1A 0A6", id="tab-and-newline-around"),
        pytest.param("K1A\u00a00A6", "K1A 0A6", id="non-breaking-space"),
        pytest.param("K1A\u202f0A6", "K1A 0A6", id="narrow-non-breaking-space"),
        pytest.param("K 1 A 0 A 6", "K1A 0A6", id="spaces-everywhere"),
        pytest.param("Ｋ１Ａ０Ａ６", "K1A 0A6", id="full-width"),
        pytest.param("ｋ１ａ　０ａ６", "K1A 0A6", id="full-width-lower-with-ideographic-space"),
        pytest.param("m5v3l9", "M5V 3L9", id="toronto"),
        pytest.param("X0A 0H0", "X0A 0H0", id="nunavut"),
        pytest.param("K1W 0Z6", "K1W 0Z6", id="w-and-z-after-the-first-letter"),
        pytest.param("T2Z 1W4", "T2Z 1W4", id="z-third-w-fifth"),
    ],
)
def test_normalise_accepts_common_spellings(raw: str, expected: str) -> None:
    assert postal_codes.normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "empty", id="spaces-only"),
        pytest.param("\t\u00a0\n", "empty", id="whitespace-only"),
        pytest.param(None, "empty", id="none"),
        pytest.param("K1A 0A", "length", id="too-short"),
        pytest.param("K1A", "length", id="fsa-only"),
        pytest.param("K1A 0A6B", "length", id="too-long"),
        pytest.param("K1A 0A6 K1A", "length", id="much-too-long"),
        pytest.param("90210", "us_zip", id="us-zip"),
        pytest.param("90210-1234", "us_zip", id="us-zip-plus-four"),
        pytest.param("K1A 0A6!", "characters", id="exclamation-mark"),
        pytest.param("K1A.0A6", "characters", id="full-stop-between-halves"),
        pytest.param("K1A_0A6", "characters", id="underscore"),
        pytest.param("K1A 0É6", "characters", id="accented-letter"),
        pytest.param("11A 0A6", "pattern", id="digit-first"),
        pytest.param("K11 0A6", "pattern", id="digit-third"),
        pytest.param("K1A 016", "pattern", id="digit-fifth"),
        pytest.param("KAA 0A6", "pattern", id="letter-second"),
        pytest.param("K1A BA6", "pattern", id="letter-fourth"),
        pytest.param("K1A 0AB", "pattern", id="letter-sixth"),
        pytest.param("K1A OA6", "letter_o", id="letter-o-fourth"),
        pytest.param("KOA 0A6", "letter_o", id="letter-o-second"),
        pytest.param("k1a 0ao", "letter_o", id="lower-case-o-sixth"),
        pytest.param("W1A 0A6", "bad_first_letter", id="w-first"),
        pytest.param("Z1A 0A6", "bad_first_letter", id="z-first"),
    ],
)
def test_normalise_rejects_with_reason(raw: str | None, reason: str) -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise(raw)
    assert caught.value.reason == reason


@pytest.mark.parametrize("letter", sorted(postal_codes.NEVER_USED))
@pytest.mark.parametrize("position", [0, 2, 4])
def test_normalise_rejects_never_used_letter_in_any_letter_position(
    letter: str, position: int
) -> None:
    chars = list("K1A0A6")
    chars[position] = letter
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("".join(chars))
    assert caught.value.reason == "bad_letter"
    assert caught.value.params == {"letter": letter}


def test_normalise_reports_never_used_letter_typed_in_lower_case_as_upper_case() -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("k1d 0a6")
    assert caught.value.params == {"letter": "D"}


@pytest.mark.parametrize(
    ("raw", "position"),
    [
        ("11A 0A6", "1"),
        ("KAA 0A6", "2"),
        ("K11 0A6", "3"),
        ("K1A BA6", "4"),
        ("K1A 016", "5"),
        ("K1A 0AB", "6"),
    ],
)
def test_pattern_error_names_the_wrong_position(raw: str, position: str) -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise(raw)
    assert caught.value.params == {"position": position}


def test_postal_code_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="postal code"):
        postal_codes.normalise("")


def test_error_str_interpolates_the_letter() -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("K1Q 0A6")
    assert str(caught.value) == (
        "Canadian postal codes never use the letter Q. Please check your postal code."
    )


def test_error_str_interpolates_the_first_letter() -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("w1a0a6")
    assert str(caught.value) == (
        "No Canadian postal code starts with W. Please check your postal code."
    )


def test_error_str_interpolates_the_position() -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("K1A B06")
    assert str(caught.value) == ("Character 4 should be a digit: a postal code looks like A1A 1A1.")


def test_error_str_without_params_is_the_message() -> None:
    with pytest.raises(PostalCodeError) as caught:
        postal_codes.normalise("90210")
    assert caught.value.params == {}
    assert str(caught.value) == caught.value.message
    assert "ZIP" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("K1A 0A6", True),
        ("k1a-0a6", True),
        ("Ｋ１Ａ０Ａ６", True),
        ("", False),
        (None, False),
        ("90210", False),
        ("K1A OA6", False),
        ("D1A 0A6", False),
        ("Z1A 0A6", False),
    ],
)
def test_is_valid_says_whether_normalise_succeeds(raw: str | None, expected: bool) -> None:
    assert postal_codes.is_valid(raw) is expected


def test_fsa_is_the_first_three_characters() -> None:
    assert postal_codes.fsa("K1A 0A6") == "K1A"
    assert postal_codes.fsa("M5V3L9") == "M5V"


def test_compact_drops_the_space() -> None:
    assert postal_codes.compact("K1A 0A6") == "K1A0A6"
    assert postal_codes.compact("K1A0A6") == "K1A0A6"


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("A", ("NL",)),
        ("B", ("NS",)),
        ("C", ("PE",)),
        ("E", ("NB",)),
        ("G", ("QC",)),
        ("H", ("QC",)),
        ("J", ("QC",)),
        ("K", ("ON",)),
        ("L", ("ON",)),
        ("M", ("ON",)),
        ("N", ("ON",)),
        ("P", ("ON",)),
        ("R", ("MB",)),
        ("S", ("SK",)),
        ("T", ("AB",)),
        ("V", ("BC",)),
        ("X", ("NT", "NU")),
        ("Y", ("YT",)),
    ],
)
def test_provinces_follow_the_first_letter(first: str, expected: tuple[str, ...]) -> None:
    code = postal_codes.normalise(f"{first}1A 0A6")
    assert postal_codes.provinces(code) == expected


def test_every_valid_first_letter_has_a_province() -> None:
    letters = {chr(c) for c in range(ord("A"), ord("Z") + 1)}
    usable = letters - postal_codes.NEVER_USED - postal_codes.NEVER_FIRST
    assert set(postal_codes.PROVINCE_BY_LETTER) == usable


def test_x_is_shared_by_the_northwest_territories_and_nunavut() -> None:
    assert set(postal_codes.provinces("X0A 0H0")) == {"NT", "NU"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [("K0A 1A0", True), ("X0A 0H0", True), ("K1A 0A6", False), ("M5V 3L9", False)],
)
def test_is_rural_when_the_second_character_is_zero(code: str, expected: bool) -> None:
    assert postal_codes.is_rural(code) is expected
