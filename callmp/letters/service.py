"""The email queue: send stored messages in the background, retry, sweep and purge.

The ``EmailMessage`` row is the source of truth; the queue only carries its id. Shares
the Huey instance of the call queue, so one ``flask worker`` runs both. No Flask here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from huey import crontab
from huey.api import Huey
from huey.exceptions import RetryTask
from sqlalchemy.orm import Session, sessionmaker

from callmp.db import utcnow
from callmp.letters import bounces, delivery, dkim_signing, outbox, submit
from callmp.letters import smtp as mail
from callmp.letters.records import MailSettings
from callmp.letters.submit import LetterAsk, Stored
from callmp.letters.verp import Verp
from callmp.ops.metrics import Metrics

log = logging.getLogger(__name__)


def mail_settings(config: Mapping[str, Any]) -> MailSettings:
    """Email limits and periods from the config."""
    return MailSettings(
        secret=str(config["SECRET_KEY"]),
        default_from=str(config["MAIL_FROM"]),
        public_url=str(config["PUBLIC_URL"] or "http://127.0.0.1:5000"),
        confirm_hours=int(config["EMAIL_CONFIRM_HOURS"]),
        reminder_hours=int(config["EMAIL_REMINDER_HOURS"]),
        retry_hours=int(config["EMAIL_RETRY_HOURS"]),
        duplicate_hours=int(config["EMAIL_DUPLICATE_HOURS"]),
        retention_days=int(config["EMAIL_RETENTION_DAYS"]),
        max_per_ip_per_hour=int(config["EMAIL_MAX_PER_IP_PER_HOUR"]),
        identical_nudge=int(config["EMAIL_IDENTICAL_NUDGE"]),
        call_retention_days=int(config["CALL_RETENTION_DAYS"]),
        ip_hash_retention_days=int(config["IP_HASH_RETENTION_DAYS"]),
        consent_proof_days=int(config["CONSENT_PROOF_DAYS"]),
    )


def make_sender(config: Mapping[str, Any]) -> mail.EmailSender:
    """The sender the config asks for: SMTP, or the local outbox folder (DKIM-signing both
    when configured; the key is read here, when the service is built)."""
    signer = dkim_signing.load_signer(config)
    if config["MAIL_BACKEND"] == "smtp":
        return mail.SmtpSender(
            str(config["SMTP_HOST"]),
            int(config["SMTP_PORT"]),
            tls=str(config["SMTP_TLS"]),
            username=str(config["SMTP_USERNAME"]),
            password=str(config["SMTP_PASSWORD"]),
            timeout=float(config["SMTP_TIMEOUT"]),
            signer=signer,
        )
    return outbox.LocalSender(Path(config["MAIL_OUTBOX"]), signer=signer)


def make_verp(config: Mapping[str, Any]) -> Verp | None:
    """Per-message bounce addresses when CALLMP_BOUNCE_ADDRESS is set."""
    address = str(config.get("BOUNCE_ADDRESS") or "")
    return Verp(address, str(config["SECRET_KEY"])) if address else None


@dataclass
class MailService:
    """Everything sending mail needs, built once per process."""

    sessions: sessionmaker[Session]
    sender: mail.EmailSender
    settings: MailSettings
    huey: Huey
    sweep_after_s: int
    outbox: Path | None = None  # the local backend's folder, listed on the dev page
    clock: Callable[[], datetime] = utcnow
    metrics: Metrics = field(default_factory=Metrics)
    verp: Verp | None = None
    bounce_flag_after: int = 2
    _send_task: Callable[[int], Any] = field(init=False)

    @classmethod
    def from_config(
        cls,
        config: Mapping[str, Any],
        sessions: sessionmaker[Session],
        huey: Huey,
        metrics: Metrics | None = None,
    ) -> MailService:
        """Build the service and its sender from ``config``, on the shared queue."""
        local = config["MAIL_BACKEND"] != "smtp"
        service = cls(
            sessions=sessions,
            sender=make_sender(config),
            settings=mail_settings(config),
            huey=huey,
            sweep_after_s=int(config["EMAIL_SWEEP_AFTER_S"]),
            outbox=Path(config["MAIL_OUTBOX"]) if local else None,
            metrics=metrics or Metrics(),
            verp=make_verp(config),
            bounce_flag_after=int(config["BOUNCE_FLAG_AFTER"]),
        )
        service._register_tasks()
        return service

    def _register_tasks(self) -> None:
        """Declare the jobs on the shared Huey instance."""

        @self.huey.task(name="send_email")
        def send_email(message_id: int) -> None:
            """The queue job: send one message, or schedule its next try."""
            delay = self.deliver(message_id)
            if delay is not None:
                raise RetryTask(delay=delay)

        @self.huey.periodic_task(crontab(minute="*"), name="sweep_emails")
        def sweep_emails() -> None:
            """The periodic job: queue what is due, remind, expire, purge."""
            self.enqueue(self.sweep())

        self._send_task = send_email

    def submit(self, session: Session, ask: LetterAsk) -> Stored:
        """Check and store a letter (the caller commits, then queues its ``queued_ids``)."""
        return submit.submit(session, ask, settings=self.settings, now=utcnow())

    def enqueue(self, message_ids: Iterable[int]) -> None:
        """Hand stored messages to the queue; if the queue is down the sweeper retries."""
        for message_id in message_ids:
            self.metrics.letter("queued")
            try:
                self._send_task(message_id)
            except Exception:
                log.exception("Could not queue email message %s; the sweeper will", message_id)

    def deliver(self, message_id: int) -> int | None:
        """Send one message; seconds until the next try when it failed for now, else None."""
        with self.sessions() as session:
            now = self.clock()
            message = delivery.claim(session, message_id, now)
            session.commit()
            if message is None:
                return None
            try:
                outgoing = delivery.outgoing(message, self.settings.public_url)
                built = mail.build_message(outgoing, now)
                if self.verp is not None:
                    self.sender.send(built, envelope_from=self.verp.address(message.id))
                else:
                    self.sender.send(built)
            except mail.PermanentMailError as error:
                delivery.failed(session, message, self.clock(), error.reason)
                self.metrics.letter("failed")
            except mail.TemporaryMailError as error:
                delay = delivery.retry_later(
                    session, message, self.clock(), error.reason, self.settings
                )
                session.commit()
                if delay is None:
                    self.metrics.letter("failed")
                    return None
                log.info("Email message %s: %s; next try in %ss", message_id, error.reason, delay)
                return delay
            except ValueError as error:  # headers we cannot build: never worth retrying
                delivery.failed(session, message, self.clock(), f"bad message: {error}")
                self.metrics.letter("failed")
            else:
                delivery.sent(session, message, self.clock())
                self.metrics.letter("sent")
            session.commit()
            return None

    def bounce(self, raw: bytes) -> bounces.BounceResult:
        """Apply one DSN and queue the supporter's notice; raises dsn.DsnError for garbage."""
        with self.sessions() as session:
            result = bounces.process(
                session,
                raw,
                verp=self.verp,
                settings=self.settings,
                flag_after=self.bounce_flag_after,
                now=self.clock(),
            )
            session.commit()
        if result.message_id is not None:
            self.metrics.letter("bounced")
        self.enqueue(result.notices)
        return result

    def sweep(self, now: datetime | None = None) -> list[int]:
        """Due and stuck messages to queue (after reminders, expiry and purge)."""
        with self.sessions() as session:
            result = delivery.sweep(session, self.settings, now or self.clock(), self.sweep_after_s)
            session.commit()
        if result.reminded or result.expired or result.purged:
            log.info(
                "Email sweep: %s reminders, %s expired, %s purged",
                result.reminded,
                result.expired,
                result.purged,
            )
        return result.due

    def close(self) -> None:
        """Release the sender's connections."""
        self.sender.close()
