"""Downloading the House's files from a real HTTP server on loopback."""

from __future__ import annotations

import csv
import dataclasses
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy.orm import Session

from callmp.directory import house_fetch, house_files, photo_folder
from callmp.directory.house_fetch import FetchSettings, fetch_all, profile_slug
from callmp.directory.house_sources import (
    HOUSE_SITE,
    SourceError,
    parse_members_xml,
    parse_profile_html,
)
from callmp.directory.photos import PhotoStore
from tests.support.app import DATA_DIR
from tests.support.house_server import HOUSE, MEMBERS_XML, HouseServer, Misbehaviour


def _settings(server: HouseServer, **changes: float) -> FetchSettings:
    values = {"timeout_s": 5.0, "delay_s": 0.25, "max_bytes": 2_000_000, **changes}
    return FetchSettings(
        base_url=server.base_url,
        timeout_s=float(values["timeout_s"]),
        delay_s=float(values["delay_s"]),
        max_bytes=int(values["max_bytes"]),
    )


def _sitting_ids() -> set[int]:
    members = parse_members_xml(MEMBERS_XML.read_bytes())
    return {m.person_id for m in members if m.to_date is None and m.person_id is not None}


def test_slugs_match_every_profile_address_in_the_shipped_data() -> None:
    with (DATA_DIR / "mps.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["profile_url"]]
    assert len(rows) > 300
    for row in rows:
        path = house_fetch.profile_path(
            row["first_name"], row["last_name"], int(row["ourcommons_person_id"])
        )
        assert "https://www.ourcommons.ca" + path == row["profile_url"]
    assert profile_slug("Chris", "d'Entremont") == "chris-dentremont"
    assert profile_slug("Alexis", "Deschênes") == "alexis-deschenes"


def test_fetch_saves_every_file_that_read_sources_reads(tmp_path: Path) -> None:
    pauses: list[float] = []
    with HouseServer() as server:
        report = fetch_all(tmp_path / "house", _settings(server), sleep=pauses.append)
    sitting = _sitting_ids()
    assert report.requests == 4 + len(sitting) == len(server.requests)
    # One at a time, with the configured pause between two requests.
    assert pauses == [0.25] * (report.requests - 1)
    assert {agent for _path, agent in server.requests} == {house_fetch.USER_AGENT}
    assert "CallMP" in house_fetch.USER_AGENT
    assert server.paths()[:4] == [
        house_fetch.MEMBERS_PATH,
        house_fetch.ADDRESSES_PATH,
        house_fetch.MINISTRIES_PATH,
        house_fetch.MINISTRIES_FR_PATH,
    ]
    saved = tmp_path / "house"
    assert (saved / house_fetch.MEMBERS_FILE).read_bytes() == MEMBERS_XML.read_bytes()
    assert (saved / house_fetch.MINISTRIES_FILE).read_bytes() == server.pages[
        house_fetch.MINISTRIES_PATH
    ]
    assert sorted(p.name for p in saved.iterdir()) == sorted(report.files)
    sources = house_files.read_sources(saved)
    assert sources.members is not None and len(sources.members) == 343
    assert sources.addresses is not None and len(sources.addresses) == 338
    assert {profile.person_id for profile in sources.profiles} == sitting
    # The ministry list is saved for the ministers' part; nothing else is left over.
    assert set(sources.skipped) <= {house_fetch.MINISTRIES_FILE}


@pytest.mark.parametrize(
    ("path", "odd", "message"),
    [
        (house_fetch.MEMBERS_PATH, Misbehaviour(status=500), "members export: HTTP 500"),
        (house_fetch.ADDRESSES_PATH, Misbehaviour(status=503), "addresses page: HTTP 503"),
        (house_fetch.ADDRESSES_PATH, Misbehaviour(truncate=True), "addresses page: download"),
        (house_fetch.MINISTRIES_PATH, Misbehaviour(status=404), "ministry list: HTTP 404"),
        ("/Members/en/scott-aitchison(105340)", Misbehaviour(status=500), "Scott Aitchison"),
    ],
)
def test_an_http_error_or_a_cut_body_refuses_and_leaves_nothing(
    tmp_path: Path, path: str, odd: Misbehaviour, message: str
) -> None:
    with HouseServer() as server:
        server.misbehave[path] = odd
        with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
            fetch_all(tmp_path, _settings(server, delay_s=0), sleep=lambda _s: None)
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_stalls_is_a_timeout_refusal(tmp_path: Path) -> None:
    with HouseServer() as server:
        server.misbehave[house_fetch.MEMBERS_PATH] = Misbehaviour(stall_s=3.0)
        with pytest.raises(SourceError, match=r"members export: no answer .* within 0.5 s"):
            fetch_all(tmp_path, _settings(server, timeout_s=0.5), sleep=lambda _s: None)
    assert list(tmp_path.iterdir()) == []


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    with (
        HouseServer() as server,
        pytest.raises(SourceError, match=r"members export: .* over the limit"),
    ):
        fetch_all(tmp_path, _settings(server, max_bytes=100_000), sleep=lambda _s: None)


def test_a_partial_members_export_is_refused_before_any_profile(tmp_path: Path) -> None:
    text = MEMBERS_XML.read_text(encoding="utf-8")
    cut = (
        text[: text.index("<MemberOfParliament>", len(text) // 3)] + "</ArrayOfMemberOfParliament>"
    )
    with HouseServer() as server:
        server.pages[house_fetch.MEMBERS_PATH] = cut.encode("utf-8")
        with pytest.raises(SourceError, match=r"only [0-9]+ sitting members"):
            fetch_all(tmp_path, _settings(server), sleep=lambda _s: None)
        assert server.paths() == [house_fetch.MEMBERS_PATH]


def test_a_profile_page_of_another_member_is_refused(tmp_path: Path) -> None:
    with HouseServer() as server:
        aitchison = "/Members/en/scott-aitchison(105340)"
        server.pages[aitchison] = server.pages["/Members/en/ziad-aboultaif(89156)"]
        with pytest.raises(SourceError, match=r"Scott Aitchison .*that of member 89156"):
            fetch_all(tmp_path, _settings(server, delay_s=0), sleep=lambda _s: None)


def test_a_folder_with_files_in_it_is_refused(tmp_path: Path) -> None:
    (tmp_path / "old.xml").write_text("<x/>", encoding="utf-8")
    with pytest.raises(SourceError, match="not empty"):
        fetch_all(tmp_path, FetchSettings(base_url="http://127.0.0.1:9"))


def test_settings_from_the_config() -> None:
    settings = FetchSettings.from_config(
        {
            "HOUSE_BASE_URL": "https://house.example/",
            "HOUSE_FETCH_TIMEOUT_S": 12,
            "HOUSE_FETCH_DELAY_S": "0.5",
            "HOUSE_FETCH_MAX_BYTES": 1000,
        }
    )
    assert settings == FetchSettings("https://house.example", 12.0, 0.5, 1000)


def test_cli_refresh_without_a_folder_downloads_then_diffs(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with HouseServer() as server:
        app = make_app(HOUSE_BASE_URL=server.base_url, HOUSE_FETCH_DELAY_S=0.0)
        result = app.test_cli_runner().invoke(args=["data", "refresh"])
        asked = len(server.requests)
    lines = result.output.splitlines()
    assert lines[0] == f"downloading from {server.base_url} (one page every 0 s)"
    assert lines[1] == f"downloaded {asked} files"
    assert asked == 4 + len(_sitting_ids())
    # The same diff as from saved files: the April export's members, joined by person id.
    assert "new member (9):" in lines
    assert "  35015 Larry Brock (#110354): Conservative, sitting since 2025-04-28" in lines
    assert list(tmp_path.iterdir()) == []  # the download's folder is gone


def test_cli_refresh_reports_a_failed_download_and_applies_nothing(
    make_app: Callable[..., Flask], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with HouseServer() as server:
        server.misbehave[house_fetch.MEMBERS_PATH] = Misbehaviour(status=500)
        app = make_app(HOUSE_BASE_URL=server.base_url, HOUSE_FETCH_DELAY_S=0.0)
        result = app.test_cli_runner().invoke(args=["data", "refresh"])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        f"Error: refused: members export: HTTP 500 from {server.base_url}"
        f"{house_fetch.MEMBERS_PATH}; nothing applied"
    )
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_page_that_is_no_profile_is_refused(tmp_path: Path) -> None:
    with HouseServer() as server:
        server.pages["/Members/en/scott-aitchison(105340)"] = b"<html><h1>Maintenance</h1></html>"
        with pytest.raises(SourceError, match=r"Scott Aitchison .*no mp-profile-person-id"):
            fetch_all(tmp_path, _settings(server, delay_s=0), sleep=lambda _s: None)


def test_fetch_with_photos_saves_the_houses_photos_for_the_photo_store(
    tmp_path: Path, db_session: Session
) -> None:
    albas = HOUSE / "member_profile_dan-albas_72029_2025-08-09.html"
    photo_url = parse_profile_html(albas.read_text("utf-8")).photo_url
    assert photo_url.startswith(HOUSE_SITE + "/")
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (120, 90, 60)).save(buffer, "JPEG")
    with HouseServer() as server:
        # Only Dan Albas's photo is there; every other member's photo is a 404.
        server.pages[photo_url[len(HOUSE_SITE) :]] = buffer.getvalue()
        settings = dataclasses.replace(_settings(server, delay_s=0), photos=True)
        report = fetch_all(tmp_path / "house", settings, sleep=lambda _s: None)
    sitting = _sitting_ids()
    assert report.requests == 4 + 2 * len(sitting) == len(server.requests)
    assert report.photos == [72029]
    assert len(report.photo_failures) == len(sitting) - 1
    assert all("HTTP 404" in failure for failure in report.photo_failures)
    saved = tmp_path / "house"
    photos = saved / house_fetch.PHOTOS_FOLDER
    assert [p.name for p in photos.iterdir()] == ["72029.jpg"]
    assert (photos / "72029.jpg").read_bytes() == buffer.getvalue()
    # The folder of photos is not one of the refresh's files, and read_sources skips it.
    assert house_fetch.PHOTOS_FOLDER not in report.files
    assert len(house_files.read_sources(saved).profiles) == len(sitting)
    store = PhotoStore(tmp_path / "store")
    loaded = photo_folder.load_photo_folder(db_session, store, photos)
    assert [person_id for person_id, _name in loaded.stored] == [72029]
    assert (tmp_path / "store" / "72029.jpg").read_bytes() == buffer.getvalue()
