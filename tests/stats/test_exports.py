"""The CSV exports' cells: phone numbers readable as written, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest

from callmp.stats.exports import _lines, office_phone, safe


def test_office_phones_are_written_as_people_write_them() -> None:
    assert office_phone("+16139920946") == "613-992-0946"
    assert office_phone("+18006658711") == "1-800-665-8711"
    assert office_phone("") == ""


def test_an_unreadable_stored_number_is_still_made_safe() -> None:
    assert office_phone("+1 garbage") == "+1 garbage"
    assert safe(office_phone("+1 garbage")) == "'+1 garbage"


@pytest.mark.parametrize(
    "dangerous",
    ['=HYPERLINK("http://evil.example")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"],
)
def test_spreadsheet_dangerous_cells_are_neutralised(dangerous: str) -> None:
    assert safe(dangerous) == "'" + dangerous
    (row,) = list(csv.reader(io.StringIO("".join(_lines([[dangerous]], ["cell"])))))[1:]
    assert row == ["'" + dangerous]


def test_plain_cells_and_numbers_are_left_alone() -> None:
    assert safe("613-992-0946") == "613-992-0946"
    assert safe("Ottawa") == "Ottawa"
    assert safe(-5) == -5
