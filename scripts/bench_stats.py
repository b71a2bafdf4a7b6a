"""Benchmark the counting: N contact events, dashboard queries, exports, the public counter.

Usage: .venv/bin/python scripts/bench_stats.py [--events 1000000] [--database-url URL]
       [--seconds 8] [--clients 32] [--repeat 5] [--keep]

1. Builds a fresh database (a SQLite file in a temporary folder, or a new database on the
   PostgreSQL server of ``--database-url``): migrate, import the shipped data, seed the demo.
2. Inserts ``--events`` realistic contact events into the demo campaign through the real
   triggers (batched INSERTs), over the last 30 days, and prints the insert rate.
3. Checks the running totals against a fresh count of the events (``stats.consistency``).
4. Times each dashboard query in process (min / median / max of ``--repeat`` runs) against
   200 ms, and the dashboard page and CSV exports when those routes exist.
5. Loads the counts API under gunicorn (``-w 2``) with wrk, cached and uncached, against
   2,000 requests/s, and ends with a summary table.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
from flask import Flask  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.exceptions import HTTPException  # noqa: E402

from callmp import accounts, create_app, demo  # noqa: E402
from callmp.db import utcnow  # noqa: E402
from callmp.models import (  # noqa: E402
    Campaign,
    ContactEvent,
    CountByReferral,
    Office,
    Person,
    ReferralCode,
    Role,
)
from callmp.stats import consistency, counter, dashboard  # noqa: E402
from callmp.stats import totals as stats  # noqa: E402
from callmp.stats.timeline import timeline  # noqa: E402
from callmp.views.context import services  # noqa: E402

QUERY_MS, API_RPS, SEED, BATCH = 200.0, 2000.0, 20261204, 10_000
OTTAWA = ZoneInfo("America/Toronto")
COUNTS = f"/api/v1/campaigns/{demo.DEMO_SLUG}/counts"
CHANNELS = {"bridged_call": 45, "direct_call": 25, "email": 30}
OUTCOMES = {  # relative weights of each channel's outcomes
    "bridged_call": dict(connected=38, short=10, left_voicemail=24, busy=5, no_answer=16, failed=7),
    "direct_call": dict(talked_to_staff=38, left_voicemail=34, no_answer=16, skipped=12),
    "email": dict(sent=84, queued=4, failed=2, mailto=10),
}
DURATIONS = {"connected": (30, 900), "short": (2, 29), "left_voicemail": (15, 120)}
REFERRALS = ["union-local", "newsletter", "twitter", "facebook", "church", "students"]
REFERRALS += ["mwac", "radio", "flyer", "partner-x"]  # the last two have no named code
HOURS = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 5, 7, 8, 7, 8, 8, 7, 6, 5, 4, 4, 3, 2, 1, 0.6]
WRK_LUA = """\
wrk.path = "%s"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""
Summary = list[tuple[str, str, str]]


def hour_slots(now: datetime) -> tuple[list[float], list[float]]:
    """Start (UTC epoch) of each past Ottawa hour of the last 30 days, and cumulative weights.

    More in the daytime; the campaign grows over the month, with a media day two weeks in.
    """
    starts, weights = [], []
    today = now.astimezone(OTTAWA).date()
    for back in range(31):
        day = today - timedelta(days=back)
        for hour in range(24):
            start = datetime(day.year, day.month, day.day, hour, tzinfo=OTTAWA).timestamp()
            if now.timestamp() - 30 * 86400 <= start <= now.timestamp() - 3600:
                starts.append(start)
                weights.append(HOURS[hour] * (1.5 - back / 30) * (3 if back == 14 else 1))
    return starts, list(accumulate(weights))


def event_batches(session: Session, campaign: Campaign, n: int) -> Iterator[list[dict[str, Any]]]:
    """``n`` events of the demo campaign in batches: each supporter's MP, half the Minister."""
    rng = random.Random(SEED)
    own, minister = sorted(campaign.targets, key=lambda t: t.position)
    mps = session.execute(
        select(Person.id, Person.fed_num).where(Person.fed_num.is_not(None)).order_by(Person.id)
    ).all()
    offices: dict[int, dict[str, list[int]]] = {}
    for oid, pid, kind in session.execute(
        select(Office.id, Office.person_id, Office.kind).order_by(Office.id)
    ):
        offices.setdefault(pid, {}).setdefault(str(kind), []).append(oid)
    weights = [rng.lognormvariate(0, 0.6) for _ in mps]  # ridings differ in turnout
    channels, channel_w = list(CHANNELS), list(CHANNELS.values())
    now = utcnow()
    starts, slot_cum = hour_slots(now)
    referral_w = [80.0] + [20.0 / (k + 1.5) for k in range(len(REFERRALS))]
    made, batch = 0, []
    while made < n:
        person_id, fed_num = rng.choices(mps, weights=weights)[0]
        channel = rng.choices(channels, channel_w)[0]
        referral = rng.choices(["", *REFERRALS], referral_w)[0]
        at = rng.choices(starts, cum_weights=slot_cum)[0] + rng.random() * 3600
        steps = [(own.id, person_id)]
        if rng.random() < 0.5 and minister.person_id is not None:
            steps.append((minister.id, minister.person_id))
        for target_id, person in steps[: n - made]:
            outcomes = OUTCOMES[channel]
            outcome = rng.choices(list(outcomes), list(outcomes.values()))[0]
            office_id: int | None = None
            if channel != "email":  # the Hill office, else one in the riding (Minister: own)
                kinds = offices.get(person, {})
                local = kinds.get("constituency", [])
                pool = local if local and rng.random() < 0.45 else kinds.get("hill") or local
                pool = pool or kinds.get("other", [])
                office_id = rng.choice(pool) if pool else None
            span = DURATIONS.get(outcome) if channel == "bridged_call" else None
            batch.append(
                {
                    "campaign_id": campaign.id,
                    "target_id": target_id,
                    "person_id": person,
                    "office_id": office_id,
                    "fed_num": fed_num,
                    "channel": channel,
                    "outcome": outcome,
                    "duration_s": rng.randint(*span) if span else None,
                    "referral": referral,
                    "dedupe_key": f"bench:{made}",
                    "created_at": datetime.fromtimestamp(min(at, now.timestamp()), UTC),
                }
            )
            made += 1
            at += rng.uniform(60, 600)  # the next target a few minutes later
        if len(batch) >= BATCH or made == n:
            yield batch
            batch = []


def generate(app: Flask, campaign: Campaign, n: int) -> float:
    """Insert ``n`` events through the triggers, one transaction per batch; events/s."""
    engine = services(app).engine
    with services(app).sessions() as session:
        for code in REFERRALS[:-2]:
            session.add(ReferralCode(campaign_id=campaign.id, code=code, label=code.title()))
        session.commit()
        build = spent = 0.0
        began = time.perf_counter()
        batches = event_batches(session, campaign, n)
        while True:
            start = time.perf_counter()
            rows = next(batches, None)
            build += time.perf_counter() - start
            if rows is None:
                break
            start = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(insert(ContactEvent), rows)
            spent += time.perf_counter() - start
    total = time.perf_counter() - began
    print(
        f"inserted {n:,} events in {total:.1f} s: {n / spent:,.0f} events/s in the database "
        f"({spent:.1f} s, batches of {BATCH:,}), {build:.1f} s building rows in Python"
    )
    return n / spent


def record(name: str, samples: list[float], out: Summary, status: int = 200) -> None:
    """Print min / median / max in ms and judge the median against the 200 ms target."""
    ms = sorted(s * 1e3 for s in samples)
    median = statistics.median(ms)
    verdict = ("OK" if median < QUERY_MS else "OVER") if status == 200 else f"HTTP {status}"
    print(f"  {name:<36} min {ms[0]:7.1f}  median {median:7.1f}  max {ms[-1]:7.1f} ms  {verdict}")
    out.append((name, f"{median:.1f} ms (median)", verdict))


def skip(name: str, out: Summary) -> None:
    """Record a page whose route is not there."""
    print(f"  {name:<36} skipped: not built yet")
    out.append((name, "-", "skipped: not built yet"))


def time_query(
    app: Flask, name: str, run: Callable[[Session], object], repeat: int, out: Summary
) -> None:
    """Time ``run`` ``repeat`` times, each in a fresh session; print and record it."""
    samples = []
    for _ in range(repeat):
        with services(app).sessions() as session:
            start = time.perf_counter()
            run(session)
            samples.append(time.perf_counter() - start)
    record(name, samples, out)


def time_queries(app: Flask, campaign: Campaign, repeat: int, out: Summary) -> None:
    """The dashboard's queries and the public counter, in process."""
    cid, now = campaign.id, utcnow()
    print(f"dashboard queries in process, {repeat} runs each (target < {QUERY_MS:.0f} ms):")
    hourly = now - timedelta(days=3)

    def board(session: Session) -> object:
        """Everything the dashboard page shows, as its view asks for it."""
        return dashboard.build(session, campaign, OTTAWA, dashboard.Filters(), now)

    def counts(session: Session, *, by_office: bool) -> object:
        """The public counter's figures."""
        return counter.counts(session, campaign, "en", now, by_office=by_office)

    queries: list[tuple[str, Callable[[Session], object]]] = [
        ("totals", lambda s: stats.totals(s, cid)),
        ("office_rows", lambda s: stats.office_rows(s, cid)),
        ("target_rows", lambda s: stats.target_rows(s, cid)),
        ("referral_rows", lambda s: stats.referral_rows(s, cid)),
        (
            "timeline hour, last 3 days",
            lambda s: timeline(s, cid, OTTAWA, unit="hour", since=hourly, now=now),
        ),
        ("timeline day, all", lambda s: timeline(s, cid, OTTAWA, unit="day", since=None, now=now)),
        ("counter.counts by_office=False", lambda s: counts(s, by_office=False)),
        ("counter.counts by_office=True", lambda s: counts(s, by_office=True)),
        ("dashboard.build (the page's queries)", lambda s: board(s)),
    ]
    for name, run in queries:
        time_query(app, name, run, repeat, out)


def rss_kb() -> int:
    """Current resident memory of this process in kB (from /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def has_route(app: Flask, path: str) -> bool:
    """Whether ``GET path`` matches a route of ``app``."""
    try:
        app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return False
    return True


def time_pages(app: Flask, campaign: Campaign, n: int, repeat: int, out: Summary) -> None:
    """The staff dashboard page and its CSV exports through the test client, when built."""
    with services(app).sessions() as session:
        user = accounts.create_user(
            session, email="bench@staff.example", password="bench password 123", role=Role.admin
        )
        session.commit()
        party = session.scalar(
            select(Person.party).group_by(Person.party).order_by(func.count().desc()).limit(1)
        )
    client = app.test_client()
    with client.session_transaction() as flask_session:  # as tests/conftest.py log_in does
        flask_session["_user_id"] = f"{user.id}:{user.session_token}"
        flask_session["_fresh"] = True
    base = f"/admin/campaigns/{campaign.id}/dashboard"
    query = {"tz": "America/Vancouver", "province": "ON", "party": party, "sort": "name"}
    filtered = urlencode({**query, "dir": "asc"})
    print(f"staff pages through the test client, {repeat} runs each:")
    pages = [
        ("dashboard page", base),
        ("dashboard page, filtered and sorted", f"{base}?{filtered}"),
        ("offices.csv", f"{base}/offices.csv"),
    ]
    for name, path in pages:
        if not has_route(app, path.split("?")[0]):
            skip(name, out)
            continue
        samples, status = [], 0
        for _ in range(repeat):
            start = time.perf_counter()
            response = client.get(path, buffered=True)
            samples.append(time.perf_counter() - start)
            status = response.status_code
        record(name, samples, out, status)
    path = f"{base}/events.csv"
    if not has_route(app, path):
        skip("events.csv", out)
        return
    rss_before = peak = rss_kb()
    start, first, lines, size = time.perf_counter(), 0.0, 0, 0
    response = client.get(path, buffered=False)
    for k, chunk in enumerate(response.iter_encoded()):
        first = first or time.perf_counter() - start
        lines += chunk.count(b"\n")
        size += len(chunk)
        if k % 20 == 0:
            peak = max(peak, rss_kb())
    response.close()
    total = time.perf_counter() - start
    peak = max(peak, rss_kb())
    rows = max(lines - 1, 0)
    print(
        f"  events.csv: HTTP {response.status_code}, {rows:,} rows ({size / 1e6:.0f} MB), "
        f"first byte {first * 1e3:.0f} ms, total {total:.1f} s, {rows / total:,.0f} rows/s, "
        f"peak RSS +{(peak - rss_before) / 1024:.1f} MB while streaming"
    )
    verdict = "OK" if response.status_code == 200 and rows == n else f"rows {rows} != {n}"
    measured = f"{rows / total:,.0f} rows/s, +{(peak - rss_before) / 1024:.0f} MB"
    out.append(("events.csv", measured, verdict))


def load_counts(url: str, seconds: float, clients: int, cache: int, out: Summary) -> None:
    """Start gunicorn and load both counts URLs with wrk."""
    port = benchkit.free_port()
    env = dict(
        os.environ,
        CALLMP_DATABASE_URL=url,
        CALLMP_SECRET_KEY="bench-secret",
        CALLMP_LOG_LEVEL="WARNING",
        CALLMP_QUEUE="immediate",
        CALLMP_COUNTS_CACHE_SECONDS=str(cache),
    )
    command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-w", "2", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen([*command, "--log-level", "warning", "wsgi:app"], cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if benchkit.http_request(port, "GET", COUNTS + "?by_office=0")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not answer")
            time.sleep(0.2)
        label = f"cache {cache} s" if cache else "uncached"
        print(f"counts API, gunicorn -w 2, wrk -t1 -c{clients}, {seconds:.0f} s, {label}:")
        # Browsers and fetch() send Accept-Encoding: gzip; plain clients may not.
        runs = [(p, False) for p in (COUNTS + "?by_office=0", COUNTS)]
        if cache:
            runs += [(p, True) for p in (COUNTS + "?by_office=0", COUNTS)]
        for path, gzipped in runs:
            headers = ["-H", "Accept-Encoding: gzip"] if gzipped else []
            count, duration, p50, p99, non2xx, errors = benchkit.run_wrk(
                port, WRK_LUA % path, seconds, clients, *headers
            )
            rate = count / (duration / 1e6)
            verdict = ("OK" if rate >= API_RPS else "UNDER") if cache else "info"
            name = path + (" (gzip)" if gzipped else "")
            print(
                f"  GET {name:<59} {rate:7,.0f} req/s  p50 {p50 / 1e3:6.1f} ms  "
                f"p99 {p99 / 1e3:6.1f} ms  non-2xx {non2xx}  socket errors {errors}  {verdict}"
            )
            short = path.split("/")[-1] + (", gzip" if gzipped else "")
            out.append((f"{short} ({label})", f"{rate:,.0f} req/s", verdict))
    finally:
        benchkit.stop(server)


def main() -> None:
    """Parse options, build and fill the database, time everything, summarise."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="contact events")
    parser.add_argument("--database-url", help="postgresql+psycopg://... (default: SQLite)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each wrk run")
    parser.add_argument("--clients", type=int, default=32, help="wrk connections")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each timed query")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")
    out: Summary = []
    with benchkit.scratch_database(args.database_url, args.keep) as url:
        backend = make_url(url).get_backend_name()
        start = time.perf_counter()
        demo.prepare_database(url, REPO / "data")
        print(f"{backend}: migrated, imported and seeded in {time.perf_counter() - start:.1f} s")
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "QUEUE": "immediate"})
        gc.freeze()  # as wsgi.py does in the served app
        try:
            with services(app).sessions() as session:
                slug = demo.DEMO_SLUG
                campaign = session.scalars(select(Campaign).where(Campaign.slug == slug)).one()
                assert len(campaign.targets) == 2, "own MP, then the Minister"
            rate = generate(app, campaign, args.events)
            out.append(("insert through triggers", f"{rate:,.0f} events/s", "info"))
            with services(app).sessions() as session:
                start = time.perf_counter()
                mismatches = consistency.check(session, campaign.id)
                took = time.perf_counter() - start
                referred = session.scalar(
                    select(func.sum(CountByReferral.n)).where(
                        CountByReferral.campaign_id == campaign.id
                    )
                )
            exact = not mismatches and referred == args.events
            print(
                f"check: {len(mismatches)} mismatches, counts_by_referral sums to {referred:,} "
                f"({'exact' if exact else 'NOT EXACT'}); full scan took {took:.1f} s"
            )
            verdict = "OK" if exact else "FAIL"
            out.append(("totals exact (stats_check)", f"{took:.1f} s scan", verdict))
            time_queries(app, campaign, args.repeat, out)
            time_pages(app, campaign, args.events, args.repeat, out)
        finally:
            services(app).calls.close()
            services(app).mail.close()
            services(app).engine.dispose()
        for cache in (5, 0):
            load_counts(url, args.seconds, args.clients, cache, out)
    print(f"\nsummary ({backend}, {args.events:,} events):")
    for what, value, verdict in out:
        print(f"  {what:<40} {value:<28} {verdict}")


if __name__ == "__main__":
    main()
