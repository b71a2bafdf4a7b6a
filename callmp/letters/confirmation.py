"""Confirming a supporter's address: the signed link, its email, and the click.

Domain code: no Flask. The link carries only the submission's public id, signed and
timestamped with the app's secret; one conditional UPDATE makes a second click harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlalchemy.orm import Session

from callmp.i18n import N_, InputError, translator
from callmp.letters.records import (
    MailSettings,
    by_public_id,
    count_queued,
    from_address,
    message_values,
    recipients_line,
)
from callmp.models import (
    Campaign,
    EmailMessage,
    EmailSubmission,
    MessageKind,
    MessageStatus,
    SubmissionStatus,
)

TOKEN_SALT = "callmp email confirmation"  # noqa: S105 - a namespace, not a secret
#: Letters that count as "already written" for the duplicate check.


class ConfirmError(InputError):
    """A confirmation link that does not confirm anything."""


#: Where a confirmation link leads (the letter views serve it).
CONFIRM_PATH = "/c/{slug}/emails/confirm/{token}"


@lru_cache(maxsize=4)
def _serializer(secret: str) -> URLSafeTimedSerializer:
    """The links' signer for ``secret``, built once per process (one secret per app)."""
    return URLSafeTimedSerializer(secret, salt=TOKEN_SALT)


def confirm_link(campaign: Campaign, public_id: str, settings: MailSettings) -> str:
    """The signed, expiring link that confirms the submission ``public_id``."""
    token = _serializer(settings.secret).dumps(public_id)
    path = CONFIRM_PATH.format(slug=campaign.slug, token=token)
    return settings.public_url.rstrip("/") + path


def confirm_url(campaign: Campaign, submission: EmailSubmission, settings: MailSettings) -> str:
    """The signed, expiring link that confirms ``submission``."""
    return confirm_link(campaign, submission.public_id, settings)


@dataclass(frozen=True)
class Writer:
    """Who is asked to confirm, and which letter: the fields the message is made from."""

    public_id: str
    locale: str
    name: str
    email: str
    recipients: str  # the names of the letter's recipients, for the text


def confirmation_values(
    campaign: Campaign,
    writer: Writer,
    settings: MailSettings,
    now: datetime,
    kind: MessageKind,
) -> dict[str, Any]:
    """The columns of the message asking the supporter to confirm (or the one reminder)."""
    translate = translator(writer.locale)
    title = campaign.text("title", writer.locale)
    lines = [
        translate(N_("Hello %(name)s,")) % {"name": writer.name},
        translate(
            N_(
                "Please confirm your email address so that your letter to %(recipients)s "
                "can be sent. Open this link and press the button:"
            )
        )
        % {"recipients": writer.recipients},
        confirm_link(campaign, writer.public_id, settings),
        translate(
            N_(
                "The link works for %(hours)s hours. If you did not write this letter, "
                "ignore this message: nothing will be sent."
            )
        )
        % {"hours": settings.confirm_hours},
        "— " + title,
    ]
    subject = (
        translate(N_("Reminder: confirm your letter"))
        if kind == MessageKind.reminder
        else translate(N_("Confirm your letter"))
    )
    return message_values(
        campaign_id=campaign.id,
        kind=kind,
        status=MessageStatus.queued,
        sender=from_address(campaign, settings),
        from_name=title[:200],
        to_name=writer.name,
        to_address=writer.email,
        subject=f"{subject}: {title}"[:300],
        body="\n\n".join(lines) + "\n",
        locale=writer.locale,
        now=now,
    )


def confirmation_message(
    campaign: Campaign,
    submission: EmailSubmission,
    settings: MailSettings,
    now: datetime,
    kind: MessageKind,
) -> EmailMessage:
    """The message asking the supporter to confirm their address (or the one reminder)."""
    writer = Writer(
        public_id=submission.public_id,
        locale=submission.locale,
        name=submission.name,
        email=submission.email or "",
        recipients=recipients_line(submission),
    )
    values = confirmation_values(campaign, writer, settings, now, kind)
    values["campaign_id"] = submission.campaign_id
    return EmailMessage(submission=submission, **values)


def public_id_of(token: str, settings: MailSettings, salt: str, expired: ConfirmError) -> str:
    """The public id a confirmation link signed with ``salt`` names; ``expired`` when it is
    too old, ConfirmError("invalid") when tampered with."""
    serializer = URLSafeTimedSerializer(settings.secret, salt=salt)
    try:
        return str(serializer.loads(token, max_age=settings.confirm_hours * 3600))
    except SignatureExpired as error:
        raise expired from error
    except BadSignature as error:
        raise ConfirmError(
            "invalid", N_("This link is not valid. Please copy the whole link from the email.")
        ) from error


def find_by_token(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> EmailSubmission:
    """The submission a confirmation link names; ConfirmError if tampered, expired or unknown."""
    expired = ConfirmError(
        "expired", N_("This link has expired. Your letter was not sent; please write again.")
    )
    submission = by_public_id(session, public_id_of(token, settings, TOKEN_SALT, expired))
    if submission is None:
        raise ConfirmError("invalid", N_("This link is not valid."))
    if submission.status == SubmissionStatus.expired or (
        submission.status == SubmissionStatus.awaiting_confirmation
        and submission.created_at + timedelta(hours=settings.confirm_hours) < now
    ):
        raise expired
    return submission


def confirm(
    session: Session, token: str, settings: MailSettings, now: datetime
) -> tuple[EmailSubmission, bool]:
    """Confirm the submission a link names: (submission, True if this click confirmed it).

    Raises ConfirmError for tampered, expired or unknown links; a second click on a good
    link returns False and sends nothing again.
    """
    submission = find_by_token(session, token, settings, now)
    session.flush()
    # One conditional UPDATE: of two clicks at once, exactly one confirms.
    moved = session.execute(
        update(EmailSubmission)
        .where(
            EmailSubmission.id == submission.id,
            EmailSubmission.status == SubmissionStatus.awaiting_confirmation,
        )
        .values(status=SubmissionStatus.queued, confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return submission, False
    session.execute(
        update(EmailMessage)
        .where(
            EmailMessage.submission_id == submission.id,
            EmailMessage.status == MessageStatus.held,
        )
        .values(status=MessageStatus.queued, queued_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    count_queued(session, submission)
    return submission, True
