"""Organiser-written text: allow-listed placeholders and sanitised Markdown, parsed as HTML."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, Tag

from callmp import templating
from callmp.templating import fill, one_line, render_markdown, strip_control, unknown_placeholders
from tests.support.renders import count_renders

MP = {
    "mp_name": "Jane Doe",
    "mp_first_name": "Jane",
    "mp_last_name": "Doe",
    "riding": "Ottawa-Vanier",
    "postal_code": "K1A 0A6",
    "campaign_title": "Fund-transit",
}


def soup(html: str) -> BeautifulSoup:
    """Parse rendered HTML with the standard-library parser."""
    return BeautifulSoup(html, "html.parser")


def tags(html: str) -> list[str]:
    """The names of every element in ``html``, in document order."""
    return [tag.name for tag in soup(html).find_all(True)]


def links(html: str) -> list[Tag]:
    """Every ``<a>`` element in ``html``."""
    return [a for a in soup(html).find_all("a") if isinstance(a, Tag)]


# -- fill and unknown_placeholders -------------------------------------------------


def test_fill_replaces_allow_listed_placeholders() -> None:
    text = "Call {mp_name} ({riding}) about {campaign_title}."
    assert fill(text, MP) == "Call Jane Doe (Ottawa-Vanier) about Fund-transit."


def test_fill_leaves_unknown_placeholders_as_written() -> None:
    text = "Dear {mp_name}, my {phone} and {Name} and {mp_name"
    assert fill(text, {"mp_name": "Jane", "phone": "555"}) == (
        "Dear Jane, my {phone} and {Name} and {mp_name"
    )


def test_fill_leaves_allow_listed_placeholder_without_value_as_written() -> None:
    assert fill("Hello {party} and {mp_name}", {"mp_name": "Jane"}) == "Hello {party} and Jane"


def test_fill_does_not_expand_placeholders_inside_values() -> None:
    filled = fill("{mp_name} / {party}", {"mp_name": "{party}", "party": "Green"})
    assert filled == "{party} / Green"


def test_fill_without_escape_still_strips_control_characters() -> None:
    assert fill("{mp_name}", {"mp_name": "Ja\x00ne\u200b"}) == "Jane"


def test_unknown_placeholders_lists_each_name_once_in_order() -> None:
    text = "{zeta} {mp_name} {alpha} {zeta} {riding} {alpha} {beta}"
    assert unknown_placeholders(text) == ["zeta", "alpha", "beta"]


def test_unknown_placeholders_is_empty_when_all_are_allowed() -> None:
    assert unknown_placeholders("{mp_name} of {riding}, {postal_code}") == []


def test_every_placeholder_has_a_description() -> None:
    assert templating.PLACEHOLDERS
    for name, description in templating.PLACEHOLDERS.items():
        assert templating.PLACEHOLDER.fullmatch(f"{{{name}}}"), name
        assert description.strip(), name


# -- render_markdown: placeholders and escaping --------------------------------------


def test_render_fills_placeholders_in_markdown() -> None:
    html = render_markdown("Dear **{mp_name}**,\n\nI live in {riding}.", MP)
    doc = soup(html)
    assert doc.strong is not None
    assert doc.strong.get_text() == "Jane Doe"
    paragraphs = [p.get_text() for p in doc.find_all("p")]
    assert paragraphs == ["Dear Jane Doe,", "I live in Ottawa-Vanier."]


def test_render_keeps_unknown_placeholders_as_text() -> None:
    html = render_markdown("Hi {mp_name}, call {phone_number}.", MP)
    assert soup(html).get_text().strip() == "Hi Jane Doe, call {phone_number}."


def test_value_cannot_inject_markdown_or_html() -> None:
    value = "*x* <script>alert(1)</script> **b** [l](https://evil.example) `c` _u_"
    html = render_markdown("Dear {mp_name}", {"mp_name": value})
    assert tags(html) == ["p"]
    assert soup(html).get_text().strip() == f"Dear {value}"


@pytest.mark.parametrize(
    "value",
    ["# Heading", "- item", "1. item", "> quote", "---", "+ item", "<b>bold</b>", "&amp; &lt;"],
)
def test_value_at_line_start_renders_as_a_plain_paragraph(value: str) -> None:
    html = render_markdown("{mp_name}", {"mp_name": value})
    assert tags(html) == ["p"]
    assert soup(html).get_text().strip() == value


def test_value_with_blank_line_and_indent_cannot_add_blocks() -> None:
    html = render_markdown("{mp_name}", {"mp_name": "Jane\n\n    code"})
    assert tags(html) == ["p"]


def test_value_cannot_break_out_of_the_link_text() -> None:
    html = render_markdown("[Write to {mp_name}](https://example.org/)", {"mp_name": "](x) ["})
    found = links(html)
    assert len(found) == 1
    assert found[0]["href"] == "https://example.org/"
    assert found[0].get_text() == "Write to ](x) ["


def test_organiser_markdown_is_rendered() -> None:
    html = render_markdown("## Ask\n\n- *one*\n- **two**\n\n> quote")
    assert tags(html) == ["h2", "ul", "li", "em", "li", "strong", "blockquote", "p"]


def test_raw_html_in_organiser_markdown_is_not_passed_through() -> None:
    source = (
        "<script>alert(1)</script>\n\n"
        '<div onclick="steal()">d</div>\n\n'
        'Some <b>bold</b> and <img src="x" onerror="steal()"> and '
        '<a href="javascript:steal()">x</a>'
    )
    html = render_markdown(source)
    doc = soup(html)
    assert {tag.name for tag in doc.find_all(True)} == {"p"}
    assert all(not tag.attrs for tag in doc.find_all(True))
    assert "<script>alert(1)</script>" in doc.get_text()


def test_disallowed_elements_are_removed() -> None:
    html = render_markdown("![alt](https://example.org/i.png)\n\n```\ncode\n```\n\n# Big")
    names = set(tags(html))
    assert names.isdisjoint({"img", "h1"})
    assert "code" in names


# -- links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
    ],
)
def test_dangerous_links_are_dropped(href: str) -> None:
    html = render_markdown(f"[click]({href}) and <{href}>")
    assert links(html) == []


def test_placeholder_value_cannot_make_a_javascript_link() -> None:
    html = render_markdown("[click]({riding})", {"riding": "javascript:alert(1)"})
    assert links(html) == []


def test_safe_links_survive_with_placeholder_values_in_the_url() -> None:
    source = (
        "[Call](tel:+16135550100) "
        "[Email](mailto:{mp_first_name}.{mp_last_name}@parl.gc.ca?subject={campaign_title}) "
        "[Riding](https://example.org/ridings/{riding}?code={mp_last_name})"
    )
    found = links(render_markdown(source, MP))
    assert [(a.get_text(), a["href"]) for a in found] == [
        ("Call", "tel:+16135550100"),
        ("Email", "mailto:Jane.Doe@parl.gc.ca?subject=Fund-transit"),
        ("Riding", "https://example.org/ridings/Ottawa-Vanier?code=Doe"),
    ]


def test_link_survives_a_placeholder_value_with_a_space() -> None:
    html = render_markdown("[Map](https://example.org/?code={postal_code})", MP)
    found = links(html)
    assert [a["href"] for a in found] == ["https://example.org/?code=K1A%200A6"]


def test_autolink_survives_a_placeholder_value_with_punctuation() -> None:
    found = links(render_markdown("<https://example.org/{riding}>", MP))
    assert [a["href"] for a in found] == ["https://example.org/Ottawa-Vanier"]


def test_placeholder_in_a_code_span_shows_the_plain_value() -> None:
    doc = soup(render_markdown("Say `{mp_name} of {riding}`", MP))
    assert doc.code is not None
    assert doc.code.get_text() == "Jane Doe of Ottawa-Vanier"


def test_links_get_rel_noopener() -> None:
    found = links(render_markdown("[site](https://example.org/)"))
    assert len(found) == 1
    assert found[0].get("rel") == ["noopener"]


# -- control characters --------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [
        pytest.param("\x00", id="nul"),
        pytest.param("\x07", id="bell"),
        pytest.param("\x1b", id="escape"),
        pytest.param("\x7f", id="delete"),
        pytest.param("\x85", id="next-line-c1"),
        pytest.param("\r", id="carriage-return"),
        pytest.param("\u200b", id="zero-width-space-cf"),
        pytest.param("\u202e", id="right-to-left-override-cf"),
        pytest.param("\ufeff", id="byte-order-mark-cf"),
        pytest.param("\ud800", id="lone-surrogate-cs"),
    ],
)
def test_strip_control_removes_control_format_and_surrogate_characters(char: str) -> None:
    assert strip_control(f"a{char}b") == "ab"


def test_strip_control_keeps_newline_tab_and_ordinary_text() -> None:
    text = "Ligne 1\n\tÉlise Côté — député·e 🇨🇦\u00a0!"
    assert strip_control(text) == text


def test_render_removes_control_characters_from_text_and_values() -> None:
    html = render_markdown("Hel\x00lo\x1b {mp_name}\x07", {"mp_name": "Ja\u200bne\x00"})
    text = soup(html).get_text()
    assert text.strip() == "Hello Jane"
    assert not any(ch in text for ch in "\x00\x07\x1b\u200b\ufffd")


def test_one_line_keeps_the_no_break_spaces_of_french_typography() -> None:
    typed = " Ma demande\u00a0:\n  «\u202foui\u202f»\t? "
    assert one_line(typed) == "Ma demande\u00a0: «\u202foui\u202f» ?"
    assert fill("Objet\u00a0: {riding}", {"riding": "Laval\u00a0—\n Les Îles"}) == (
        "Objet\u00a0: Laval\u00a0— Les Îles"
    )


# -- render_markdown: kept per process ------------------------------------------------


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts actually rendered (not served from the cache), with the cache emptied first."""
    return count_renders(monkeypatch)


def test_the_same_text_and_values_are_rendered_once(renders: list[str]) -> None:
    first = render_markdown("Dear **{mp_name}**", MP)
    assert render_markdown("Dear **{mp_name}**", dict(MP)) == first
    assert len(renders) == 1
    render_markdown("Dear **{mp_name}**, now", MP)  # an edited text
    assert len(renders) == 2


def test_values_the_text_does_not_use_do_not_make_a_new_render(renders: list[str]) -> None:
    text = "I live in {riding}."
    first = render_markdown(text, {**MP, "postal_code": "K1A 0A6"})
    assert render_markdown(text, {**MP, "postal_code": "M5V 3L9"}) == first
    assert len(renders) == 1
    other = render_markdown(text, {**MP, "riding": "Halifax"})
    assert soup(other).get_text().strip() == "I live in Halifax."
    assert len(renders) == 2


@pytest.mark.parametrize(
    "text",
    ["Dear &#123;mp_name&#125;", "Dear \\{mp_name\\}", "[x](https://a.example/%7Bmp_name%7D)"],
)
def test_a_placeholder_spelled_with_entities_or_escapes_is_part_of_the_key(
    renders: list[str], text: str
) -> None:
    # The source does not say "{mp_name}", yet the parsed text does and is filled.
    jane = render_markdown(text, MP)
    john = render_markdown(text, {**MP, "mp_name": "John Roe"})
    assert jane != john
    assert ("Jane" in jane, "John" in john) == (True, True)
    assert len(renders) == 2


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("I live in {riding}, {postal_code}. {unknown}", ("postal_code", "riding")),
        ("Code: &#123;supporter_postal_code&#125;", ("supporter_postal_code",)),
        ("[map](https://a.example/?q=%7Bpostal_code%7D)", ("postal_code",)),
        ("Nothing to fill, {not_a_placeholder}", ()),
    ],
)
def test_placeholders_in_names_what_a_render_fills_before_and_after_one(
    renders: list[str], text: str, names: tuple[str, ...]
) -> None:
    assert templating.placeholders_in(text) == names  # parsed, not rendered
    assert renders == []
    render_markdown(text, {**MP, "postal_code": "K1A 0A6"})
    assert templating.placeholders_in(text) == names


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("I live in {riding}, {postal_code}.", ()),
        (
            "[map](https://a.example/?q={postal_code}&r=%7Briding%7D) {mp_name}",
            ("postal_code", "riding"),
        ),
        ("![x](https://a.example/{supporter_postal_code}.png)", ("supporter_postal_code",)),
        ("<https://a.example/{postal_code}>", ("postal_code",)),
    ],
)
def test_placeholders_in_links_names_those_filled_in_an_address(
    text: str, names: tuple[str, ...]
) -> None:
    assert templating.placeholders_in_links(text) == names


def test_strip_control_drops_exactly_the_characters_the_rule_names() -> None:
    """The one-pass character class and the per-character rule agree on all of Unicode."""
    everything = "".join(map(chr, range(0x110000)))
    kept = "".join(ch for ch in everything if not templating._dropped(ch))
    assert strip_control(everything) == kept
    assert 0 < len(everything) - len(kept) < 3000  # controls, surrogates, a few more
