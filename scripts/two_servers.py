"""Run the two-server check outside pytest and print its totals.

Usage: .venv/bin/python scripts/two_servers.py [POSTGRESQL_URL] [--logs DIR]

The URL (or ``CALLMP_TEST_DATABASE_URL``) names a PostgreSQL database whose role may create
databases, e.g. ``postgresql+psycopg://callmp_ci:callmp_ci@127.0.0.1:5432/callmp_ci``. The
script builds a migrated, seeded database beside it, starts a redis-server on a free
loopback port, the Twilio stand-in and an SMTP peer, then two gunicorn servers and two
queue workers, and drives them as ``tests/cluster/test_two_servers.py`` does (the flows are
in ``tests/support/cluster_run.py``). It drops its database afterwards. ``--logs`` keeps
each process's output in DIR. Exits 1 if a check fails, printing the processes' logs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from callmp.db import make_engine  # noqa: E402
from tests.support.app import compile_catalogues  # noqa: E402
from tests.support.cluster import Cluster  # noqa: E402
from tests.support.cluster_run import run, settings, start  # noqa: E402
from tests.support.databases import PostgresDatabases  # noqa: E402
from tests.support.redis_server import redis_server  # noqa: E402
from tests.support.smtp_peer import SmtpPeer  # noqa: E402
from tests.support.twilio_standin import TwilioStandIn  # noqa: E402


def main() -> int:
    """Build, run, report; the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("CALLMP_TEST_DATABASE_URL"))
    parser.add_argument("--logs", type=Path, help="keep each process's output here")
    args = parser.parse_args()
    if not args.url or not args.url.startswith("postgresql"):
        parser.error("give a PostgreSQL URL (or set CALLMP_TEST_DATABASE_URL)")
    compile_catalogues()
    databases = PostgresDatabases(args.url)
    database_url = databases.new()
    engine = make_engine(database_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            logs = args.logs or Path(tmp) / "cluster"
            with (
                redis_server(Path(tmp) / "redis") as redis_url,
                TwilioStandIn() as standin,
                SmtpPeer() as peer,
                Cluster(logs, settings(database_url, redis_url, standin, peer)) as cluster,
            ):
                start(cluster)
                try:
                    report = run(cluster, engine, standin, peer)
                except AssertionError:
                    traceback.print_exc()
                    print(cluster.logs(), file=sys.stderr)
                    return 1
    finally:
        engine.dispose()
        databases.drop(database_url)
        databases.close()
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
