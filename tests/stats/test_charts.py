"""SVG bar charts: every chart parsed as XML, its bars, ticks, labels and text checked."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

import pytest
from markupsafe import Markup

from callmp.stats.charts import Bucket, Series, bar_chart, nice_ticks, thinned

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"
CALLS = Series("bridged_call", "Bridged calls", "#1f5fa8")
EMAILS = Series("email", "Emails", "#e0a020")
LETTERS = Series("letter", "Letters", "#2a8a4a")
SERIES = (CALLS, EMAILS, LETTERS)
NASTY = "<script>alert('x')</script> & \"Co\""
NUMBER = re.compile(r"-?\d+(\.\d{1,2})?")
NUMERIC_ATTRS = ("x", "y", "x1", "x2", "y1", "y2", "width", "height", "data-value")


def bucket(i: int, **values: int) -> Bucket:
    """A bucket labelled by its index."""
    return Bucket(f"b{i}", f"Bucket number {i}", values)


def parse(markup: Markup) -> ET.Element:
    """Our own output parsed as XML; fails unless it is a single well-formed element."""
    assert isinstance(markup, Markup)
    return ET.fromstring(str(markup))  # noqa: S314 - our own output, parsed to check it


def chart(
    buckets: Sequence[Bucket], series: Sequence[Series] = SERIES, /, **options: int
) -> ET.Element:
    """The chart for ``buckets``, parsed."""
    markup = bar_chart(
        buckets,
        series,
        title="Contacts per hour",
        description="Calls and emails per hour",
        empty_text="Nothing yet",
        **options,
    )
    return parse(markup)


def bars(element: ET.Element) -> list[ET.Element]:
    """The bar rects under ``element``, in document order."""
    return element.findall(".//svg:rect[@class='bar']", NS)


def groups(root: ET.Element) -> list[ET.Element]:
    """The per-bucket groups."""
    return root.findall(".//svg:g[@class='bucket']", NS)


def ticks(root: ET.Element) -> dict[int, float]:
    """Tick value -> y of its grid line."""
    lines = root.findall(".//svg:line[@class='grid']", NS)
    return {int(line.attrib["data-value"]): float(line.attrib["y1"]) for line in lines}


def texts(root: ET.Element, cls: str) -> list[str]:
    """The text of every ``<text>`` with class ``cls``."""
    return [el.text or "" for el in root.findall(f".//svg:text[@class='{cls}']", NS)]


def tooltip(group: ET.Element) -> list[str]:
    """The lines of a bucket's tooltip."""
    title = group.find("svg:title", NS)
    assert title is not None and title.text is not None
    return title.text.split("\n")


def test_chart_is_one_svg_element_named_by_its_title_and_desc() -> None:
    markup = bar_chart(
        [bucket(0, email=2)], SERIES, title="Contacts", description="Per hour", empty_text="-"
    )
    root = parse(markup)
    assert not str(markup).startswith("<?xml")
    assert root.tag == f"{SVG}svg"
    assert root.attrib["viewBox"] == "0 0 720 260"
    assert root.attrib["role"] == "img"
    assert root.attrib["class"] == "chart"
    title_id, desc_id = root.attrib["aria-labelledby"].split()
    assert root.findall(f"svg:title[@id='{title_id}']", NS)[0].text == "Contacts"
    assert root.findall(f"svg:desc[@id='{desc_id}']", NS)[0].text == "Per hour"


def test_chart_uses_the_given_size() -> None:
    root = chart([bucket(0, email=2)], width=400, height=200)
    assert root.attrib["viewBox"] == "0 0 400 200"
    assert all(float(line.attrib["x2"]) <= 400 for line in root.iter(f"{SVG}line"))


def test_one_rect_per_non_zero_value() -> None:
    buckets = [
        bucket(0, bridged_call=3, email=1),
        bucket(1, email=0, letter=4),
        bucket(2),
        bucket(3, bridged_call=1, email=1, letter=1, unknown=9),
    ]
    root = chart(buckets)
    assert [len(bars(g)) for g in groups(root)] == [2, 1, 0, 3]
    assert len(bars(root)) == 6
    assert [int(r.attrib["data-value"]) for r in bars(root)] == [3, 1, 4, 1, 1, 1]


def test_stack_heights_are_proportional_to_values() -> None:
    buckets = [
        bucket(0, bridged_call=7, email=5),
        bucket(1, email=3, letter=1),
        bucket(2, letter=9),
    ]
    root = chart(buckets)
    grid = ticks(root)
    top = max(grid)
    plot_height = grid[0] - grid[top]
    assert plot_height > 0
    for group, total in zip(groups(root), (12, 4, 9), strict=True):
        stack = sum(float(r.attrib["height"]) for r in bars(group))
        assert stack == pytest.approx(total / top * plot_height, abs=0.01)
        for rect in bars(group):
            value = int(rect.attrib["data-value"])
            height = float(rect.attrib["height"])
            assert height == pytest.approx(value / top * plot_height, abs=0.01)


@pytest.mark.parametrize("series", [SERIES, SERIES[::-1], (EMAILS, CALLS)])
def test_bars_stack_upwards_in_series_order(series: Sequence[Series]) -> None:
    root = chart([bucket(0, bridged_call=2, email=3, letter=4)], series)
    baseline = ticks(root)[0]
    rects = bars(root)
    assert [r.attrib["data-series"] for r in rects] == [s.key for s in series]
    assert [r.attrib["fill"] for r in rects] == [s.color for s in series]
    below = baseline
    for rect in rects:
        y, height = float(rect.attrib["y"]), float(rect.attrib["height"])
        assert y + height == pytest.approx(below, abs=0.01)
        below = y


def test_bars_sit_side_by_side_in_bucket_order() -> None:
    root = chart([bucket(i, email=i + 1) for i in range(5)])
    xs = [float(r.attrib["x"]) for r in bars(root)]
    assert xs == sorted(xs)
    assert len(set(xs)) == 5
    widths = {r.attrib["width"] for r in bars(root)}
    assert len(widths) == 1


@pytest.mark.parametrize(
    ("maximum", "expected"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (5, [0, 1, 2, 3, 4, 5]),
        (6, [0, 2, 4, 6]),
        (7, [0, 2, 4, 6, 8]),
        (11, [0, 5, 10, 15]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_nice_ticks_examples(maximum: int, expected: list[int]) -> None:
    assert nice_ticks(maximum) == expected


def test_nice_ticks_are_round_integers_covering_the_maximum() -> None:
    for maximum in [*range(2, 1201), 99_999, 123_456_789, 10**15 + 1]:
        found = nice_ticks(maximum)
        step = found[1]
        assert found == [step * i for i in range(len(found))], maximum
        assert 3 <= len(found) <= 6, maximum
        assert found[-1] >= maximum > found[-2], maximum
        assert str(step).rstrip("0") in ("1", "2", "5"), maximum


def test_chart_ticks_cover_the_tallest_stack_with_separated_labels() -> None:
    root = chart([bucket(0, bridged_call=9000, email=3345), bucket(1, email=12)])
    assert sorted(ticks(root)) == [0, 5000, 10000, 15000]
    assert texts(root, "tick") == ["0", "5,000", "10,000", "15,000"]
    grid = ticks(root)
    assert grid[0] > grid[5000] > grid[10000] > grid[15000]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": 1}, ["0", "1"]),
        ({"email": 1, "letter": 1}, ["0", "1", "2"]),
        ({"letter": 3}, ["0", "1", "2", "3"]),
    ],
)
def test_small_maxima_give_integer_ticks(values: Mapping[str, int], expected: list[str]) -> None:
    root = chart([Bucket("a", "A", values)])
    assert texts(root, "tick") == expected


@pytest.mark.parametrize(
    ("count", "max_labels"), [(100, 7), (24, 12), (31, 12), (5, 12), (13, 12), (1, 1)]
)
def test_x_labels_are_thinned_keeping_the_first(count: int, max_labels: int) -> None:
    root = chart([bucket(i, email=1) for i in range(count)], max_labels=max_labels)
    labels = texts(root, "x-label")
    assert 1 <= len(labels) <= max_labels
    assert labels[0] == "b0"
    indices = [int(label[1:]) for label in labels]
    gaps = {b - a for a, b in itertools.pairwise(indices)}
    assert len(gaps) <= 1
    if count <= max_labels:
        assert len(labels) == count


def test_x_labels_are_in_order_under_their_bars() -> None:
    root = chart([bucket(i, email=1) for i in range(4)])
    label_xs = [float(el.attrib["x"]) for el in root.findall(".//svg:text[@class='x-label']", NS)]
    for rect, x in zip(bars(root), label_xs, strict=True):
        left, width = float(rect.attrib["x"]), float(rect.attrib["width"])
        assert left <= x <= left + width


def test_thinned_keeps_first_and_spaces_evenly() -> None:
    assert thinned(10, 3) == [0, 4, 8]
    assert thinned(3, 12) == [0, 1, 2]
    assert thinned(0, 12) == []


def test_legend_has_one_swatch_and_label_per_series_in_order() -> None:
    root = chart([bucket(0, email=1)], (LETTERS, EMAILS))
    items = root.findall(".//svg:g[@class='legend-item']", NS)
    assert len(items) == 2
    swatches = [item.find("svg:rect", NS) for item in items]
    assert [s.attrib["fill"] for s in swatches if s is not None] == ["#2a8a4a", "#e0a020"]
    assert [item.findtext("svg:text", namespaces=NS) for item in items] == ["Letters", "Emails"]


def test_legend_wraps_instead_of_leaving_the_chart() -> None:
    many = [Series(f"s{i}", f"A rather long series label {i}", "#123456") for i in range(6)]
    root = chart([bucket(0, s0=1)], many, width=300)
    swatches = root.findall(".//svg:rect[@class='swatch']", NS)
    assert len({s.attrib["y"] for s in swatches}) > 1
    assert all(float(s.attrib["x"]) + 10 <= 300 for s in swatches)
    assert max(float(s.attrib["y"]) for s in swatches) < min(ticks(root).values())


def test_tooltip_has_bucket_title_each_series_count_and_total() -> None:
    root = chart([Bucket("Dec 4", "Friday, December 4, 2026", {"bridged_call": 1200, "email": 3})])
    assert tooltip(groups(root)[0]) == [
        "Friday, December 4, 2026",
        "Bridged calls: 1,200",
        "Emails: 3",
        "Letters: 0",
        "= 1,203",
    ]


def test_caller_text_is_escaped_everywhere() -> None:
    evil = Series(NASTY, NASTY, NASTY)
    markup = bar_chart(
        [Bucket(NASTY, NASTY, {NASTY: 2})],
        [evil],
        title=NASTY,
        description=NASTY,
        empty_text=NASTY,
    )
    empty = bar_chart([], [evil], title=NASTY, description=NASTY, empty_text=NASTY)
    for root in (parse(markup), parse(empty)):
        assert not [el for el in root.iter() if el.tag.endswith("script")]
        assert root.findtext("svg:title", namespaces=NS) == NASTY
        assert root.findtext("svg:desc", namespaces=NS) == NASTY
        assert root.findtext(".//svg:g[@class='legend-item']/svg:text", namespaces=NS) == NASTY
    root = parse(markup)
    (rect,) = bars(root)
    assert rect.attrib["data-series"] == NASTY
    assert rect.attrib["fill"] == NASTY
    assert texts(root, "x-label") == [NASTY]
    assert tooltip(groups(root)[0]) == [NASTY, f"{NASTY}: 2", "= 2"]
    assert texts(parse(empty), "empty") == [NASTY]


def test_characters_xml_forbids_are_dropped() -> None:
    root = chart([Bucket("a\x00b\x1b", "t\ud800\uffff", {"email": 1})])
    assert texts(root, "x-label") == ["ab"]
    assert tooltip(groups(root)[0])[0] == "t"


def test_ids_are_unique_across_charts() -> None:
    first, second = chart([bucket(0, email=1)]), chart([bucket(0, email=1)])
    ids = [[el.attrib["id"] for el in root.iter() if "id" in el.attrib] for root in (first, second)]
    assert len(ids[0]) == 2
    assert not set(ids[0]) & set(ids[1])
    for root, own in zip((first, second), ids, strict=True):
        assert root.attrib["aria-labelledby"].split() == own


@pytest.mark.parametrize(
    "buckets",
    [[], [bucket(0), bucket(1, email=0)], [bucket(0, email=-3, letter=-1)]],
    ids=["no-buckets", "all-zero", "all-negative"],
)
def test_empty_chart_shows_the_empty_text_and_no_bars(buckets: list[Bucket]) -> None:
    root = chart(buckets)
    assert texts(root, "empty") == ["Nothing yet"]
    assert bars(root) == []
    assert root.findall(".//svg:path[@class='axis']", NS)
    assert len(texts(root, "x-label")) == len(buckets)


def test_chart_with_data_has_no_empty_text() -> None:
    assert texts(chart([bucket(0, email=1)]), "empty") == []


def test_negative_values_count_as_zero() -> None:
    root = chart([bucket(0, bridged_call=-5, email=3), bucket(1, letter=-100)])
    assert [(r.attrib["data-series"], r.attrib["data-value"]) for r in bars(root)] == [
        ("email", "3")
    ]
    assert max(ticks(root)) == 3
    assert tooltip(groups(root)[0])[1:] == ["Bridged calls: 0", "Emails: 3", "Letters: 0", "= 3"]


@pytest.mark.parametrize(
    ("width", "height", "count"), [(720, 260, 7), (701, 233, 13), (40, 30, 50), (1, 1, 3)]
)
def test_numbers_are_finite_non_negative_and_rounded(width: int, height: int, count: int) -> None:
    buckets = [bucket(i, bridged_call=i * 37 % 11, email=i % 3 + 1) for i in range(count)]
    root = chart(buckets, width=width, height=height)
    assert len(bars(root)) > 0
    for el in root.iter():
        for name in NUMERIC_ATTRS:
            if name in el.attrib:
                assert NUMBER.fullmatch(el.attrib[name]), (el.tag, name, el.attrib[name])
    for rect in root.iter(f"{SVG}rect"):
        assert float(rect.attrib["width"]) >= 0
        assert float(rect.attrib["height"]) >= 0


@pytest.mark.parametrize(
    "options", [{"max_labels": 0}, {"width": 0}, {"height": -5}], ids=["labels", "width", "height"]
)
def test_impossible_options_are_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        chart([bucket(0, email=1)], **options)
