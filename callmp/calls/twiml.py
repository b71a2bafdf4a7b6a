"""TwiML documents for the click-to-call flow, built with the Twilio SDK's ``VoiceResponse``.

``VoiceResponse`` escapes ``&`` and ``<`` but passes control characters through, and Twilio
rejects such XML, so every piece of organiser or data text goes through ``strip_control``
here. Spoken interface strings are English msgids marked with ``N_``; each builder takes
``translate`` (gettext bound to the call's language), which keeps this module Flask-free.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from twilio.twiml.voice_response import (
    VoiceResponse,
)

from callmp.i18n import N_
from callmp.templating import strip_control

Translate = Callable[[str], str]

_MENU = N_(
    "Press 1 to be connected. Press 2 to hear the talking points. "
    "Press 9 if you never want to be called again."
)
_NO_CHOICE = N_("We did not hear a choice. Thank you for your time. Goodbye.")
_CONNECTING = N_("Connecting you to %(name)s. Press star to hang up and move on.")
_NEXT = N_("Next: %(name)s.")
_NEXT_MENU = N_("Press 1 to be connected, or hang up to stop.")
_THANKS = N_("Thank you for making your voice heard. Goodbye.")
_BLOCKED = N_("You will not be called again. Goodbye.")
_NO_NUMBER = N_("Sorry, we have no phone number for %(name)s.")
_GOODBYE = N_("Thank you for your time. Goodbye.")
_FALLBACK_OFFICE = N_(
    "Sorry, something went wrong. You can call the office directly at %(number)s."
)
_FALLBACK_LATER = N_("Sorry, something went wrong. Please try again later.")

#: Seconds the menu waits for a key before falling through to the goodbye.
GATHER_TIMEOUT = 8
#: Twilio caps <Say> text at 3,000 single-byte characters for Polly voices (5,000 for Google;
#: warning 13521); longer speech is split into several <Say> elements below this size.
SAY_LIMIT = 2800
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# Digits, # and *, and w (half a second's pause); W (one second) as Twilio's REST API allows.
_SEND_DIGITS = re.compile(r"[0-9#*wW]+")
_BLANK = re.compile(r"_{2,}")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+")
_SENTENCE_END = frozenset(".!?…:;")
_CLOSERS = "\"')]»”’"


@dataclass(frozen=True)
class Voice:
    """A <Say> voice: the call's BCP-47 language and the Twilio voice that speaks it."""

    language: str
    voice: str


# Amazon Polly's neural voices: Gabrielle is a native French (Canadian) fr-CA voice. Polly
# has no English (Canadian) voice, so English uses the US neural voice Joanna with its own
# language tag: a voice paired with a language it doesn't speak is an error at Twilio.
ENGLISH = Voice(language="en-US", voice="Polly.Joanna-Neural")
FRENCH = Voice(language="fr-CA", voice="Polly.Gabrielle-Neural")


def voice_for(locale: str) -> Voice:
    """The voice for a supporter's locale: French Canadian for ``fr``, English otherwise."""
    return FRENCH if locale.replace("_", "-").split("-")[0].lower() == "fr" else ENGLISH


# -- Speech text -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The Markdown parser: CommonMark, raw HTML disabled (it stays literal text)."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def _inline_text(tokens: list[Token]) -> str:
    """Plain text of inline tokens: emphasis markers dropped, links and images keep text."""
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_inline_text(token.children or []))
    return "".join(parts)


def _plain(text: str) -> str:
    """One line of clean text: control characters removed, whitespace collapsed."""
    return " ".join(strip_control(text).split())


def _sentence(text: str) -> str:
    """``text`` as one spoken sentence, ending in punctuation so the voice pauses."""
    text = _plain(text)
    if not text or text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END:
        return text
    return f"{text}."


@lru_cache(maxsize=512)
def markdown_to_speech(text: str) -> str:
    """Organiser Markdown as plain sentences: headings and list items become sentences.

    Kept per process (a call's talking points and intro are campaign text filled with the
    target's name and riding, never a supporter's data): pressing 2 used to parse them
    again on every press."""
    sentences: list[str] = []
    for token in _markdown().parse(strip_control(text)):
        if token.type == "inline":
            # A blank for the caller to fill in aloud ("my name is ___") becomes a pause.
            inline = _BLANK.sub("…", _inline_text(token.children or []))
            sentences.append(_sentence(inline))
        elif token.type in ("code_block", "fence"):
            sentences.extend(_sentence(line) for line in token.content.splitlines())
    return " ".join(sentence for sentence in sentences if sentence)


def spoken_digits(number: str) -> str:
    """A phone number read digit by digit: digits split by spaces, groups by commas."""
    spaced = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else " " for ch in number)
    digits = spaced.replace(" ", "")
    if len(digits) == 11 and digits.startswith("1"):
        groups = [digits[0], digits[1:4], digits[4:7], digits[7:]]
    elif len(digits) == 10:
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        groups = spaced.split()
    return ", ".join(" ".join(group) for group in groups)


def _size(text: str) -> int:
    """Length in UTF-8 bytes, the unit of Twilio's <Say> limits."""
    return len(text.encode("utf-8"))


def _pieces(text: str, limit: int) -> Iterator[str]:
    """Sentences of ``text``; any longer than ``limit`` are cut at spaces, then anywhere."""
    for sentence in _SENTENCE_BREAK.split(text):
        if _size(sentence) <= limit:
            yield sentence
            continue
        for word in sentence.split(" "):
            while _size(word) > limit:
                head = word.encode("utf-8")[:limit].decode("utf-8", "ignore")
                yield head
                word = word[len(head) :]
            yield word


def _chunks(text: str, limit: int = SAY_LIMIT) -> list[str]:
    """``text`` in as few pieces as fit in one <Say> each, split between sentences."""
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        candidate = f"{current} {piece}" if current else piece
        if _size(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _message(translate: Translate, msgid: str, **values: str) -> str:
    """``msgid`` translated with placeholders filled; a broken translation falls back to it."""
    text = translate(msgid)
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return msgid % values


# -- Building documents ------------------------------------------------------------------


def _say(parent: Any, text: str, voice: Voice) -> None:
    """Append clean <Say> elements for ``text``; nothing for empty text (Twilio warns)."""
    for chunk in _chunks(_plain(text)):
        parent.say(chunk, voice=voice.voice, language=voice.language)


def _menu(response: Any, *, gather_url: str, prompt: str, farewell: str, voice: Voice) -> None:
    """A one-key <Gather> with its spoken prompt; with no key, ``farewell`` and hang up."""
    gather = response.gather(
        num_digits=1,
        action=strip_control(gather_url),
        method="POST",
        timeout=GATHER_TIMEOUT,
        action_on_empty_result=False,
    )
    _say(gather, prompt, voice)
    _say(response, farewell, voice)
    response.hangup()


def _xml(response: Any) -> str:
    """The document as a string, with its XML declaration."""
    return str(response.to_xml())


def greeting(*, intro: str, gather_url: str, voice: Voice, translate: Translate) -> str:
    """The campaign intro, then the 1/2/9 menu; hang up politely when no key is pressed."""
    response = VoiceResponse()
    _say(response, intro, voice)
    _menu(
        response,
        gather_url=gather_url,
        prompt=_message(translate, _MENU),
        farewell=_message(translate, _NO_CHOICE),
        voice=voice,
    )
    return _xml(response)


def talking_points(
    *,
    points: str,
    gather_url: str,
    voice: Voice,
    translate: Translate,
    speech: str | None = None,
) -> str:
    """The talking points (Markdown read as sentences), then the same menu again.

    ``speech``: ``markdown_to_speech(points)``, when the caller keeps it already.
    """
    response = VoiceResponse()
    _say(response, markdown_to_speech(points) if speech is None else speech, voice)
    _menu(
        response,
        gather_url=gather_url,
        prompt=_message(translate, _MENU),
        farewell=_message(translate, _NO_CHOICE),
        voice=voice,
    )
    return _xml(response)


def connect(
    *,
    target_label: str,
    number: str,
    send_digits: str | None,
    caller_id: str,
    time_limit: int,
    dial_timeout: int,
    action_url: str,
    voice: Voice,
    translate: Translate,
    notes: Sequence[str] = (),
) -> str:
    """Say ``notes``, announce the target, then dial; star hangs up and moves on to the next."""
    for name, value in (("number", number), ("caller_id", caller_id)):
        if not _E164.fullmatch(value):
            raise ValueError(f"{name} must be an E.164 phone number")
    if send_digits and not _SEND_DIGITS.fullmatch(send_digits):
        raise ValueError("send_digits may hold only digits, #, * and w/W pauses")
    if time_limit < 1 or dial_timeout < 1:
        raise ValueError("time_limit and dial_timeout must be positive")
    response = VoiceResponse()
    for note in notes:
        _say(response, note, voice)
    _say(response, _message(translate, _CONNECTING, name=_plain(target_label)), voice)
    dial = response.dial(
        caller_id=caller_id,
        time_limit=time_limit,
        timeout=dial_timeout,
        hangup_on_star=True,
        action=strip_control(action_url),
        method="POST",
    )
    dial.number(number, send_digits=send_digits or None)
    return _xml(response)


def next_target(
    *,
    target_label: str,
    gather_url: str,
    voice: Voice,
    translate: Translate,
    notes: Sequence[str] = (),
) -> str:
    """Say ``notes``, name the next target and ask for 1 to connect; no key ends the call."""
    response = VoiceResponse()
    for note in notes:
        _say(response, note, voice)
    _say(response, _message(translate, _NEXT, name=_plain(target_label)), voice)
    _menu(
        response,
        gather_url=gather_url,
        prompt=_message(translate, _NEXT_MENU),
        farewell=_message(translate, _THANKS),
        voice=voice,
    )
    return _xml(response)


def goodbye(*, voice: Voice, translate: Translate, notes: Sequence[str] = ()) -> str:
    """Say ``notes``, thank the supporter and hang up."""
    response = VoiceResponse()
    for note in notes:
        _say(response, note, voice)
    _say(response, _message(translate, _THANKS), voice)
    response.hangup()
    return _xml(response)


def blocked(*, voice: Voice, translate: Translate) -> str:
    """Confirm the number will not be called again, and hang up."""
    response = VoiceResponse()
    _say(response, _message(translate, _BLOCKED), voice)
    response.hangup()
    return _xml(response)


def no_number(*, target_label: str, voice: Voice, translate: Translate) -> str:
    """Apologise that the target has no phone number, say goodbye and hang up."""
    response = VoiceResponse()
    _say(response, _message(translate, _NO_NUMBER, name=_plain(target_label)), voice)
    _say(response, _message(translate, _GOODBYE), voice)
    response.hangup()
    return _xml(response)


def fallback(*, office_number_spoken: str | None, voice: Voice, translate: Translate) -> str:
    """For Twilio's fallback URL (no database): apologise, offer the office number, hang up."""
    digits = spoken_digits(strip_control(office_number_spoken or ""))
    response = VoiceResponse()
    if digits:
        _say(response, _message(translate, _FALLBACK_OFFICE, number=digits), voice)
    else:
        _say(response, _message(translate, _FALLBACK_LATER), voice)
    response.hangup()
    return _xml(response)
