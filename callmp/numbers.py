"""Whole numbers from untrusted input: ASCII digits only, and never past a database integer.

``str.isdigit()`` is true for ``²``, ``٣`` and full-width digits (``int()`` then raises or
reads a different number), and a 20-digit id overflows SQLite's and PostgreSQL's 64-bit
integers. Every id, riding number or count a visitor sends goes through ``whole_number``.
"""

from __future__ import annotations

import re

#: The largest id we accept: 18 digits, safely below 2**63 - 1 (a signed 64-bit integer).
ID_DIGITS = 18
#: A riding's number (FED) has five digits.
FED_NUM_DIGITS = 5

_DIGITS = re.compile(r"[0-9]+")


def whole_number(value: object, max_digits: int = ID_DIGITS) -> int | None:
    """``value`` as an int when it is one of at most ``max_digits`` digits, else None.

    Takes a non-negative int (not a bool) or a string of ASCII digits with spaces around
    it, as a form, a query string or a JSON body sends them.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**max_digits else None
    if not isinstance(value, str):
        return None
    text = value.strip(" \t")
    if len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)


def fed_num(value: object) -> int | None:
    """A riding number (five digits) from a form or JSON body, else None."""
    return whole_number(value, FED_NUM_DIGITS)
