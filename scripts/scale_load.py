"""The load half of bench_scale.py: one database size's servers, checks, wrk runs, report."""

from __future__ import annotations

import argparse
import math
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import benchkit
from benchkit import Checks, Request, list_script, lua_string
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine

from callmp import demo
from callmp.models import CallRequest, Channel, ContactEvent, EmailSubmission, ProviderEvent

SLUG = demo.DEMO_SLUG
LOOKUP_SAMPLE, WEBHOOK_WARMUP_CALLS, SEED = 200, 50, 20261206
WEBHOOKS = ("answer", "gather", "dial", "status")
P99_MS, GROWTH = 100.0, 1.2
SETTLE_S = 1.5  # no row added for this long: the server is done (wrk's timeout is far above)
# endpoint: (reference it is compared with, the fraction of the reference's req/s aimed at)
TARGETS = {
    "campaign page": ("bare GET /hello", 0.60),
    "riding page": ("bare GET /hello", 0.30),
    "lookup API": ("bare GET /hello", 0.60),
    "counts API": ("bare GET /hello", 0.60),
    "call request (JSON)": ("bare POST /insert", 0.15),
    "answer webhook": ("bare POST /twiml", 0.30),
    "gather webhook": ("bare POST /twiml", 0.30),
    "dial webhook": ("bare POST /twiml", 0.30),
    "status webhook": ("bare POST /twiml", 0.30),
    "letter (JSON)": ("bare POST /insert", 0.15),
}
#: The riding pages timed from cold (see ``steps``).
COLD_RIDINGS = "riding page, cold"
RSS_ENDPOINTS = (
    *("campaign page", "riding page", "lookup API", "counts API"),
    *("call request (JSON)", "answer webhook", "letter (JSON)"),
)
WORKER_MB = 100.0
HELLO = list_script([Request("GET", "/hello")])
#: The bare references' wrk scripts.
BARE = {
    "bare GET /hello": HELLO,
    "bare POST /twiml": list_script([Request("POST", "/twiml")]),
    "bare POST /insert": list_script([Request("POST", "/insert")]),
}


def paired(reference: str, endpoint: str) -> str:
    """The name of the run of ``reference`` timed just before ``endpoint``'s."""
    return f"{reference} (for {endpoint})"


@dataclass
class Result:
    """One endpoint's timed run (latencies in ms, CPU in ms per request)."""

    name: str
    app: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    bad: int  # answers outside 200-399, plus socket errors and timeouts
    in_flight: int
    app_cpu_ms: float
    pg_cpu_ms: float
    redis_cpu_ms: float
    rows: str = ""
    ok: bool = True
    #: The busiest gunicorn worker's share of the workers' CPU, and the runs it took.
    busiest_share: float = 0.0
    tries: int = 1

    @property
    def cpu_ms(self) -> float:
        """CPU per request in every process serving it."""
        return self.app_cpu_ms + self.pg_cpu_ms + self.redis_cpu_ms


#: A timed run where one worker took more than this share of the workers' CPU is timed
#: again, up to ``SKEW_TRIES`` runs in all (see ``SizeRun.load``).
SKEW_SHARE, SKEW_TRIES = 0.6, 4

#: First deliveries a second the default number of queued calls is made for: each webhook's
#: timed load must meet every call for the first time (a replay, Twilio's retry of a
#: delivery already taken, costs less and would flatter the figure).
WEBHOOK_RATE_CEILING = 3000


def webhook_calls_for(seconds: float) -> int:
    """Queued calls enough for a timed load of ``seconds`` at ``WEBHOOK_RATE_CEILING``,
    after the warm-up's own calls."""
    return WEBHOOK_WARMUP_CALLS + math.ceil(WEBHOOK_RATE_CEILING * seconds)


def first_deliveries(n: int, good: int, started: int) -> tuple[int, int]:
    """One row per call met for the first time: ``n`` calls, then replays add nothing."""
    return min(good, n), min(started, n)


def exact(good: int, started: int) -> tuple[int, int]:
    """One row per 2xx answer, plus at most the requests in flight at the stop."""
    return good, started


def count(engine: Engine, statement: Any) -> Callable[[], int]:
    """A row counter for ``statement``."""
    return partial(benchkit.count, engine, statement)


def memory_of(server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Memory (kB) of a gunicorn master and of each of its workers."""
    workers = sorted(benchkit.child_pids(server.pid))
    return {
        "master": benchkit.memory_kb(server.pid),
        "workers": [benchkit.memory_kb(pid) for pid in workers],
    }


@dataclass
class SizeRun:
    """One database size: its servers, sample data, scripts and results."""

    args: argparse.Namespace
    size: int
    engine: Engine
    bare_url: str
    live_calls: list[str]
    events: int
    checks: Checks = field(default_factory=Checks)
    results: list[Result] = field(default_factory=list)
    scripts: dict[str, str] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    ridings: list[tuple[str, int, bool]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    fed_nums: list[int] = field(default_factory=list)
    callmp_port: int = 0
    bare_port: int = 0
    redis_pid: int = 0
    servers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def callmp(self) -> subprocess.Popen[bytes]:
        """CallMP's gunicorn master."""
        return self.servers["callmp"]

    @property
    def postgres(self) -> bool:
        """Whether the database is PostgreSQL (its backends' CPU then counts too)."""
        return self.engine.dialect.name == "postgresql"

    def gunicorn(
        self, app: str, env: dict[str, str], port: int, log: Path, preload: bool = False
    ) -> subprocess.Popen[bytes]:
        """``app`` under the gunicorn settings both apps share."""
        return benchkit.gunicorn(
            app,
            env,
            port,
            log,
            workers=self.args.workers,
            worker_class="gthread",
            threads=self.args.threads,
            preload=preload,
        )

    def start(self, env: dict[str, str], tmp: Path) -> None:
        """Start this size's CallMP and wait for it."""
        self.callmp_port = benchkit.free_port()
        self.servers["callmp"] = self.gunicorn(
            "wsgi:app", env, self.callmp_port, tmp / "callmp.log"
        )
        benchkit.wait_up(self.callmp_port, "/", self.callmp, "CallMP")
        self.redis_pid = benchkit.find_redis_pid(env["CALLMP_REDIS_URL"])

    def share_bare(self, server: subprocess.Popen[bytes], port: int) -> None:
        """Use the bare app every size shares (its results are the same references)."""
        self.servers["bare"], self.bare_port = server, port

    def stop(self) -> None:
        """Stop this size's CallMP."""
        benchkit.stop(self.callmp)

    # -- samples ------------------------------------------------------------------------

    def check_bare(self) -> None:
        """The bare app's three endpoints answer as they should."""
        checks, bare = self.checks, self.bare_port
        status, body = benchkit.http_request(bare, "GET", "/hello")
        checks.check(status == 200 and body == b"hello", f"bare GET /hello: {status}")
        status, body = benchkit.http_request(bare, "POST", "/insert")
        checks.check(status == 201, f"bare POST /insert: {status} {body[:100]!r}")
        status, body = benchkit.http_request(bare, "POST", "/twiml")
        checks.check(status == 200 and "Gather" in verbs(body), f"bare POST /twiml: {status}")
        if checks.failed:
            raise SystemExit("a sample request failed: no load run")

    def check_samples(self) -> None:
        """One request of each kind, its status and content checked, before any load."""
        checks, port = self.checks, self.callmp_port
        benchkit.check_page(port, f"/c/{SLUG}", checks, "campaign page")
        self.ridings = benchkit.resolve(port, benchkit.POSTAL_CODES)
        checks.check(all(email for _c, _f, email in self.ridings), "sample MPs have emails")
        self.codes = benchkit.lookup_sample(LOOKUP_SAMPLE, SEED)
        self.fed_nums = sorted({fed for _c, fed, _e in benchkit.resolve(port, self.codes)})
        benchkit.check_page(port, f"/c/{SLUG}/riding/{self.fed_nums[0]}", checks, "riding page")
        status, counts = benchkit.get_json(port, f"/api/v1/campaigns/{SLUG}/counts?by_office=0")
        checks.check(status == 200 and isinstance(counts, dict), f"counts API: {status}")
        attempts = sum((counts or {}).get("attempts", {}).values())
        checks.check(
            attempts == self.events, f"counts API: {attempts} attempts, {self.events} events"
        )
        code, fed, _ = self.ridings[0]
        payload = {"phone": "613-555-0100", "postal_code": code, "fed_num": fed, "lang": "en"}
        status, answer = benchkit.post_json(port, f"/api/v1/campaigns/{SLUG}/calls", payload)
        checks.check(status == 202 and bool(answer) and answer.get("id"), f"call: {status}")
        call_id = str(answer["id"]) if status == 202 else "missing"
        expected = {"answer": "Gather", "gather": "Gather", "dial": "Say"}
        for kind in WEBHOOKS:
            status, body = benchkit.send(port, benchkit.signed_webhook(call_id, 10**6, kind))
            if kind == "status":
                checks.check(status == 204, f"status webhook: {status}")
                continue
            found = verbs(body)
            checks.check(status == 200 and expected[kind] in found, f"{kind}: {status} {found}")
        letter = {
            "name": "Sample",
            "email": "sample@bench.example",
            "postal_code": code,
            "fed_num": fed,
            "personal_line": "",
            "lang": "en",
        }
        status, answer = benchkit.post_json(port, f"/api/v1/campaigns/{SLUG}/emails", letter)
        checks.check(status == 202 and bool(answer) and answer.get("id"), f"letter: {status}")
        if checks.failed:
            raise SystemExit("a sample request failed: no load run")

    # -- loads --------------------------------------------------------------------------

    def load(
        self,
        name: str,
        app: str,
        script: str,
        rows: Callable[[], int] | None = None,
        expect: Callable[[int, int], tuple[int, int]] | None = None,
        warmup: str | None = None,
        warm: bool = True,
        calls: int | None = None,
    ) -> Result:
        """Warm up (on ``warmup``, else ``script``; unless not ``warm``), then time
        ``script`` and check rows. ``calls``: the timed script's distinct calls, each of
        which may be answered once (a webhook's first deliveries)."""
        self.scripts[name] = script
        port = self.callmp_port if app == "callmp" else self.bare_port
        options, clients = ("--timeout", "30s"), self.args.connections
        if warm and self.args.warmup > 0:
            warming = (warmup or script) + benchkit.WRK_COMMON
            benchkit.run_wrk(port, warming, self.args.warmup, clients, *options)
        for tries in range(1, SKEW_TRIES + 1):
            result = self._timed(name, app, script, rows, expect, calls)
            # wrk opens its connections at once and each gthread worker keeps those it
            # accepted: when most land on one worker, its GIL bounds the run to one core
            # whatever the endpoint costs. Such a run is timed again (not a webhook's, whose
            # calls were met, nor a cold one), and the share is printed with every result.
            if result.busiest_share <= SKEW_SHARE or calls is not None or not warm:
                break
            if tries < SKEW_TRIES:
                print(
                    f"  {name:<22} one worker took {result.busiest_share:.0%} of the CPU "
                    "(the connections landed unevenly): timed again",
                    flush=True,
                )
        result.tries = tries
        self.results.append(result)
        print(
            f"  {name:<22} {result.rps:7,.0f} req/s  p50 {result.p50_ms:6.1f} ms  "
            f"p99 {result.p99_ms:6.1f} ms  cpu {result.cpu_ms:5.2f} ms  bad {result.bad}  "
            f"busiest worker {result.busiest_share:4.0%}  {result.rows}",
            flush=True,
        )
        return result

    def _timed(
        self,
        name: str,
        app: str,
        script: str,
        rows: Callable[[], int] | None,
        expect: Callable[[int, int], tuple[int, int]] | None,
        calls: int | None,
    ) -> Result:
        """One timed run of ``script``, its rows checked."""
        port = self.callmp_port if app == "callmp" else self.bare_port
        server = self.servers[app]
        options, clients = ("--timeout", "30s"), self.args.connections
        workers = benchkit.child_pids(server.pid)
        before_workers = [benchkit.cpu_seconds(pid) for pid in workers]
        before_rows = benchkit.settle(rows, SETTLE_S) if rows else 0
        before_app = benchkit.tree_cpu_seconds(server.pid)
        before_pg = benchkit.backend_cpu(self.engine) if self.postgres else {}
        before_redis = benchkit.cpu_seconds(self.redis_pid)
        numbers = benchkit.run_wrk(
            port, script + benchkit.WRK_COMMON, self.args.seconds, clients, *options
        )
        app_cpu = benchkit.tree_cpu_seconds(server.pid) - before_app
        after_pg = benchkit.backend_cpu(self.engine) if self.postgres else {}
        pg_cpu = sum(cpu - before_pg.get(pid, 0.0) for pid, cpu in after_pg.items())
        redis_cpu = benchkit.cpu_seconds(self.redis_pid) - before_redis
        completed, duration_us, p50, p99, bad, good, started = numbers
        per = 1e3 / max(completed, 1)
        spent = [
            benchkit.cpu_seconds(pid) - was
            for pid, was in zip(workers, before_workers, strict=True)
        ]
        result = Result(
            name=name,
            app=app,
            requests=completed,
            rps=completed / (duration_us / 1e6),
            p50_ms=p50 / 1e3,
            p99_ms=p99 / 1e3,
            bad=bad,
            in_flight=started - completed,
            app_cpu_ms=app_cpu * per,
            pg_cpu_ms=pg_cpu * per,
            redis_cpu_ms=redis_cpu * per if app == "callmp" else 0.0,
            busiest_share=max(spent) / sum(spent) if sum(spent) > 0 else 0.0,
        )
        ok = self.checks.check(
            bad == 0 and completed > 0,
            f"{self.size:,}: {name}: {bad} non-2xx/3xx answers or socket errors in {completed}",
        )
        if calls is not None:
            ok = (
                self.checks.check(
                    good <= calls,
                    f"{self.size:,}: {name}: {good} 2xx answers for {calls} queued calls: "
                    f"{good - calls} were replays, not first deliveries "
                    "(raise --webhook-calls)",
                )
                and ok
            )
        if rows and expect:
            added = benchkit.settle(rows, SETTLE_S) - before_rows
            low, high = expect(good, started)
            result.rows = f"{added} rows for {good} 2xx"
            ok = (
                self.checks.check(
                    low <= added <= high,
                    f"{self.size:,}: {name}: {added} rows added for {good} 2xx answers, "
                    f"{started} sent (allowed {low}..{high})",
                )
                and ok
            )
        result.ok = ok
        return result

    def bare_steps(self) -> list[tuple[str, Callable[[], Result]]]:
        """The bare references: hello, TwiML, insert (hello runs again at the end)."""
        return [(name, partial(self.bare, name)) for name in BARE]

    def bare(self, name: str, beside: str = "") -> Result:
        """Load the bare reference ``name``, as itself or as the one timed just before the
        endpoint ``beside`` (named ``paired(name, beside)``)."""
        label = paired(name, beside) if beside else name
        if name == "bare POST /insert":
            bare_rows = count(create_engine(self.bare_url), text("SELECT count(*) FROM bench_bare"))
            return self.load(label, "bare", BARE[name], bare_rows, exact)
        return self.load(label, "bare", BARE[name])

    def steps(self) -> list[tuple[str, Callable[[], Result]]]:
        """Every CallMP endpoint in turn, each a thunk that loads it once."""
        engine = self.engine
        out: list[tuple[str, Callable[[], Result]]] = []

        def add(name: str, *more: Any, **options: Any) -> None:
            out.append((name, partial(self.load, name, "callmp", *more, **options)))

        # CallMP's floor: no database, no template, only what every request pays (proxy
        # headers, limits, security headers, metrics, the access log, the session).
        add("CallMP GET /healthz", list_script([Request("GET", "/healthz")]))
        add("campaign page", list_script([Request("GET", f"/c/{SLUG}")]))
        ridings = list_script([Request("GET", f"/c/{SLUG}/riding/{fed}") for fed in self.fed_nums])
        # First, timed from cold with no warm-up and aimed at nothing: what follows a content
        # revision (an edit, a correction, a start), each worker drawing each riding's page
        # for the first time. Then the riding page as it is served the rest of the time.
        add(COLD_RIDINGS, ridings, warm=False)
        add("riding page", ridings)
        lookups = [
            Request("GET", "/api/v1/lookup?" + urlencode({"postal_code": c})) for c in self.codes
        ]
        add("lookup API", list_script(lookups))
        add(
            "counts API",
            list_script([Request("GET", f"/api/v1/campaigns/{SLUG}/counts?by_office=0")]),
        )
        rides = ",".join(f"{{{lua_string(c)}, {f}}}" for c, f, _e in self.ridings)
        areas = ",".join(lua_string(a) for a in benchkit.AREA_CODES)
        calls = select(func.count()).select_from(CallRequest)
        call_script = benchkit.WRK_CALL % (rides, areas, f"/api/v1/campaigns/{SLUG}/calls")
        add("call request (JSON)", call_script, count(engine, calls), exact)
        warm, timed = self.live_calls[:WEBHOOK_WARMUP_CALLS], self.live_calls[WEBHOOK_WARMUP_CALLS:]
        rows = {
            "answer": select(func.count()).where(CallRequest.provider_sid.is_not(None)),
            "dial": select(func.count()).where(ContactEvent.channel == Channel.bridged_call),
            "status": select(func.count()).select_from(ProviderEvent),
        }
        for kind in WEBHOOKS:
            warmup = [benchkit.signed_webhook(p, k, kind) for k, p in enumerate(warm)]
            load = [benchkit.signed_webhook(p, k + len(warm), kind) for k, p in enumerate(timed)]
            statement = rows.get(kind)
            add(
                f"{kind} webhook",
                list_script(load),
                count(engine, statement) if statement is not None else None,
                partial(first_deliveries, len(timed)),
                warmup=list_script(warmup),
                calls=len(timed),
            )
        tag = f"scale-{self.size}"
        letters = select(func.count()).where(EmailSubmission.email.like(f"{tag}-%"))
        letter_script = benchkit.WRK_LETTER % (rides, tag, f"/api/v1/campaigns/{SLUG}/emails")
        add("letter (JSON)", letter_script, count(engine, letters), exact)
        return out


def verbs(body: bytes) -> list[str]:
    """The verbs of a TwiML document, nested ones included; empty if it is not one."""
    try:
        root = ET.fromstring(body)  # noqa: S314  (our own servers' answers, on loopback)
    except ET.ParseError:
        return []
    return [element.tag for element in root.iter()] if root.tag == "Response" else []


def preload_pass(run: SizeRun, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    """CallMP started fresh without, then with, ``--preload``; the same short load; memory."""
    found: dict[str, Any] = {}
    seconds, clients = run.args.rss_seconds, run.args.connections
    print(
        f"\nmemory: CallMP restarted without and with --preload, {seconds:g} s of load on "
        f"each of {len(RSS_ENDPOINTS)} endpoints",
        flush=True,
    )
    for preload in (False, True):
        port = benchkit.free_port()
        server = run.gunicorn("wsgi:app", env, port, tmp / "callmp.log", preload=preload)
        try:
            benchkit.wait_up(port, "/", server, "CallMP")
            bad = 0
            for name in RSS_ENDPOINTS:
                numbers = benchkit.run_wrk(
                    port, run.scripts[name] + benchkit.WRK_COMMON, seconds, clients
                )
                bad += numbers[4]
            run.checks.check(bad == 0, f"preload={preload}: {bad} bad answers under load")
            found["preload" if preload else "no preload"] = memory_of(server)
        finally:
            benchkit.stop(server)
    return found


# -- report -------------------------------------------------------------------------------


def _mb(kb: int) -> float:
    return kb / 1024


def _ref(run: SizeRun, name: str, endpoint: str) -> Result:
    """The bare reference ``name`` for ``endpoint``: the run timed just before it when
    there is one (this machine's speed drifts within a run), else the run at the start
    (bare hello: the mean of its runs at the start and the end)."""
    found = [r for r in run.results if r.name == paired(name, endpoint)]
    if not found:
        found = [r for r in run.results if r.name in (name, f"{name} (last)")]
    if len(found) == 1:
        return found[0]
    mean = Result(**asdict(found[0]))
    for attr in ("rps", "p50_ms", "p99_ms", "app_cpu_ms"):
        setattr(mean, attr, sum(getattr(r, attr) for r in found) / len(found))
    return mean


def _size_table(run: SizeRun) -> list[dict[str, Any]]:
    """Print one size's table; its rows as dicts."""
    print(
        f"\n{run.size:,} letters, calls and events ({'PostgreSQL' if run.postgres else 'SQLite'})"
    )
    header = (
        f"{'endpoint':<22} {'req/s':>6} {'p50':>6} {'p99':>6} {'cpu ms':>6} {'bad':>4}  "
        f"{'vs':<8} {'its req/s':>9} {'rps x':>5} {'cpu x':>5} {'aim':>4} {'rps':>4} {'p99':>4}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for r in run.results:
        if r.app == "bare" and " (for " in r.name:
            continue  # shown in its endpoint's row
        ref_name, aim = TARGETS.get(r.name, ("", 0.0))
        line = (
            f"{r.name:<22} {r.rps:6,.0f} {r.p50_ms:6.1f} {r.p99_ms:6.1f} {r.cpu_ms:6.2f} "
            f"{r.bad:4}  "
        )
        row: dict[str, Any] = asdict(r) | {"cpu_ms": r.cpu_ms}
        if ref_name:
            ref = _ref(run, ref_name, r.name)
            rps_x, cpu_x = r.rps / ref.rps, ref.cpu_ms / r.cpu_ms if r.cpu_ms else 0.0
            met, fast = rps_x >= aim, r.p99_ms <= P99_MS
            short = ref_name.removeprefix("bare ").split()[-1]
            line += (
                f"{short:<8} {ref.rps:9,.0f} {rps_x:5.2f} {cpu_x:5.2f} {aim:4.2f} "
                f"{'met' if met else 'NO':>4} {'met' if fast else 'NO':>4}"
            )
            row |= {"reference": ref.name, "reference_rps": ref.rps}
            row |= {"rps_ratio": rps_x, "cpu_ratio": cpu_x, "aim": aim}
            row |= {"rps_met": met, "p99_met": fast}
        print(line + ("" if r.ok else "  FAILED"))
        rows.append(row)
    print(
        "(ms; cpu ms: CPU per request in gunicorn's master and workers, plus PostgreSQL's "
        "backends and redis-server; vs: the bare reference, timed just before the endpoint "
        "(the same run serves both sizes), and its req/s; rps x: req/s over the "
        "reference's; cpu x: the reference's CPU per request over this one's; aim: the "
        f"issue's target for rps x; p99: under {P99_MS:g} ms)"
    )
    return rows


def _growth_table(small: SizeRun, big: SizeRun) -> list[dict[str, Any]]:
    """Print the cost at the big size over the small one; its rows as dicts."""
    print(f"\ngrowth: {big.size:,} over {small.size:,} (aim: cost within {GROWTH:g}x)")
    header = (
        f"{'endpoint':<22} {'cpu ms':>7} {'cpu ms':>7} {'cpu x':>6} {'req/s':>7} {'req/s':>7} "
        f"{'time x':>6} {'cpu':>4} {'time':>4}"
    )
    print(header)
    print("-" * len(header))
    by_name = {r.name: r for r in small.results}
    rows = []
    for r in big.results:
        if r.name not in TARGETS or r.name not in by_name:
            continue
        s = by_name[r.name]
        cpu_x = r.cpu_ms / s.cpu_ms if s.cpu_ms else 0.0
        time_x = s.rps / r.rps if r.rps else 0.0
        print(
            f"{r.name:<22} {s.cpu_ms:7.2f} {r.cpu_ms:7.2f} {cpu_x:6.2f} {s.rps:7,.0f} "
            f"{r.rps:7,.0f} {time_x:6.2f} {'met' if cpu_x <= GROWTH else 'NO':>4} "
            f"{'met' if time_x <= GROWTH else 'NO':>4}"
        )
        rows.append({"name": r.name, "cpu_ratio": cpu_x, "time_ratio": time_x})
    print(
        f"(cpu ms at {small.size:,}, then at {big.size:,}; cpu x: their ratio; req/s at each; "
        "time x: the small size's req/s over the big one's, i.e. wall time per request)"
    )
    return rows


def _memory_table(label: str, memory: dict[str, Any]) -> None:
    master, workers = memory["master"], memory["workers"]
    uss = max((w["uss"] for w in workers), default=0)
    print(
        f"{label:<34} {_mb(master['rss']):7.1f} "
        + " ".join(
            f"{_mb(w['rss']):5.0f}/{_mb(w['pss']):3.0f}/{_mb(w['uss']):3.0f}" for w in workers
        )
        + f"  {_mb(master['pss'] + sum(w['pss'] for w in workers)):6.1f}"
        + f"  {'met' if _mb(uss) <= WORKER_MB else 'NO'}"
    )


def report(runs: list[SizeRun], extras: list[dict[str, Any]]) -> dict[str, Any]:
    """Print every table; the JSON document's results."""
    document: dict[str, Any] = {"sizes": []}
    for run, extra in zip(runs, extras, strict=True):
        document["sizes"].append(
            {"size": run.size, "results": _size_table(run), "memory": run.memory} | extra
        )
    if len(runs) > 1:
        document["growth"] = _growth_table(runs[0], runs[-1])
    print(
        "\nmemory, MB: master RSS, then each worker's RSS/PSS/USS, the PSS total, and "
        f"whether every worker's USS (memory beyond what it shares) is within {WORKER_MB:g} MB"
    )
    for run in runs:
        _memory_table(f"{run.size:,}, after the load, no preload", run.memory)
    for label, memory in extras[-1].get("preload", {}).items():
        _memory_table(f"{runs[-1].size:,}, fresh, {label}", memory)
    return document
