"""Translation markers usable by domain code, which does not import Flask."""

from __future__ import annotations

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
