"""Count Markdown renders that miss the per-process cache (``callmp.templating``)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from cachetools import LRUCache

from callmp import templating


def count_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Empty the render caches for this test; the list fills with each source rendered
    (not served from the cache)."""
    seen: list[str] = []
    real = templating._render

    def counted(source: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
        seen.append(source)
        return real(source, values)

    monkeypatch.setattr(templating, "_render", counted)
    monkeypatch.setattr(templating, "_names_by_text", LRUCache(maxsize=templating.TEXTS_KEPT))
    monkeypatch.setattr(
        templating, "_rendered", LRUCache(maxsize=templating.RENDERED_CHARS, getsizeof=len)
    )
    return seen
