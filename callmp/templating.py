"""Safe rendering of organiser-written text: allow-listed placeholders and sanitised Markdown.

Organiser text is data, never a Jinja template. Placeholders look like ``{mp_name}``;
only names in ``PLACEHOLDERS`` are filled, and their values are escaped so that a value
can never add Markdown or HTML of its own.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

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
    "campaign_title": N_("The campaign's title"),
}

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
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
    "hr",
}
URL_SCHEMES = {"https", "http", "mailto", "tel"}
_MARKDOWN_SPECIAL = set(string.punctuation)


def strip_control(text: str) -> str:
    """Remove control characters (except newline and tab) that break HTML and TwiML."""
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    )


def escape_markdown(value: str) -> str:
    """Backslash-escape ASCII punctuation so a value renders as plain text."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in strip_control(value))


def unknown_placeholders(text: str) -> list[str]:
    """Placeholder names in ``text`` that are not in the allow-list, in order of appearance."""
    seen: list[str] = []
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def fill(text: str, values: Mapping[str, str], escape: bool = True) -> str:
    """Replace allow-listed placeholders with ``values``; others stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in PLACEHOLDERS or name not in values:
            return match.group(0)
        value = values[name]
        return escape_markdown(value) if escape else strip_control(value)

    return PLACEHOLDER.sub(replace, text)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The Markdown parser: CommonMark, raw HTML disabled."""
    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def render_markdown(text: str, values: Mapping[str, str] | None = None) -> str:
    """Organiser Markdown with placeholders filled, rendered and sanitised to safe HTML."""
    source = fill(strip_control(text), values or {})
    html = _markdown().render(source)
    return nh3.clean(html, tags=ALLOWED_TAGS, url_schemes=URL_SCHEMES, link_rel="noopener")
