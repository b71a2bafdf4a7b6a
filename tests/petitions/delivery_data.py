"""A petition with signatures across ridings, for the delivery tests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from callmp.letters.records import MailSettings
from callmp.models import Campaign, SignatureStatus
from tests.factories import demo_campaign, make_campaign, make_signature

OTTAWA_CENTRE = 35075
GASPESIE = 24024  # Gaspésie—Les Îles-de-la-Madeleine—Listuguj
VACANT = 24037  # Laurier—Sainte-Marie, vacant in the shipped data
NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
SETTINGS = MailSettings(secret="test-secret", default_from="petition@campaign.example.org")
TITLE_EN = "Status for all"
TITLE_FR = "Un statut pour tous"
TEXT_EN = "We, the undersigned residents of Canada, call on the Government to act."
TEXT_FR = "Nous, résidents du Canada soussignés, demandons au gouvernement d’agir."


def petition(session: Session) -> Campaign:
    """The demo campaign (own MP, then the Immigration Minister) with a petition."""
    campaign = demo_campaign(session)
    campaign.petitions = True
    campaign.petition_title_en, campaign.petition_title_fr = TITLE_EN, TITLE_FR
    campaign.petition_text_en, campaign.petition_text_fr = TEXT_EN, TEXT_FR
    session.flush()
    return campaign


def signed(session: Session, campaign: Campaign) -> None:
    """3 in Ottawa Centre, 2 in Gaspésie, 1 from a vacant seat; not counted: an expired
    and an unconfirmed one, and one on another campaign."""
    for _ in range(3):
        make_signature(session, campaign, fed_num=OTTAWA_CENTRE)
    for _ in range(2):
        make_signature(session, campaign, fed_num=GASPESIE, postal_code="G4X 1A1", city="Gaspé")
    make_signature(session, campaign, fed_num=VACANT, postal_code="H2J 1A1", city="Montréal")
    make_signature(session, campaign, fed_num=OTTAWA_CENTRE, status=SignatureStatus.expired)
    make_signature(
        session, campaign, fed_num=GASPESIE, status=SignatureStatus.awaiting_confirmation
    )
    make_signature(session, make_campaign(session, petitions=True), fed_num=OTTAWA_CENTRE)
