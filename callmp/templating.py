"""Safe rendering of organiser-written text: allow-listed placeholders and sanitised Markdown.

Organiser text is data, never a Jinja template. Placeholders look like ``{mp_name}``;
only names in ``PLACEHOLDERS`` are filled.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from urllib.parse import quote, urlsplit

import nh3
from cachetools import LRUCache
from markdown_it import MarkdownIt
from markdown_it.token import Token

from callmp.i18n import N_

#: Placeholder name -> untranslated description, shown to campaign leads.
PLACEHOLDERS: dict[str, str] = {
    "mp_name": N_("The target's full name"),
    "mp_honorific": N_("The target's honorific with name, e.g. Hon. Jane Doe"),
    "mp_first_name": N_("The target's first name"),
    "mp_last_name": N_("The target's last name"),
    "party": N_("The target's party"),
    "riding": N_("The supporter's riding"),
    "province": N_("The supporter's province or territory"),
    "postal_code": N_("The supporter's postal code"),
    "target_role": N_("Who the target is, e.g. your MP"),
    "form_of_address": N_(
        "How to address the target in a sentence, e.g. Minister Metlege Diab or Madame la "
        "Ministre (set per target; otherwise their name)"
    ),
    "salutation": N_(
        "The greeting that opens each letter, e.g. Dear Minister Metlege Diab, or Madame la "
        "Ministre, (letters start with it on their own)"
    ),
    "campaign_title": N_("The campaign's title"),
    "supporter_name": N_("The supporter's name (letters only)"),
    "supporter_postal_code": N_("The supporter's postal code"),
    "supporter_city": N_("The supporter's city or town, when they give it (letters only)"),
}

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# markdown-it percent-encodes braces in link destinations while parsing.
URL_PLACEHOLDER = re.compile(r"(?:\{|%7B)([a-z_]+)(?:\}|%7D)")
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}
URL_SCHEMES = {"https", "http", "mailto", "tel"}
URL_ATTRIBUTES = ("href", "src")
# Bidirectional embeddings and overrides can make text read differently from what it says.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _dropped(ch: str) -> bool:
    """True for characters that break HTML, XML (TwiML) or mail headers, or spoof text."""
    if ch in "\n\t":
        return False
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
        return True
    codepoint = ord(ch)
    # Noncharacters: U+FDD0..U+FDEF and the last two code points of every plane.
    return (
        0xFDD0 <= codepoint <= 0xFDEF
        or (codepoint & 0xFFFE) == 0xFFFE
        or (category == "Cf" and ch in "\u200b\ufeff")
    )


#: Every character ``_dropped`` is true for, as one character class (checked against it
#: over all of Unicode in tests/test_templating.py): one regex pass instead of a Python
#: call per character, which was a fifth of a letter's cost.
_DROPPED = re.compile(
    "["
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # Cc but tab and newline
    "\ud800-\udfff"  # Cs
    + "".join(sorted(_BIDI_CONTROLS))
    + "\u200b\ufeff\ufdd0-\ufdef"
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
    + "]"
)


def strip_control(text: str) -> str:
    """Remove control characters (except newline and tab), noncharacters and bidi overrides.

    Joiners (U+200C, U+200D) and the soft hyphen stay: scripts and emoji need them.
    """
    return _DROPPED.sub("", text)


# Any whitespace but the no-break spaces French typography puts before : ; ? ! and in « ».
_COLLAPSED_SPACE = re.compile(r"[^\S\u00a0\u202f]+")


def one_line(text: str | None) -> str:
    """Text as one clean line: NFC, control characters dropped, whitespace collapsed.

    No-break spaces stay: "Ma demande\u00a0:" must not become "Ma demande :".
    """
    clean = strip_control(unicodedata.normalize("NFC", text or ""))
    return _COLLAPSED_SPACE.sub(" ", clean).strip(" ")


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that are not in the allow-list, in order of appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def _substitute(
    pattern: re.Pattern[str], text: str, values: Mapping[str, str], encode: bool
) -> str:
    """Replace allow-listed placeholders that have a value; others stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS or name not in values:
            return match.group(0)
        value = one_line(values[name])
        return quote(value, safe="@+:/") if encode else value

    return pattern.sub(replace, text)


def fill(text: str, values: Mapping[str, str]) -> str:
    """Plain text with allow-listed placeholders filled (for subjects, speech, previews)."""
    return _substitute(PLACEHOLDER, strip_control(text), values, encode=False)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The Markdown parser: CommonMark, raw HTML disabled."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def _safe_url(url: str) -> bool:
    """True for relative URLs and absolute ones with an allowed scheme."""
    scheme = urlsplit(url).scheme.lower()
    return not scheme or scheme in URL_SCHEMES


#: The Markdown tokens whose text gets placeholders filled as they are.
_TEXT_TOKENS = ("text", "code_inline", "code_block", "fence")


def _fill_tokens(tokens: list[Token], values: Mapping[str, str]) -> None:
    """Fill placeholders in text, code and URL attributes of parsed Markdown, in place.

    A link whose filled-in URL is unsafe (a value starting ``javascript:``) is dropped,
    keeping its text.
    """
    hide_close = False
    for token in tokens:
        if token.type in _TEXT_TOKENS:
            token.content = _substitute(PLACEHOLDER, token.content, values, encode=False)
        for attribute in URL_ATTRIBUTES:
            url = token.attrs.get(attribute)
            if isinstance(url, str):
                filled = _substitute(URL_PLACEHOLDER, url, values, encode=True)
                token.attrs[attribute] = filled
                if token.type == "link_open" and not _safe_url(filled):
                    token.hidden = hide_close = True
        if token.type == "link_close" and hide_close:
            token.hidden, hide_close = True, False
        if token.children:
            _fill_tokens(token.children, values)


def _names_filled(tokens: list[Token]) -> set[str]:
    """The allow-listed placeholders ``_fill_tokens`` would fill in ``tokens``.

    Read from the parsed tokens, not the source: entities and escapes (``&#123;``,
    ``\\{``) can make a placeholder that the source text does not spell out.
    """
    return (_names_in_text(tokens) & PLACEHOLDERS.keys()) | _names_in_links(tokens)


def _names_in_text(tokens: list[Token]) -> set[str]:
    """Every ``{name}`` in the text and code of ``tokens``, allowed or not."""
    names: set[str] = set()
    for token in tokens:
        if token.type in _TEXT_TOKENS:
            names.update(PLACEHOLDER.findall(token.content))
        if token.children:
            names |= _names_in_text(token.children)
    return names


def _names_in_links(tokens: list[Token]) -> set[str]:
    """The allow-listed placeholders ``_fill_tokens`` would fill in URLs in ``tokens``
    (percent-encoded there, where text gets them as they are)."""
    names: set[str] = set()
    for token in tokens:
        for attribute in URL_ATTRIBUTES:
            url = token.attrs.get(attribute)
            if isinstance(url, str):
                names.update(URL_PLACEHOLDER.findall(url))
        if token.children:
            names |= _names_in_links(token.children)
    return names & PLACEHOLDERS.keys()


def _render(source: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """``source`` (control characters stripped) rendered; and the placeholders it fills."""
    md = _markdown()
    tokens = md.parse(source)
    names = tuple(sorted(_names_filled(tokens)))
    _fill_tokens(tokens, values)
    html = md.renderer.render(tokens, md.options, {})
    return nh3.clean(html, tags=ALLOWED_TAGS, url_schemes=URL_SCHEMES, link_rel="noopener"), names


#: How much rendered HTML (in characters) a process keeps, and for how many texts it keeps
#: the placeholders they use. Talking points are the same for every supporter of a riding,
#: and parsing, rendering and cleaning them took a seventh of a riding page's time.
RENDERED_CHARS = 4_000_000
TEXTS_KEPT = 4096

_lock = threading.Lock()
_names_by_text: LRUCache[bytes, tuple[str, ...]] = LRUCache(maxsize=TEXTS_KEPT)
_rendered: LRUCache[tuple[bytes, tuple[str | None, ...]], str] = LRUCache(
    maxsize=RENDERED_CHARS, getsizeof=len
)


def _digest(text: str) -> bytes:
    """The key of a text as stored: stripping it is a loop per character, for misses only."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()


def placeholders_in(text: str) -> tuple[str, ...]:
    """The allow-listed placeholders ``render_markdown`` fills in ``text``, sorted (kept
    per text with the rendered HTML's)."""
    digest = _digest(text)
    with _lock:
        names = _names_by_text.get(digest)
    if names is None:
        names = tuple(sorted(_names_filled(_markdown().parse(strip_control(text)))))
        with _lock:
            _names_by_text[digest] = names
    return names


def placeholders_in_links(text: str) -> tuple[str, ...]:
    """The allow-listed placeholders ``render_markdown`` fills in a link's or an image's
    URL in ``text``, sorted (parsed each time: for work kept per content revision)."""
    return tuple(sorted(_names_in_links(_markdown().parse(strip_control(text)))))


def render_markdown(text: str, values: Mapping[str, str] | None = None) -> str:
    """Organiser Markdown with placeholders filled, rendered and sanitised to safe HTML.

    Placeholders are filled after parsing, so a value is always plain text (or a
    percent-encoded part of a URL) and can never add Markdown or HTML of its own.

    Kept per process by the text's digest and the values of the placeholders it uses (a
    supporter's postal code only matters to a text that says ``{postal_code}``): an edit
    changes the text, so the new version is rendered at its first view.
    """
    values = values or {}
    digest = _digest(text)
    with _lock:
        names = _names_by_text.get(digest)
        if names is not None:
            kept = _rendered.get((digest, tuple(values.get(name) for name in names)))
            if kept is not None:
                return kept
    html, names = _render(strip_control(text), values)
    with _lock:
        _names_by_text[digest] = names
        if len(html) <= RENDERED_CHARS // 100:  # a huge text is rendered each time instead
            _rendered[(digest, tuple(values.get(name) for name in names))] = html
    return html
