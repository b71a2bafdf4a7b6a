"""Letters with a real consumer: ``flask worker`` in its own process, on the SQLite queue and
on Redis, sending by SMTP to the loopback peer.

The confirmation email and the letters travel through the queue's storage to the worker;
a second click on the confirmation link sends nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask

from callmp.demo import DEMO_SLUG
from callmp.models import MessageKind, MessageStatus
from tests.support.app import PUBLIC_URL, mail_service
from tests.support.letters import confirmation_link, messages, smtp_app
from tests.support.smtp_peer import SmtpPeer
from tests.support.worker import queue_settings, running_worker, wait_until

LETTERS_API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
LETTER = {"name": "Jane Doe", "email": "jane@example.org", "postal_code": "M5V 3L9"}


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> dict[str, Any]:
    """Settings for a real queue: a SQLite file, or the test's Redis server."""
    return queue_settings(request.param, tmp_path, redis_url)


@pytest.mark.real_clock("the worker runs in a subprocess, on the real clock")
def test_a_confirmed_letter_is_sent_once_by_the_worker(
    make_app: Callable[..., Flask],
    smtp_peer: SmtpPeer,
    queue: dict[str, Any],
    redis_url: str,
    tmp_path: Path,
) -> None:
    app = smtp_app(make_app, smtp_peer.port, PUBLIC_URL=PUBLIC_URL, **queue)
    client = app.test_client()
    response = client.post(LETTERS_API, json=LETTER)
    assert (response.status_code, response.get_json()["status"]) == (202, "awaiting_confirmation")
    huey = mail_service(app).huey
    assert huey.pending_count() == 1  # the confirmation email, waiting for a worker
    assert smtp_peer.wait_for(1, timeout=0.5) == []
    with running_worker(app, tmp_path, RATELIMIT_STORAGE_URI=redis_url):
        (confirmation,) = smtp_peer.wait_for(1, timeout=30)
        path = urlsplit(confirmation_link(confirmation.message)).path
        assert client.post(path).status_code == 303
        assert client.post(path).status_code == 303  # clicked twice
        assert len(smtp_peer.wait_for(3, timeout=30)) == 3
        assert wait_until(lambda: [m.status for m in messages(app)] == [MessageStatus.sent] * 2)
        assert wait_until(lambda: huey.pending_count() == 0)
    # Nothing more arrives: one confirmation, one letter to each of the two recipients.
    received = smtp_peer.wait_for(4, timeout=1)
    assert len(received) == 3
    sent_ids = sorted(str(r.message["Message-ID"]).strip("<>") for r in received[1:])
    assert sent_ids == sorted(m.message_id.strip("<>") for m in messages(app, MessageKind.letter))
