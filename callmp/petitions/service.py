"""The petition delivery job: check the schedule, record due rounds, queue their mail.

No Flask. ``PetitionDeliveries`` is built once per process on the shared queue; its
periodic job runs in every worker, and the rounds' unique keys make two workers that
run it at once record each round once. Messages go through the ``MailService`` like
letters: its retries and its sweeper apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from huey import crontab
from huey.api import Huey
from sqlalchemy.orm import Session, sessionmaker

from callmp.db import utcnow
from callmp.letters.service import MailService
from callmp.models import Campaign, PetitionDelivery
from callmp.petitions import comments, delivery

log = logging.getLogger(__name__)


@dataclass
class PetitionDeliveries:
    """Deliver petitions on schedule and by hand, through the mail service."""

    sessions: sessionmaker[Session]
    mail: MailService
    huey: Huey
    clock: Callable[[], datetime] = utcnow
    _registered: bool = field(default=False, init=False)

    def register(self) -> PetitionDeliveries:
        """Declare the periodic job on the shared Huey instance."""

        def deliver_petitions() -> None:
            """The periodic job: record and send the rounds due; erase old messages' text."""
            self.run_schedule()

        # Huey's decorators are untyped: applied as a call, the job body stays typed.
        self.huey.periodic_task(crontab(minute="*"), name="deliver_petitions")(deliver_petitions)
        self._registered = True
        return self

    def run_schedule(self, now: datetime | None = None) -> list[int]:
        """Record every round due now (one commit each) and queue its mail; their ids."""
        when = now or self.clock()
        recorded: list[int] = []
        with self.sessions() as session:
            for due_round in delivery.scheduled(session, when):
                try:
                    made = delivery.record(session, due_round, self.mail.settings, when)
                    session.commit()
                except Exception:
                    session.rollback()
                    log.exception("Petition delivery for campaign %s failed", due_round.campaign_id)
                    continue
                if made is not None:
                    recorded.append(made.id)
                    self.mail.enqueue(delivery.queued_ids(made))
            comments.purge_sent(session, when, self.mail.settings.retention_days)
            session.commit()
        return recorded

    def deliver_now(
        self, session: Session, campaign: Campaign, user_id: int | None, now: datetime
    ) -> PetitionDelivery | None:
        """A lead's round (DeliveryError when there is nothing to deliver); the caller
        commits, then calls ``enqueue``. None when another lead's round just went."""
        return delivery.record(
            session, delivery.by_hand(campaign, session), self.mail.settings, now, user_id
        )

    def enqueue(self, made: PetitionDelivery) -> None:
        """Hand a committed round's messages to the mail queue."""
        self.mail.enqueue(delivery.queued_ids(made))
