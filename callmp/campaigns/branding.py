"""A campaign's look: its organization's name and accent colour, with contrast checked.

Domain code: no Flask. The accent colour paints links, buttons (white text on it) and
borders on a white page, so it must reach WCAG's 4.5:1 against white; a lighter colour is
refused next to the field rather than darkened behind the lead's back (what they chose
would then not be what supporters see).
"""

from __future__ import annotations

import re

from callmp.i18n import N_

#: WCAG 2 AA contrast for normal text.
MIN_CONTRAST = 4.5
#: The page background and the text drawn on the accent: both white.
WHITE = "#ffffff"
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")

BAD_COLOUR = N_(
    "Please enter a colour like #0b5394 (a # and six hexadecimal digits), or leave it empty."
)
LOW_CONTRAST = N_(
    "This colour is too light: white text on it (and it on white) has a contrast of "
    "%(ratio)s:1, and at least 4.5:1 is needed to stay readable. Please pick a darker colour."
)


def parse_colour(raw: str) -> str | None:
    """``#rrggbb`` (lowercase) from what was typed, "" for nothing, None when not a colour."""
    value = raw.strip()
    if not value:
        return ""
    found = _HEX.fullmatch(value)
    return f"#{found.group(1).lower()}" if found else None


def _channel(value: int) -> float:
    """One sRGB channel's linear light (WCAG 2's relative luminance formula)."""
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb``, 0 (black) to 1 (white)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def check_accent(raw: str) -> tuple[str, str | None, dict[str, str]]:
    """(the colour to keep, an error msgid or None, its parameters)."""
    colour = parse_colour(raw)
    if colour is None:
        return raw.strip()[:7], BAD_COLOUR, {}
    if colour and (ratio := contrast(colour, WHITE)) < MIN_CONTRAST:
        # Rounded down: 4.48 must not read as "4.5:1" next to "at least 4.5:1".
        return colour, LOW_CONTRAST, {"ratio": f"{int(ratio * 10) / 10:.1f}"}
    return colour, None, {}
