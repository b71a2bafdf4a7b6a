"""Database models, one module per area."""

from callmp.models.accounts import ROLE_RANK, AuditEntry, LoginFailures, Role, User
from callmp.models.calls import (
    BlockedPhone,
    CallRequest,
    CallStatus,
    Channel,
    ContactEvent,
    Outcome,
    ProviderEvent,
)
from callmp.models.campaigns import (
    Campaign,
    CampaignImage,
    CampaignStatus,
    ContentState,
    ReferralCode,
    Target,
    TargetKind,
)
from callmp.models.consent import BouncedAddress, ConsentRecord
from callmp.models.data_checks import DataCheck
from callmp.models.data_releases import DataRelease
from callmp.models.drafts import CampaignDraft
from callmp.models.emails import (
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    SubmissionStatus,
)
from callmp.models.partners import Partner
from callmp.models.people import ContactCorrection, Office, OfficeKind, Person, Riding
from callmp.models.petition_deliveries import (
    DeliveryTrigger,
    PetitionDelivery,
    PetitionDeliveryRecipient,
    RecipientOutcome,
)
from callmp.models.petitions import PetitionSignature, SignatureStatus
from callmp.models.portfolios import Portfolio
from callmp.models.stats import (
    BUCKET_SECONDS,
    CountByOffice,
    CountByReferral,
    CountByTime,
    ReportLimit,
)
from callmp.models.versions import CampaignVersion

__all__ = [
    "BUCKET_SECONDS",
    "ROLE_RANK",
    "AuditEntry",
    "BlockedPhone",
    "BouncedAddress",
    "CallRequest",
    "CallStatus",
    "Campaign",
    "CampaignDraft",
    "CampaignImage",
    "CampaignStatus",
    "CampaignVersion",
    "Channel",
    "ConsentRecord",
    "ContactCorrection",
    "ContactEvent",
    "ContentState",
    "CountByOffice",
    "CountByReferral",
    "CountByTime",
    "DataCheck",
    "DataRelease",
    "DeliveryTrigger",
    "EmailMessage",
    "EmailSubmission",
    "LoginFailures",
    "MessageKind",
    "MessageStatus",
    "Office",
    "OfficeKind",
    "Outcome",
    "Partner",
    "Person",
    "PetitionDelivery",
    "PetitionDeliveryRecipient",
    "PetitionSignature",
    "Portfolio",
    "ProviderEvent",
    "RecipientOutcome",
    "ReferralCode",
    "ReportLimit",
    "Riding",
    "Role",
    "SignatureStatus",
    "SubmissionStatus",
    "Target",
    "TargetKind",
    "User",
]
