"""Every setting in one place, with its default and what it does.

Settings come from the environment (prefix ``CALLMP_``) or from the overrides passed to
``create_app``. Nothing here is read at import time: ``load_config`` is called by the
app factory.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits

REPO_ROOT = Path(__file__).resolve().parent.parent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default and a line on what it does."""

    name: str
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        None,
        "Signs sessions and tokens; generated per run when unset (dev only).",
        True,
    ),
    Setting(
        "DATABASE_URL",
        "sqlite:///" + str(REPO_ROOT / "instance" / "callmp.sqlite3"),
        "SQLAlchemy URL of the database (SQLite by default, PostgreSQL when scaled).",
    ),
    Setting(
        "DATA_DIR",
        str(REPO_ROOT / "data"),
        "Folder with the shipped data (mps.csv, offices.csv ...).",
    ),
    Setting(
        "PHOTO_DIR",
        str(REPO_ROOT / "instance" / "photos"),
        "Folder of MPs' photos, served at /photos/ (filled by flask data photos --from DIR).",
    ),
    Setting(
        "SHARE_IMAGE_FONT",
        "",
        "TrueType font for the generated share images (empty: Liberation Sans or DejaVu Sans"
        " Bold where the system has them, else Pillow's own font without accents).",
    ),
    Setting(
        "PDF_FONT",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "TrueType font of the petition's printable delivery packet (needs French accents and"
        " em dashes; Debian's fonts-dejavu-core ships the default).",
    ),
    Setting("DEFAULT_LOCALE", "en", "Language used when the visitor has not chosen one."),
    Setting("LOCALES", ("en", "fr"), "Languages the interface is offered in."),
    Setting(
        "ELECTIONS_CANADA_LOOKUP_URL",
        "https://www.elections.ca/Scripts/vis/FindED?L={lang}&PAGEID=20",
        "Elections Canada's own riding lookup, shown when our match is uncertain.",
    ),
    Setting(
        "FSA_MAJORITY_SHARE",
        0.9,
        "An unknown code whose FSA has one riding with at least this share is answered "
        "with that riding (still marked uncertain).",
    ),
    Setting(
        "FSA_MIN_SHARE", 0.01, "Candidate ridings below this share of an FSA are dropped as noise."
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        False,
        "Send the session cookie over HTTPS only (set in production).",
    ),
    Setting("LOG_LEVEL", "INFO", "Logging level."),
    Setting(
        "LOG_FORMAT",
        "text",
        "'text', or 'json' for one JSON object per line with the request id.",
    ),
    Setting(
        "METRICS_TOKEN",
        "",
        "Bearer token that opens /metrics to other hosts (loopback needs none).",
        True,
    ),
    Setting(
        "PROXY_HOPS",
        0,
        "Reverse proxies in front of the app whose X-Forwarded-For/Proto/Host are trusted "
        "(0: none, the app faces the internet; 1: one proxy such as Caddy or nginx; 2: a "
        "CDN or load balancer and then a proxy). The client address is the one the "
        "outermost trusted proxy appended; what a client wrote itself is ignored.",
    ),
    Setting(
        "SENTRY_DSN",
        "",
        "Sentry (or compatible) DSN that errors are reported to, with phone numbers, "
        "email and postal addresses, cookies, forms and query strings removed; empty: off. "
        "Needs the sentry extra (pip install 'callmp[sentry]').",
        True,
    ),
    Setting(
        "SENTRY_ENVIRONMENT",
        "production",
        "Environment name the error reports are filed under.",
    ),
    Setting(
        "SENTRY_TRACES_SAMPLE_RATE",
        0.0,
        "Share of requests sent to Sentry as performance traces (0 to 1; 0: none).",
    ),
    # -- Click-to-call ------------------------------------------------------------------
    Setting(
        "TELEPHONY",
        "auto",
        "'twilio', 'local' (walks through a call without a phone), or 'auto': Twilio when "
        "an account SID is set, else local.",
    ),
    Setting("TWILIO_ACCOUNT_SID", "", "Twilio account SID (AC...)."),
    Setting("TWILIO_AUTH_TOKEN", "", "Twilio auth token; also checks webhook signatures.", True),
    Setting("TWILIO_FROM_NUMBER", "", "Caller ID (E.164) for campaigns without their own number."),
    Setting(
        "TWILIO_API_BASE_URL",
        "",
        "Points the SDK's REST calls at a stand-in on loopback (tests only; other hosts "
        "are refused).",
    ),
    Setting("TWILIO_TIMEOUT", 10.0, "Seconds to wait for Twilio's REST API."),
    Setting(
        "PUBLIC_URL",
        "",
        "Base URL Twilio reaches the webhooks at, e.g. https://calls.example.org "
        "(signatures are checked against it).",
    ),
    Setting("CALLS_PER_SECOND", 1.0, "Calls placed per second at most (Twilio's default: 1)."),
    Setting(
        "CALL_CONNECTED_AFTER_S", 30, "A bridged call this long or longer counts as connected."
    ),
    Setting(
        "CALL_MAX_PER_PHONE_PER_HOUR", 3, "Calls to one number per hour, all campaigns together."
    ),
    Setting(
        "CALL_MAX_PER_PHONE_PER_DAY", 5, "Calls to one number per 24 hours, all campaigns together."
    ),
    Setting(
        "CALL_MAX_PER_IP_PER_HOUR",
        20,
        "Call requests from one IP per hour, all campaigns together.",
    ),
    Setting("CALL_DIAL_TIMEOUT_S", 25, "Seconds an office's phone rings before we move on."),
    Setting("CALL_TIME_LIMIT_S", 1200, "Longest bridged conversation, in seconds."),
    Setting("CALL_MAX_ATTEMPTS", 5, "Tries at placing one call (5xx, 429, timeouts)."),
    Setting(
        "ALLOW_FICTIONAL_PHONES",
        False,
        "Accept 555-01xx numbers (for demos in local mode; never with Twilio).",
    ),
    # -- Email ------------------------------------------------------------------------
    Setting(
        "MAIL_BACKEND",
        "local",
        "'local' writes each message as an .eml file to MAIL_OUTBOX (listed at /dev/outbox); "
        "'smtp' sends through CALLMP_SMTP_HOST.",
    ),
    Setting(
        "MAIL_OUTBOX",
        str(REPO_ROOT / "instance" / "outbox"),
        "Folder the local mail backend writes messages to.",
    ),
    Setting(
        "MAIL_FROM",
        "campaigns@callmp.invalid",
        "Address letters come from when a campaign has none of its own (the supporter's "
        "name is the display name).",
    ),
    Setting(
        "ALLOW_LOCAL_MAIL",
        False,
        "Start with MAIL_BACKEND 'local' even with Twilio telephony or a public PUBLIC_URL "
        "(letters then go nowhere; a warning is logged at each start). Without it the app "
        "refuses to start.",
    ),
    Setting("SMTP_HOST", "", "SMTP server (needed when MAIL_BACKEND is 'smtp')."),
    Setting("SMTP_PORT", 587, "SMTP port (587 for STARTTLS, 465 for TLS)."),
    Setting("SMTP_TLS", "starttls", "'starttls', 'tls' (implicit, port 465) or 'none'."),
    Setting("SMTP_USERNAME", "", "SMTP login, when the server wants one."),
    Setting("SMTP_PASSWORD", "", "SMTP password.", True),
    Setting("SMTP_TIMEOUT", 15.0, "Seconds to wait for the SMTP server."),
    Setting("EMAIL_CONFIRM_HOURS", 48, "Hours a confirmation link stays valid."),
    Setting(
        "EMAIL_REMINDER_HOURS",
        24,
        "Hours after which one reminder goes to a supporter who hasn't confirmed.",
    ),
    Setting(
        "EMAIL_RETRY_HOURS",
        48,
        "Hours a message is retried after temporary failures before it is marked failed.",
    ),
    Setting(
        "EMAIL_DUPLICATE_HOURS",
        24,
        "A supporter writing the same target in the same campaign again within this many "
        "hours is caught.",
    ),
    Setting(
        "EMAIL_RETENTION_DAYS",
        30,
        "Days before letters, names, addresses and postal codes are purged (the counts and "
        "ridings stay).",
    ),
    Setting(
        "CALL_RETENTION_DAYS",
        30,
        "Days before a call request's phone number and transcript are erased, if the call "
        "did not clear them already (the counts stay).",
    ),
    Setting(
        "IP_HASH_RETENTION_DAYS",
        30,
        "Days before the keyed hashes of supporters' IP addresses are erased from letters, "
        "signatures and call requests.",
    ),
    Setting(
        "CONSENT_PROOF_DAYS",
        1095,
        "Days a withdrawn consent's proof (wording, dates, no name or address) is kept "
        "before it is purged; the name and address go as soon as consent is withdrawn.",
    ),
    Setting(
        "UNSUBSCRIBE_MAX_PER_IP_PER_HOUR",
        10,
        "Withdrawals by address on the public /unsubscribe page from one IP per hour.",
    ),
    Setting(
        "EMAIL_MAX_PER_IP_PER_HOUR", 20, "Letters from one IP per hour, all campaigns together."
    ),
    Setting(
        "PETITION_MAX_PER_IP_PER_HOUR",
        20,
        "Petition signatures from one IP per hour, all campaigns together.",
    ),
    Setting(
        "PETITION_MIN_FORM_SECONDS",
        3,
        "A petition form sent sooner than this many seconds after it was shown is taken "
        "for a bot: nothing is stored and the supporter is asked to send it again.",
    ),
    Setting(
        "REPORTS_MAX_PER_IP_PER_HOUR",
        30,
        "Self-reported contacts (direct calls, mailto letters) counted from one IP per hour, "
        "across all campaigns.",
    ),
    Setting(
        "REPORTS_MAX_PER_CLIENT_PER_HOUR",
        12,
        "Self-reported contacts counted from one browser session (or one page, without "
        "cookies) per hour, across all campaigns.",
    ),
    Setting(
        "REPORT_TOKEN_MAX_AGE_S",
        86400,
        "Seconds a page's report form stays valid after the page was shown.",
    ),
    Setting(
        "EMAIL_IDENTICAL_NUDGE",
        5,
        "When this many letters with the same words were already sent, the supporter is "
        "invited to add their own line.",
    ),
    Setting(
        "EMAIL_SWEEP_AFTER_S",
        600,
        "Messages stuck this long (a crashed worker) are queued again.",
    ),
    # -- Deliverability: DKIM and bounces ----------------------------------------------
    Setting(
        "DKIM_DOMAIN",
        "",
        "Domain that signs outgoing mail with DKIM: the domain of CALLMP_MAIL_FROM (or a "
        "parent of it). Empty: mail is not signed.",
    ),
    Setting("DKIM_SELECTOR", "", "DKIM selector: the key is published at <selector>._domainkey."),
    Setting(
        "DKIM_PRIVATE_KEY_FILE",
        "",
        "Path of the PEM file holding the DKIM private key (read at start, never logged).",
        True,
    ),
    Setting(
        "BOUNCE_ADDRESS",
        "",
        "Mailbox bounces go to (e.g. bounces@example.org): each message's envelope sender "
        "is <local>+<signed message token>@<domain>. Empty: the From address, as before.",
    ),
    Setting(
        "BOUNCE_WEBHOOK_TOKEN",
        "",
        "Bearer token the mail provider sends to POST /hooks/bounces. Empty: the hook is off.",
        True,
    ),
    Setting(
        "BOUNCE_FLAG_AFTER",
        2,
        "Bounces after which an MP's address is flagged for the leads to correct.",
    ),
    # -- Background queue ---------------------------------------------------------------
    Setting(
        "QUEUE",
        "sqlite",
        "Huey storage: 'sqlite' (a file), 'redis' (CALLMP_REDIS_URL) or 'immediate' "
        "(run tasks inline: tests).",
    ),
    Setting(
        "QUEUE_PATH",
        str(REPO_ROOT / "instance" / "queue.sqlite3"),
        "SQLite file of the queue when QUEUE is 'sqlite'.",
    ),
    Setting(
        "REDIS_URL",
        "",
        "Redis URL of the queue when QUEUE is 'redis'.",
    ),
    # -- Staff accounts -----------------------------------------------------------------
    Setting(
        "LOGIN_FREE_TRIES",
        5,
        "Wrong passwords for one account from one address before each further try waits "
        "(the owner, from another address, is not slowed). Counted in the database.",
    ),
    Setting(
        "LOGIN_ADDRESS_FREE_TRIES",
        30,
        "Wrong passwords from one address, whatever the account, before it must wait.",
    ),
    Setting(
        "LOGIN_FIRST_WAIT_SECONDS",
        30,
        "The wait after the first wrong password beyond the free ones; it doubles with "
        "each further one. Counts are forgotten an hour after the last wrong password.",
    ),
    Setting(
        "LOGIN_LONGEST_WAIT_SECONDS",
        900,
        "The longest wait between two login tries (under an hour).",
    ),
    Setting(
        "RATELIMIT_STORAGE_URI",
        "memory://",
        "Where Flask-Limiter keeps the burst limit's counts (PUBLIC_WRITE_BURST; logins "
        "and the hourly limits are counted in the database instead): memory:// per "
        "process, or redis://... shared by every process.",
    ),
    Setting(
        "PUBLIC_WRITE_BURST",
        "30 per minute",
        "Most POSTs one client address may send to the public forms and the API (lookups, "
        "calls, reports, letters, confirmations), all together, e.g. '30 per minute' or "
        "'30/minute;300/hour'; empty for no such limit. A flood brake, counted in "
        "RATELIMIT_STORAGE_URI; the per-phone and per-address hourly limits still apply.",
    ),
    Setting(
        "STAFF_SESSION_HOURS",
        12,
        "A staff login lasts this long without activity before signing in again.",
    ),
    Setting(
        "CALL_SWEEP_AFTER_S",
        120,
        "Call requests stuck this long before the provider took them are queued again.",
    ),
    # -- The MP and office data ----------------------------------------------------------
    Setting(
        "DATA_MAX_AGE_DAYS",
        "90",
        "Campaign leads are warned on their campaigns' staff pages when the MP and office "
        "data is older than this many days (counted from the data's own date, not from "
        "the import); 0 or empty: no warning.",
    ),
    Setting(
        "HOUSE_BASE_URL",
        "https://www.ourcommons.ca",
        "Where `flask data refresh` (without --from) and the scheduled check download the "
        "House of Commons' members export, addresses page, profile pages and ministry list.",
    ),
    Setting("HOUSE_FETCH_TIMEOUT_S", 30.0, "Seconds to wait for each House of Commons file."),
    Setting(
        "HOUSE_FETCH_DELAY_S",
        1.0,
        "Seconds between two downloads from the House of Commons (one at a time, politely: "
        "a full refresh reads about 345 pages).",
    ),
    Setting(
        "HOUSE_FETCH_MAX_BYTES",
        10_000_000,
        "Largest House of Commons file accepted, in bytes; a bigger one refuses the refresh.",
    ),
    Setting(
        "DATA_REFRESH_CHECK",
        "off",
        "'daily', 'weekly' (Mondays) or 'off': the worker downloads the House of Commons' "
        "files at 10:00 UTC, compares them with the data and emails the differences to "
        "every active admin, without applying them.",
    ),
    # -- Counting -----------------------------------------------------------------------
    Setting(
        "COUNTS_CACHE_SECONDS",
        5,
        "The public counter (campaign page and counts API) is recounted at most this often "
        "per process; 0 recounts on every request. Staff dashboards never wait.",
    ),
    Setting(
        "FRONT_CACHE_BYTES",
        8 * 1024 * 1024,
        "Bytes per process of finished public answers (campaign page, lookup and counts "
        "API) given again to strangers who ask the same way, before Flask runs; 0 turns "
        "that off.",
    ),
    Setting(
        "DASHBOARD_TIME_ZONE",
        "America/Toronto",
        "Time zone of staff dashboards until an organizer picks their own.",
    ),
)

_BOOL_TRUE = {"1", "true", "yes", "on"}


def _coerce(default: Any, raw: str) -> Any:
    """Turn an environment string into the type of the setting's default."""
    if isinstance(default, bool):
        return raw.strip().lower() in _BOOL_TRUE
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_config(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Build the configuration from defaults, the environment and explicit overrides."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        value = setting.default
        raw = env.get("CALLMP_" + setting.name)
        if raw is not None:
            value = _coerce(setting.default, raw)
        config[setting.name] = value
    config.update(overrides)
    # Remembered for the production rules: a generated key differs in every process.
    # A config loaded before and passed back in as overrides keeps its flag.
    config["SECRET_KEY_GENERATED"] = (
        bool(config.get("SECRET_KEY_GENERATED")) or not config["SECRET_KEY"]
    )
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = os.urandom(32).hex()
    check(config)
    return config


class ConfigError(ValueError):
    """A setting is missing or wrong for the chosen backend: the app refuses to start."""


def telephony_backend(config: Mapping[str, Any]) -> str:
    """'twilio' or 'local', resolving 'auto' from whether an account SID is set."""
    chosen = str(config["TELEPHONY"])
    if chosen == "auto":
        return "twilio" if config["TWILIO_ACCOUNT_SID"] else "local"
    return chosen


def check(config: Mapping[str, Any]) -> None:
    """Fail fast when a chosen backend lacks what it needs."""
    backend = telephony_backend(config)
    if backend not in ("twilio", "local"):
        raise ConfigError("CALLMP_TELEPHONY must be 'twilio', 'local' or 'auto'")
    if backend == "twilio":
        missing = [
            name
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_URL")
            if not config[name]
        ]
        if missing:
            raise ConfigError(
                "Twilio telephony needs " + ", ".join("CALLMP_" + name for name in missing)
            )
        if not str(config["PUBLIC_URL"]).startswith(("https://", "http://")):
            raise ConfigError("CALLMP_PUBLIC_URL must be an http(s) URL")
    if config["MAIL_BACKEND"] not in ("local", "smtp"):
        raise ConfigError("CALLMP_MAIL_BACKEND must be 'local' or 'smtp'")
    if config["MAIL_BACKEND"] == "smtp" and not config["SMTP_HOST"]:
        raise ConfigError("CALLMP_MAIL_BACKEND=smtp needs CALLMP_SMTP_HOST")
    if config["SMTP_TLS"] not in ("starttls", "tls", "none"):
        raise ConfigError("CALLMP_SMTP_TLS must be 'starttls', 'tls' or 'none'")
    if config["QUEUE"] not in ("sqlite", "redis", "immediate"):
        raise ConfigError("CALLMP_QUEUE must be 'sqlite', 'redis' or 'immediate'")
    if config["QUEUE"] == "redis" and not config["REDIS_URL"]:
        raise ConfigError("CALLMP_QUEUE=redis needs CALLMP_REDIS_URL")
    if min(int(config["LOGIN_FREE_TRIES"]), int(config["LOGIN_ADDRESS_FREE_TRIES"])) < 1:
        raise ConfigError("CALLMP_LOGIN_FREE_TRIES and LOGIN_ADDRESS_FREE_TRIES must be 1 or more")
    if (
        not 0
        < int(config["LOGIN_FIRST_WAIT_SECONDS"])
        <= int(config["LOGIN_LONGEST_WAIT_SECONDS"])
        < 3600
    ):
        raise ConfigError(
            "CALLMP_LOGIN_FIRST_WAIT_SECONDS must be positive and at most "
            "CALLMP_LOGIN_LONGEST_WAIT_SECONDS, which must be under 3600"
        )
    if int(config["STAFF_SESSION_HOURS"]) <= 0:
        raise ConfigError("CALLMP_STAFF_SESSION_HOURS must be positive")
    try:
        ZoneInfo(str(config["DASHBOARD_TIME_ZONE"]))
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ConfigError("CALLMP_DASHBOARD_TIME_ZONE must be a time zone name") from error
    if int(config["PROXY_HOPS"]) < 0:
        raise ConfigError("CALLMP_PROXY_HOPS must be 0 or more")
    if not 0.0 <= float(config["SENTRY_TRACES_SAMPLE_RATE"]) <= 1.0:
        raise ConfigError("CALLMP_SENTRY_TRACES_SAMPLE_RATE must be between 0 and 1")
    if int(config["COUNTS_CACHE_SECONDS"]) < 0:
        raise ConfigError("CALLMP_COUNTS_CACHE_SECONDS must be 0 or more")
    if int(config["FRONT_CACHE_BYTES"]) < 0:
        raise ConfigError("CALLMP_FRONT_CACHE_BYTES must be 0 or more")
    burst = str(config["PUBLIC_WRITE_BURST"]).strip()
    try:
        if burst and not all(rate.amount >= 1 for rate in limits.parse_many(burst)):
            raise ValueError(burst)
    except ValueError as error:
        raise ConfigError(
            "CALLMP_PUBLIC_WRITE_BURST must be a rate such as '30 per minute' (or empty)"
        ) from error
    if not float(config["CALLS_PER_SECOND"]) > 0:
        raise ConfigError("CALLMP_CALLS_PER_SECOND must be positive")
    _check_data_settings(config)
    _check_local_mail(config, backend)
    _check_bounce_settings(config)


def _check_bounce_settings(config: Mapping[str, Any]) -> None:
    """DKIM settings that agree with CALLMP_MAIL_FROM; a usable bounce address."""
    from callmp.letters.dkim_signing import DkimSettingsError, check_settings
    from callmp.letters.verp import Verp

    try:
        check_settings(config)
    except DkimSettingsError as error:
        raise ConfigError(str(error)) from error
    if config["BOUNCE_ADDRESS"]:
        try:
            Verp(str(config["BOUNCE_ADDRESS"]), "check")
        except ValueError as error:
            raise ConfigError(str(error)) from error
    if int(config["BOUNCE_FLAG_AFTER"]) < 1:
        raise ConfigError("CALLMP_BOUNCE_FLAG_AFTER must be 1 or more")


def _check_data_settings(config: Mapping[str, Any]) -> None:
    """The data's age limit, the House of Commons' address and the scheduled check."""
    age = str(config["DATA_MAX_AGE_DAYS"] if config["DATA_MAX_AGE_DAYS"] is not None else "")
    if age.strip() and not (age.strip().isascii() and age.strip().isdigit()):
        raise ConfigError("CALLMP_DATA_MAX_AGE_DAYS must be a whole number of days (0: no warning)")
    if not str(config["HOUSE_BASE_URL"]).startswith(("https://", "http://")):
        raise ConfigError("CALLMP_HOUSE_BASE_URL must be an http(s) URL")
    if config["DATA_REFRESH_CHECK"] not in ("off", "daily", "weekly"):
        raise ConfigError("CALLMP_DATA_REFRESH_CHECK must be 'off', 'daily' or 'weekly'")
    if not float(config["HOUSE_FETCH_TIMEOUT_S"]) > 0:
        raise ConfigError("CALLMP_HOUSE_FETCH_TIMEOUT_S must be positive")
    if float(config["HOUSE_FETCH_DELAY_S"]) < 0:
        raise ConfigError("CALLMP_HOUSE_FETCH_DELAY_S must be 0 or more")
    if int(config["HOUSE_FETCH_MAX_BYTES"]) < 1:
        raise ConfigError("CALLMP_HOUSE_FETCH_MAX_BYTES must be positive")


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (localhost or a loopback address)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_local_mail(config: Mapping[str, Any], telephony: str) -> None:
    """Refuse local mail where real people use the app.

    Local mail lists every supporter's name, address and confirmation link on
    /dev/outbox, and sends nothing: right for a demo on this machine, wrong once
    Twilio rings real phones or the app is reachable at a public URL.
    """
    if config["MAIL_BACKEND"] != "local":
        return
    public_url = str(config["PUBLIC_URL"] or "")
    if telephony == "twilio":
        problem = "CALLMP_TELEPHONY is Twilio (real calls)"
    elif public_url and not is_loopback_url(public_url):
        problem = f"CALLMP_PUBLIC_URL ({public_url}) is not a loopback address"
    else:
        return
    message = (
        f"{problem} but CALLMP_MAIL_BACKEND is 'local': letters would never be sent and "
        "supporters' addresses would sit in the local outbox. Set CALLMP_MAIL_BACKEND=smtp "
        "with CALLMP_SMTP_HOST, or set CALLMP_ALLOW_LOCAL_MAIL=1 to start anyway."
    )
    if not config["ALLOW_LOCAL_MAIL"]:
        raise ConfigError(message)
    log.warning("LOCAL MAIL IN A REAL SETUP (CALLMP_ALLOW_LOCAL_MAIL is set): %s", message)


def production_reasons(config: Mapping[str, Any]) -> list[str]:
    """Why ``config`` serves real people (empty for a local, demo or test setup)."""
    reasons = []
    if telephony_backend(config) == "twilio" and not config["TWILIO_API_BASE_URL"]:
        reasons.append("Twilio telephony")
    if config["MAIL_BACKEND"] == "smtp":
        reasons.append("SMTP mail")
    if config["QUEUE"] == "redis":
        reasons.append("a Redis queue")
    public_url = str(config["PUBLIC_URL"] or "")
    if public_url and not is_loopback_url(public_url):
        reasons.append("a public CALLMP_PUBLIC_URL")
    return reasons


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """Each setting a production configuration lacks, with why it matters."""
    if not production_reasons(config):
        return []
    problems = []
    if config.get("SECRET_KEY_GENERATED", not config["SECRET_KEY"]):
        problems.append(
            "CALLMP_SECRET_KEY is not set: each process would make up its own key, so "
            "sessions, CSRF tokens, confirmation links and the phone-number HMACs behind "
            "the limits and the blocklist would disagree between processes and restarts"
        )
    storage = str(config["RATELIMIT_STORAGE_URI"] or "memory://")
    if storage.startswith("memory://"):
        problems.append(
            "CALLMP_RATELIMIT_STORAGE_URI is memory://: each process would count its own "
            "requests, so limits multiply with the number of processes; use a shared store "
            "such as redis://"
        )
    public_url = str(config["PUBLIC_URL"] or "")
    if not public_url.startswith("https://"):
        problems.append(
            "CALLMP_PUBLIC_URL is not an https:// URL: links in emails, Twilio's webhooks "
            "and their signatures would travel in clear text"
        )
    return problems


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse a production configuration that lacks a setting, naming every one at once."""
    problems = production_problems(config)
    if problems:
        raise ConfigError(
            "This is a production configuration ("
            + ", ".join(production_reasons(config))
            + ") and it is missing settings:\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
