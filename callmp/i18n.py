"""Translation markers usable by domain code, which does not import Flask."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations


def N_(message: str) -> str:
    """Mark ``message`` for extraction; the view layer translates it at display time."""
    return message


@dataclass
class InputError(ValueError):
    """Input we refuse: ``reason`` for machines, ``message`` an untranslated msgid."""

    reason: str
    message: str
    params: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


TRANSLATIONS_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=8)
def _catalogue(language: str) -> Translations | NullTranslations:
    """The compiled catalogue for ``language`` (English msgids need none)."""
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def translator(locale: str) -> Callable[[str], str]:
    """gettext for ``locale`` (``fr``, ``fr_CA`` ...) outside a request: queue workers, TwiML."""
    language = locale.replace("-", "_").split("_")[0].lower() or "en"
    return _catalogue(language).gettext


# French typography: a no-break space before the high punctuation (: ; ? !) and inside
# guillemets, so a line never starts with "?" and the marks keep their space.
NBSP = "\u00a0"
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([:;?!»])(?!\w+=)")
_SPACE_AFTER_GUILLEMET = re.compile(r"«[ \t]+")
# Where a mark needs no space: times (09:00), web addresses (https://, ?ref=), Markdown
# and placeholders written in braces, and a mark that follows another mark or a space.
_NO_SPACE_NEEDED = re.compile(r"\d:\d|://|\?\w+=|[:;?!]{2}")
_MISSING_SPACE = re.compile(r"(?<=[\w)\]}%»’'.])([;:?!])(?=\s|$|\))")


def french_spacing(text: str) -> str:
    """``text`` with each ordinary space before ``: ; ? ! »`` and after ``«`` made no-break.

    Safe on Markdown and placeholders written by leads: it never adds a space where none
    was typed (``09:00``, ``https://``, ``?ref=`` stay as they are)."""
    text = _SPACE_BEFORE_MARK.sub(lambda match: NBSP + match.group(1), text)
    return _SPACE_AFTER_GUILLEMET.sub("«" + NBSP, text)


def french_typography_problems(text: str) -> list[str]:
    """What breaks French typography in ``text`` (a translation we ship), as short notes."""
    problems = []
    if _SPACE_BEFORE_MARK.search(text) or _SPACE_AFTER_GUILLEMET.search(text):
        problems.append("an ordinary space where a no-break space belongs")
    for match in _MISSING_SPACE.finditer(text):
        around = text[max(0, match.start() - 2) : match.end() + 3]
        if not _NO_SPACE_NEEDED.search(around):
            problems.append(f"no space before {match.group(1)!r} in {around!r}")
    if '"' in text or "“" in text:
        problems.append("straight quotes where « » belong")
    return problems
