"""How letters and scripts address a target: the greeting and the form of address.

Domain code: no Flask. A lead may give a target, or a custom person, a form of address in
English and French ("Minister Metlege Diab", "Madame la Ministre") and a grammatical
gender; the target's come first. Without them the defaults name the person without an
honorific ("Dear Jenny Kwan,"), which is correct for anyone and needs no gender. With a
gender, French uses the formal forms ("Madame la Députée," for an MP). A fallback person
standing in for the supporter's MP gets their own (custom person's) or the defaults: the
target's form of address was written for someone else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callmp.i18n import N_
from callmp.models import Person, TargetKind
from callmp.templating import one_line

if TYPE_CHECKING:  # targets.py builds placeholder values with this module
    from callmp.campaigns.targets import ResolvedTarget

Translate = Callable[[str], str]

#: Grammatical genders a lead may set ("" is unknown).
GENDERS = ("", "f", "m")

_DEAR = N_("Dear %(name)s,")

# French forms of address by grammatical gender. They are rules of French, not
# translations of English text (English letters need no gender), so they live here.
_FRENCH_MP = {"f": "Madame la Députée", "m": "Monsieur le Député"}
_FRENCH_PERSON = {"f": "Madame", "m": "Monsieur"}
# A French form of address that opens a letter as it is ("Madame la Ministre,"); any
# other (a name) is greeted with "Bonjour".
_FRENCH_FORMAL = ("madame", "monsieur", "mesdames", "messieurs")


@dataclass(frozen=True)
class Address:
    """How to address one target: ``form`` in a sentence, ``salutation`` to open a letter."""

    form: str  # "Minister Metlege Diab", "Madame la Ministre", "Jenny Kwan"
    salutation: str  # "Dear Minister Metlege Diab,", "Madame la Ministre,", "Dear Jenny Kwan,"


def _french(locale: str) -> bool:
    return locale == "fr"


def _choice(item: ResolvedTarget, person: Person, locale: str) -> tuple[str, str]:
    """The lead's (form of address, gender): the target's, else the custom person's."""
    custom = gender = ""
    target = item.target
    if not item.fallback:  # the target's words were written for its own person
        custom = (target.address_fr if _french(locale) else target.address_en) or ""
        # The supporter's own MP is someone else in every riding: no one gender fits.
        gender = (target.gender or "") if target.kind == TargetKind.person else ""
    custom = custom or (person.address_fr if _french(locale) else person.address_en) or ""
    gender = gender or person.gender or ""
    return one_line(custom), gender if gender in GENDERS else ""


def address(item: ResolvedTarget, locale: str, translate: Translate) -> Address:
    """The form of address and the letter's greeting for ``item`` in ``locale``."""
    person = item.person
    if person is None:
        return Address("", "")
    custom, gender = _choice(item, person, locale)
    if _french(locale):
        if not custom and gender:
            forms = _FRENCH_MP if person.fed_num is not None else _FRENCH_PERSON
            custom = forms[gender]
        if custom and custom.split()[0].casefold().rstrip(",") in _FRENCH_FORMAL:
            return Address(custom, f"{custom},")
    form = custom or person.full_name
    return Address(form, translate(_DEAR) % {"name": form})
