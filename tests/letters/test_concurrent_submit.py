"""One supporter's letter submitted twice at once (two servers) is stored once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import replace

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


def ask(app: Flask, session: Session, ip: str, email: str = "") -> submit.LetterAsk:
    """Jane's letter (from ``email`` if given) as the form or API prepares it, on
    ``session``'s campaign."""
    fields = dict(LETTER, email=email) if email else LETTER
    with app.test_request_context():
        prepared = letter_input.prepare(demo_campaign(session), fields, "en", strict_pick=True)
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


def test_identical_words_racing_for_the_last_place_before_the_nudge_wait_and_are_refused(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app()
    # One letter with these words is allowed; the next without a line of its own is nudged.
    settings = replace(mail_service(app).settings, identical_nudge=1)
    with sessions(app)() as session:
        campaign = demo_campaign(session)
        campaign.email_block_identical = True
        campaign.email_confirm = False
        session.commit()
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
        first = ask(app, first_session, "192.0.2.1")
        second = ask(app, second_session, "198.51.100.7", email="sam@example.net")
        assert first.fingerprint == second.fingerprint and not second.personal_line
        submit.submit(first_session, first, settings=settings, now=utcnow())  # not committed
        thread = threading.Thread(target=racing)
        thread.start()
        started.wait()
        thread.join(0.5)
        # Without the lock the second would count no identical letter and be stored.
        assert thread.is_alive() and outcome == []
        first_session.commit()
        thread.join(10)
        assert outcome == ["identical"]
    finally:
        first_session.close()
        second_session.close()
