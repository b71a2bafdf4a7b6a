"""Signed, single-use tokens for the reports a supporter makes of their own contacts.

Domain code: no Flask. The page that shows an office (the riding page for direct calls, the
letter preview for mailto letters) carries a token signed with the app's secret over the
kind of report, the campaign, the riding, the targets shown, a random nonce, the page's
client (its session, or the page itself when there is none) and the time it was issued.
A report is counted only with a token the server issued for that very page; the nonce
goes into each event's dedupe key, so a token counts each target once at most.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature

from callmp.i18n import N_, InputError
from callmp.signing import CheapURLSafeSerializer

SALT = "callmp self-report"
#: Longest token accepted (a real one is about 150 characters).
MAX_LENGTH = 600
DIRECT = "d"
MAILTO = "m"
NOT_THIS_PAGE = N_("This form was not issued by this page. Please reload the page.")
EXPIRED = N_("This form has expired. Please reload the page.")


@dataclass(frozen=True)
class ReportSettings:
    """Report tokens and limits from the config; the keys derive from SECRET_KEY."""

    secret: str
    max_age_s: int = 24 * 3600
    max_per_ip_per_hour: int = 30
    max_per_client_per_hour: int = 12

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReportSettings:
        """The settings of an app's config."""
        return cls(
            secret=str(config["SECRET_KEY"]),
            max_age_s=int(config["REPORT_TOKEN_MAX_AGE_S"]),
            max_per_ip_per_hour=int(config["REPORTS_MAX_PER_IP_PER_HOUR"]),
            max_per_client_per_hour=int(config["REPORTS_MAX_PER_CLIENT_PER_HOUR"]),
        )

    def ip_key(self, ip: str) -> str:
        """A keyed hash of an IP address: tells repeats apart, cannot be turned back."""
        key = hmac.new(self.secret.encode(), b"callmp self-report ip", hashlib.sha256).digest()
        return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()[:40]


class TokenError(InputError):
    """A report token we cannot accept: forged, expired, or for another page."""


@dataclass(frozen=True)
class Ticket:
    """What a valid token says: the page's nonce and client, and the targets it showed."""

    nonce: str
    client: str
    target_ids: frozenset[int]


@lru_cache(maxsize=8)
def _serializer(secret: str) -> CheapURLSafeSerializer:
    """The signer for ``secret`` (made once: every riding page issues a token)."""
    return CheapURLSafeSerializer(secret, salt=SALT)


def new_client_id() -> str:
    """A random id for one visitor's session (or one page when there is no session)."""
    return secrets.token_urlsafe(9)


def issue(
    settings: ReportSettings,
    kind: str,
    *,
    campaign_id: int,
    fed_num: int,
    target_ids: Iterable[int],
    client: str,
    now: datetime,
) -> str:
    """A token for one page's report forms."""
    payload = {
        "k": kind,
        "c": campaign_id,
        "f": fed_num,
        "t": sorted(set(target_ids)),
        "n": secrets.token_urlsafe(12),
        "s": client or new_client_id(),
        "i": int(now.timestamp()),
    }
    return str(_serializer(settings.secret).dumps(payload))


def check(
    settings: ReportSettings,
    token: str,
    kind: str,
    *,
    campaign_id: int,
    fed_num: int,
    now: datetime,
) -> Ticket:
    """The ticket of a token issued for this kind of report, campaign and riding, in time.

    Raises TokenError for a token we did not sign, one for another page, or an old one.
    """
    if not token or len(token) > MAX_LENGTH:
        raise TokenError("token", EXPIRED)
    try:
        payload = _serializer(settings.secret).loads(token)
    except BadSignature:
        raise TokenError("token", NOT_THIS_PAGE) from None
    try:
        right = (payload["k"], payload["c"], payload["f"]) == (kind, campaign_id, fed_num)
        issued, nonce, client = int(payload["i"]), str(payload["n"]), str(payload["s"])
        target_ids = frozenset(int(t) for t in payload["t"])
    except (KeyError, TypeError, ValueError):
        right = False
    if not right:
        raise TokenError("token", NOT_THIS_PAGE)
    age = now.timestamp() - issued
    if age > settings.max_age_s or age < -300:
        raise TokenError("token", EXPIRED)
    return Ticket(nonce=nonce, client=client, target_ids=target_ids)
