"""The petition's limits and periods, read from the app config (never at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callmp.letters.records import MailSettings


@dataclass(frozen=True)
class PetitionSettings:
    """What signing needs: the mail settings (secret, links, confirmation and retention
    periods, shared with letters) and the petition's own hourly limit per connection."""

    mail: MailSettings
    max_per_ip_per_hour: int = 20
    min_form_seconds: int = 3


def petition_settings(config: Mapping[str, Any], mail: MailSettings) -> PetitionSettings:
    """The petition settings from ``config``, on the app's mail settings."""
    return PetitionSettings(
        mail=mail,
        max_per_ip_per_hour=int(config["PETITION_MAX_PER_IP_PER_HOUR"]),
        min_form_seconds=int(config["PETITION_MIN_FORM_SECONDS"]),
    )
