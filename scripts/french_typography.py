#!/usr/bin/env python3
"""Check, or with --fix correct, the French typography of the French catalogue.

A no-break space before : ; ? ! and inside « », and guillemets instead of straight quotes
(see callmp.i18n.french_typography_problems). Run it after translating new messages:

    .venv/bin/python scripts/french_typography.py --fix

then read the diff: the fixer adds spaces only where the rule says, and prints whatever it
could not settle for a person to correct by hand. Exits 1 when problems remain.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from callmp.i18n import NBSP, french_spacing, french_typography_problems

CATALOGUE = (
    Path(__file__).resolve().parent.parent / "callmp/translations/fr/LC_MESSAGES/messages.po"
)
_STRAIGHT_QUOTES = re.compile(r'"([^"]*)"|“([^”]*)”')
_MISSING = re.compile(r"(?<=[\w)\]}%»’'.])([;:?!])(?=\s|$|\))")
_LEAVE = re.compile(r"\d:\d|://|\?\w+=|[:;?!]{2}")


def corrected(text: str) -> str:
    """``text`` with French typography applied where it is unambiguous."""
    text = _STRAIGHT_QUOTES.sub(
        lambda match: f"«{NBSP}{(match.group(1) or match.group(2) or '').strip()}{NBSP}»", text
    )
    text = french_spacing(text)

    def _space(match: re.Match[str]) -> str:
        around = text[max(0, match.start() - 2) : match.end() + 3]
        return match.group(1) if _LEAVE.search(around) else NBSP + match.group(1)

    return _MISSING.sub(_space, text)


def main() -> int:
    """Check or fix the catalogue; 0 when it is clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fix", action="store_true", help="correct what can be corrected")
    args = parser.parse_args()
    with CATALOGUE.open("rb") as po_file:
        catalogue = read_po(po_file, locale="fr")
    left = []
    for message in catalogue:
        if not message.id:
            continue
        value = message.string
        plural = isinstance(value, tuple)
        strings = (
            [str(item or "") for item in value] if isinstance(value, tuple) else [str(value or "")]
        )
        if args.fix:
            strings = [corrected(string) for string in strings]
            message.string = tuple(strings) if plural else strings[0]
        left += [
            (string, problem)
            for string in strings
            for problem in french_typography_problems(string)
        ]
    if args.fix:
        with CATALOGUE.open("wb") as po_file:
            write_po(po_file, catalogue, width=76, omit_header=False)
    for string, problem in left:
        print(f"{problem}: {string!r}")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
