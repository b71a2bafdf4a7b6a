"""Signing processes for the petition's concurrency test: each runs threads that sign.

Started with ``multiprocessing``'s spawn method, so each process imports this module,
opens its own engine and sessions, and waits at a shared barrier before signing: the
processes then race for the same addresses and the same connection's hourly limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from callmp.db import make_engine, make_session_factory
from callmp.letters.records import MailSettings
from callmp.models import Campaign, Person
from callmp.petitions import signing
from callmp.petitions.settings import PetitionSettings

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FED_NUMS = (35079, 24003, 59036)


@dataclass(frozen=True)
class Job:
    """One signature to try: the address, the connection and the riding."""

    email: str
    ip: str
    fed_num: int
    referral: str = ""


def run(
    url: str,
    campaign_id: int,
    threads: list[list[Job]],
    limit: int,
    barrier: Any,
    results: Any,
) -> None:
    """Sign each thread's jobs (threads started together after ``barrier``); put one
    (email, outcome) pair per job on ``results``: "stored" or the refusal's reason."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    settings = PetitionSettings(mail=MailSettings(secret="race-secret"), max_per_ip_per_hour=limit)
    with sessions() as session:
        members = {
            fed: session.query(Person.id).filter(Person.fed_num == fed).scalar() for fed in FED_NUMS
        }
    start = threading.Event()

    def sign_all(jobs: list[Job]) -> None:
        start.wait()
        for job in jobs:
            with sessions() as session:
                campaign = session.get(Campaign, campaign_id)
                assert campaign is not None
                ask = signing.SignAsk(
                    campaign=campaign,
                    name="Racing Signer",
                    email=job.email,
                    postal_code="K1P 5J2",
                    fed_num=job.fed_num,
                    person_id=members[job.fed_num],
                    referral=job.referral,
                    ip=job.ip,
                )
                try:
                    signing.sign(session, ask, settings=settings, now=NOW)
                    session.commit()
                    results.put((job.email, "stored"))
                except signing.SignatureRefused as refused:
                    session.rollback()
                    results.put((job.email, refused.reason))
                except Exception as error:  # reported to the test
                    session.rollback()
                    results.put((job.email, f"error: {type(error).__name__}"))

    workers = [threading.Thread(target=sign_all, args=(jobs,)) for jobs in threads]
    for worker in workers:
        worker.start()
    barrier.wait()
    start.set()
    for worker in workers:
        worker.join()
    engine.dispose()
