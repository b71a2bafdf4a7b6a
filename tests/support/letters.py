"""Letters through the app: SMTP-mode apps, stored messages, the mail queue's retries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage as ParsedMessage
from typing import Any

from flask import Flask
from sqlalchemy import select, update

from callmp.db import utcnow
from callmp.models import EmailMessage, MessageKind
from tests.support.app import mail_service, run_scheduled, sessions


def smtp_app(make_app: Callable[..., Flask], port: int, **overrides: Any) -> Flask:
    """An app whose mail goes by SMTP to 127.0.0.1:``port``."""
    settings = {"MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port}
    return make_app(**{**settings, "SMTP_TLS": "none", "SMTP_TIMEOUT": 2.0, **overrides})


def messages(app: Flask, kind: MessageKind | None = MessageKind.letter) -> list[EmailMessage]:
    """Stored messages (of ``kind``), oldest first."""
    with sessions(app)() as session:
        query = select(EmailMessage).order_by(EmailMessage.id)
        if kind is not None:
            query = query.where(EmailMessage.kind == kind)
        return list(session.scalars(query))


def run_mail_jobs(app: Flask) -> int:
    """Run every job in the queue's schedule now, whatever its time; how many ran."""
    return run_scheduled(mail_service(app).huey, "send_email")


def make_due(app: Flask) -> None:
    """Pretend every retry's wait is over."""
    with sessions(app)() as session:
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(EmailMessage).values(next_try_at=past))
        session.commit()


def confirmation_link(received: ParsedMessage) -> str:
    """The confirm URL in a confirmation email."""
    lines = str(received.get_content()).splitlines()
    (link,) = [line for line in lines if "/emails/confirm/" in line]
    return link.strip()
