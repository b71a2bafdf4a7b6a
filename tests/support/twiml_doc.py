"""Helpers to read the TwiML the call flow answers with: parsed as XML, never as a string."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit


def parse(document: str | bytes) -> ET.Element:
    """The document parsed as XML; its root must be <Response>."""
    root = ET.fromstring(document)  # noqa: S314 - our own output, parsed to check it
    assert root.tag == "Response"
    return root


def tags(element: ET.Element) -> list[str]:
    """The tags of an element's children, in order."""
    return [child.tag for child in element]


def said(element: ET.Element) -> list[str]:
    """The text of each <Say> directly inside ``element``."""
    return [child.text or "" for child in element if child.tag == "Say"]


def one(root: ET.Element, tag: str) -> ET.Element:
    """The only ``tag`` element anywhere in ``root``."""
    found = list(root.iter(tag))
    assert len(found) == 1, f"{len(found)} <{tag}> elements"
    return found[0]


def none(root: ET.Element, tag: str) -> None:
    """Assert there is no ``tag`` element anywhere in ``root``."""
    assert not list(root.iter(tag)), f"unexpected <{tag}>"


def query(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (one value each)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def path(url: str) -> str:
    """The scheme, host and path of ``url``, without its query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
