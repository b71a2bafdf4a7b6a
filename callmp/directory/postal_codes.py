"""Canadian postal codes: normalise, validate, and what the code itself tells us.

Pure functions: no database, no Flask. Error messages are English msgids marked with
``N_``; the views translate them.
"""

from __future__ import annotations

import re
import unicodedata

from callmp.i18n import N_, InputError

#: Letters Canada Post never uses, and letters that never start a code.
NEVER_USED = frozenset("DFIOQU")
NEVER_FIRST = frozenset("WZ")

#: First letter -> province/territory abbreviations (X is shared by NT and NU).
PROVINCE_BY_LETTER: dict[str, tuple[str, ...]] = {
    "A": ("NL",),
    "B": ("NS",),
    "C": ("PE",),
    "E": ("NB",),
    "G": ("QC",),
    "H": ("QC",),
    "J": ("QC",),
    "K": ("ON",),
    "L": ("ON",),
    "M": ("ON",),
    "N": ("ON",),
    "P": ("ON",),
    "R": ("MB",),
    "S": ("SK",),
    "T": ("AB",),
    "V": ("BC",),
    "X": ("NT", "NU"),
    "Y": ("YT",),
}

# Spaces of every kind, hyphens and dashes people type between the two halves.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")
_US_ZIP = re.compile(r"^\d{5}(\d{4})?$")
_SHAPE = re.compile(r"^[A-Z]\d[A-Z]\d[A-Z]\d$")


class PostalCodeError(InputError):
    """Input that cannot be a Canadian postal code; ``message`` is an untranslated msgid."""


def _clean(raw: str) -> str:
    """Fold full-width and compatibility characters, drop separators, upper-case."""
    folded = unicodedata.normalize("NFKC", raw)
    return _SEPARATORS.sub("", folded).upper()


def normalise(raw: str | None) -> str:
    """Return ``raw`` as ``A1A 1A1`` or raise PostalCodeError saying what is wrong."""
    code = _clean(raw or "")
    if not code:
        raise PostalCodeError("empty", N_("Please enter your postal code, for example K1A 0A6."))
    if _US_ZIP.match(code):
        raise PostalCodeError(
            "us_zip",
            N_("This looks like a US ZIP code. Please enter a Canadian postal code, like K1A 0A6."),
        )
    if not code.isascii() or not code.isalnum():
        raise PostalCodeError(
            "characters",
            N_("A postal code has only letters and digits, like K1A 0A6."),
        )
    if len(code) != 6:
        raise PostalCodeError(
            "length",
            N_(
                "A postal code has 6 characters (letter, digit, letter, digit, letter, digit), "
                "like K1A 0A6."
            ),
        )
    for position, char in enumerate(code):
        wants_letter = position % 2 == 0
        if wants_letter and not char.isalpha():
            raise PostalCodeError(
                "pattern",
                N_("Character %(position)s should be a letter: a postal code looks like A1A 1A1."),
                {"position": str(position + 1)},
            )
        if not wants_letter and not char.isdigit():
            if char == "O":
                raise PostalCodeError(
                    "letter_o",
                    N_("Postal codes never use the letter O: did you mean the digit 0 (zero)?"),
                )
            raise PostalCodeError(
                "pattern",
                N_("Character %(position)s should be a digit: a postal code looks like A1A 1A1."),
                {"position": str(position + 1)},
            )
    for char in code:
        if char in NEVER_USED:
            raise PostalCodeError(
                "bad_letter",
                N_(
                    "Canadian postal codes never use the letter %(letter)s. "
                    "Please check your postal code."
                ),
                {"letter": char},
            )
    if code[0] in NEVER_FIRST:
        raise PostalCodeError(
            "bad_first_letter",
            N_("No Canadian postal code starts with %(letter)s. Please check your postal code."),
            {"letter": code[0]},
        )
    assert _SHAPE.match(code)
    return f"{code[:3]} {code[3:]}"


def is_valid(raw: str | None) -> bool:
    """True when ``raw`` normalises to a postal code."""
    try:
        normalise(raw)
    except PostalCodeError:
        return False
    return True


def fsa(code: str) -> str:
    """The Forward Sortation Area (first three characters) of a normalised code."""
    return code[:3]


def compact(code: str) -> str:
    """The normalised code without its space, as the shipped tables key it."""
    return code.replace(" ", "")


def provinces(code: str) -> tuple[str, ...]:
    """Province/territory abbreviations a code's first letter allows."""
    return PROVINCE_BY_LETTER[code[0]]


def is_rural(code: str) -> bool:
    """Rural FSAs have 0 as their second character and cover wide areas."""
    return code[1] == "0"
