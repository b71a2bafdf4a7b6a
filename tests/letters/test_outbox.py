"""The local outbox: letters written as .eml files, listed and read back safely."""

from __future__ import annotations

import email
import email.policy
import os
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from callmp.letters.outbox import LocalSender, list_outbox, outbox_name, read_outbox
from callmp.letters.smtp import build_message, new_message_id
from tests.support.mail import BODY, CAMPAIGN, MP, NOW, letter, text_of


def test_local_sender_writes_eml_that_parses_back_identically(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    message = build_message(letter(), NOW)

    LocalSender(outbox).send(message)

    [path] = outbox.iterdir()
    assert path.name == outbox_name(letter().message_id)
    assert path.read_bytes() == message.as_bytes(policy=email.policy.SMTP)
    parsed = read_outbox(outbox, path.name)
    assert parsed is not None
    assert (
        parsed.items()
        == email.message_from_bytes(message.as_bytes(), policy=email.policy.default).items()
    )
    assert parsed["From"].addresses[0].display_name == "Élise Côté-Tremblay"
    assert text_of(parsed) == BODY


def test_local_sender_same_message_twice_leaves_one_file(tmp_path: Path) -> None:
    sender = LocalSender(tmp_path)
    sender.send(build_message(letter(subject="Premier envoi"), NOW))
    sender.send(build_message(letter(subject="Second envoi"), NOW))
    sender.send(build_message(letter(message_id=new_message_id(CAMPAIGN)), NOW))

    names = sorted(path.name for path in tmp_path.iterdir())
    assert len(names) == 2  # two Message-IDs, no temp files left behind
    stored = read_outbox(tmp_path, outbox_name(letter().message_id))
    assert stored is not None
    assert stored["Subject"] == "Second envoi"


def test_outbox_name_is_stable_and_safe_for_odd_message_ids() -> None:
    odd = "<../../etc/passwd\\x y@evil/..>"

    name = outbox_name(odd)
    assert name == outbox_name(odd)
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert name.endswith(".eml")
    assert outbox_name("<a@b>") != outbox_name("<a_b>")


def test_list_outbox_is_newest_first_with_decoded_headers(tmp_path: Path) -> None:
    sender = LocalSender(tmp_path)
    names = []
    for number in range(3):
        mail = letter(message_id=f"<{number}@forets.example.org>", subject=f"Lettre n° {number}")
        sender.send(build_message(mail, NOW))
        name = outbox_name(mail.message_id)
        moment = (NOW + timedelta(minutes=number)).timestamp()
        os.utime(tmp_path / name, (moment, moment))
        names.append(name)
    (tmp_path / ".stray.tmp").write_bytes(b"half a message")

    entries = list_outbox(tmp_path)

    assert [entry.name for entry in entries] == names[::-1]
    newest = entries[0]
    assert newest.sent_at == NOW + timedelta(minutes=2)
    assert newest.subject == "Lettre n° 2"
    assert newest.from_ == f"Élise Côté-Tremblay <{CAMPAIGN}>"
    assert newest.to == f"Nguyễn Thị Minh <{MP}>"
    assert [entry.name for entry in list_outbox(tmp_path, limit=2)] == names[:0:-1]


def test_list_outbox_of_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "never-created") == []


def test_read_outbox_refuses_traversal_absolute_and_unknown_names(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    LocalSender(outbox).send(build_message(letter(), NOW))
    # A message-like file outside the outbox, under a name LocalSender could have chosen.
    outside = tmp_path / outbox_name("<elsewhere@example.org>")
    outside.write_bytes(build_message(letter(), NOW).as_bytes())
    (outbox / "sub").mkdir()
    (outbox / "sub" / outside.name).write_bytes(outside.read_bytes())

    refused = [
        "../x",
        "x/../../etc/passwd",
        f"../{outside.name}",
        f"sub/{outside.name}",
        str(outside),
        "/etc/passwd",
        "",
        outbox_name("<never-sent@example.org>"),
    ]
    for name in refused:
        assert read_outbox(outbox, name) is None, name
    assert read_outbox(outbox, outbox_name(letter().message_id)) is not None


def test_message_written_locally_is_an_email_message(tmp_path: Path) -> None:
    LocalSender(tmp_path).send(build_message(letter(), NOW))

    stored = read_outbox(tmp_path, outbox_name(letter().message_id))
    assert isinstance(stored, EmailMessage)
    assert stored["Date"].datetime == NOW
