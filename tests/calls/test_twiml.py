"""Click-to-call TwiML: every document parsed as XML, its verbs and attributes checked in order."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from twilio.twiml.voice_response import (
    VoiceResponse,
)

from callmp.calls import twiml
from callmp.calls.twiml import Voice, markdown_to_speech, spoken_digits, voice_for
from tests.support import twiml_doc
from tests.support.twiml_doc import said, tags

EN = voice_for("en")
FR = voice_for("fr")
GATHER_URL = "https://calls.example.org/t/gather?session=7&step=menu"
DIAL_URL = "https://calls.example.org/t/dialled?session=7&target=3"
NASTY = "\x00\x07\x1b\x0b\uffff"
CONTROL = [*NASTY, "\ud800", "\u202e"]

#: A few messages as the French catalogue might hold them.
FRENCH = {
    "Connecting you to %(name)s. Press star to hang up and move on.": (
        "Je vous mets en communication avec %(name)s. Appuyez sur étoile pour raccrocher "
        "et passer à la suite."
    ),
    "You will not be called again. Goodbye.": "Nous ne vous appellerons plus. Au revoir.",
}


def english(msgid: str) -> str:
    """No translation: the msgid itself, as gettext returns it for English."""
    return msgid


def french(msgid: str) -> str:
    """A dict-based stand-in for gettext bound to French."""
    return FRENCH.get(msgid, msgid)


def marked(msgid: str) -> str:
    """A translation that brackets every message, to show which text went through it."""
    return f"[[{msgid}]]"


def parse(document: str) -> ET.Element:
    """The document, which must carry its XML declaration, parsed with <Response> at the root."""
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return twiml_doc.parse(document)


def assert_voice(root: ET.Element, voice: Voice) -> None:
    """Every <Say> anywhere in the document speaks with ``voice`` and nothing else."""
    says = list(root.iter("Say"))
    assert says
    for say in says:
        assert say.attrib == {"voice": voice.voice, "language": voice.language}


def assert_menu(gather: ET.Element, prompt: str) -> None:
    """A one-key menu posting to GATHER_URL, falling through when no key is pressed."""
    assert gather.tag == "Gather"
    assert gather.attrib == {
        "numDigits": "1",
        "action": GATHER_URL,
        "method": "POST",
        "timeout": "8",
        "actionOnEmptyResult": "false",
    }
    assert tags(gather) == ["Say"]
    assert said(gather) == [prompt]


MENU = (
    "Press 1 to be connected. Press 2 to hear the talking points. "
    "Press 9 if you never want to be called again."
)
NO_CHOICE = "We did not hear a choice. Thank you for your time. Goodbye."
THANKS = "Thank you for making your voice heard. Goodbye."


def dial(**overrides: object) -> str:
    """connect() with sensible arguments, any of them overridden."""
    arguments: dict[str, object] = {
        "target_label": "Jane Doe, MP for Ottawa Centre",
        "number": "+16135550123",
        "send_digits": "ww123#",
        "caller_id": "+16135550100",
        "time_limit": 900,
        "dial_timeout": 30,
        "action_url": DIAL_URL,
        "voice": EN,
        "translate": english,
    }
    arguments.update(overrides)
    return twiml.connect(**arguments)  # type: ignore[arg-type]


# -- voices --------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["fr", "fr_CA", "fr-CA", "FR"])
def test_voice_for_french_locales_is_french_canadian(locale: str) -> None:
    voice = voice_for(locale)
    assert voice == Voice(language="fr-CA", voice="Polly.Gabrielle-Neural")


@pytest.mark.parametrize("locale", ["en", "en_CA", "", "de", "francais"])
def test_voice_for_other_locales_is_english(locale: str) -> None:
    assert voice_for(locale) == Voice(language="en-US", voice="Polly.Joanna-Neural")


def test_voice_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        EN.voice = "man"  # type: ignore[misc]


# -- markdown_to_speech --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "speech"),
    [
        ("This is **very** _important_", "This is very important."),
        ("Read [the bill](https://example.org/c-21) today", "Read the bill today."),
        ("Visit <https://example.org>", "Visit https://example.org."),
        ("- Fund transit\n- Hire drivers!\n\n1. Act now", "Fund transit. Hire drivers! Act now."),
        ("# Why it matters\nBuses are full", "Why it matters. Buses are full."),
        ("## Ask:\n\n* one\n  * nested", "Ask: one. nested."),
        ("Line one\nline   two\n\n\n   Next\tparagraph", "Line one line two. Next paragraph."),
        ('Is it fair?\n\nShe said "stop."', 'Is it fair? She said "stop."'),
        ("> Quoted *words*", "Quoted words."),
        ("Bill `C-21` and ![a chart of *riders*](chart.png)", "Bill C-21 and a chart of riders."),
        ("Not <b>HTML</b>", "Not <b>HTML</b>."),
        ("```\nfirst\nsecond\n```", "first. second."),
        ("---\n\n   \n", ""),
        ("", ""),
    ],
)
def test_markdown_to_speech(markdown: str, speech: str) -> None:
    assert markdown_to_speech(markdown) == speech


def test_markdown_to_speech_drops_control_characters_raw_and_as_entities() -> None:
    speech = markdown_to_speech(f"Ring{NASTY} the &#7;bell &#x1b;now")
    assert not any(ch in speech for ch in CONTROL)
    assert speech.startswith("Ring the ")


# -- greeting ------------------------------------------------------------------------------


def test_greeting_says_intro_then_menu_then_goodbye() -> None:
    root = parse(
        twiml.greeting(
            intro="Thanks for helping fund transit.",
            gather_url=GATHER_URL,
            voice=EN,
            translate=english,
        )
    )
    assert tags(root) == ["Say", "Gather", "Say", "Hangup"]
    assert said(root) == ["Thanks for helping fund transit.", NO_CHOICE]
    assert_menu(root[1], MENU)
    assert root[3].attrib == {}
    assert list(root[3]) == []
    assert_voice(root, EN)


def test_greeting_without_intro_has_no_empty_say() -> None:
    root = parse(
        twiml.greeting(intro=" \n\x07 ", gather_url=GATHER_URL, voice=EN, translate=english)
    )
    assert tags(root) == ["Gather", "Say", "Hangup"]


def test_greeting_keeps_ampersands_and_angle_brackets() -> None:
    intro = 'Tom & Jerry say <3 "transit" > cars; a&amp;b'
    root = parse(twiml.greeting(intro=intro, gather_url=GATHER_URL, voice=EN, translate=english))
    assert said(root)[0] == intro
    assert root[1].get("action") == GATHER_URL


# -- talking points ------------------------------------------------------------------------


def test_talking_points_reads_markdown_then_offers_menu_again() -> None:
    points = "## Our ask\n\n- **Fund** transit\n- Read [the plan](https://example.org)"
    root = parse(
        twiml.talking_points(points=points, gather_url=GATHER_URL, voice=FR, translate=english)
    )
    assert tags(root) == ["Say", "Gather", "Say", "Hangup"]
    assert said(root) == ["Our ask. Fund transit. Read the plan.", NO_CHOICE]
    assert_menu(root[1], MENU)
    assert_voice(root, FR)


def test_long_talking_points_are_split_between_sentences_under_the_say_limit() -> None:
    sentence = "Transit riders in Ottawa deserve reliable service every single day."
    points = " ".join([sentence] * 150)
    root = parse(
        twiml.talking_points(points=points, gather_url=GATHER_URL, voice=EN, translate=english)
    )
    chunks = said(root)[:-1]
    assert len(chunks) > 1
    assert all(len(chunk.encode()) <= twiml.SAY_LIMIT for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)
    assert " ".join(chunks) == points


def test_one_enormous_word_is_cut_on_character_boundaries() -> None:
    word = "é" * 4000
    root = parse(
        twiml.talking_points(points=word, gather_url=GATHER_URL, voice=EN, translate=english)
    )
    chunks = said(root)[:-1]
    assert all(len(chunk.encode()) <= twiml.SAY_LIMIT for chunk in chunks)
    assert "".join(chunks) == word + "."


# -- connect -------------------------------------------------------------------------------


def test_connect_announces_then_dials_with_star_to_hang_up() -> None:
    root = parse(dial())
    assert tags(root) == ["Say", "Dial"]
    assert said(root) == [
        "Connecting you to Jane Doe, MP for Ottawa Centre. Press star to hang up and move on."
    ]
    assert_voice(root, EN)
    call = root[1]
    assert call.attrib == {
        "callerId": "+16135550100",
        "timeLimit": "900",
        "timeout": "30",
        "hangupOnStar": "true",
        "action": DIAL_URL,
        "method": "POST",
    }
    assert call.text is None
    assert tags(call) == ["Number"]
    assert call[0].attrib == {"sendDigits": "ww123#"}
    assert call[0].text == "+16135550123"


@pytest.mark.parametrize("send_digits", [None, ""])
def test_connect_without_extension_has_no_send_digits(send_digits: str | None) -> None:
    number = parse(dial(send_digits=send_digits))[1][0]
    assert number.attrib == {}
    assert number.text == "+16135550123"


@pytest.mark.parametrize(
    "overrides",
    [
        {"number": "613-555-0123"},
        {"number": "+1613555012\x00"},
        {"caller_id": ""},
        {"send_digits": "12<3"},
        {"send_digits": "1\x0b"},
        {"time_limit": 0},
        {"dial_timeout": -5},
    ],
)
def test_connect_rejects_bad_numbers_digits_and_limits(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dial(**overrides)


def test_connect_label_with_markup_and_control_characters() -> None:
    root = parse(dial(target_label=f"Hon. Jane <Doe> & Co{NASTY}"))
    assert said(root)[0].startswith("Connecting you to Hon. Jane <Doe> & Co. Press star")


def test_connect_in_french_uses_the_catalogue_and_the_french_voice() -> None:
    root = parse(dial(voice=FR, translate=french, target_label="Jeanne Dupont"))
    assert said(root) == [
        "Je vous mets en communication avec Jeanne Dupont. Appuyez sur étoile pour raccrocher "
        "et passer à la suite."
    ]
    assert_voice(root, FR)


# -- next target, goodbye, blocked, no number ----------------------------------------------


def test_next_target_names_it_and_asks_for_1() -> None:
    root = parse(
        twiml.next_target(
            target_label="Senator Roe", gather_url=GATHER_URL, voice=EN, translate=english
        )
    )
    assert tags(root) == ["Say", "Gather", "Say", "Hangup"]
    assert said(root) == ["Next: Senator Roe.", THANKS]
    assert_menu(root[1], "Press 1 to be connected, or hang up to stop.")
    assert_voice(root, EN)


def test_goodbye_thanks_and_hangs_up() -> None:
    root = parse(twiml.goodbye(voice=FR, translate=english))
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == [THANKS]
    assert_voice(root, FR)


def test_blocked_confirms_and_hangs_up() -> None:
    root = parse(twiml.blocked(voice=EN, translate=english))
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == ["You will not be called again. Goodbye."]
    french_root = parse(twiml.blocked(voice=FR, translate=french))
    assert said(french_root) == ["Nous ne vous appellerons plus. Au revoir."]


def test_no_number_apologises_then_says_goodbye() -> None:
    root = parse(twiml.no_number(target_label="Jane & Joe", voice=EN, translate=english))
    assert tags(root) == ["Say", "Say", "Hangup"]
    assert said(root) == [
        "Sorry, we have no phone number for Jane & Joe.",
        "Thank you for your time. Goodbye.",
    ]
    assert_voice(root, EN)


# -- fallback ------------------------------------------------------------------------------


def test_fallback_reads_office_number_digit_by_digit() -> None:
    root = parse(
        twiml.fallback(office_number_spoken="+1 613-555-0123", voice=EN, translate=english)
    )
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == [
        "Sorry, something went wrong. You can call the office directly at 1, 6 1 3, 5 5 5, 0 1 2 3."
    ]
    assert_voice(root, EN)


@pytest.mark.parametrize("office", [None, "", "unknown", NASTY])
def test_fallback_without_number_asks_to_try_later(office: str | None) -> None:
    root = parse(twiml.fallback(office_number_spoken=office, voice=EN, translate=english))
    assert tags(root) == ["Say", "Hangup"]
    assert said(root) == ["Sorry, something went wrong. Please try again later."]


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("6135550123", "6 1 3, 5 5 5, 0 1 2 3"),
        ("+16135550123", "1, 6 1 3, 5 5 5, 0 1 2 3"),
        ("(613) 555-0123", "6 1 3, 5 5 5, 0 1 2 3"),
        ("+44 20 7946 0000", "4 4, 2 0, 7 9 4 6, 0 0 0 0"),
        ("６１３５５５０１２３", "6 1 3, 5 5 5, 0 1 2 3"),
        ("no digits", ""),
    ],
)
def test_spoken_digits(number: str, spoken: str) -> None:
    assert spoken_digits(number) == spoken


# -- every document: translation and control characters -------------------------------------

Builder = Callable[[Callable[[str], str], str], str]

#: Each builder with organiser/data text ``text``; the value is how many of its <Say>
#: elements carry organiser text rather than an interface message.
BUILDERS: dict[str, tuple[Builder, int]] = {
    "greeting": (
        lambda t, text: twiml.greeting(intro=text, gather_url=GATHER_URL, voice=EN, translate=t),
        1,
    ),
    "talking_points": (
        lambda t, text: twiml.talking_points(
            points=f"- {text}\n- *two*", gather_url=GATHER_URL, voice=EN, translate=t
        ),
        1,
    ),
    "connect": (lambda t, text: dial(target_label=text, translate=t), 0),
    "next_target": (
        lambda t, text: twiml.next_target(
            target_label=text, gather_url=GATHER_URL, voice=EN, translate=t
        ),
        0,
    ),
    "goodbye": (lambda t, text: twiml.goodbye(voice=EN, translate=t), 0),
    "blocked": (lambda t, text: twiml.blocked(voice=EN, translate=t), 0),
    "no_number": (lambda t, text: twiml.no_number(target_label=text, voice=EN, translate=t), 0),
    "fallback": (
        lambda t, text: twiml.fallback(
            office_number_spoken=f"613 555 0123{text}", voice=EN, translate=t
        ),
        0,
    ),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_every_spoken_interface_string_goes_through_translate(name: str) -> None:
    build, organiser_says = BUILDERS[name]
    says = [say.text or "" for say in parse(build(marked, "Jane Doe")).iter("Say")]
    interface = says[organiser_says:]
    assert interface
    assert all(text.startswith("[[") and text.endswith("]]") for text in interface)
    assert not any("[[" in text for text in says[:organiser_says])


@pytest.mark.parametrize("name", BUILDERS)
def test_control_characters_never_reach_the_xml(name: str) -> None:
    build, _ = BUILDERS[name]
    document = build(english, f"Jane{NASTY}\ud800\u202e Doe & <Co>")
    assert not any(ch in document for ch in CONTROL)
    root = parse(document)
    texts = [say.text or "" for say in root.iter("Say")]
    if name not in ("goodbye", "blocked", "fallback"):
        assert any("Jane Doe & <Co>" in text for text in texts)


def test_sdk_alone_passes_control_characters_into_unparsable_xml() -> None:
    response = VoiceResponse()
    response.say("Hello\x07")
    document = str(response)
    assert "\x07" in document
    with pytest.raises(ET.ParseError):
        ET.fromstring(document)  # noqa: S314 - the SDK's output, to show the hazard


def test_broken_translation_falls_back_to_english() -> None:
    def broken(msgid: str) -> str:
        return "Connexion à %(nom)s." if "%(name)s" in msgid else msgid

    root = parse(dial(translate=broken, target_label="Jane Doe"))
    assert said(root)[0].startswith("Connecting you to Jane Doe.")


def test_blanks_to_fill_in_aloud_become_pauses() -> None:
    spoken = twiml.markdown_to_speech("My name is ___ and my postal code is _____.")
    assert spoken == "My name is … and my postal code is …."


def test_talking_points_are_turned_into_speech_once_per_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pressing 2 again, on any call with the same words, parses nothing again."""
    parsed: list[str] = []
    real = twiml._markdown

    def counting() -> Any:
        parser = real()
        parse = parser.parse

        def counted(text: str, env: Any = None) -> Any:
            parsed.append(text)
            return parse(text, env)

        parser.parse = counted  # type: ignore[method-assign,assignment]
        return parser

    monkeypatch.setattr(twiml, "_markdown", counting)
    text = f"# Ask {len(parsed)} for the bill\n\n- one\n- two ({id(parsed)})"
    first = twiml.markdown_to_speech(text)
    assert parsed
    seen = len(parsed)
    assert twiml.markdown_to_speech(text) == first
    assert len(parsed) == seen
    assert twiml.markdown_to_speech(text + "\n- three").endswith("three.")
    assert len(parsed) > seen
