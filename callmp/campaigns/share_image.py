"""The campaign's default share image: a 1200 × 630 PNG drawn with Pillow.

Domain code: no Flask. Social apps show it as the preview card of a pasted link
(Open Graph ``og:image``). The title is drawn in the campaign's accent colour on white,
wrapped to fit, under a band of the same colour; nothing is fetched. The font is a
system TrueType font with French accents (Liberation Sans or DejaVu Sans, as Debian ships
them; ``CALLMP_SHARE_IMAGE_FONT`` names another); without one, Pillow's own font is used
and accents are dropped (it has none). The web layer keeps each image per content
revision and language.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
#: The colour the title is drawn in when the campaign sets none (CallMP's own blue).
DEFAULT_ACCENT = "#0b4f8a"
_BAND = 24
_SIZES = (76, 64, 54, 46, 40)  # the largest font size the title fits in is used
_MAX_LINES = 5
#: Fonts looked for when none is configured: the first one present is used.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def find_font(configured: str = "") -> str:
    """The TrueType font to draw with: ``configured`` or the first candidate present ("")."""
    for path in (configured,) if configured else FONT_CANDIDATES:
        if Path(path).is_file():
            return path
    return ""


def _font(path: str, size: int) -> Font:
    """The font at ``size``: the TrueType file, else Pillow's own scalable font."""
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


def _plain(words: str) -> str:
    """``words`` without accents, for Pillow's own font, which has none ("é" -> "e")."""
    decomposed = unicodedata.normalize("NFKD", words)
    return "".join(c for c in decomposed if not unicodedata.combining(c) and ord(c) < 256)


def _rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as a tuple (the default accent for anything else)."""
    value = colour if len(colour) == 7 and colour.startswith("#") else DEFAULT_ACCENT
    try:
        return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    except ValueError:
        return _rgb(DEFAULT_ACCENT)


def _wrap(draw: ImageDraw.ImageDraw, words: str, font: Font) -> list[str]:
    """``words`` in lines no wider than the picture's text area."""
    lines: list[str] = []
    current = ""
    # Split on plain spaces only: French no-break spaces keep "tous :" together.
    for word in words.split(" "):
        if not word:
            continue
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= WIDTH - 2 * MARGIN or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _fitted(draw: ImageDraw.ImageDraw, title: str, path: str) -> tuple[int, list[str]]:
    """The largest font size the title fits in (within the line limit), and its lines."""
    for size in _SIZES:
        lines = _wrap(draw, title, _font(path, size))
        if len(lines) <= _MAX_LINES:
            return size, lines
    lines = lines[:_MAX_LINES]
    lines[-1] = lines[-1].rstrip(" ,;:") + "..."
    return size, lines


def default_image(title: str, footer: str, accent: str = DEFAULT_ACCENT, font: str = "") -> bytes:
    """The PNG bytes of the default share image: ``title`` and, below, ``footer``.

    ``font``: a TrueType file (see ``find_font``); "" for Pillow's own font.
    """
    if not font:
        title, footer = _plain(title), _plain(footer)
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    colour = _rgb(accent)
    draw.rectangle((0, 0, WIDTH, _BAND), fill=colour)
    size, lines = _fitted(draw, re.sub(r"[ \t\r\n]+", " ", title).strip(), font)
    big = _font(font, size)
    top = _BAND + MARGIN
    for number, line in enumerate(lines):
        draw.text((MARGIN, top + number * int(size * 1.2)), line, font=big, fill=colour)
    small = _font(font, 36)
    draw.text((MARGIN, HEIGHT - MARGIN - 36), footer, font=small, fill=(51, 51, 51))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
