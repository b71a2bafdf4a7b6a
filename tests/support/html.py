"""Helpers to parse the HTML the app produces."""

from __future__ import annotations

from collections import Counter

from bs4 import BeautifulSoup, Tag


def parse(body: bytes | str) -> BeautifulSoup:
    """Parse a page with the standard library's parser."""
    return BeautifulSoup(body, "html.parser")


def one(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    """The single element matching ``selector``; fails when there are none or several."""
    found = soup.select(selector)
    assert len(found) == 1, f"{selector!r} matched {len(found)} elements"
    return found[0]


def text(tag: Tag) -> str:
    """The element's text with whitespace collapsed."""
    return " ".join(tag.get_text(" ").split())


def form_fields(form: Tag) -> dict[str, str]:
    """What a browser would submit from ``form`` (without its buttons)."""
    data: dict[str, str] = {}
    for field in form.select("input[name], textarea[name]"):
        name = str(field["name"])
        if field.name == "textarea":
            # A browser drops the newline right after <textarea>.
            value = field.get_text()
            data[name] = value[2:] if value.startswith("\r\n") else value.removeprefix("\n")
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = str(field.get("value", "on"))
        else:
            data[name] = str(field.get("value", ""))
    return data


def assert_unique_ids(soup: BeautifulSoup) -> None:
    """No id twice in the page, and every aria-labelledby, aria-describedby, label ``for``
    and ``form`` attribute names an id that is there."""
    counts = Counter(str(tag["id"]) for tag in soup.select("[id]"))
    assert [i for i, n in counts.items() if n > 1] == []
    for attr in ("aria-labelledby", "aria-describedby", "for", "form"):
        for tag in soup.select(f"[{attr}]"):
            assert all(ref in counts for ref in str(tag[attr]).split()), (attr, tag[attr])
