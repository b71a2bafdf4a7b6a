"""The worker's data check: downloads, diffs, emails the admins, applies nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import MemoryHuey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callmp.db import make_engine, make_session_factory
from callmp.directory import house_fetch, house_files, refresh, refresh_check
from callmp.directory.house_fetch import FetchSettings
from callmp.directory.refresh_check import DataCheckService
from callmp.letters.smtp import SmtpSender
from callmp.models import DataCheck, DataRelease, Office, Person, Role, User
from callmp.views.context import services as _services
from tests.support.house_server import HouseServer, Misbehaviour
from tests.support.smtp_peer import SmtpPeer

#: A Monday morning, when the weekly check runs.
CHECKED = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
FROM = "data-checks@callmp.example"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on this test's database, as the worker has them."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def admins(sessions: sessionmaker[Session]) -> list[str]:
    """Two active admins (who are told), an inactive admin and a lead (who are not)."""
    with sessions() as session:
        for email, role, active in (
            ("ada@staff.example", Role.admin, True),
            ("bob@staff.example", Role.admin, True),
            ("gone@staff.example", Role.admin, False),
            ("lead@staff.example", Role.lead, True),
        ):
            session.add(User(email=email, role=role, password_hash="-", active=active))
        session.commit()
    return ["ada@staff.example", "bob@staff.example"]


def _service(
    sessions: sessionmaker[Session], server: HouseServer, peer: SmtpPeer
) -> DataCheckService:
    return DataCheckService(
        sessions=sessions,
        sender=SmtpSender(peer.host, peer.port, tls="none", timeout=5),
        fetch=FetchSettings(base_url=server.base_url, timeout_s=5, delay_s=0),
        mail_from=FROM,
        sleep=lambda _s: None,
    )


def _state(sessions: sessionmaker[Session]) -> tuple[int, int, int, list[str]]:
    """What a check must never change: people, offices, releases, parties."""
    with sessions() as session:
        people = session.scalar(select(func.count()).select_from(Person)) or 0
        offices = session.scalar(select(func.count()).select_from(Office)) or 0
        releases = session.scalar(select(func.count()).select_from(DataRelease)) or 0
        parties = list(session.scalars(select(Person.party).order_by(Person.id)))
    return people, offices, releases, parties


def _by_recipient(peer: SmtpPeer, count: int) -> dict[str, EmailMessage]:
    received = peer.wait_for(count)
    assert len(received) == count
    return {item.rcpt_tos[0]: item.message for item in received}


def _expected(
    sessions: sessionmaker[Session], server: HouseServer, folder: Path
) -> refresh.RefreshDiff:
    """The diff `flask data refresh --from` computes from the same files, saved by hand."""
    names = {
        "/Members/en/search/xml": house_fetch.MEMBERS_FILE,
        "/Members/en/addresses": house_fetch.ADDRESSES_FILE,
        "/Members/en/ministries/xml": house_fetch.MINISTRIES_FILE,
        "/Members/fr/ministries/xml": house_fetch.MINISTRIES_FR_FILE,
    }
    for path, body in server.pages.items():
        # Files named as the download names them: the printout lists them, and
        # refusals come in file order.
        person = path.rpartition("(")[2].rstrip(")")
        name = f"profile_{person}.html" if person.isdigit() else names[path]
        (folder / name).write_bytes(body)
    with sessions() as session:
        return refresh.compute_diff(session, house_files.read_sources(folder, as_of=CHECKED.date()))


def test_the_check_emails_the_diff_to_every_active_admin_and_applies_nothing(
    sessions: sessionmaker[Session], admins: list[str], smtp_peer: SmtpPeer, tmp_path: Path
) -> None:
    before = _state(sessions)
    with HouseServer() as server:
        expected = _expected(sessions, server, tmp_path)
        check = _service(sessions, server, smtp_peer).run(now=CHECKED)
    assert _state(sessions) == before
    outcome = "refused" if expected.refusals else "differences"
    assert (check.outcome, check.notified, check.error) == (outcome, 2, "")
    assert (check.differences, check.refusals) == (len(expected.rows), len(expected.refusals))
    assert check.report == refresh.format_diff(expected)
    subject = {
        "refused": "CallMP data check: the House of Commons' files would be refused",
        "differences": f"CallMP data check: {len(expected.rows)} differences with the House "
        "of Commons",
    }[outcome]
    messages = _by_recipient(smtp_peer, 2)
    assert sorted(messages) == admins
    for address, message in messages.items():
        assert message["To"].addresses[0].addr_spec == address
        assert message["From"].addresses[0].addr_spec == FROM
        assert message["Subject"] == subject
        body = message.get_content().replace("\r\n", "\n")
        lines = body.splitlines()
        assert lines[0].startswith("The House of Commons' files, downloaded on December 7, 2026")
        assert lines[0].endswith("Nothing was applied.")
        assert "Data in use: House of Commons, via CallMP's data files" in body
        # The April export's members joined by person id, as `flask data refresh` prints.
        assert "new member (9):" in lines
        assert "  35015 Larry Brock (#110354): Conservative, sitting since 2025-04-28" in lines
        assert body.rstrip("\n").endswith(check.report)
    with sessions() as session:
        stored = refresh_check.last_check(session)
        assert stored is not None and stored.id == check.id
        assert stored.checked_at == CHECKED
        assert stored.report == check.report
        assert stored.source == server.base_url


def test_a_failed_download_is_reported_and_changes_nothing(
    sessions: sessionmaker[Session], admins: list[str], smtp_peer: SmtpPeer
) -> None:
    before = _state(sessions)
    with HouseServer() as server:
        server.misbehave[house_fetch.ADDRESSES_PATH] = Misbehaviour(status=500)
        check = _service(sessions, server, smtp_peer).run(now=CHECKED)
    assert _state(sessions) == before
    assert (check.outcome, check.differences, check.report) == ("failed", 0, "")
    assert check.error == f"addresses page: HTTP 500 from {server.base_url}/Members/en/addresses"
    messages = _by_recipient(smtp_peer, 2)
    for message in messages.values():
        assert message["Subject"] == "CallMP data check failed"
        first = message.get_content().splitlines()[0]
        assert first.startswith("The check of December 7, 2026 could not download or read")
        assert check.error in first


def test_a_server_that_is_down_is_a_failed_check(
    sessions: sessionmaker[Session], admins: list[str], smtp_peer: SmtpPeer
) -> None:
    with HouseServer() as server:
        base = server.base_url  # nothing listens there once the server stops
    service = DataCheckService(
        sessions=sessions,
        sender=SmtpSender(smtp_peer.host, smtp_peer.port, tls="none", timeout=5),
        fetch=FetchSettings(base_url=base, timeout_s=2, delay_s=0),
        mail_from=FROM,
    )
    check = service.run(now=CHECKED)
    assert check.outcome == "failed"
    assert check.error.startswith("members export: download from")
    assert len(_by_recipient(smtp_peer, 2)) == 2


def test_an_admin_the_mail_server_refuses_does_not_stop_the_others(
    sessions: sessionmaker[Session], admins: list[str], smtp_peer: SmtpPeer
) -> None:
    smtp_peer.answer_next("550 5.1.1 No such mailbox", stage="RCPT")
    with HouseServer() as server:
        server.misbehave[house_fetch.MEMBERS_PATH] = Misbehaviour(status=503)
        check = _service(sessions, server, smtp_peer).run(now=CHECKED)
    assert check.notified == 1
    assert len(_by_recipient(smtp_peer, 1)) == 1


def test_the_report_is_written_in_the_default_language() -> None:
    findings = refresh_check.CheckFindings(outcome="failed", error="members export: HTTP 500")
    subject, body = refresh_check.compose(findings, CHECKED, "", "fr")
    assert subject == "Vérification des données de CallMP\u00a0: échec"
    assert body.startswith("La vérification du 7 décembre 2026 n’a pas pu")
    assert "members export: HTTP 500" in body


def _periodic(service_config: dict[str, str], when: datetime) -> list[str]:
    huey = MemoryHuey("test-checks", immediate=True)
    config = {
        "HOUSE_BASE_URL": "https://www.ourcommons.ca",
        "HOUSE_FETCH_TIMEOUT_S": 30,
        "HOUSE_FETCH_DELAY_S": 1,
        "HOUSE_FETCH_MAX_BYTES": 1000,
        "MAIL_FROM": FROM,
        "DEFAULT_LOCALE": "en",
        **service_config,
    }
    DataCheckService.from_config(config, make_session_factory(make_engine("sqlite://")), huey, None)  # type: ignore[arg-type]
    return [task.name for task in huey.read_periodic(when.replace(tzinfo=None))]


@pytest.mark.parametrize(
    ("schedule", "when", "due"),
    [
        ("weekly", datetime(2026, 12, 7, 10, 0), True),  # Monday
        ("weekly", datetime(2026, 12, 8, 10, 0), False),
        ("daily", datetime(2026, 12, 8, 10, 0), True),
        ("daily", datetime(2026, 12, 8, 11, 0), False),
        ("off", datetime(2026, 12, 7, 10, 0), False),
    ],
)
def test_the_check_is_scheduled_only_when_asked(schedule: str, when: datetime, due: bool) -> None:
    names = _periodic({"DATA_REFRESH_CHECK": schedule}, when)
    assert ("check_house_data" in names) is due


def test_last_check_is_none_before_any(db_session: Session) -> None:
    assert refresh_check.last_check(db_session) is None
    assert db_session.scalar(select(func.count()).select_from(DataCheck)) == 0


def test_the_worker_of_an_app_with_a_schedule_runs_the_check(
    make_app: Callable[..., Flask],
) -> None:
    monday = datetime(2026, 12, 7, 10, 0)
    weekly = services_of(make_app(DATA_REFRESH_CHECK="weekly")).queue.read_periodic(monday)
    assert "check_house_data" in [task.name for task in weekly]
    off = services_of(make_app()).queue.read_periodic(monday)
    assert "check_house_data" not in [task.name for task in off]


def services_of(app: Flask) -> Any:
    """The app's services (the worker's queue among them)."""
    with app.app_context():
        return _services()


def test_a_french_speaking_setup_gets_the_report_in_french(
    sessions: sessionmaker[Session], admins: list[str], smtp_peer: SmtpPeer
) -> None:
    with HouseServer() as server:
        server.misbehave[house_fetch.MEMBERS_PATH] = Misbehaviour(status=500)
        service = _service(sessions, server, smtp_peer)
        service.locale = "fr"
        service.run(now=CHECKED)
    message = _by_recipient(smtp_peer, 2)[admins[0]]
    assert message["Subject"] == "Vérification des données de CallMP\u00a0: échec"
    assert message["Content-Language"] == "fr"
    paragraphs = message.get_content().replace("\r\n", "\n").split("\n\n")
    assert paragraphs[1].startswith(
        "Données utilisées\u00a0: Chambre des communes, par les fichiers de données de CallMP"
    )
