"""A supporter's letter as the tests send it, and how to read a message back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from email.message import EmailMessage

from callmp.letters.smtp import OutgoingMail

NOW = datetime(2025, 3, 5, 19, 0, 7, tzinfo=UTC)
CAMPAIGN = "campagne@forets.example.org"
MP = "minh.nguyen@parl.example.ca"
SUPPORTER = "elise.cote@courriel.example.com"
LONG_LINE = "Les forêts boréales du Québec abritent caribous, épinettes et érables. " * 4
BODY = (
    "Madame la députée,\n\n"
    "Ça me tient à cœur : protégez nos forêts.\n"
    "Bảo vệ rừng. 保护森林. Защитите леса.\n"
    f"{LONG_LINE}\n"
    ".a line that starts with a dot\n"
    "From a line that starts with From\n\n"
    "Élise Côté-Tremblay\n"
)


def letter(**changes: str | None) -> OutgoingMail:
    """A supporter's letter to an MP, sent from the campaign's address."""
    mail = OutgoingMail(
        message_id="<1741201207.42.7@forets.example.org>",
        from_name="Élise Côté-Tremblay",
        from_address=CAMPAIGN,
        to_name="Nguyễn Thị Minh",
        to_address=MP,
        reply_to_name="Élise Côté-Tremblay",
        reply_to_address=SUPPORTER,
        subject="Protégez les forêts — été 2025",
        body=BODY,
        locale="fr",
    )
    return dataclasses.replace(mail, **changes)  # type: ignore[arg-type]


def text_of(message: EmailMessage) -> str:
    """The decoded body with the wire's CRLF line ends turned back into newlines."""
    text: str = message.get_content()
    return text.replace("\r\n", "\n")
