"""Server-side SVG stacked bar charts for the organiser dashboards: no JavaScript, no library.

Every piece of caller text is escaped (and stripped of characters XML forbids), so the result
is safe to drop into a Jinja page and also parses as a standalone XML document. Text widths
are estimated from an average glyph width, which is good enough for margins and the legend.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
_FONT_SIZE = 11
#: Average advance of a sans-serif glyph at ``_FONT_SIZE``, in user units.
_CHAR_WIDTH = 6.6
_PAD = 8
_TICK_GAP = 6
_X_LABEL_SPACE = 20
_LEGEND_ROW = 16
_LEGEND_GAP = 6
_SWATCH = 10
_BAR_SHARE = 0.72
_MAX_BAR = 64
_MAX_TICKS = 6
# Characters XML 1.0 does not allow (control characters, lone surrogates, U+FFFE/U+FFFF):
# markupsafe leaves them alone and a browser's XML parser would reject the whole chart.
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Series:
    """One stacked layer of the chart: a key in the bucket values, its label and colour."""

    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Bucket:
    """One bar: a short x label, a long tooltip title and a count per series key."""

    label: str
    title: str
    values: Mapping[str, int]


def nice_ticks(maximum: int) -> list[int]:
    """Integer ticks from 0 in steps of 1, 2 or 5 × 10^k, at most six, the last ≥ ``maximum``."""
    if maximum <= 0:
        return [0]
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            count = -(-maximum // step)
            if count + 1 <= _MAX_TICKS:
                return [step * i for i in range(count + 1)]
        magnitude *= 10


def thinned(count: int, max_labels: int) -> list[int]:
    """Indices of at most ``max_labels`` evenly spaced labels out of ``count``, 0 always kept."""
    if count <= 0 or max_labels <= 0:
        return []
    step = -(-count // max_labels)
    return list(range(0, count, step))


def bar_chart(
    buckets: Sequence[Bucket],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    empty_text: str,
    width: int = 720,
    height: int = 260,
    max_labels: int = 12,
) -> Markup:
    """An accessible stacked bar chart as an inline ``<svg>`` element, one bar per bucket."""
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    if max_labels < 1:
        raise ValueError("max_labels must be at least 1")
    counts = [[_count(bucket.values.get(s.key, 0)) for s in series] for bucket in buckets]
    highest = max((sum(row) for row in counts), default=0)
    empty = highest == 0
    ticks = [] if empty else nice_ticks(math.ceil(highest))
    tick_labels = [f"{tick:,}" for tick in ticks]

    longest_tick = max((len(label) for label in tick_labels), default=0)
    left = _PAD + (math.ceil(longest_tick * _CHAR_WIDTH) + _TICK_GAP if ticks else 0)
    legend, legend_rows = _legend(series, left, width - _PAD)
    top = _PAD + legend_rows * _LEGEND_ROW + (_LEGEND_GAP if legend_rows else 0)
    plot_w = max(0, width - left - _PAD)
    plot_h = max(0, height - top - _X_LABEL_SPACE)
    bottom, right = top + plot_h, left + plot_w

    uid = uuid.uuid4().hex[:12]
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-{uid}-title chart-{uid}-desc" class="chart" '
        f'font-size="{_FONT_SIZE}" fill="currentColor">',
        f'<title id="chart-{uid}-title">{_text(title)}</title>',
        f'<desc id="chart-{uid}-desc">{_text(description)}</desc>',
    ]
    top_tick = ticks[-1] if ticks else 1
    grid, labels = ['<g stroke="currentColor" stroke-opacity="0.15">'], ['<g text-anchor="end">']
    for tick, label in zip(ticks, tick_labels, strict=True):
        y = bottom - tick / top_tick * plot_h
        grid.append(_el("line", None, cls="grid", data_value=tick, x1=left, x2=right, y1=y, y2=y))
        labels.append(_el("text", _text(label), cls="tick", x=left - _TICK_GAP, y=y + 4))
    if ticks:
        parts += [*grid, "</g>", *labels, "</g>"]
    axis = f"M{_num(left)} {_num(top)}V{_num(bottom)}H{_num(right)}"
    parts.append(
        _el(
            "path", None, cls="axis", d=axis, fill="none", stroke="currentColor", stroke_opacity=0.5
        )
    )

    slot = plot_w / len(buckets) if buckets else 0.0
    bar_w = min(slot * _BAR_SHARE, _MAX_BAR)
    if not empty:
        for i, (bucket, row) in enumerate(zip(buckets, counts, strict=True)):
            x = left + i * slot + (slot - bar_w) / 2
            parts.append(_bucket(bucket, series, row, x, bar_w, bottom, plot_h / top_tick))

    parts.extend(_x_labels(buckets, max_labels, left, slot, bottom, width))
    if empty:
        centre = {"x": left + plot_w / 2, "y": top + plot_h / 2 + 4}
        parts.append(_el("text", _text(empty_text), cls="empty", text_anchor="middle", **centre))
    parts.extend(legend)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every caller text above went through _text


def _bucket(
    bucket: Bucket,
    series: Sequence[Series],
    row: Sequence[int],
    x: float,
    bar_w: float,
    bottom: float,
    scale: float,
) -> str:
    """One ``<g class="bucket">``: its tooltip, then a rect per non-zero value, bottom up."""
    lines = [bucket.title, *(f"{s.label}: {n:,}" for s, n in zip(series, row, strict=True))]
    # A language-neutral total line: the signature has no slot for a translated "Total".
    lines.append(f"= {sum(row):,}")
    tooltip = _text("\n".join(lines))
    parts = ['<g class="bucket">', f"<title>{tooltip}</title>"]
    stacked = 0
    for s, n in zip(series, row, strict=True):
        if n <= 0:
            continue
        # Rounding the boundaries, not the heights, keeps each stack's total exact.
        low = round(bottom - stacked * scale, 2)
        stacked += n
        high = round(bottom - stacked * scale, 2)
        parts.append(
            _el(
                "rect",
                None,
                cls="bar",
                data_series=_text(s.key),
                data_value=n,
                x=x,
                y=high,
                width=bar_w,
                height=max(0.0, low - high),
                fill=_text(s.color),
            )
        )
    parts.append("</g>")
    return "".join(parts)


def _x_labels(
    buckets: Sequence[Bucket], max_labels: int, left: int, slot: float, bottom: int, width: int
) -> list[str]:
    """The thinned x labels under the bars, kept inside the drawing."""
    if not buckets:
        return []
    longest = max(len(b.label) for b in buckets) * _CHAR_WIDTH
    # Never more labels than fit side by side, so thinning also prevents overlap.
    fit = max(1, int(slot * len(buckets) // (longest + _TICK_GAP))) if longest else max_labels
    parts = []
    for i in thinned(len(buckets), min(max_labels, fit)):
        half = len(buckets[i].label) * _CHAR_WIDTH / 2
        x = min(max(left + (i + 0.5) * slot, half), max(half, width - half))
        parts.append(
            _el(
                "text",
                _text(buckets[i].label),
                cls="x-label",
                x=x,
                y=bottom + 14,
                text_anchor="middle",
            )
        )
    return parts


def _legend(series: Sequence[Series], left: int, right: int) -> tuple[list[str], int]:
    """The legend items laid out in rows from ``left``, and how many rows they take."""
    if not series:
        return [], 0
    parts = ['<g class="legend">']
    x, row = float(left), 0
    for s in series:
        item_w = _SWATCH + 4 + len(s.label) * _CHAR_WIDTH + 14
        if x + item_w > right and x > left:
            x, row = float(left), row + 1
        y = _PAD + row * _LEGEND_ROW
        swatch = _el(
            "rect", None, cls="swatch", x=x, y=y, width=_SWATCH, height=_SWATCH, fill=_text(s.color)
        )
        label = _el("text", _text(s.label), x=x + _SWATCH + 4, y=y + _SWATCH - 1)
        parts.append(f'<g class="legend-item">{swatch}{label}</g>')
        x += item_w
    parts.append("</g>")
    return parts, row + 1


def _count(value: int) -> int:
    """A count as drawn: negative (and NaN) values become 0."""
    return value if value > 0 else 0


def _num(value: float) -> str:
    """A number for an attribute: at most two decimals, no trailing zeros, never ``-0``."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: str) -> str:
    """Caller text escaped for SVG content or attributes, with XML-invalid characters dropped."""
    return str(escape(_XML_INVALID.sub("", value)))


def _el(name: str, body: str | None, /, **attrs: str | float) -> str:
    """An element: ``cls`` becomes ``class`` and ``_`` ``-``; strings must be escaped already."""
    rendered = " ".join(
        f'{"class" if key == "cls" else key.replace("_", "-")}="{_attr(value)}"'
        for key, value in attrs.items()
    )
    return f"<{name} {rendered}/>" if body is None else f"<{name} {rendered}>{body}</{name}>"


def _attr(value: str | float) -> str:
    """An attribute value: strings as given (already escaped), numbers rounded."""
    return value if isinstance(value, str) else _num(value)
