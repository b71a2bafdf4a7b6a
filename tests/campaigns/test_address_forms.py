"""Forms of address: the greeting a letter opens with and how texts name the target."""

from __future__ import annotations

import pytest

from callmp.campaigns.address_forms import Address, address
from callmp.campaigns.targets import Reason, ResolvedTarget
from callmp.i18n import translator
from callmp.models import Person, Target, TargetKind

MP = Person(honorific="Hon.", full_name="Jenny Kwan", last_name="Kwan", fed_num=59031)
MINISTER = Person(honorific="Hon.", full_name="Lena Metlege Diab", last_name="Diab")


def _item(
    person: Person | None,
    kind: TargetKind = TargetKind.person,
    reason: Reason | None = None,
    **words: str,
) -> ResolvedTarget:
    """``person`` reached through a target of ``kind`` with the lead's ``words``."""
    target = Target(kind=kind, **{"address_en": "", "address_fr": "", "gender": "", **words})
    return ResolvedTarget(target, person, None, reason)


def _address(item: ResolvedTarget, locale: str) -> Address:
    return address(item, locale, translator(locale))


@pytest.mark.parametrize("person", [MP, MINISTER])
def test_without_the_leads_words_a_target_is_greeted_by_name_never_by_honorific(
    person: Person,
) -> None:
    item = _item(person)
    english, french = _address(item, "en"), _address(item, "fr")
    assert english == Address(person.full_name, f"Dear {person.full_name},")
    # No gender known: "Bonjour" and the name need none.
    assert french == Address(person.full_name, f"Bonjour {person.full_name},")
    assert "Hon" not in english.salutation + french.salutation


def test_the_leads_form_of_address_makes_the_greeting_in_each_language() -> None:
    item = _item(MINISTER, address_en="Minister Metlege Diab", address_fr="Madame la Ministre")
    assert _address(item, "en") == Address("Minister Metlege Diab", "Dear Minister Metlege Diab,")
    assert _address(item, "fr") == Address("Madame la Ministre", "Madame la Ministre,")


def test_a_french_form_of_address_that_is_a_name_is_greeted_with_bonjour() -> None:
    item = _item(MINISTER, address_fr="Lena Metlege Diab, ministre")
    assert _address(item, "fr").salutation == "Bonjour Lena Metlege Diab, ministre,"


@pytest.mark.parametrize(
    ("person", "gender", "form"),
    [
        (MP, "f", "Madame la Députée"),
        (MP, "m", "Monsieur le Député"),
        (MINISTER, "f", "Madame"),
        (MINISTER, "m", "Monsieur"),
    ],
)
def test_a_gender_gives_the_formal_french_forms_and_leaves_english_alone(
    person: Person, gender: str, form: str
) -> None:
    item = _item(person, gender=gender)
    assert _address(item, "fr") == Address(form, f"{form},")
    assert _address(item, "en") == Address(person.full_name, f"Dear {person.full_name},")


def test_the_leads_french_form_wins_over_the_gender() -> None:
    item = _item(MINISTER, gender="f", address_fr="Madame la Ministre")
    assert _address(item, "fr").salutation == "Madame la Ministre,"


def test_the_supporters_own_mp_gets_no_gender_but_may_get_a_form_of_address() -> None:
    item = _item(MP, TargetKind.own_mp, gender="f")
    assert _address(item, "fr").salutation == "Bonjour Jenny Kwan,"
    item = _item(MP, TargetKind.own_mp, address_en="Member of Parliament")
    assert _address(item, "en").salutation == "Dear Member of Parliament,"


def test_a_fallback_standing_in_for_the_mp_gets_the_defaults_not_the_targets_words() -> None:
    item = _item(MINISTER, TargetKind.own_mp, Reason.vacant, address_en="Member of Parliament")
    assert item.fallback
    assert _address(item, "en").salutation == "Dear Lena Metlege Diab,"


def test_a_vacant_seat_has_no_greeting() -> None:
    assert _address(_item(None, TargetKind.own_mp, Reason.vacant), "fr") == Address("", "")


def _custom(**fields: str) -> Person:
    """A custom person (not an MP) with the lead's forms of address."""
    return Person(full_name="Lena Metlege Diab", last_name="Diab", **fields)


def test_a_custom_persons_own_form_of_address_and_gender_apply_when_the_target_has_none() -> None:
    person = _custom(address_en="Minister Metlege Diab", address_fr="", gender="f")
    item = _item(person)
    assert _address(item, "en").salutation == "Dear Minister Metlege Diab,"
    assert _address(item, "fr") == Address("Madame", "Madame,")
    assert _address(_item(person, address_fr="Madame la Ministre"), "fr").form == (
        "Madame la Ministre"
    )


def test_a_fallback_custom_person_keeps_their_own_form_of_address() -> None:
    person = _custom(address_en="", address_fr="Madame la Ministre", gender="")
    item = _item(person, TargetKind.own_mp, Reason.filtered, address_fr="Madame la Députée")
    assert _address(item, "fr").salutation == "Madame la Ministre,"
