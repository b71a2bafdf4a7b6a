"""Confirming a signature: the signed, expiring link, its email, and the click.

Domain code: no Flask. The link carries only the signature's public id, signed and
timestamped with the app's secret (a salt of its own: a letter's link never confirms a
signature). Opening it shows a button; only the button's POST confirms, so mail scanners
that open links confirm nothing. One conditional UPDATE makes a second click harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.i18n import N_, translator
from callmp.letters import smtp
from callmp.letters.confirmation import ConfirmError, public_id_of
from callmp.letters.records import MailSettings, from_address
from callmp.models import (
    Campaign,
    EmailMessage,
    MessageKind,
    MessageStatus,
    PetitionSignature,
    SignatureStatus,
)

TOKEN_SALT = "callmp petition confirmation"  # noqa: S105 - a namespace, not a secret

#: Where a confirmation link leads (the petition views serve it).
CONFIRM_PATH = "/c/{slug}/petition/confirm/{token}"


def confirm_url(campaign: Campaign, signature: PetitionSignature, settings: MailSettings) -> str:
    """The signed, expiring link that confirms ``signature``."""
    token = URLSafeTimedSerializer(settings.secret, salt=TOKEN_SALT).dumps(signature.public_id)
    path = CONFIRM_PATH.format(slug=campaign.slug, token=token)
    return settings.public_url.rstrip("/") + path


def confirmation_message(
    campaign: Campaign,
    signature: PetitionSignature,
    settings: MailSettings,
    now: datetime,
    *,
    reminder: bool = False,
) -> EmailMessage:
    """The message asking the signer to confirm their signature (or the one reminder)."""
    translate = translator(signature.locale)
    title = campaign.text("petition_title", signature.locale) or campaign.text(
        "title", signature.locale
    )
    lines = [
        translate(N_("Hello %(name)s,")) % {"name": signature.name},
        translate(
            N_(
                "Please confirm your signature on the petition “%(title)s”. "
                "Open this link and press the button:"
            )
        )
        % {"title": title},
        confirm_url(campaign, signature, settings),
        translate(
            N_(
                "The link works for %(hours)s hours. If you did not sign this petition, "
                "ignore this message: your name will not be counted."
            )
        )
        % {"hours": settings.confirm_hours},
        "— " + campaign.text("title", signature.locale),
    ]
    subject = (
        translate(N_("Reminder: confirm your signature"))
        if reminder
        else translate(N_("Confirm your signature"))
    )
    sender = from_address(campaign, settings)
    return EmailMessage(
        submission_id=None,
        signature_id=signature.id,
        campaign_id=campaign.id,
        kind=MessageKind.petition_confirmation,
        locale=signature.locale,
        from_name=campaign.text("title", signature.locale)[:200],
        from_address=sender,
        to_name=signature.name,
        to_address=signature.email or "",
        subject=f"{subject}: {title}"[:300],
        body="\n\n".join(lines) + "\n",
        message_id=smtp.new_message_id(sender),
        status=MessageStatus.queued,
        queued_at=now,
    )


def by_public_id(session: Session, public_id: str) -> PetitionSignature | None:
    """The signature with this public id."""
    return session.scalars(
        select(PetitionSignature).where(PetitionSignature.public_id == public_id)
    ).first()


def find_by_token(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> PetitionSignature:
    """The signature a link names; ConfirmError if tampered, expired or unknown."""
    expired = ConfirmError(
        "expired",
        N_("This link has expired. Your signature was not counted; please sign again."),
    )
    signature = by_public_id(session, public_id_of(token, settings, TOKEN_SALT, expired))
    if signature is None:
        raise ConfirmError("invalid", N_("This link is not valid."))
    if signature.status == SignatureStatus.expired or (
        signature.status == SignatureStatus.awaiting_confirmation
        and signature.created_at + timedelta(hours=settings.confirm_hours) < now
    ):
        raise expired
    return signature


def confirm(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> tuple[PetitionSignature, bool]:
    """Confirm the signature a link names: (signature, True if this click counted it).

    Raises ConfirmError for tampered, expired or unknown links; a second click on a good
    link returns False and counts nothing again.
    """
    signature = find_by_token(session, token, settings, now)
    moved = session.execute(
        update(PetitionSignature)
        .where(
            PetitionSignature.id == signature.id,
            PetitionSignature.status == SignatureStatus.awaiting_confirmation,
        )
        .values(status=SignatureStatus.confirmed, confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(signature)
    return signature, moved.rowcount == 1  # type: ignore[attr-defined]
