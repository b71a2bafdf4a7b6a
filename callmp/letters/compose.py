"""Supporters' letters: clean what they typed, and compose one letter per target.

Pure functions: no Flask, no database. A letter is the campaign's template (or the
supporter's edit of it) with placeholders filled for each target, framed by a greeting
and a signature that shows the supporter's postal code and riding, because MP offices
set aside mail that doesn't show it comes from their riding.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from callmp.campaigns import address_forms
from callmp.campaigns.targets import ResolvedTarget, display_name, placeholder_values
from callmp.directory import languages
from callmp.directory.email_addresses import AddressError, clean_address
from callmp.i18n import N_, InputError, translator
from callmp.models import Campaign, Person
from callmp.templating import fill, one_line, strip_control

NAME_MAX = 100
CITY_MAX = 100
SUBJECT_MAX = 200
BODY_MAX = 8000
PERSONAL_LINE_MAX = 1000
EMAIL_MAX = 254

#: Address syntax, which has no place in a name shown in ``From:`` and ``Reply-To:``;
#: "=?" starts an RFC 2047 encoded word, which mail programs would decode.
NAME_FORBIDDEN = ("<", ">", "@", '"', "\\", ";", ":", "=?")


class LetterError(InputError):
    """Input for a letter that we refuse; ``reason`` names the field."""


def _one_line(raw: str | None, field: str, maximum: int, required_message: str | None) -> str:
    """A header-safe line: NFC, no line breaks or control characters, spaces collapsed."""
    if "\r" in (raw or "") or "\n" in (raw or ""):
        raise LetterError(field, N_("Please keep this on one line."))
    text = one_line(raw)
    if not text and required_message:
        raise LetterError(field, required_message)
    if len(text) > maximum:
        raise LetterError(
            field, N_("Please keep this under %(n)s characters."), {"n": str(maximum)}
        )
    return text


def clean_name(raw: str | None) -> str:
    """The supporter's name as it will appear in ``From:`` and the signature."""
    name = _one_line(raw, "name", NAME_MAX, N_("Please enter your name."))
    if not any(ch.isalpha() for ch in name):
        raise LetterError("name", N_("Please enter your name."))
    # NFKC folds look-alikes (full-width "＠", "＜") into the characters they imitate.
    folded = unicodedata.normalize("NFKC", name)
    if any(part in folded for part in NAME_FORBIDDEN):
        raise LetterError(
            "name",
            N_("Please write your name without these characters: %(chars)s"),
            {"chars": " ".join(NAME_FORBIDDEN)},
        )
    return name


def clean_city(raw: str | None) -> str:
    """The supporter's city or town (optional)."""
    return _one_line(raw, "city", CITY_MAX, None)


def clean_subject(raw: str | None) -> str:
    """A subject line the supporter edited."""
    return _one_line(raw, "subject", SUBJECT_MAX, N_("Please give your letter a subject."))


def clean_email(raw: str | None) -> str:
    """The supporter's address, checked for form only (never a network lookup)."""
    text = (raw or "").strip()
    if not text:
        raise LetterError("email", N_("Please enter your email address."))
    if len(text) > EMAIL_MAX or any(ch in text for ch in "\r\n"):
        raise LetterError("email", N_("Please enter a valid email address."))
    try:
        return clean_address(text)
    except AddressError:
        raise LetterError("email", N_("Please enter a valid email address.")) from None


def _text(raw: str | None, field: str, maximum: int) -> str:
    """Multi-line text: NFC, Unix line breaks, no control characters, trimmed."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = strip_control(text).strip()
    if len(text) > maximum:
        raise LetterError(
            field, N_("Please keep this under %(n)s characters."), {"n": str(maximum)}
        )
    return text


def clean_body(raw: str | None) -> str:
    """The letter's text as the supporter edited it."""
    body = _text(raw, "body", BODY_MAX)
    if not body:
        raise LetterError("body", N_("Your letter is empty."))
    return body


def clean_personal_line(raw: str | None, required: bool) -> str:
    """The supporter's own words, added after the campaign's text."""
    line = _text(raw, "personal_line", PERSONAL_LINE_MAX)
    if required and not line:
        raise LetterError(
            "personal_line", N_("Please add a line in your own words: offices read those.")
        )
    return line


def letter_locale(person: Person | None, supporter_locale: str) -> str:
    """The target's preferred language where we know it, otherwise the supporter's."""
    preferred = (person.preferred_language if person else "").strip().lower()
    if languages.both_languages(preferred):
        return "fr" if supporter_locale == "fr" else "en"
    if preferred.startswith(("fr", "french", "français")):
        return "fr"
    if preferred.startswith(("en", "english", "anglais")):
        return "en"
    return "fr" if supporter_locale == "fr" else "en"


@dataclass(frozen=True)
class Supporter:
    """Who writes: what the letter says about them."""

    name: str
    postal_code: str
    city: str
    locale: str


@dataclass(frozen=True)
class Letter:
    """One letter to one target, exactly as it will be sent."""

    item: ResolvedTarget
    locale: str
    to_name: str
    to_address: str
    subject: str
    body: str


#: Placeholders about the supporter: left as written in the editable draft, which is
#: shown before we know them, and filled in the letter itself.
SUPPORTER_PLACEHOLDERS = (
    "supporter_name",
    "supporter_postal_code",
    "supporter_city",
    "postal_code",
)


def _values(
    campaign: Campaign, item: ResolvedTarget, supporter: Supporter | None, locale: str
) -> dict[str, str]:
    """Placeholder values for one target, in the letter's language (None: the draft)."""
    translate = translator(locale)
    values = placeholder_values(
        campaign, item, supporter.postal_code if supporter else "", locale, translate
    )
    if supporter is None:
        for name in SUPPORTER_PLACEHOLDERS:
            values.pop(name, None)
    else:
        values["supporter_name"] = supporter.name
        values["supporter_city"] = supporter.city
    return values


def template_sources(item: ResolvedTarget, locale: str) -> tuple[str, str]:
    """The (subject, body) a target's letter starts from: its own words, else the campaign's."""
    return item.target.words("email_subject", locale), item.target.words("email_body", locale)


def template_texts(
    campaign: Campaign, item: ResolvedTarget, supporter: Supporter | None, locale: str
) -> tuple[str, str]:
    """The target's (subject, body) filled in for it; ``supporter=None``: the draft."""
    return _filled(item, locale, _values(campaign, item, supporter, locale))


def _filled(item: ResolvedTarget, locale: str, values: dict[str, str]) -> tuple[str, str]:
    """The target's (subject, body) with ``values`` in its placeholders."""
    subject_source, body_source = template_sources(item, locale)
    return one_line(fill(subject_source, values)), fill(body_source, values).strip()


def _same(a: str, b: str) -> bool:
    """True when two texts differ at most in spacing."""
    return " ".join(a.split()) == " ".join(b.split())


def greeting(item: ResolvedTarget, body: str, locale: str, salutation: str | None = None) -> str:
    """The line a letter to ``item`` opens with ("Dear Minister Metlege Diab,").

    Empty when the text already opens with it (the lead wrote ``{salutation}`` first).
    ``salutation``: the target's, when the caller has it already.
    """
    if salutation is None:
        salutation = address_forms.address(item, locale, translator(locale)).salutation
    return "" if body.lstrip().startswith(salutation) else salutation


def _frame(
    body: str,
    personal_line: str,
    item: ResolvedTarget,
    supporter: Supporter,
    locale: str,
    salutation: str,
) -> str:
    """Greeting, the letter, the supporter's own line, and a signature showing the riding."""
    translate = translator(locale)
    riding = item.candidate.riding.name(locale) if item.candidate else ""
    where = ", ".join(part for part in (supporter.city, supporter.postal_code, riding) if part)
    signature = translate(N_("Sincerely,")) + "\n" + supporter.name
    parts = [greeting(item, body, locale, salutation), body, personal_line, signature]
    text = "\n\n".join(part for part in parts if part)
    return text + ("\n" + where if where else "") + "\n"


def recipients(targets: Sequence[ResolvedTarget]) -> list[ResolvedTarget]:
    """The targets a letter can go to: a person with an email address."""
    return [t for t in targets if t.person is not None and t.email]


def draft(campaign: Campaign, targets: Sequence[ResolvedTarget], locale: str) -> tuple[str, str]:
    """The (subject, body) the supporter starts from: the template for the first recipient."""
    reachable = recipients(targets)
    if not reachable:
        return "", ""
    return template_texts(campaign, reachable[0], None, locale)


def own_letters(targets: Sequence[ResolvedTarget], locale: str) -> list[ResolvedTarget]:
    """The recipients whose letter is not the draft: they have words of their own.

    The supporter's edits of the draft go to the others only (see ``compose``).
    """
    reachable = recipients(targets)
    if not reachable:
        return []
    shared = template_sources(reachable[0], locale)
    return [item for item in reachable[1:] if template_sources(item, locale) != shared]


def redraft(
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    subject: str,
    body: str,
    locale: str,
    locales: Sequence[str],
) -> tuple[str, str]:
    """The subject and body after a switch to ``locale``: each text the supporter left as
    another language's draft becomes this language's draft; their own words stay."""
    new_subject, new_body = draft(campaign, targets, locale)
    for other in locales:
        if other == locale:
            continue
        old_subject, old_body = draft(campaign, targets, other)
        if old_subject and _same(subject, old_subject):
            subject = new_subject
        if old_body and _same(body, old_body):
            body = new_body
    return subject, body


def compose(
    campaign: Campaign,
    targets: Sequence[ResolvedTarget],
    supporter: Supporter,
    *,
    subject: str | None = None,
    body: str | None = None,
    personal_line: str = "",
    shown: tuple[str, str] | None = None,
) -> list[Letter]:
    """One letter per target with an address, in each target's language.

    An edited subject or body (one that differs from the template as the supporter saw it
    for the first target) is sent, with its placeholders filled for each, to every target
    whose letter starts from the same text; a target with its own words gets its own
    letter (the preview shows each one before it is sent). ``shown``: the draft in the
    supporter's language (``draft``), when the caller has it already.
    """
    reachable = recipients(targets)
    if not reachable:
        return []
    first = reachable[0]
    shown_subject, shown_body = shown or template_texts(campaign, first, None, supporter.locale)
    edited_subject = subject if subject is not None and not _same(subject, shown_subject) else None
    edited_body = body if body is not None and not _same(body, shown_body) else None
    shared = template_sources(first, supporter.locale)
    letters = []
    for item in reachable:
        assert item.person is not None  # filtered above
        edited = (edited_subject or edited_body) and template_sources(
            item, supporter.locale
        ) == shared
        locale = supporter.locale if edited else letter_locale(item.person, supporter.locale)
        values = _values(campaign, item, supporter, locale)
        own_subject, own_body = _filled(item, locale, values)
        if edited and edited_subject:
            own_subject = one_line(fill(edited_subject, values))
        if edited and edited_body:
            own_body = fill(edited_body, values)
        letters.append(
            Letter(
                item=item,
                locale=locale,
                to_name=display_name(item.person, translator(locale)),
                to_address=item.email,
                subject=own_subject,
                body=_frame(own_body, personal_line, item, supporter, locale, values["salutation"]),
            )
        )
    return letters


_WORDS = re.compile(r"\w+")


def fingerprint(subject: str, body: str, personal_line: str) -> str:
    """A hash of the letter's words (case and punctuation aside): same words, same hash."""
    words = _WORDS.findall(f"{subject}\n{body}\n{personal_line}".casefold())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def mailto_url(letter: Letter) -> str:
    """A ``mailto:`` link that opens the supporter's own mail app with this letter."""
    return "mailto:{}?subject={}&body={}".format(
        quote(letter.to_address, safe="@"),
        quote(letter.subject, safe=""),
        quote(letter.body, safe=""),
    )
