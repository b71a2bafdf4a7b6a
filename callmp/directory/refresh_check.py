"""The worker's scheduled data check: download the House's files, diff, tell the admins.

With ``DATA_REFRESH_CHECK`` set to "daily" or "weekly", the queue worker downloads the
House of Commons' files (``house_fetch``), compares them with the data
(``refresh.compute_diff``, which only reads) and emails the diff to every active admin,
then keeps a ``DataCheck`` row for the staff pages. It never applies anything: a person
reads the diff and runs ``flask data refresh --apply``. A failed download is reported the
same way, so a silent check never passes for a clean one. No Flask here.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date
from huey import crontab
from huey.api import Huey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callmp.db import utcnow
from callmp.directory import freshness, house_fetch, house_files, refresh
from callmp.directory.house_sources import SourceError
from callmp.i18n import N_, translator
from callmp.letters import smtp as mail
from callmp.models import DataCheck, Role, User

log = logging.getLogger(__name__)

#: When the check runs (UTC): 10:00 is early morning across Canada.
SCHEDULES = {
    "daily": {"minute": "0", "hour": "10"},
    "weekly": {"minute": "0", "hour": "10", "day_of_week": "1"},
}
DIFFERENCES, REFUSED, FAILED = "differences", "refused", "failed"

SUBJECTS = {
    DIFFERENCES: N_("CallMP data check: %(count)s differences with the House of Commons"),
    REFUSED: N_("CallMP data check: the House of Commons' files would be refused"),
    FAILED: N_("CallMP data check failed"),
}
INTROS = {
    DIFFERENCES: N_(
        "The House of Commons' files, downloaded on %(date)s, differ from CallMP's data "
        "in %(count)s places, listed below. Nothing was applied."
    ),
    REFUSED: N_(
        "The House of Commons' files, downloaded on %(date)s, have problems a refresh "
        "refuses (%(count)s, listed below). Nothing was applied."
    ),
    FAILED: N_(
        "The check of %(date)s could not download or read the House of Commons' files: "
        "%(error)s. Nothing was applied; the next check tries again."
    ),
}
LOADED = N_("Data in use: %(source)s, as of %(as_of)s.")
HOW_TO_APPLY = N_(
    "To apply the differences after reading them, an admin runs: flask data refresh --apply"
)
#: The refusal shown when something other than the House's files went wrong.
UNEXPECTED = "an unexpected error (see the worker's log)"


@dataclass(frozen=True)
class CheckFindings:
    """What one check found, before it is stored and sent."""

    outcome: str
    differences: int = 0
    refusals: int = 0
    error: str = ""
    report: str = ""


def _diff(sessions: sessionmaker[Session], folder: Path, day: date) -> CheckFindings:
    """Read the files downloaded on ``day`` and diff them with the data, writing nothing."""
    # Downloaded files carry no date in their names: they are as of the download.
    sources = house_files.read_sources(folder, as_of=day)
    with sessions() as session:
        diff = refresh.compute_diff(session, sources)
        session.rollback()
    outcome = REFUSED if diff.refusals else DIFFERENCES
    return CheckFindings(
        outcome=outcome,
        differences=len(diff.rows),
        refusals=len(diff.refusals),
        report=refresh.format_diff(diff),
    )


def compose(findings: CheckFindings, when: datetime, loaded: str, locale: str) -> tuple[str, str]:
    """The subject and body of the admins' message in ``locale``."""
    _ = translator(locale)
    day = format_date(when.date(), "long", locale=locale)
    count = findings.refusals if findings.outcome == REFUSED else findings.differences
    subject = _(SUBJECTS[findings.outcome]) % {"count": count}
    paragraphs = [
        _(INTROS[findings.outcome]) % {"date": day, "count": count, "error": findings.error}
    ]
    if loaded:
        paragraphs.append(loaded)
    if findings.outcome == DIFFERENCES and findings.differences:
        paragraphs.append(_(HOW_TO_APPLY))
    if findings.report:
        paragraphs.append(findings.report)
    return subject, "\n\n".join(paragraphs) + "\n"


@dataclass
class DataCheckService:
    """The scheduled check, built once per process on the shared queue."""

    sessions: sessionmaker[Session]
    sender: mail.EmailSender
    fetch: house_fetch.FetchSettings
    mail_from: str
    locale: str = "en"
    schedule: str = "off"
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    _task: Any = field(default=None, init=False)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        sessions: sessionmaker[Session],
        huey: Huey,
        sender: mail.EmailSender,
    ) -> DataCheckService:
        """The service ``config`` asks for; its periodic job only when a schedule is set."""
        service = cls(
            sessions=sessions,
            sender=sender,
            fetch=house_fetch.FetchSettings.from_config(config),
            mail_from=str(config["MAIL_FROM"]),
            locale=str(config["DEFAULT_LOCALE"]),
            schedule=str(config["DATA_REFRESH_CHECK"]),
        )
        if service.schedule in SCHEDULES:

            @huey.periodic_task(crontab(**SCHEDULES[service.schedule]), name="check_house_data")
            def check_house_data() -> None:
                """The periodic job: compare the data with the House's files; apply nothing."""
                service.run()

            service._task = check_house_data
        return service

    def _findings(self, day: date) -> CheckFindings:
        """Download into a folder of its own and diff; a failure is a finding too."""
        try:
            with tempfile.TemporaryDirectory(prefix="callmp-check-") as folder:
                house_fetch.fetch_all(Path(folder), self.fetch, sleep=self.sleep)
                return _diff(self.sessions, Path(folder), day)
        except SourceError as error:
            return CheckFindings(outcome=FAILED, error=str(error)[:500])
        except Exception:
            log.exception("The data check failed")
            return CheckFindings(outcome=FAILED, error=UNEXPECTED)

    def run(self, now: datetime | None = None) -> DataCheck:
        """Check once: find, tell every active admin, keep the result; apply nothing."""
        when = now or self.clock()
        findings = self._findings(when.date())
        with self.sessions(expire_on_commit=False) as session:
            admins = list(
                session.scalars(select(User).where(User.role == Role.admin, User.active.is_(True)))
            )
            data = freshness.newest(session)
            loaded = ""
            if data is not None:
                _ = translator(self.locale)
                loaded = _(LOADED) % {
                    "source": _(data.source),  # the shipped source is a msgid
                    "as_of": format_date(data.as_of, "long", locale=self.locale),
                }
            subject, body = compose(findings, when, loaded, self.locale)
            notified = sum(self._send(admin, subject, body, when) for admin in admins)
            check = DataCheck(
                checked_at=when,
                source=self.fetch.base_url,
                outcome=findings.outcome,
                differences=findings.differences,
                refusals=findings.refusals,
                error=findings.error,
                report=findings.report,
                notified=notified,
            )
            session.add(check)
            session.commit()
        return check

    def _send(self, admin: User, subject: str, body: str, when: datetime) -> bool:
        """Send the report to one admin; False (logged by id) when the sender refused."""
        outgoing = mail.OutgoingMail(
            message_id=mail.new_message_id(self.mail_from),
            from_name="CallMP",
            from_address=self.mail_from,
            to_name=admin.name,
            to_address=admin.email,
            reply_to_name="",
            reply_to_address=None,
            subject=subject,
            body=body,
            locale=self.locale if self.locale in ("en", "fr") else "en",
        )
        try:
            self.sender.send(mail.build_message(outgoing, when))
        except (mail.MailError, ValueError) as error:
            log.warning("Data check report to account %s not sent: %s", admin.id, error)
            return False
        return True


#: The most recent check (kept here too, where the checks are made).
last_check = freshness.last_check
