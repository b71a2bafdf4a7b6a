"""MPs' photos come from the app: the photo route, the riding page, the API, and
``flask data photos --from DIR``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from callmp.views.photos import photo_store
from tests.support.photos import decoded, portrait

#: Spadina—Harbourfront and its MP's House person id (Chi Nguyen).
RIDING = "/c/status-for-all/riding/35100"
NGUYEN = 123192


@pytest.fixture
def photo_app(make_app: Callable[..., Flask], tmp_path: Path) -> Flask:
    """The app with its own, empty photo folder."""
    return make_app(PHOTO_DIR=str(tmp_path / "photos"))


def _photos_shown(html: bytes) -> list[str]:
    """The src of every MP photo on a riding page."""
    page = BeautifulSoup(html, "html.parser")
    return [str(img["src"]) for img in page.select("section.who img.photo")]


def test_a_stored_photo_is_served_with_its_type_and_a_long_cache_life(photo_app: Flask) -> None:
    photo_store(photo_app).store(NGUYEN, portrait("JPEG", (100, 125)))
    client = photo_app.test_client()
    with client.get(f"/photos/{NGUYEN}.jpg") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        assert decoded(response.data) == ("JPEG", (100, 125))
        cache = response.cache_control
        assert cache.public and cache.immutable and cache.max_age == 365 * 24 * 3600
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        etag = response.headers["ETag"]
    with client.get(f"/photos/{NGUYEN}.jpg", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", [f"/photos/{NGUYEN}.png", "/photos/72029.jpg"])
def test_a_missing_photo_is_a_short_404(photo_app: Flask, path: str) -> None:
    photo_store(photo_app).store(NGUYEN, portrait("JPEG"))
    response = photo_app.test_client().get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("path", ["/photos/123192.gif", "/photos/../etc/passwd", "/photos/x.jpg"])
def test_other_photo_paths_are_not_found(photo_app: Flask, path: str) -> None:
    assert photo_app.test_client().get(path).status_code == 404


def test_the_riding_page_shows_the_app_s_own_copy_of_the_photo(photo_app: Flask) -> None:
    photo_store(photo_app).store(NGUYEN, portrait("PNG"))
    client = photo_app.test_client()
    shown = _photos_shown(client.get(RIDING).data)
    assert len(shown) == 1  # the MP; the demo's minister has no House photo
    src = urlsplit(shown[0])
    assert (src.scheme, src.netloc, src.path) == ("", "", f"/photos/{NGUYEN}.png")
    with client.get(shown[0]) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"


def test_without_a_stored_photo_the_riding_page_shows_none(photo_app: Flask) -> None:
    html = photo_app.test_client().get(RIDING).data
    assert _photos_shown(html) == []
    assert b"ourcommons.ca" not in html


def test_the_api_gives_the_app_s_photo_url_or_null(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    lookup = "/api/v1/lookup?postal_code=M5V3L9"
    without = make_app(PHOTO_DIR=str(tmp_path / "none")).test_client()
    assert without.get(lookup).get_json()["ridings"][0]["member"]["photo_url"] is None
    app = make_app(PHOTO_DIR=str(tmp_path / "photos"))
    photo_store(app).store(NGUYEN, portrait())
    member = app.test_client().get(lookup).get_json()["ridings"][0]["member"]
    url = urlsplit(member["photo_url"])
    assert (url.netloc, url.path) == ("localhost", f"/photos/{NGUYEN}.jpg")


def test_the_command_loads_a_folder_and_refuses_a_non_image(
    photo_app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / f"{NGUYEN}.jpg").write_bytes(b"<!DOCTYPE html><title>Moved</title>")
    runner = photo_app.test_cli_runner()
    refused = runner.invoke(args=["data", "photos", "--from", str(folder)])
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert f"refused: {NGUYEN}.jpg: The file is not a JPEG or PNG image." in lines
    assert "Error: refused 1 file(s); nothing stored" in lines
    assert photo_store(photo_app).photo(NGUYEN) is None
    (folder / f"{NGUYEN}.jpg").write_bytes(portrait())
    loaded = runner.invoke(args=["data", "photos", "--from", str(folder)])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.startswith("stored 1 photo(s); 0 file(s) matched no member;")
    with photo_app.test_client().get(f"/photos/{NGUYEN}.jpg") as response:
        assert response.status_code == 200


def test_photos_loaded_by_the_command_show_on_pages_kept_for_the_revision(
    photo_app: Flask, tmp_path: Path
) -> None:
    client = photo_app.test_client()
    lookup = "/api/v1/lookup?postal_code=M5V3L9"
    assert client.get(lookup).get_json()["ridings"][0]["member"]["photo_url"] is None
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / f"{NGUYEN}.jpg").write_bytes(portrait())
    runner = photo_app.test_cli_runner()
    assert runner.invoke(args=["data", "photos", "--from", str(folder)]).exit_code == 0
    # The lookup's answer was kept for the revision; the command started a new one.
    member = client.get(lookup).get_json()["ridings"][0]["member"]
    assert urlsplit(member["photo_url"]).path == f"/photos/{NGUYEN}.jpg"
