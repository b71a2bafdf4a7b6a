"""Database models, one module per area."""

from callmp.models.campaigns import Campaign, CampaignStatus, Target, TargetKind
from callmp.models.people import Office, OfficeKind, Person, Riding

__all__ = [
    "Campaign",
    "CampaignStatus",
    "Office",
    "OfficeKind",
    "Person",
    "Riding",
    "Target",
    "TargetKind",
]
