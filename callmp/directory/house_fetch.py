"""Download the House of Commons' member publications into a folder ``read_sources`` reads.

The members export (XML), the "addresses for current members" page, the profile page of
every sitting member the export lists, and the ministry list (XML), one request at a
time with a pause between them (the House's site is a public service, not ours). Each
download has a timeout, a size limit and a User-Agent naming CallMP; an HTTP error, a
body shorter than announced, a page that is not the member's profile or an export that
does not parse refuses the whole download with a :class:`SourceError`: nothing partial
is left for a refresh to read. No Flask here.
"""

from __future__ import annotations

import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from callmp.directory.house_sources import (
    HOUSE_SITE,
    SourceError,
    parse_members_xml,
    parse_profile_html,
)

MEMBERS_PATH = "/Members/en/search/xml"
ADDRESSES_PATH = "/Members/en/addresses"
MINISTRIES_PATH = "/Members/en/ministries/xml"
#: The French list: the portfolios' French titles.
MINISTRIES_FR_PATH = "/Members/fr/ministries/xml"
USER_AGENT = "CallMP/0.1 (MP contact data refresh; one request at a time)"
MEMBERS_FILE = "members.xml"
ADDRESSES_FILE = "addresses.html"
MINISTRIES_FILE = "ministries.xml"
MINISTRIES_FR_FILE = "ministries_fr.xml"
_CHUNK = 65536
#: The subfolder photos are saved in, named ``<person id>.jpg`` (read_sources skips it).
PHOTOS_FOLDER = "photos"
_PROFILE_ID = re.compile(rb'id="mp-profile-person-id-([0-9]{1,9})"')
_SLUG_DROPPED = re.compile(r"[\u2019'.]")
_SLUG_SEPARATOR = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FetchSettings:
    """Where the House's files are and how politely and patiently to download them."""

    base_url: str = "https://www.ourcommons.ca"
    timeout_s: float = 30.0
    delay_s: float = 1.0
    max_bytes: int = 10_000_000
    # Also each member's photo (for ``--apply``: the scheduled check only diffs).
    photos: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FetchSettings:
        """The settings ``config`` gives (``HOUSE_*``)."""
        return cls(
            base_url=str(config["HOUSE_BASE_URL"]).rstrip("/"),
            timeout_s=float(config["HOUSE_FETCH_TIMEOUT_S"]),
            delay_s=float(config["HOUSE_FETCH_DELAY_S"]),
            max_bytes=int(config["HOUSE_FETCH_MAX_BYTES"]),
        )


@dataclass
class FetchReport:
    """The files written and how many requests it took."""

    folder: Path
    files: list[str] = field(default_factory=list)
    requests: int = 0
    #: Photos saved in ``PHOTOS_FOLDER`` (person ids), and those that failed, with why.
    photos: list[int] = field(default_factory=list)
    photo_failures: list[str] = field(default_factory=list)


def profile_slug(first_name: str, last_name: str) -> str:
    """The House's URL slug for a member: ``Chris d'Entremont`` -> ``chris-dentremont``."""
    text = unicodedata.normalize("NFKD", f"{first_name} {last_name}")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return _SLUG_SEPARATOR.sub("-", _SLUG_DROPPED.sub("", text)).strip("-")


def profile_path(first_name: str, last_name: str, person_id: int) -> str:
    """The path of a member's profile page, as the House builds it."""
    return f"/Members/en/{profile_slug(first_name, last_name)}({person_id})"


class _Downloader:
    """One HTTP session, one request at a time, with the pause between requests."""

    def __init__(
        self,
        settings: FetchSettings,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.sleep = sleep
        self.clock = clock
        self.count = 0
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.http.max_redirects = 5

    def get(self, path: str, what: str) -> bytes:
        """The body at ``path``, whole, or SourceError saying what went wrong."""
        if self.count:
            self.sleep(self.settings.delay_s)
        self.count += 1
        url = self.settings.base_url + path
        # A total deadline too: the read timeout alone lets a server that sends a byte
        # now and then hold the download for ever.
        deadline = self.clock() + self.settings.timeout_s
        try:
            with self.http.get(url, timeout=self.settings.timeout_s, stream=True) as response:
                if response.status_code != 200:
                    raise SourceError(f"{what}: HTTP {response.status_code} from {url}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > self.settings.max_bytes:
                    raise SourceError(f"{what}: {declared} bytes, over the limit")
                body = bytearray()
                for chunk in response.iter_content(_CHUNK):
                    body += chunk
                    if len(body) > self.settings.max_bytes:
                        raise SourceError(
                            f"{what}: more than {self.settings.max_bytes} bytes, over the limit"
                        )
                    if self.clock() > deadline:
                        raise SourceError(f"{what}: took longer than {self.settings.timeout_s:g} s")
        except requests.Timeout:
            raise SourceError(
                f"{what}: no answer from {url} within {self.settings.timeout_s:g} s"
            ) from None
        except requests.RequestException as error:
            # urllib3 reports a body shorter than its Content-Length here too.
            raise SourceError(
                f"{what}: download from {url} failed ({type(error).__name__})"
            ) from None
        if declared.isdigit() and len(body) != int(declared):
            raise SourceError(f"{what}: truncated ({len(body)} of {declared} bytes)")
        if not body:
            raise SourceError(f"{what}: empty answer from {url}")
        return bytes(body)

    def close(self) -> None:
        """Release the session's connections."""
        self.http.close()


def _fetch_photo(
    downloader: _Downloader, page: bytes, person_id: int, staging: Path, report: FetchReport
) -> None:
    """Save the photo a profile page shows; a missing photo is noted, not a refusal (the
    riding page then shows none), and only the House's own site is asked for one."""
    try:
        url = parse_profile_html(page.decode("utf-8", "replace")).photo_url
    except SourceError as error:
        report.photo_failures.append(f"{person_id}: {error}")
        return
    if not url.startswith(HOUSE_SITE + "/"):
        report.photo_failures.append(f"{person_id}: no photo on the House's site")
        return
    try:
        data = downloader.get(url[len(HOUSE_SITE) :], f"photo of member {person_id}")
    except SourceError as error:
        report.photo_failures.append(str(error))
        return
    folder = staging / PHOTOS_FOLDER
    folder.mkdir(exist_ok=True)
    (folder / f"{person_id}.jpg").write_bytes(data)
    report.photos.append(person_id)


def fetch_all(
    folder: Path,
    settings: FetchSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FetchReport:
    """Download every file a refresh reads into ``folder`` (empty), or raise SourceError."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise SourceError(f"{folder}: not empty; the download needs a folder of its own")
    report = FetchReport(folder=folder)
    # Files wait in a staging folder (read_sources reads files only, not folders) and
    # move up once everything arrived: a refused download leaves the folder empty.
    staging = folder / ".download"
    staging.mkdir()
    downloader = _Downloader(settings, sleep, clock)
    try:
        members_xml = downloader.get(MEMBERS_PATH, "members export")
        members = parse_members_xml(members_xml)
        sitting = [m for m in members if m.to_date is None]
        if any(m.person_id is None for m in sitting):
            raise SourceError("members export: no PersonId; profile pages cannot be found")
        (staging / MEMBERS_FILE).write_bytes(members_xml)
        addresses = downloader.get(ADDRESSES_PATH, "addresses page")
        (staging / ADDRESSES_FILE).write_bytes(addresses)
        ministries = downloader.get(MINISTRIES_PATH, "ministry list")
        (staging / MINISTRIES_FILE).write_bytes(ministries)
        french = downloader.get(MINISTRIES_FR_PATH, "ministry list (French)")
        (staging / MINISTRIES_FR_FILE).write_bytes(french)
        for member in sitting:
            assert member.person_id is not None  # checked above
            what = f"profile page of {member.full_name} ({member.person_id})"
            page = downloader.get(
                profile_path(member.first_name, member.last_name, member.person_id), what
            )
            # Only the id here (read_sources parses the whole page later): a redirect to
            # another member's page, or a page with no profile, stops the download now.
            found = _PROFILE_ID.search(page)
            if found is None:
                raise SourceError(f"{what}: no mp-profile-person-id container (layout changed?)")
            if int(found.group(1)) != member.person_id:
                raise SourceError(f"{what}: the page is that of member {int(found.group(1))}")
            (staging / f"profile_{member.person_id}.html").write_bytes(page)
            if settings.photos:
                _fetch_photo(downloader, page, member.person_id, staging, report)
        for path in sorted(staging.iterdir()):
            path.rename(folder / path.name)
            if path.name != PHOTOS_FOLDER:
                report.files.append(path.name)
    finally:
        report.requests = downloader.count
        downloader.close()
        shutil.rmtree(staging, ignore_errors=True)
    return report
