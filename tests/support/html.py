"""Helpers to parse the HTML the app produces."""

from __future__ import annotations

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
