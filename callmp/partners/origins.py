"""The web origins partners may embed a campaign on (``frame-ancestors``, CORS).

An origin is a scheme, a host and maybe a port, exactly as a browser sends it in an
``Origin`` header: ``https://partner.example`` or ``http://127.0.0.1:8001``. Anything else
a lead types (a path, a wildcard, a user name) is refused, never widened.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp.models import Partner


class OriginError(ValueError):
    """A line that is not a web origin."""


def normalise_origin(text: str) -> str:
    """``text`` as a browser writes the origin (lower-case, no default port), or OriginError."""
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise OriginError(f"{value!r} is not a web address") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or "*" in value:
        raise OriginError(f"{value!r} is not an origin like https://partner.example")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise OriginError(f"{value!r} has more than a scheme, host and port")
    if parts.path not in ("", "/"):
        raise OriginError(f"{value!r} has a path; give only https://host")
    default = {"https": 443, "http": 80}[parts.scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{parts.scheme}://{netloc}"


def allowed_origins(session: Session, campaign_id: int) -> frozenset[str]:
    """Every origin the campaign's partners list (already normalised when saved)."""
    texts = session.scalars(select(Partner.origins).where(Partner.campaign_id == campaign_id))
    return frozenset(line.strip() for text in texts for line in text.splitlines() if line.strip())


def origins_by_campaign(session: Session) -> dict[int, frozenset[str]]:
    """Every campaign's allowed origins (only campaigns with partners), in one query."""
    found: dict[int, set[str]] = {}
    for campaign_id, text in session.execute(select(Partner.campaign_id, Partner.origins)):
        lines = (line.strip() for line in text.splitlines())
        found.setdefault(campaign_id, set()).update(line for line in lines if line)
    return {campaign_id: frozenset(origins) for campaign_id, origins in found.items()}
