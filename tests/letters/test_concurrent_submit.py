"""One supporter's letter submitted twice at once (two servers) is stored once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.db import utcnow
from callmp.letters import submit
from callmp.letters.submit import LetterRefused
from callmp.models import EmailSubmission
from callmp.views import letter_input
from tests.factories import demo_campaign
from tests.support.app import mail_service, sessions

pytestmark = pytest.mark.skipif(
    not os.environ.get("CALLMP_TEST_DATABASE_URL"),
    reason="two transactions at once need PostgreSQL (SQLite serializes its writers)",
)

LETTER = {"name": "Jane Doe", "postal_code": "M5V 3L9", "email": "jane@example.org"}


def ask(app: Flask, session: Session, ip: str) -> submit.LetterAsk:
    """Jane's letter as the form or API prepares it, on ``session``'s campaign."""
    with app.test_request_context():
        prepared = letter_input.prepare(demo_campaign(session), LETTER, "en", strict_pick=True)
        return prepared.ask(consent_followup=False, referral="", ip=ip)


def test_the_same_letter_racing_on_two_servers_is_stored_once(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    settings = mail_service(app).settings
    first_session, second_session = sessions(app)(), sessions(app)()
    outcome: list[str] = []
    started = threading.Event()

    def racing() -> None:
        started.set()
        try:
            submit.submit(second_session, second, settings=settings, now=utcnow())
            second_session.commit()
            outcome.append("stored")
        except LetterRefused as refused:
            second_session.rollback()
            outcome.append(refused.reason)

    try:
        first, second = ask(app, first_session, "192.0.2.1"), ask(app, second_session, "192.0.2.2")
        submit.submit(first_session, first, settings=settings, now=utcnow())  # not committed
        thread = threading.Thread(target=racing)
        thread.start()
        started.wait()
        thread.join(0.5)
        # Without the lock the second would have found no letter and stored its own.
        assert thread.is_alive() and outcome == []
        first_session.commit()
        thread.join(10)
        assert outcome == ["duplicate"]
        with sessions(app)() as session:
            assert session.scalar(select(func.count()).select_from(EmailSubmission)) == 1
    finally:
        first_session.close()
        second_session.close()
