"""A stand-in for www.ourcommons.ca on loopback, serving the saved House files.

It serves the members export, the addresses page and the ministry lists from
``tests/fixtures/house/`` at the House's own paths, and a profile page for every member:
the saved page where there is one, else the saved page of Ziad Aboultaif with the
member's id, name, riding, province and caucus put in its place (a stand-in: the real
pages differ only in those values and the photo). It can be told to answer one path with
an HTTP error, to cut a body short of its Content-Length, or to stall past the client's
timeout, and it records every request (path and User-Agent).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from callmp.directory import house_fetch
from callmp.directory.house_sources import parse_members_xml

HOUSE = Path(__file__).parent.parent / "fixtures" / "house"
MEMBERS_XML = HOUSE / "members_search_xml_2026-04_45th_memreps.xml"
ADDRESSES_TEXT = HOUSE / "members_addresses_page_2026-09-02_text-extract_dlpscan-rs.txt"
TEMPLATE_PROFILE = HOUSE / "member_profile_ziad-aboultaif_89156_2025-08-09.html"
#: The ministry lists, English and French: CONSTRUCTED test files (no saved copy exists,
#: see tests/fixtures/house/README.md).
MINISTRIES_EN = HOUSE / "ministries_en_2026-11-20_CONSTRUCTED.xml"
MINISTRIES_FR = HOUSE / "ministries_fr_2026-11-20_CONSTRUCTED.xml"


def _saved_profiles() -> dict[int, bytes]:
    """The saved profile pages by person id (from their file names)."""
    pages: dict[int, bytes] = {}
    for path in HOUSE.glob("member_profile_*.html"):
        pages[int(path.stem.split("_")[-2])] = path.read_bytes()
    return pages


def stand_in_profile(
    person_id: int, name: str, constituency: str, province: str, caucus: str
) -> bytes:
    """Ziad Aboultaif's saved page with another member's values in place of his."""
    text = TEMPLATE_PROFILE.read_text(encoding="utf-8")
    for old, new in (
        ("89156", str(person_id)),
        ("Ziad Aboultaif", name),
        ("Edmonton Manning", constituency),
        ("<dd>Alberta</dd>", f"<dd>{province}</dd>"),
        (">Conservative</dd>", f">{caucus}</dd>"),
    ):
        text = text.replace(old, new)
    return text.encode("utf-8")


def house_pages(members_xml: bytes | None = None) -> dict[str, bytes]:
    """Every path the House serves for a refresh, with its body."""
    members_xml = members_xml if members_xml is not None else MEMBERS_XML.read_bytes()
    pages = {
        house_fetch.MEMBERS_PATH: members_xml,
        house_fetch.ADDRESSES_PATH: ADDRESSES_TEXT.read_bytes(),
        house_fetch.MINISTRIES_PATH: MINISTRIES_EN.read_bytes(),
        house_fetch.MINISTRIES_FR_PATH: MINISTRIES_FR.read_bytes(),
    }
    saved = _saved_profiles()
    for member in parse_members_xml(members_xml):
        if member.person_id is None or member.to_date is not None:
            continue
        path = house_fetch.profile_path(member.first_name, member.last_name, member.person_id)
        pages[path] = saved.get(member.person_id) or stand_in_profile(
            member.person_id,
            member.full_name,
            member.constituency,
            member.province,
            member.caucus,
        )
    return pages


@dataclass
class Misbehaviour:
    """How the server answers one path instead of serving it."""

    status: int = 200
    truncate: bool = False
    stall_s: float = 0.0


@dataclass
class HouseServer:
    """The loopback server; a context manager. ``base_url`` is set once it listens."""

    pages: dict[str, bytes] = field(default_factory=house_pages)
    misbehave: dict[str, Misbehaviour] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    base_url: str = ""
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> HouseServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append((self.path, self.headers.get("User-Agent", "")))
                odd = owner.misbehave.get(self.path, Misbehaviour())
                body = owner.pages.get(self.path)
                if body is None:
                    odd = Misbehaviour(status=404)
                if odd.stall_s:
                    owner._stop.wait(odd.stall_s)
                if odd.status != 200 or body is None:
                    self.send_response(odd.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # A cut connection: half the body, then the socket closes.
                self.wfile.write(body[: len(body) // 2] if odd.truncate else body)
                if odd.truncate:
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read ``requests`` instead."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        return [path for path, _agent in self.requests]
