"""``flask check``: verify a configuration end to end, one line per check, never a secret.

Each check returns a ``CheckResult``; none raises. Reasons name hosts and error kinds,
never passwords, tokens or anyone's personal data.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from callmp import migrate
from callmp.calls.telephony import TelephonyError, TwilioTelephony
from callmp.config import production_problems, production_reasons
from callmp.letters.dkim_signing import DkimSettingsError, load_signer
from callmp.letters.smtp import MailError, SmtpSender
from callmp.models import Person, Riding
from callmp.ops.health import redis_urls

#: Seconds to wait for Redis and for the public URL.
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome and why."""

    name: str
    ok: bool
    reason: str

    def line(self) -> str:
        """The line ``flask check`` prints."""
        return f"{'OK' if self.ok else 'FAIL':<4} {self.name}: {self.reason}"


def check_settings(config: Mapping[str, Any]) -> CheckResult:
    """The production rules: secret key, shared limiter store, https public URL."""
    reasons = production_reasons(config)
    if not reasons:
        return CheckResult("settings", True, "local setup: production rules do not apply")
    problems = production_problems(config)
    if problems:
        return CheckResult("settings", False, "; ".join(problems))
    return CheckResult("settings", True, "production setup (" + ", ".join(reasons) + ")")


def check_database(engine: Engine) -> CheckResult:
    """The database answers and is migrated to the latest revision."""
    try:
        current, heads = migrate.revisions(engine)
    except SQLAlchemyError as error:
        return CheckResult("database", False, f"unreachable ({type(error).__name__})")
    if current != heads:
        shown = ", ".join(sorted(current)) or "none"
        return CheckResult(
            "database", False, f"at revision {shown}, not {', '.join(sorted(heads))}: run migrate"
        )
    return CheckResult("database", True, f"{engine.url.get_backend_name()} at {', '.join(heads)}")


def check_data(sessions: sessionmaker[Session]) -> CheckResult:
    """Ridings and MPs have been imported."""
    try:
        with sessions() as session:
            ridings = session.scalar(select(func.count()).select_from(Riding)) or 0
            mps = session.scalar(select(func.count()).where(Person.fed_num.is_not(None))) or 0
    except SQLAlchemyError as error:
        return CheckResult("data", False, f"cannot count ({type(error).__name__})")
    if not ridings or not mps:
        return CheckResult("data", False, f"{ridings} ridings, {mps} MPs: run import-data")
    return CheckResult("data", True, f"{ridings} ridings, {mps} MPs")


def _host(url: str) -> str:
    """``host:port`` of a URL, leaving out any user and password."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def check_redis(url: str, role: str = "", timeout: float = PROBE_TIMEOUT) -> CheckResult:
    """Redis answers a PING; ``role`` (queue, limiter) names the check."""
    name = f"redis {role}" if role else "redis"
    database = urlsplit(url).path.strip("/")
    where = f"{_host(url)}/{database}" if database else _host(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    except ValueError:
        return CheckResult(name, False, f"{_host(url)}: not a redis://, rediss:// URL")
    try:
        client.ping()
    except redis.RedisError as error:
        return CheckResult(name, False, f"{where}: {type(error).__name__}")
    finally:
        client.close()
    return CheckResult(name, True, f"{where} answers")


def check_smtp(sender: SmtpSender) -> CheckResult:
    """The SMTP server accepts our EHLO, STARTTLS or TLS, and login (no mail sent)."""
    where = f"{sender.host}:{sender.port}"
    try:
        sender.check_login()
    except smtplib.SMTPAuthenticationError as error:
        return CheckResult("smtp", False, f"{where}: login refused ({error.smtp_code})")
    except smtplib.SMTPResponseException as error:
        return CheckResult("smtp", False, f"{where}: server answered {error.smtp_code}")
    except MailError as error:
        return CheckResult("smtp", False, f"{where}: {error.reason}")
    except ssl.SSLError as error:
        return CheckResult("smtp", False, f"{where}: TLS failed ({type(error).__name__})")
    except (smtplib.SMTPException, OSError) as error:
        return CheckResult("smtp", False, f"{where}: {type(error).__name__}")
    login = "logged in" if sender.username else "no login configured"
    return CheckResult("smtp", True, f"{where}: {sender.tls}, {login}")


def check_twilio(telephony: TwilioTelephony) -> CheckResult:
    """Twilio accepts the credentials (fetches our own account)."""
    try:
        status = telephony.account_status()
    except TelephonyError as error:
        if error.code == 20003 or error.http_status == 401:
            return CheckResult("twilio", False, "credentials refused (20003)")
        return CheckResult(
            "twilio", False, f"{error.reason} (code {error.code}, http {error.http_status})"
        )
    if status != "active":
        return CheckResult("twilio", False, f"account is {status}")
    return CheckResult("twilio", True, "credentials accepted, account active")


def check_dkim(config: Mapping[str, Any]) -> CheckResult:
    """The DKIM key is readable and signs; the selector and domain agree with MAIL_FROM."""
    try:
        signer = load_signer(config)
    except DkimSettingsError as error:
        return CheckResult("dkim", False, str(error))
    if signer is None:
        return CheckResult("dkim", False, "CALLMP_DKIM_DOMAIN is not set")
    return CheckResult(
        "dkim", True, f"key readable, selector set: publish the key at {signer.dns_name()}"
    )


def check_public_url(url: str, timeout: float = PROBE_TIMEOUT) -> CheckResult:
    """The public URL answers a GET (redirects followed) without an error status."""
    if not url:
        return CheckResult("public url", False, "CALLMP_PUBLIC_URL is not set")
    where = _host(url)
    if urlsplit(url).scheme not in ("http", "https"):
        return CheckResult("public url", False, "CALLMP_PUBLIC_URL is not an http(s) URL")
    try:
        with requests.get(
            url, timeout=timeout, headers={"User-Agent": "callmp-check"}, stream=True
        ) as response:
            status = response.status_code
    except requests.RequestException as error:
        return CheckResult("public url", False, f"{where}: {type(error).__name__}")
    if status >= 400:
        return CheckResult("public url", False, f"{where} answered {status}")
    return CheckResult("public url", True, f"{where} answered {status}")


def run_checks(
    config: Mapping[str, Any],
    *,
    engine: Engine,
    sessions: sessionmaker[Session],
    telephony: object,
    sender: object,
) -> list[CheckResult]:
    """Every check that applies to ``config``, in order."""
    results = [check_settings(config), check_database(engine), check_data(sessions)]
    results += [
        check_redis(url, role.removeprefix("redis_")) for role, url in redis_urls(config).items()
    ]
    if isinstance(sender, SmtpSender):
        results.append(check_smtp(sender))
    if config.get("DKIM_DOMAIN"):
        results.append(check_dkim(config))
    if isinstance(telephony, TwilioTelephony):
        results.append(check_twilio(telephony))
    if config["PUBLIC_URL"]:
        results.append(check_public_url(str(config["PUBLIC_URL"])))
    return results
