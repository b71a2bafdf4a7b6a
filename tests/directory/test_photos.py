"""MPs' photos: only real JPEG or PNG portraits are stored, whole, and the per-process list
of stored photos follows the folder."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.directory import photo_folder
from callmp.directory.photos import (
    MAX_BYTES,
    RECHECK_SECONDS,
    PhotoError,
    PhotoStore,
    check_photo,
    store_photo,
)
from callmp.models import Person
from tests.support.photos import decoded, portrait


def _chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` (its pixels are missing)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("kind", "extension"), [("JPEG", "jpg"), ("PNG", "png")])
def test_a_real_portrait_is_accepted_with_its_type(kind: str, extension: str) -> None:
    photo = check_photo(portrait(kind, (100, 130)))
    assert (photo.extension, photo.width, photo.height) == (extension, 100, 130)
    assert photo.media_type == f"image/{'jpeg' if kind == 'JPEG' else 'png'}"


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html><body>Not found</body></html>", "not a JPEG or PNG"),
        (_gif(), "not a JPEG or PNG"),
        (portrait("JPEG")[:300], "damaged"),
        (b"\xff\xd8\xff" + b"\x00" * 200, "damaged"),
        (_png_claiming(20_000, 20_000), "far more pixels than a photo has"),
        (_png_claiming(6000, 100), "6000 × 100 pixels"),
        (portrait("PNG", (16, 16)), "16 × 16 pixels"),
        (b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, "bytes; a photo may have at most"),
    ],
    ids=["empty", "html", "gif", "truncated", "garbage", "bomb", "banner", "icon", "too-big"],
)
def test_what_is_not_a_portrait_is_refused_with_its_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PhotoError, match=reason):
        check_photo(data)


def test_a_stored_photo_replaces_the_other_type_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    first = store_photo(tmp_path / "photos", 72029, portrait("PNG"))
    assert first.name == "72029.png"
    second = store_photo(tmp_path / "photos", 72029, portrait("JPEG"))
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == ["72029.jpg"]
    assert decoded(second.read_bytes()) == ("JPEG", (96, 120))
    with pytest.raises(PhotoError):
        store_photo(tmp_path / "photos", 72029, b"not an image")
    assert sorted(p.name for p in (tmp_path / "photos").iterdir()) == ["72029.jpg"]


def test_the_store_sees_another_process_s_photos_after_its_recheck_interval(
    tmp_path: Path,
) -> None:
    now = [1000.0]
    store = PhotoStore(tmp_path / "photos", clock=lambda: now[0])
    assert store.photo(72029) is None  # no folder yet
    store_photo(tmp_path / "photos", 72029, portrait())  # as flask data photos would
    assert store.photo(72029) is None  # not looked at again yet: no stat per request
    now[0] += RECHECK_SECONDS
    found = store.photo(72029)
    assert found is not None and found.name == "72029.jpg"
    assert found.media_type == "image/jpeg"
    store.store(89156, portrait("PNG"))  # through the store itself: seen at once
    assert store.photo(89156) is not None
    assert store.photo(None) is None


def test_a_folder_loads_by_photo_url_name_or_person_id(db_session: Session, tmp_path: Path) -> None:
    albas = db_session.scalars(select(Person).where(Person.ourcommons_person_id == 72029)).one()
    name = albas.photo_url.rsplit("/", 1)[-1]
    assert name.endswith(".jpg")
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / name.upper()).write_bytes(portrait())  # file names' case may differ
    (folder / "89156.png").write_bytes(portrait("PNG"))
    (folder / "readme.txt").write_text("photos", encoding="utf-8")
    (folder / "999999999.jpg").write_bytes(portrait())  # nobody has that id
    store = PhotoStore(tmp_path / "photos")
    loaded = photo_folder.load_photo_folder(db_session, store, folder)
    assert loaded.refused == []
    assert loaded.stored == [(72029, name.upper()), (89156, "89156.png")]
    assert loaded.unmatched == ["999999999.jpg", "readme.txt"]
    sitting = db_session.scalars(select(Person).where(Person.fed_num.is_not(None))).all()
    assert loaded.without_photo == len(sitting) - 2
    assert sorted(p.name for p in store.photo_dir.iterdir()) == ["72029.jpg", "89156.png"]


def test_one_bad_file_stores_nothing(db_session: Session, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "72029.jpg").write_bytes(portrait())
    (folder / "89156.jpg").write_bytes(b"<html>Service unavailable</html>")
    (folder / "105340.jpg").write_bytes(portrait())
    (folder / "105340.png").write_bytes(portrait("PNG"))
    store = PhotoStore(tmp_path / "photos")
    loaded = photo_folder.load_photo_folder(db_session, store, folder)
    assert loaded.refused == [
        ("105340.png", "105340.jpg is a photo of the same member (105340)"),
        ("89156.jpg", "The file is not a JPEG or PNG image."),
    ]
    assert loaded.stored == []
    assert not store.photo_dir.exists()
    assert loaded.summary() == "refused 2 file(s); nothing stored"
