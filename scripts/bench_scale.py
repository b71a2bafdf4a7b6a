"""Benchmark growth: each endpoint at 1,000 and 100,000 letters, calls and events, vs bare Flask.

Usage: .venv/bin/python scripts/bench_scale.py [--database-url postgresql+psycopg://...]
       [--sizes 1000,100000] [--seconds 5] [--warmup 1] [--connections 16] [--workers 4]
       [--threads 4] [--webhook-calls N] [--rss-seconds 1] [--json PATH]

1. For each size, a fresh database (a SQLite file by default; with ``--database-url``, a
   new database on that PostgreSQL server, dropped at the end): migrate, import the shipped
   data, seed the demo campaign, then bulk-insert the history (``scale_seed.fill``): that
   many letters (each to the MP and the Minister, with its confirmation), call requests
   (each with its provider events) and contact events (through the triggers; the running
   totals are checked against them), plus ``--webhook-calls`` queued calls for the
   webhooks. A third of the letters and calls come from one IP address.
2. CallMP (``wsgi:app``) and the bare app (``benchkit:bare_app()``) run under the same
   gunicorn settings (``-w 4 -k gthread --threads 4``). CallMP has the production shape of
   bench_production.py: Twilio telephony and SMTP mail pointed at closed loopback ports,
   the Redis queue (a call or a letter is one push; no worker runs, so nothing is dialled
   or mailed and the web cost alone is measured) and Redis for Flask-Limiter, JSON logs.
3. Checks one request of each kind (status and content) before any load; then loads each
   endpoint with wrk (``--warmup`` untimed, ``--seconds`` timed): bare ``GET /hello``
   (first and last), bare ``POST /twiml`` and ``POST /insert``; the campaign page, riding
   pages (first from cold with no warm-up, each worker drawing each page for the first
   time, as after an edit; then warm), lookup API, counts API, call request and letter
   (JSON API), and the answer, gather (key 2), dial and status webhooks, signed, each
   call's first delivery: there are enough queued calls for 3,000 a second (a check
   fails if any timed answer was a replay, which costs less).
   wrk opens its connections at once, and each gthread worker keeps the ones it took:
   when one worker took more than 60% of the workers' CPU (most connections on it, its
   GIL holding the run to one core), the run is timed again, up to four runs (not a
   webhook's, whose calls were met, nor a cold one); each line shows that share.
4. After a write, counts the rows it added against its 2xx answers. Any non-2xx/3xx
   answer, socket error, row mismatch or server log warning is printed loudly and makes
   the script exit 1.
5. Memory: after each size's load, the RSS, PSS and USS of gunicorn's master and workers;
   then, on the last database, CallMP started fresh without and with ``--preload`` and
   given the same short load (``--rss-seconds`` per endpoint), to show what sharing the
   postal tables from the master would save.

Prints, per size, req/s, p50, p99, CPU ms per request (gunicorn's processes, plus
PostgreSQL's backends and redis-server) and the ratio to the bare reference, timed again
just before each endpoint (this machine's speed drifts within a run), with the issue's
targets marked; then the cost at the largest size over the smallest.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import benchkit  # noqa: E402  (scripts/ is on the path when a script runs)
import scale_load  # noqa: E402
import scale_seed  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from callmp import demo  # noqa: E402
from callmp.db import make_engine  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402

SECRET = "bench-scale-" + "0" * 52  # fixed, so the seeded HMACs match the app's
SEED = 20261206
BARE_APP_NAME = "bench_bare"


def bare_database(url: str, folder: Path) -> str:
    """The bare app's insert target: a SQLite file beside CallMP's, or CallMP's PostgreSQL."""
    if make_url(url).get_backend_name() == "sqlite":
        bare_url = f"sqlite:///{folder / 'bare.sqlite3'}"
        ddl = "CREATE TABLE bench_bare (id INTEGER PRIMARY KEY, note TEXT)"
    else:
        bare_url = (
            make_url(url)
            .update_query_dict({"application_name": BARE_APP_NAME})
            .render_as_string(hide_password=False)
        )
        ddl = "CREATE TABLE bench_bare (id serial PRIMARY KEY, note text)"
    engine = make_engine(bare_url)
    with engine.begin() as conn:
        conn.execute(text(ddl))
    engine.dispose()
    return bare_url


def fill_size(
    args: argparse.Namespace, size: int, url: str, redis_url: str, tmp: Path
) -> tuple[scale_load.SizeRun, dict[str, str], dict[str, Any]]:
    """Prepare and fill one database, start its CallMP; the run, its env and what it holds."""
    start = time.perf_counter()
    demo.prepare_database(url, REPO / "data")
    engine = make_engine(url)
    seeded = scale_seed.fill(engine, size, args.webhook_calls, SECRET, SEED + size)
    print(
        f"{size:,}: {seeded.letters:,} letters ({seeded.messages:,} messages), "
        f"{seeded.calls:,} call requests ({args.webhook_calls:,} of them queued, for the "
        f"webhooks; {seeded.provider_events:,} provider events), {seeded.events:,} contact "
        f"events; running totals agree with the events "
        f"({time.perf_counter() - start:.0f} s, {seeded.seconds:.0f} s of it the fill)",
        flush=True,
    )
    env = benchkit.callmp_env(url, redis_url, tmp) | {"CALLMP_SECRET_KEY": SECRET}
    run = scale_load.SizeRun(args, size, engine, "", seeded.live_calls, seeded.events)
    run.start(env, tmp)
    return run, env, {"seeded": asdict(seeded) | {"live_calls": len(seeded.live_calls)}}


def run_all(
    args: argparse.Namespace, sizes: list[int], redis_url: str, stack: contextlib.ExitStack
) -> tuple[list[scale_load.SizeRun], list[dict[str, Any]]]:
    """Fill every size, start every server, check samples, then load endpoint by endpoint.

    Each endpoint is loaded on every size in turn before the next endpoint, so a change
    in the machine's other load touches the sizes alike.
    """
    runs: list[scale_load.SizeRun] = []
    extras: list[dict[str, Any]] = []
    envs: list[tuple[dict[str, str], Path]] = []
    common = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="callmp_scale_")))
    for size in sizes:
        url = stack.enter_context(benchkit.scratch_database(args.database_url))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="callmp_scale_")))
        run, env, extra = fill_size(args, size, url, redis_url, tmp)
        stack.callback(run.stop)
        runs.append(run)
        extras.append(extra)
        envs.append((env, tmp))
    bare_url = bare_database(str(runs[0].engine.url.render_as_string(hide_password=False)), common)
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("CALLMP_")}
    bare_env |= {"PYTHONPATH": str(REPO / "scripts"), "BENCH_BARE_DATABASE_URL": bare_url}
    bare_port = benchkit.free_port()
    bare = runs[0].gunicorn("benchkit:bare_app()", bare_env, bare_port, common / "bare.log")
    stack.callback(benchkit.stop, bare)
    benchkit.wait_up(bare_port, "/hello", bare, "the bare app")
    for run in runs:
        run.bare_url = bare_url
        run.share_bare(bare, bare_port)
    first = runs[0]
    first.check_bare()
    for run in runs:
        run.check_samples()
    print(
        f"\nwrk -t1 -c{args.connections}, {args.warmup:g} s warm-up + {args.seconds:g} s each; "
        f"gunicorn -w {args.workers} -k gthread --threads {args.threads} for every app; "
        "each endpoint on every size in turn",
        flush=True,
    )
    for _name, step in first.bare_steps():
        step()
    for steps in zip(*(run.steps() for run in runs), strict=True):
        # This machine's speed drifts within a run (a bare hello's req/s fell to a third
        # between the start and the end of one): each endpoint is compared with its
        # reference timed just before it.
        endpoint = steps[0][0]
        reference = scale_load.TARGETS.get(endpoint, ("", 0.0))[0]
        if reference:
            print(f"{'':>8}", end="")
            first.bare(reference, beside=endpoint)
        for run, (_name, step) in zip(runs, steps, strict=True):
            print(f"{run.size:>8,}", end="")
            step()
    first.load("bare GET /hello (last)", "bare", scale_load.HELLO)
    bare_results = [r for r in first.results if r.app == "bare"]
    for run in runs:
        run.memory = scale_load.memory_of(run.callmp)
        run.results = bare_results[:-1] + [r for r in run.results if r.app == "callmp"]
        run.results.append(bare_results[-1])
    for run in runs:
        run.stop()
    benchkit.stop(bare)
    if args.rss_seconds > 0:
        env, tmp = envs[-1]
        extras[-1]["preload"] = scale_load.preload_pass(runs[-1], env, tmp)
    logs = [common / "bare.log"] + [tmp / "callmp.log" for _env, tmp in envs]
    problems = [line for log in logs for line in benchkit.log_problems(log)]
    first.checks.check(not problems, f"server logs free of warnings and errors ({len(problems)})")
    for line in problems[:5]:
        print(f"    {line[:240]}")
    return runs, extras


def main() -> None:
    """Parse options, run each size, report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server (default: SQLite files)")
    parser.add_argument("--sizes", default="1000,100000", help="letters, calls and events")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed load per endpoint")
    parser.add_argument("--warmup", type=float, default=1.0, help="untimed load before each")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per app")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument(
        "--webhook-calls",
        type=int,
        help=(
            "queued calls for the webhooks (default: enough for "
            f"{scale_load.WEBHOOK_RATE_CEILING:,} first deliveries a second)"
        ),
    )
    parser.add_argument(
        "--rss-seconds", type=float, default=1.0, help="load per endpoint before RSS (0: skip)"
    )
    parser.add_argument("--json", type=Path, help="also save the results here")
    args = parser.parse_args()
    if args.webhook_calls is None:
        args.webhook_calls = scale_load.webhook_calls_for(args.seconds)
    sizes = [int(s) for s in args.sizes.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    began = time.perf_counter()
    load_before = os.getloadavg()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in load_before)}", flush=True)
    runs: list[scale_load.SizeRun] = []
    extras: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="callmp_scale_redis_"))
        redis_url = stack.enter_context(redis_server(Path(folder)))
        runs, extras = run_all(args, sizes, redis_url, stack)
        for run in runs:
            run.engine.dispose()
    load_after = os.getloadavg()
    document: dict[str, Any] = {
        "command": " ".join(sys.argv),
        "settings": vars(args) | {"json": str(args.json) if args.json else None},
        "database": "postgresql" if args.database_url else "sqlite",
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_after,
    }
    document |= scale_load.report(runs, extras)
    print(
        f"\nload average before: {' '.join(f'{v:.2f}' for v in load_before)}; after: "
        f"{' '.join(f'{v:.2f}' for v in load_after)} on {os.cpu_count()} cores; "
        f"whole run {time.perf_counter() - began:.0f} s"
    )
    failed = [f for run in runs for f in run.checks.failed]
    document["failed"] = failed
    if args.json:
        args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"saved {args.json}")
    if failed:
        print(f"\n!!! {len(failed)} check(s) FAILED: the numbers above are not valid")
        raise SystemExit(1)
    print("\nall checks passed")


if __name__ == "__main__":
    main()
