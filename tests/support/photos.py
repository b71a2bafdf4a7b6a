"""Real small images for the photo tests, made with Pillow (no file is faked by hand)."""

from __future__ import annotations

import io

from PIL import Image


def portrait(kind: str = "JPEG", size: tuple[int, int] = (96, 120)) -> bytes:
    """A plain portrait-sized image in ``kind`` (JPEG or PNG)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (70, 110, 160)).save(buffer, kind)
    return buffer.getvalue()


def decoded(data: bytes) -> tuple[str, tuple[int, int]]:
    """The format and size Pillow reads from ``data`` (what a browser would show)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return str(image.format), image.size
