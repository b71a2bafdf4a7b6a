"""Database models, one module per area."""

from callmp.models.calls import (
    BlockedPhone,
    CallRequest,
    CallStatus,
    Channel,
    ContactEvent,
    Outcome,
    ProviderEvent,
)
from callmp.models.campaigns import Campaign, CampaignStatus, Target, TargetKind
from callmp.models.emails import (
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    SubmissionStatus,
)
from callmp.models.people import Office, OfficeKind, Person, Riding

__all__ = [
    "BlockedPhone",
    "CallRequest",
    "CallStatus",
    "Campaign",
    "CampaignStatus",
    "Channel",
    "ContactEvent",
    "EmailMessage",
    "EmailSubmission",
    "MessageKind",
    "MessageStatus",
    "Office",
    "OfficeKind",
    "Outcome",
    "Person",
    "ProviderEvent",
    "Riding",
    "SubmissionStatus",
    "Target",
    "TargetKind",
]
