"""A target's own words: checked like the campaign's, and falling back to the campaign's."""

from __future__ import annotations

import pytest

from callmp.campaigns.target_words import TargetWords, WordsInvalid, clean, has_words
from callmp.models import Campaign, Target, TargetKind
from callmp.templating import PLACEHOLDERS


def _target(**words: str) -> Target:
    """A target of a campaign with English and French talking points and letter."""
    campaign = Campaign(
        talking_points_en="Campaign points",
        talking_points_fr="Argumentaire",
        email_subject_en="Campaign subject",
        email_subject_fr="",
        email_body_en="Campaign letter",
        email_body_fr="Lettre",
    )
    texts = ("talking_points", "email_subject", "email_body")
    fields = {f"{name}_{lang}": "" for name in texts for lang in ("en", "fr")}
    return Target(kind=TargetKind.person, campaign=campaign, **{**fields, **words})


def test_empty_words_fall_back_to_the_campaigns_text_in_each_language() -> None:
    target = _target()
    assert target.words("talking_points", "en") == "Campaign points"
    assert target.words("talking_points", "fr") == "Argumentaire"
    assert target.words("email_subject", "fr") == "Campaign subject"  # none in French
    assert not has_words(target)


def test_a_targets_own_words_come_first_then_the_campaigns_in_the_same_language() -> None:
    target = _target(talking_points_en="Minister points", email_subject_en="Minister subject")
    assert target.words("talking_points", "en") == "Minister points"
    # French: the campaign's French text before the target's English one.
    assert target.words("talking_points", "fr") == "Argumentaire"
    assert target.words("email_subject", "fr") == "Minister subject"
    assert target.words("email_body", "en") == "Campaign letter"
    assert has_words(target)


def test_clean_drops_control_characters_and_keeps_lines() -> None:
    words = TargetWords(
        talking_points_en="Hello\x07 {riding}\r\n- one\u202e",
        email_subject_fr="  Objet\n sur  une ligne ",
        address_en=" Minister\tMetlege  Diab ",
        gender="f",
    )
    values = clean(words, TargetKind.person)
    assert values["talking_points_en"] == "Hello {riding}\n- one"
    assert values["email_subject_fr"] == "Objet sur une ligne"
    assert values["address_en"] == "Minister Metlege Diab"
    assert values["gender"] == "f"
    assert values["email_body_en"] == ""


def test_whitespace_only_text_counts_as_empty() -> None:
    assert clean(TargetWords(email_body_fr=" \n\t "), TargetKind.person)["email_body_fr"] == ""


def test_the_supporters_own_mp_keeps_no_gender() -> None:
    assert clean(TargetWords(gender="m"), TargetKind.own_mp)["gender"] == ""


@pytest.mark.parametrize(
    ("words", "field", "message"),
    [
        (TargetWords(talking_points_fr="{ministre}"), "talking_points_fr", "Unknown placeholder"),
        (TargetWords(email_body_en="{a} {b}"), "email_body_en", "Unknown placeholders"),
        (TargetWords(email_subject_en="x" * 201), "email_subject_en", "Please keep this under"),
        (TargetWords(address_fr="x" * 201), "address_fr", "Please keep this under"),
        (TargetWords(gender="n"), "gender", "Please choose one of the listed forms."),
    ],
)
def test_bad_words_are_refused_naming_the_field(
    words: TargetWords, field: str, message: str
) -> None:
    with pytest.raises(WordsInvalid) as caught:
        clean(words, TargetKind.person)
    assert caught.value.field == field
    assert caught.value.message.startswith(message)


def test_a_form_of_address_is_said_as_written_and_may_hold_braces() -> None:
    assert clean(TargetWords(address_en="{x}"), TargetKind.person)["address_en"] == "{x}"


def test_the_allowed_placeholders_include_the_forms_of_address() -> None:
    assert {"salutation", "form_of_address"} <= set(PLACEHOLDERS)
    values = clean(
        TargetWords(email_body_en="{salutation}\n\n{form_of_address}"), TargetKind.person
    )
    assert values["email_body_en"] == "{salutation}\n\n{form_of_address}"


def test_french_words_get_no_break_spaces_however_the_lead_typed_them() -> None:
    target = _target(talking_points_fr="Pourquoi ? Parce que : « oui » !")
    nbsp = "\u00a0"
    expected = f"Pourquoi{nbsp}? Parce que{nbsp}: «{nbsp}oui{nbsp}»{nbsp}!"
    assert target.words("talking_points", "fr") == expected
    target.campaign.title_fr, target.campaign.title_en = "Agir : maintenant", "Act: now"
    assert target.campaign.text("title", "fr") == f"Agir{nbsp}: maintenant"
    assert target.campaign.text("title", "en") == "Act: now"
    # Text the lead left in English stays as typed, even on a French page.
    target.campaign.title_fr = ""
    assert target.campaign.text("title", "fr") == "Act: now"
