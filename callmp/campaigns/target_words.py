"""A target's own words: talking points, letter, form of address, each checked like a campaign's.

Domain code: no Flask. Every field is optional; empty means the campaign's text (or, for
the form of address, a neutral default: see ``address_forms``). Texts are cleaned as the
campaign's are: control characters dropped (the voice reads talking points; Twilio
rejects them), lengths bounded, and only allow-listed placeholders accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from callmp.campaigns.address_forms import GENDERS
from callmp.campaigns.fields import TOO_LONG, UNKNOWN_PLACEHOLDER, UNKNOWN_PLACEHOLDERS
from callmp.i18n import N_
from callmp.letters.compose import BODY_MAX, SUBJECT_MAX
from callmp.models import Target, TargetKind
from callmp.templating import PLACEHOLDERS, one_line, strip_control, unknown_placeholders

TEXT_MAX = 10000
ADDRESS_MAX = 200

#: Field -> (longest allowed, one line only), in the order the form shows them.
LIMITS: dict[str, tuple[int, bool]] = {
    "talking_points_en": (TEXT_MAX, False),
    "talking_points_fr": (TEXT_MAX, False),
    "email_subject_en": (SUBJECT_MAX, True),
    "email_subject_fr": (SUBJECT_MAX, True),
    "email_body_en": (BODY_MAX, False),
    "email_body_fr": (BODY_MAX, False),
    "address_en": (ADDRESS_MAX, True),
    "address_fr": (ADDRESS_MAX, True),
}
#: Fields where placeholders are filled (a form of address is said as written).
FILLED = ("talking_points", "email_subject", "email_body")
BAD_GENDER = N_("Please choose one of the listed forms.")


@dataclass(frozen=True)
class TargetWords:
    """A target's own words as a form holds them (all optional)."""

    talking_points_en: str = ""
    talking_points_fr: str = ""
    email_subject_en: str = ""
    email_subject_fr: str = ""
    email_body_en: str = ""
    email_body_fr: str = ""
    address_en: str = ""
    address_fr: str = ""
    gender: str = ""


WORD_FIELDS = tuple(f.name for f in fields(TargetWords))


class WordsInvalid(ValueError):
    """A refused value: the field, an untranslated message and its parameters."""

    def __init__(self, field: str, message: str, **params: str) -> None:
        super().__init__(field)
        self.field = field
        self.message = message
        self.params = params


def _text(raw: str) -> str:
    """Multi-line text with control characters dropped and newlines made ``\\n``."""
    text = strip_control((raw or "").replace("\r\n", "\n").replace("\r", "\n"))
    return text if text.strip() else ""


def clean(words: TargetWords, kind: TargetKind) -> dict[str, str]:
    """The checked column values of ``words``; WordsInvalid for the first refused field.

    The supporter's own MP is someone else in every riding: no gender is kept for them.
    """
    values: dict[str, str] = {}
    for name, (maximum, single_line) in LIMITS.items():
        raw = getattr(words, name)
        value = one_line(raw) if single_line else _text(raw)
        if len(value) > maximum:
            raise WordsInvalid(name, TOO_LONG, n=str(maximum), length=str(len(value)))
        unknown = unknown_placeholders(value) if name.startswith(FILLED) else []
        if unknown:
            message = UNKNOWN_PLACEHOLDER if len(unknown) == 1 else UNKNOWN_PLACEHOLDERS
            allowed = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
            names = ", ".join(f"{{{key}}}" for key in unknown)
            raise WordsInvalid(name, message, names=names, allowed=allowed)
        values[name] = value
    gender = words.gender or ""
    if gender not in GENDERS:
        raise WordsInvalid("gender", BAD_GENDER)
    values["gender"] = gender if kind == TargetKind.person else ""  # a fixed person only
    return values


def stored(target: Target) -> dict[str, str]:
    """A target's own words as its form shows them."""
    return {name: getattr(target, name) for name in WORD_FIELDS}


def has_words(target: Target) -> bool:
    """True when the target has any words or form of address of its own."""
    return any(getattr(target, name) for name in WORD_FIELDS)
