"""Whole numbers from untrusted input."""

from __future__ import annotations

import pytest

from callmp import numbers


@pytest.mark.parametrize(
    "value",
    ["²", "٣", "１２", "߀", "1²", "-1", "+1", "1.0", "1e3", "", " ", "9" * 19, str(2**63), "1 2"],
)
def test_whole_number_refuses_what_is_not_ascii_digits_or_too_long(value: str) -> None:
    assert numbers.whole_number(value) is None


@pytest.mark.parametrize("value", [2**63, 10**18, -1, True, 1.0, None, [], {}])
def test_whole_number_refuses_out_of_range_and_other_types(value: object) -> None:
    assert numbers.whole_number(value) is None


def test_whole_number_reads_ascii_digits_and_ints() -> None:
    assert numbers.whole_number(" 42 ") == 42
    assert numbers.whole_number("9" * 18) == 10**18 - 1
    assert numbers.whole_number(7) == 7


def test_fed_num_takes_five_digits_at_most() -> None:
    assert numbers.fed_num("35002") == 35002
    assert numbers.fed_num(35002) == 35002
    assert numbers.fed_num("350020") is None
    assert numbers.fed_num(2**63) is None
