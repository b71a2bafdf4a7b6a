"""Several processes × threads signing at once: exact totals, on SQLite and PostgreSQL.

Each process opens its own engine (as gunicorn workers on several servers would) and
signs from several threads, all released together. The same addresses race on the unique
key; one connection's signatures race for its last places under the hourly limit.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callmp.db import make_engine, make_session_factory
from callmp.models import PetitionSignature
from callmp.petitions import counts
from tests.factories import demo_campaign
from tests.support import petition_race
from tests.support.petition_race import FED_NUMS, Job

PROCESSES = 3
THREADS = 3


@pytest.fixture
def campaign_id(database_url: str) -> Iterator[int]:
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        campaign = demo_campaign(session)
        campaign.petitions = True
        campaign.petition_confirm = False
        session.commit()
        yield campaign.id
    engine.dispose()


def race(url: str, campaign_id: int, plan: list[list[list[Job]]], limit: int) -> list[Any]:
    """Run ``plan`` (per process, per thread, the jobs) at once; every (email, outcome)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(plan))
    results = context.Queue()
    processes = [
        context.Process(
            target=petition_race.run, args=(url, campaign_id, threads, limit, barrier, results)
        )
        for threads in plan
    ]
    for process in processes:
        process.start()
    expected = sum(len(jobs) for threads in plan for jobs in threads)
    found = [results.get(timeout=60) for _ in range(expected)]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return found


def stored(url: str, campaign_id: int) -> tuple[int, int, list[tuple[int | None, int]]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalar(
                select(func.count())
                .select_from(PetitionSignature)
                .where(PetitionSignature.campaign_id == campaign_id)
            )
            by_riding = [(r.fed_num, r.signatures) for r in counts.by_riding(session, campaign_id)]
            return int(rows or 0), counts.total(session, campaign_id), by_riding
    finally:
        engine.dispose()


def test_same_and_different_addresses_racing_count_each_address_once(
    database_url: str, campaign_id: int
) -> None:
    shared = [f"shared-{n}@example.org" for n in range(3)]
    plan = [
        [
            [
                *[
                    Job(email, f"192.0.2.{p * 10 + t}", FED_NUMS[n])
                    for n, email in enumerate(shared)
                ],
                *[
                    Job(f"p{p}-t{t}-{i}@example.org", f"192.0.2.{p * 10 + t}", FED_NUMS[i])
                    for i in range(2)
                ],
            ]
            for t in range(THREADS)
        ]
        for p in range(PROCESSES)
    ]
    outcomes = race(database_url, campaign_id, plan, limit=100)
    tally = Counter(outcome for _email, outcome in outcomes)
    unique = PROCESSES * THREADS * 2
    assert tally == {
        "stored": len(shared) + unique,
        "duplicate": (PROCESSES * THREADS - 1) * len(shared),
    }
    # Each shared address is stored by exactly one of its racers.
    winners = Counter(email for email, outcome in outcomes if outcome == "stored")
    assert all(winners[email] == 1 for email in shared)
    rows, total, by_riding = stored(database_url, campaign_id)
    assert rows == total == len(shared) + unique
    per_riding = PROCESSES * THREADS  # unique signers of jobs 0 and 1, one shared each
    assert sorted(by_riding) == sorted(
        [(35079, 1 + per_riding), (24003, 1 + per_riding), (59036, 1)]
    )


def test_one_connection_racing_for_its_last_places_stores_exactly_the_limit(
    database_url: str, campaign_id: int
) -> None:
    limit = 5
    plan = [
        [
            [Job(f"limit-p{p}-t{t}-{i}@example.org", "203.0.113.7", 35079) for i in range(2)]
            for t in range(THREADS)
        ]
        for p in range(PROCESSES)
    ]
    outcomes = race(database_url, campaign_id, plan, limit=limit)
    attempts = PROCESSES * THREADS * 2
    assert Counter(outcome for _email, outcome in outcomes) == {
        "stored": limit,
        "ip_limit": attempts - limit,
    }
    rows, total, _ = stored(database_url, campaign_id)
    assert rows == total == limit
