"""Supporters' letters: cleaning what they typed, and composing one letter per target.

The functions are pure; the campaign and its targets come from the demo data seeded in
every test database (riding 35100, Spadina—Harbourfront: the MP Chi Nguyen, then the
Minister, Hon. Lena Metlege Diab). The demo gives the Minister her own words; most tests
clear them to test the campaign's shared text (``targets``), the last ones keep them.
"""

from __future__ import annotations

import socket
import unicodedata
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlsplit

import dns.resolver
import pytest
from sqlalchemy.orm import Session

from callmp import demo
from callmp.campaigns.targets import ResolvedTarget, targets_for
from callmp.directory import lookup
from callmp.i18n import translator
from callmp.letters.compose import (
    BODY_MAX,
    CITY_MAX,
    NAME_MAX,
    PERSONAL_LINE_MAX,
    SUBJECT_MAX,
    LetterError,
    Supporter,
    clean_body,
    clean_city,
    clean_email,
    clean_name,
    clean_personal_line,
    clean_subject,
    compose,
    draft,
    fingerprint,
    letter_locale,
    mailto_url,
    recipients,
    redraft,
    template_texts,
)
from callmp.models import Campaign, Person

RIDING = 35100
RIDING_NAME = "Spadina—Harbourfront"
MP = "Chi Nguyen"
MP_ADDRESS = "chi.nguyen@parl.gc.ca"
MINISTER = "Hon. Lena Metlege Diab"
MINISTER_FR = "L'hon. Lena Metlege Diab"
MINISTER_ADDRESS = "lenametlege.diab@parl.gc.ca"
MINISTER_ROLE = "the Minister of Immigration, Refugees and Citizenship"
#: Letters greet people by name, never "Dear Hon. ...".
MINISTER_DEAR = "Dear Lena Metlege Diab,"

JANE = Supporter(name="Jane Doe", postal_code="M5V 3L9", city="Toronto", locale="en")
SIGNATURE = "Sincerely,\nJane Doe\nToronto, M5V 3L9, Spadina—Harbourfront\n"

#: A template using the per-target and the supporter's placeholders.
SUBJECT_TEMPLATE = "For {mp_name}, from {supporter_name}"
BODY_TEMPLATE = (
    "I ask {mp_honorific}, {target_role}, to act.\n"
    "Signed {supporter_name} of {supporter_city}, {supporter_postal_code} ({postal_code})."
)

Clean = Callable[[str | None], str]


def _targets(
    db_session: Session, campaign: Campaign, fed_num: int = RIDING
) -> list[ResolvedTarget]:
    """The campaign's targets for a supporter in riding ``fed_num``."""
    candidate = lookup.riding(db_session, fed_num)
    assert candidate is not None
    return targets_for(campaign, candidate)


TARGET_WORDS = (
    "talking_points_en",
    "talking_points_fr",
    "email_subject_en",
    "email_subject_fr",
    "email_body_en",
    "email_body_fr",
    "address_en",
    "address_fr",
    "gender",
)


@pytest.fixture
def targets(db_session: Session, campaign: Campaign) -> list[ResolvedTarget]:
    """The MP for Spadina—Harbourfront, then the Minister, both with the campaign's words."""
    for target in campaign.targets:
        for name in TARGET_WORDS:
            setattr(target, name, "")
    found = _targets(db_session, campaign)
    assert [t.person.full_name if t.person else None for t in found] == [
        MP,
        "Lena Metlege Diab",
    ]
    return found


def _with_placeholders(campaign: Campaign) -> Campaign:
    """The campaign with an English template that uses many placeholders (not saved)."""
    campaign.email_subject_en = SUBJECT_TEMPLATE
    campaign.email_body_en = BODY_TEMPLATE
    return campaign


def _template(campaign: Campaign, locale: str, riding: str = RIDING_NAME) -> str:
    """The campaign's stored letter in ``locale`` with its one placeholder, the riding, filled."""
    body = campaign.email_body_fr if locale == "fr" else campaign.email_body_en
    assert body.count("{") == body.count("{riding}") > 0
    return body.replace("{riding}", riding).strip()


def _minister(targets: list[ResolvedTarget]) -> Person:
    """The Minister's person record (the second target)."""
    person = targets[1].person
    assert person is not None
    return person


# -- Cleaning one-line fields --------------------------------------------------------


@pytest.mark.parametrize(
    ("clean", "field"), [(clean_name, "name"), (clean_subject, "subject"), (clean_city, "city")]
)
@pytest.mark.parametrize(
    "raw", ["Jane Doe\r\nBcc: victim@example.org", "Jane\nDoe", "Jane\rDoe", "Jane Doe\n"]
)
def test_line_breaks_in_header_fields_are_refused_naming_the_field(
    clean: Clean, field: str, raw: str
) -> None:
    with pytest.raises(LetterError) as caught:
        clean(raw)
    assert caught.value.reason == field
    assert caught.value.message == "Please keep this on one line."


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\t"])
def test_other_line_separators_never_survive_in_a_header_field(separator: str) -> None:
    name = clean_name(f"Jane{separator}Bcc victim")
    subject = clean_subject(f"Hello{separator}Bcc: victim@example.org")
    for value in (name, subject):
        assert not any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value)
    assert name in ("Jane Bcc victim", "JaneBcc victim")


@pytest.mark.parametrize(
    ("clean", "maximum", "field"),
    [
        (clean_name, NAME_MAX, "name"),
        (clean_city, CITY_MAX, "city"),
        (clean_subject, SUBJECT_MAX, "subject"),
        (clean_body, BODY_MAX, "body"),
    ],
)
def test_fields_up_to_their_limit_pass_and_one_character_more_is_refused(
    clean: Clean, maximum: int, field: str
) -> None:
    assert clean("é" * maximum) == "é" * maximum
    with pytest.raises(LetterError) as caught:
        clean("é" * (maximum + 1))
    assert caught.value.reason == field
    assert caught.value.params == {"n": str(maximum)}
    assert str(maximum) in str(caught.value)


def test_personal_line_up_to_its_limit_passes_and_longer_is_refused() -> None:
    assert clean_personal_line("a" * PERSONAL_LINE_MAX, required=False) == "a" * PERSONAL_LINE_MAX
    with pytest.raises(LetterError) as caught:
        clean_personal_line("a" * (PERSONAL_LINE_MAX + 1), required=False)
    assert caught.value.reason == "personal_line"


def test_limits_count_the_text_once_spaces_are_collapsed() -> None:
    assert clean_name("  " + "Jane   " * 14 + "  ") == " ".join(["Jane"] * 14)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\u202eJane\u202c Doe", "Jane Doe"),  # right-to-left override and pop
        ("\u2066Jane\u2069 \u202bDoe\u202c", "Jane Doe"),  # isolates and embeddings
        ("Ja\u200bne\ufeff Doe", "Jane Doe"),  # zero-width space, byte-order mark
        ("Jane\x00 \x07Doe\x7f\x9b", "Jane Doe"),  # C0, DEL and C1 controls
        ("Rene\u0301e Co\u0302te\u0301", "Renée Côté"),  # decomposed: NFC
        ("Élise Côté-Saint-Gérard", "Élise Côté-Saint-Gérard"),
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("  Jane \t  Doe  ", "Jane Doe"),
    ],
)
def test_names_lose_invisible_and_control_characters_and_keep_their_accents(
    raw: str, expected: str
) -> None:
    name = clean_name(raw)
    assert name == expected
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize("raw", [None, "", "   ", "\u202e\u200b\u202c", "1234", "-- . --"])
def test_a_name_without_any_letter_is_refused(raw: str | None) -> None:
    with pytest.raises(LetterError) as caught:
        clean_name(raw)
    assert caught.value.reason == "name"
    assert caught.value.message == "Please enter your name."


@pytest.mark.parametrize(
    "raw",
    [
        "Jane Doe <attacker@evil.example>",
        "Jane Doe, attacker@evil.example, " + "x" * 60,
        'Jane "The Boss" Doe',
        "Jane; Doe",
        "Undisclosed: Jane",
        "Jane \\ Doe",
        "=?utf-8?q?Jane_=3Cattacker=40evil.example=3E?=",
        "Zoë Côté-Tremblay, Élise ＜attacker＠evil.example＞",  # full-width, folded by NFKC
    ],
)
def test_a_name_with_address_syntax_is_refused_with_a_message(raw: str) -> None:
    with pytest.raises(LetterError) as caught:
        clean_name(raw)
    assert caught.value.reason == "name"
    assert caught.value.message == "Please write your name without these characters: %(chars)s"
    assert "<" in str(caught.value) and "@" in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        "Zoë O'Brien, Jr.",
        "Marie-Ève Côté-Tremblay (Mimi) & Jean-François St. Pierre, PhD",
        "Nguyễn Thị Minh Khai " * 4,
    ],
)
def test_names_with_commas_apostrophes_and_brackets_are_kept(raw: str) -> None:
    assert clean_name(raw) == " ".join(raw.split())


def test_city_is_optional_and_subject_is_not() -> None:
    assert clean_city(None) == ""
    assert clean_city("  Trois-Rivières ") == "Trois-Rivières"
    with pytest.raises(LetterError) as caught:
        clean_subject("  ")
    assert caught.value.reason == "subject"


# -- Email addresses ------------------------------------------------------------------


def test_a_well_formed_address_is_accepted_without_any_network_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lookups: list[str] = []

    def no_network(*args: object, **kwargs: object) -> None:
        lookups.append(repr(args))
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_network)
    assert clean_email(" someone@example.org ") == "someone@example.org"
    assert clean_email("Jane.Doe+letters@Example.ORG") == "Jane.Doe+letters@example.org"
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".org"
    assert len(longest) == 254 and clean_email(longest) == longest
    assert lookups == []


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "a@b",
        "no-at-sign",
        "x@exa mple.org",
        "josé@example.org",  # a non-ASCII local part needs SMTPUTF8
        "jane@example.org\r\nBcc: victim@example.org",
        "Jane Doe <jane@example.org>",
        "jane@@example.org",
        "jane@example.invalid",
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".org",  # 255 characters
    ],
)
def test_malformed_addresses_are_refused(raw: str | None) -> None:
    with pytest.raises(LetterError) as caught:
        clean_email(raw)
    assert caught.value.reason == "email"


def test_an_address_with_an_accented_domain_is_kept_in_its_ascii_form() -> None:
    # Mail headers must be ASCII (no SMTPUTF8): the IDNA form reaches the same mailbox.
    address = clean_email("jane@exämple.org")
    assert address == "jane@xn--exmple-cua.org"
    assert address.isascii()


# -- Cleaning multi-line text ---------------------------------------------------------


def test_body_keeps_line_breaks_and_tabs_and_loses_controls_and_overrides() -> None:
    raw = "\r\n  Line one\r\nLine\u202e two\rthree\x00\r\n\r\n\tIndented café\u200b  \r\n"
    assert clean_body(raw) == "Line one\nLine two\nthree\n\n\tIndented café"


def test_body_is_normalised_to_nfc() -> None:
    assert clean_body("Cafe\u0301") == "Café"


@pytest.mark.parametrize("raw", [None, "", " \r\n\t ", "\u202e\u200b"])
def test_an_empty_body_is_refused(raw: str | None) -> None:
    with pytest.raises(LetterError) as caught:
        clean_body(raw)
    assert caught.value.reason == "body"


def test_a_required_personal_line_must_be_given() -> None:
    assert clean_personal_line("  ", required=False) == ""
    assert clean_personal_line(" My sister picks apples.\r\n", required=True) == (
        "My sister picks apples."
    )
    with pytest.raises(LetterError) as caught:
        clean_personal_line(" \n ", required=True)
    assert caught.value.reason == "personal_line"


# -- The letter's language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferred", "supporter", "expected"),
    [
        ("fr", "en", "fr"),
        (" FR ", "en", "fr"),
        ("French", "en", "fr"),
        ("Français", "en", "fr"),
        ("fr-CA", "en", "fr"),
        ("en", "fr", "en"),
        ("English", "fr", "en"),
        ("Anglais", "fr", "en"),
        ("", "fr", "fr"),
        ("", "en", "en"),
        # Both (the House's "English / French"): the supporter's language.
        ("en fr", "fr", "fr"),
        ("en fr", "en", "en"),
        ("English / French", "fr", "fr"),
        ("Deutsch", "fr", "fr"),
    ],
)
def test_letter_language_is_the_target_preference_else_the_supporter_language(
    preferred: str, supporter: str, expected: str
) -> None:
    person = Person(full_name="Jane Roe", preferred_language=preferred)
    assert letter_locale(person, supporter) == expected


@pytest.mark.parametrize("supporter", ["en", "fr"])
def test_letter_language_without_a_person_is_the_supporter_language(supporter: str) -> None:
    assert letter_locale(None, supporter) == supporter


# -- The draft and the template ------------------------------------------------------


def test_draft_is_the_campaign_template_filled_for_the_riding(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    subject, body = draft(campaign, targets, "en")
    assert subject == demo.SUBJECT_EN.replace("{riding}", RIDING_NAME)
    assert body == _template(campaign, "en")


def test_french_draft_uses_the_french_template_and_riding_name(
    db_session: Session, campaign: Campaign
) -> None:
    subject, body = draft(campaign, _targets(db_session, campaign, 12007), "fr")
    # The subject is one line, keeping the no-break space before the colon.
    assert subject == demo.SUBJECT_FR.replace("{riding}", "Halifax-Ouest")
    assert "\u00a0:" in subject
    assert body == _template(campaign, "fr", "Halifax-Ouest")


def test_draft_fills_the_first_target_and_leaves_the_supporter_placeholders_as_written(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    subject, body = draft(_with_placeholders(campaign), targets, "en")
    assert subject == "For Chi Nguyen, from {supporter_name}"
    assert body == (
        "I ask Chi Nguyen, your MP, to act.\n"
        "Signed {supporter_name} of {supporter_city}, {supporter_postal_code} ({postal_code})."
    )


def test_redraft_swaps_an_untouched_draft_for_the_other_language_and_keeps_edits(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    en_subject, en_body = draft(campaign, targets, "en")
    fr_subject, fr_body = draft(campaign, targets, "fr")
    assert redraft(campaign, targets, en_subject, en_body + "\n", "fr", ("en", "fr")) == (
        fr_subject,
        fr_body,
    )
    own = "My own words for {riding}."
    assert redraft(campaign, targets, en_subject, own, "fr", ("en", "fr")) == (fr_subject, own)
    assert redraft(campaign, targets, fr_subject, fr_body, "fr", ("en", "fr")) == (
        fr_subject,
        fr_body,
    )


def test_template_for_a_supporter_fills_every_placeholder(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    subject, body = template_texts(_with_placeholders(campaign), targets[1], JANE, "en")
    assert subject == "For Lena Metlege Diab, from Jane Doe"
    assert body == (
        f"I ask {MINISTER}, {MINISTER_ROLE}, to act.\n"
        "Signed Jane Doe of Toronto, M5V 3L9 (M5V 3L9)."
    )


def test_draft_and_letters_skip_targets_without_an_address(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    mp = targets[0].person
    assert mp is not None
    mp.email = ""
    _with_placeholders(campaign)
    assert recipients(targets) == [targets[1]]
    subject, _ = draft(campaign, targets, "en")
    assert subject == "For Lena Metlege Diab, from {supporter_name}"
    letters = compose(campaign, targets, JANE)
    assert [letter.to_address for letter in letters] == [MINISTER_ADDRESS]


def test_a_vacant_seat_gets_no_letter(db_session: Session, campaign: Campaign) -> None:
    targets = _targets(db_session, campaign, 35095)
    assert targets[0].vacant
    letters = compose(campaign, targets, JANE)
    assert [letter.to_address for letter in letters] == [MINISTER_ADDRESS]


def test_nobody_with_an_address_means_no_draft_and_no_letter(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    for item in targets:
        assert item.person is not None and item.email_contact is not None
        # The minister's letters go to the portfolio's office, else to the member.
        item.person.email = item.email_contact.email = ""
    assert draft(campaign, targets, "en") == ("", "")
    assert compose(campaign, targets, JANE) == []


# -- Composing letters ----------------------------------------------------------------


def test_each_letter_greets_its_target_and_is_signed_with_name_city_postal_code_and_riding(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    mp, minister = compose(campaign, targets, JANE)
    template = _template(campaign, "en")
    assert (mp.to_name, mp.to_address, mp.locale) == (MP, MP_ADDRESS, "en")
    assert mp.body == f"Dear {MP},\n\n{template}\n\n{SIGNATURE}"
    assert (minister.to_name, minister.to_address) == (MINISTER, MINISTER_ADDRESS)
    assert minister.body == f"{MINISTER_DEAR}\n\n{template}\n\n{SIGNATURE}"
    assert mp.subject == minister.subject == demo.SUBJECT_EN.replace("{riding}", RIDING_NAME)
    assert mp.item is targets[0] and minister.item is targets[1]


def test_signature_without_a_city_shows_postal_code_and_riding(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    supporter = Supporter(name="Jane Doe", postal_code="M5V 3L9", city="", locale="en")
    letter = compose(campaign, targets, supporter)[0]
    assert letter.body.endswith("\n\nSincerely,\nJane Doe\nM5V 3L9, Spadina—Harbourfront\n")


def test_personal_line_comes_after_the_letter_and_before_the_signature(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    line = "My cousin has picked fruit in Ontario for nine summers."
    for letter in compose(campaign, targets, JANE, personal_line=line):
        paragraphs = letter.body.split("\n\n")
        assert paragraphs[-2:] == [line, SIGNATURE]
        assert paragraphs[-3].endswith("raise it with the Minister of Immigration?")


def test_unedited_letters_fill_the_placeholders_for_each_target(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    subject, body = draft(_with_placeholders(campaign), targets, "en")
    mp, minister = compose(campaign, targets, JANE, subject=subject, body=body)
    assert mp.subject == "For Chi Nguyen, from Jane Doe"
    assert minister.subject == "For Lena Metlege Diab, from Jane Doe"
    assert "I ask Chi Nguyen, your MP, to act." in mp.body
    assert f"I ask {MINISTER}, {MINISTER_ROLE}, to act." in minister.body
    for letter in (mp, minister):
        assert "Signed Jane Doe of Toronto, M5V 3L9 (M5V 3L9)." in letter.body
        assert "{" not in letter.body + letter.subject


def test_an_edited_body_goes_to_every_target_with_placeholders_filled_for_each(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    edited = "Please, {mp_name} ({target_role}): act now.\nI am {supporter_name}, {riding}."
    mp, minister = compose(campaign, targets, JANE, body=edited)
    assert mp.body == (
        f"Dear {MP},\n\nPlease, Chi Nguyen (your MP): act now.\n"
        f"I am Jane Doe, {RIDING_NAME}.\n\n{SIGNATURE}"
    )
    assert minister.body == (
        f"{MINISTER_DEAR}\n\nPlease, Lena Metlege Diab ({MINISTER_ROLE}): act now.\n"
        f"I am Jane Doe, {RIDING_NAME}.\n\n{SIGNATURE}"
    )
    assert mp.subject == minister.subject == demo.SUBJECT_EN.replace("{riding}", RIDING_NAME)


def test_an_edited_subject_goes_to_every_target_with_placeholders_filled_for_each(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    mp, minister = compose(campaign, targets, JANE, subject="Act now,  {mp_name}")
    assert mp.subject == "Act now, Chi Nguyen"
    assert minister.subject == "Act now, Lena Metlege Diab"
    template = _template(campaign, "en")
    assert template in mp.body and template in minister.body


def test_a_target_preferring_french_gets_the_french_template_when_the_letter_is_unedited(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    _minister(targets).preferred_language = "fr"
    subject, body = draft(campaign, targets, "en")
    # Re-flowing the text is not an edit.
    reflowed = body.replace("\n", " ").replace(". ", ".  ")
    mp, minister = compose(campaign, targets, JANE, subject=subject, body=reflowed)
    assert (mp.locale, minister.locale) == ("en", "fr")
    assert mp.body.startswith(f"Dear {MP},\n\nI live in {RIDING_NAME}, and I am writing")
    assert minister.to_name == MINISTER_FR
    assert minister.subject == demo.SUBJECT_FR.replace("{riding}", RIDING_NAME)
    greeting = translator("fr")("Dear %(name)s,") % {"name": "Lena Metlege Diab"}
    french = _template(campaign, "fr")
    assert minister.body.startswith(f"{greeting}\n\n{french}\n\n")
    assert "I live in" not in minister.body


def test_an_edited_letter_goes_in_the_supporter_language_even_to_a_french_speaker(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    _minister(targets).preferred_language = "fr"
    mp, minister = compose(campaign, targets, JANE, body="My own words to {mp_name}.")
    assert (mp.locale, minister.locale) == ("en", "en")
    assert minister.body.startswith(f"{MINISTER_DEAR}\n\nMy own words to Lena Metlege Diab.")
    assert minister.subject == demo.SUBJECT_EN.replace("{riding}", RIDING_NAME)


# -- Fingerprint ----------------------------------------------------------------------


def test_fingerprint_ignores_case_punctuation_and_spacing() -> None:
    one = fingerprint("Status for all", "Dear MP,\nPlease act now!\n\nThanks.", "")
    other = fingerprint("STATUS  for ALL!", "dear mp -- please,  act now\nthanks", "  ")
    assert one == other
    assert len(one) == 64 and int(one, 16) >= 0


def test_fingerprint_changes_with_a_personal_line_or_other_words() -> None:
    base = fingerprint("Status for all", "Please act now.", "")
    assert fingerprint("Status for all", "Please act now.", "My sister works on a farm.") != base
    assert fingerprint("Status for all", "Please act today.", "") != base
    assert fingerprint("Status for everyone", "Please act now.", "") != base


def test_fingerprint_tells_accented_words_apart() -> None:
    assert fingerprint("", "Côte", "") != fingerprint("", "Cote", "")


# -- mailto: links --------------------------------------------------------------------


def test_mailto_url_parses_back_to_the_same_recipient_subject_and_body(
    campaign: Campaign, targets: list[ResolvedTarget]
) -> None:
    _minister(targets).preferred_language = "fr"
    line = "Me & you = 1+1? #100% café; see https://example.org/?a=b&c=d"
    for letter in compose(campaign, targets, JANE, personal_line=line):
        url = mailto_url(letter)
        assert url.isascii()
        assert not any(ch in url for ch in " \n\r#")
        parts = urlsplit(url)
        assert parts.scheme == "mailto"
        assert unquote(parts.path) == letter.to_address
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
        assert query == {"subject": [letter.subject], "body": [letter.body]}
        assert line in query["body"][0]


# -- Targets with words of their own ---------------------------------------------------


@pytest.fixture
def own_words(db_session: Session, campaign: Campaign) -> list[ResolvedTarget]:
    """The MP (the campaign's words), then the Minister with her own words, as seeded."""
    return _targets(db_session, campaign)


def test_each_target_gets_its_own_subject_body_and_greeting(
    campaign: Campaign, own_words: list[ResolvedTarget]
) -> None:
    mp, minister = compose(campaign, own_words, JANE)
    target = own_words[1].target
    assert mp.subject == demo.SUBJECT_EN.replace("{riding}", RIDING_NAME)
    assert minister.subject == demo.MINISTER_SUBJECT_EN.replace("{riding}", RIDING_NAME)
    own_body = target.email_body_en.replace("{riding}", RIDING_NAME).strip()
    # The demo's form of address is written for whoever holds the post.
    assert minister.body == f"Dear Minister,\n\n{own_body}\n\n{SIGNATURE}"
    assert mp.body.startswith(f"Dear {MP},\n\n{_template(campaign, 'en')}")


def test_a_french_letter_to_the_minister_opens_with_madame_la_ministre(
    campaign: Campaign, own_words: list[ResolvedTarget]
) -> None:
    french = Supporter(name="Jeanne", postal_code="M5V 3L9", city="", locale="fr")
    own_words[1].target.address_fr = "Madame la Ministre"  # a lead's choice for this holder
    mp, minister = compose(campaign, own_words, french)
    assert mp.body.startswith(f"Bonjour {MP},\n\n")
    assert minister.body.startswith("Madame la Ministre,\n\nJ'habite dans Spadina—Harbourfront")
    assert minister.subject.endswith("vous demande d'agir")


def test_an_edited_draft_goes_to_targets_sharing_it_and_others_keep_their_own_words(
    campaign: Campaign, own_words: list[ResolvedTarget]
) -> None:
    subject, _ = draft(campaign, own_words, "en")
    mp, minister = compose(
        campaign, own_words, JANE, subject=subject, body="My own words to {mp_name}."
    )
    assert mp.body == f"Dear {MP},\n\nMy own words to Chi Nguyen.\n\n{SIGNATURE}"
    assert "My own words" not in minister.body
    assert minister.subject == demo.MINISTER_SUBJECT_EN.replace("{riding}", RIDING_NAME)


def test_a_letter_that_opens_with_the_salutation_is_not_greeted_twice(
    campaign: Campaign, own_words: list[ResolvedTarget]
) -> None:
    own_words[1].target.email_body_en = "{salutation}\n\nPlease act."
    letter = compose(campaign, own_words, JANE)[1]
    assert letter.body == f"Dear Minister,\n\nPlease act.\n\n{SIGNATURE}"
