"""Supporter pages for letters: write, preview, send, confirm, mailto, the dev outbox (parsed).

The app runs with the local mail backend, which writes each message as an ``.eml`` file to
the test's ``outbox`` folder; the queue runs inline, so a confirmed letter is in the
outbox when the confirming request returns.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from callmp.db import utcnow
from callmp.demo import DEMO_SLUG, EMAIL_FROM, TITLE_EN
from callmp.letters import confirmation
from callmp.models import (
    Campaign,
    Channel,
    ContactEvent,
    EmailSubmission,
    MessageStatus,
    Outcome,
    Person,
    Role,
    SubmissionStatus,
    User,
)
from callmp.templating import one_line
from tests.factories import demo_campaign
from tests.support.app import log_in, sessions
from tests.support.html import form_fields, one, parse, text

CAMPAIGN = f"/c/{DEMO_SLUG}"
WRITE = f"{CAMPAIGN}/riding/35100/email"
RIDING_NAME = "Spadina—Harbourfront"
MP = "Chi Nguyen"
MP_ADDRESS = "chi.nguyen@parl.gc.ca"
MINISTER = "Hon. Lena Metlege Diab"
MINISTER_ADDRESS = "lenametlege.diab@parl.gc.ca"
#: How letters greet each target: the MP by name, the Minister as the demo's lead set it.
GREETINGS = {MP_ADDRESS: f"Dear {MP},", MINISTER_ADDRESS: "Dear Minister,"}
SUPPORTER = "jane.supporter@example.org"
PERSONAL_LINE = "My neighbour has cared for elders here for eleven years."
#: What the supporter types, on top of the prefilled form.
INPUT = {
    "name": "Jane Doe",
    "email": SUPPORTER,
    "postal_code": "M5V 3L9",
    "city": "Toronto",
    "personal_line": PERSONAL_LINE,
}
SIGNATURE = f"Sincerely,\nJane Doe\nToronto, M5V 3L9, {RIDING_NAME}\n"
STATUS_URL = re.compile(rf"^{CAMPAIGN}/emails/([A-Za-z0-9_-]+)$")


# -- Helpers --------------------------------------------------------------------------


def _db(app: Flask) -> Session:
    """A new session on the app's database (close it after use)."""
    session: Session = sessions(app)()
    return session


def _update_campaign(app: Flask, **values: Any) -> None:
    """Change the demo campaign's settings in the database."""
    with _db(app) as session:
        session.execute(update(Campaign).where(Campaign.slug == DEMO_SLUG).values(**values))
        session.commit()


def _campaign_template(app: Flask, locale: str = "en", position: int = 1) -> tuple[str, str]:
    """Target ``position``'s (subject, body) in ``locale`` in the demo, riding filled in.

    The MP (1) has the campaign's words, the Minister (2) her own.
    """
    with _db(app) as session:
        target = demo_campaign(session).targets[position - 1]
        subject = target.words("email_subject", locale)
        body = target.words("email_body", locale)
    # The riding is the only placeholder, so filling it here is the whole template's work.
    assert body.count("{") == body.count("{riding}") and subject.count("{") == 1
    subject = one_line(subject.replace("{riding}", RIDING_NAME))
    return subject, body.replace("{riding}", RIDING_NAME).strip()


def _submissions(app: Flask) -> list[EmailSubmission]:
    """Every stored submission, with its messages loaded."""
    with _db(app) as session:
        found = list(session.scalars(select(EmailSubmission).order_by(EmailSubmission.id)))
        for submission in found:
            assert submission.messages is not None  # load before the session closes
        return found


def _events(app: Flask) -> list[ContactEvent]:
    """Email contact events, oldest first."""
    with _db(app) as session:
        query = select(ContactEvent).where(ContactEvent.channel == Channel.email)
        return list(session.scalars(query.order_by(ContactEvent.id)))


def _page(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    """GET ``url`` and parse it, asserting the status."""
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return parse(response.data)


def _write_form(client: FlaskClient, url: str = WRITE) -> dict[str, str]:
    """The letter form's fields as the write page fills them in."""
    return form_fields(one(_page(client, url), "form[method=post]"))


def _letter(client: FlaskClient, url: str = WRITE, **changes: str) -> dict[str, str]:
    """The write page's form with the supporter's input (``changes`` on top of ``INPUT``)."""
    return {**_write_form(client, url), **INPUT, **changes}


def _post(client: FlaskClient, data: dict[str, str], action: str, url: str = WRITE) -> TestResponse:
    """Submit the letter form with the button ``action``."""
    return client.post(url, data={**data, "action": action})


def _preview(client: FlaskClient, url: str = WRITE, **changes: str) -> BeautifulSoup:
    """The preview page for the supporter's letter (status 200 asserted)."""
    response = _post(client, _letter(client, url, **changes), "preview", url)
    assert response.status_code == 200, response.data[:300]
    return parse(response.data)


def _send(client: FlaskClient, url: str = WRITE, **changes: str) -> str:
    """Preview, then press send on the preview's form; the status page's URL."""
    form = one(_preview(client, url, **changes), "form[method=post]")
    response = _post(client, form_fields(form), "send", str(form["action"]))
    assert response.status_code == 303, response.data[:300]
    location = response.headers["Location"]
    assert STATUS_URL.match(location), location
    return location


def _mails(outbox: Path) -> list[EmailMessage]:
    """Every message the local backend wrote, parsed."""
    if not outbox.is_dir():
        return []
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def _address(message: EmailMessage, header: str) -> tuple[str, str]:
    """The single (display name, address) of ``header``."""
    (address,) = message[header].addresses
    return str(address.display_name), str(address.addr_spec)


def _to(outbox: Path, address: str) -> list[EmailMessage]:
    """The messages addressed to ``address``."""
    return [m for m in _mails(outbox) if _address(m, "To")[1] == address]


def _header(message: EmailMessage, name: str) -> str:
    """A header's value, without the blank a folded header starts with."""
    # Python's SMTP policy folds a long Subject right after the colon; readers trim it.
    return str(message[name]).strip()


def _content(message: EmailMessage) -> str:
    """The plain-text body of ``message``, with the wire's CRLF line ends as ``\\n``."""
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def _confirm_path(outbox: Path, address: str = SUPPORTER) -> str:
    """The path of the confirmation link emailed to ``address``."""
    (confirmation,) = _to(outbox, address)
    (link,) = [line for line in _content(confirmation).splitlines() if "/confirm/" in line]
    path = urlsplit(link.strip()).path
    assert path.startswith(f"{CAMPAIGN}/emails/confirm/")
    return path


def _confirm(client: FlaskClient, path: str) -> TestResponse:
    """Press the button of the confirmation page at ``path``."""
    form = one(_page(client, path), "main form[method=post]")
    action = str(form.get("action") or path)
    return client.post(action, data=form_fields(form))


def _letters_by_page(soup: BeautifulSoup) -> dict[str, dict[str, str]]:
    """Each previewed message by recipient address: its headers and its exact text."""
    found = {}
    for section in soup.select("section.letter"):
        headers = {
            text(dt): text(dd)
            for dt, dd in zip(
                section.select("dl.headers dt"), section.select("dl.headers dd"), strict=True
            )
        }
        headers["text"] = one(section, "pre.letter-text").get_text()
        headers["lang"] = str(one(section, "pre.letter-text")["lang"])
        # The recipient is the last header naming an address (From names the campaign's),
        # found without reading the labels, which are in the page's language.
        named = [value for value in headers.values() if re.search(r"<[^<>@]+@[^<>]+>$", value)]
        address = named[-1].rsplit("<", 1)[1].rstrip(">")
        found[address] = headers
    return found


def _flat(tag: Tag) -> str:
    """The element's text as a browser shows it: whitespace collapsed, nothing added."""
    return " ".join(tag.get_text().split())


def _urls(soup: BeautifulSoup) -> list[str]:
    """Every URL a page links to, loads or submits to."""
    urls = [
        str(tag[attr]) for attr in ("href", "src", "action") for tag in soup.select(f"[{attr}]")
    ]
    urls += [str(tag["content"]) for tag in soup.select("meta[http-equiv=refresh]")]
    return urls


# -- Writing --------------------------------------------------------------------------


def test_write_page_offers_the_campaign_letter_with_the_postal_code_of_the_lookup(
    app: Flask, client: FlaskClient
) -> None:
    response = client.post(CAMPAIGN, data={"postal_code": "m5v-3l9"})
    assert response.status_code == 302
    soup = _page(client, WRITE)
    assert one(soup, "html")["lang"] == "en"
    assert [_flat(li) for li in soup.select("ul.recipients li")] == [
        f"{MP}, your MP",
        f"{MINISTER}, the Minister of Immigration, Refugees and Citizenship",
    ]
    form = one(soup, "form[method=post]")
    assert form["action"] == WRITE
    for name in ("name", "email", "postal_code", "city", "subject", "body", "personal_line"):
        field = one(form, f"[name={name}]")
        assert text(one(form, f"label[for={field['id']}]"))
    assert one(form, "input[name=email]")["type"] == "email"
    assert not one(form, "input[name=consent_followup]").has_attr("checked")
    fields = form_fields(form)
    subject, body = _campaign_template(app)
    assert (fields["subject"], fields["body"]) == (subject, body)
    assert fields["postal_code"] == "M5V 3L9"
    assert fields["fed_num"] == "35100"
    assert fields["name"] == fields["email"] == fields["personal_line"] == ""
    assert fields["csrf_token"]


def test_write_page_says_who_gets_a_letter_of_their_own(app: Flask, client: FlaskClient) -> None:
    note = text(one(_page(client, WRITE), "p.own-letters"))
    assert note.startswith(f"The campaign wrote a letter of its own for {MINISTER}.")
    with _db(app) as session:
        for target in demo_campaign(session).targets:
            target.email_subject_en = target.email_body_en = ""
        session.commit()
    assert not _page(client, WRITE).select("p.own-letters")


def test_write_page_leaves_the_postal_code_empty_without_a_lookup_for_this_riding(
    client: FlaskClient,
) -> None:
    assert _write_form(client)["postal_code"] == ""
    client.post(CAMPAIGN, data={"postal_code": "K1A 0A6"})  # another riding
    assert _write_form(client)["postal_code"] == ""


def test_write_page_of_an_unknown_riding_or_campaign_is_404(client: FlaskClient) -> None:
    assert client.get(f"{CAMPAIGN}/riding/99999/email").status_code == 404
    assert client.get("/c/no-such-campaign/riding/35100/email").status_code == 404


# -- Preview --------------------------------------------------------------------------


def test_preview_shows_every_message_exactly_as_it_will_be_sent(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    soup = _preview(client)
    assert [text(h2) for h2 in soup.select("section.letter h2")] == [
        f"1 of 2: {MP}",
        f"2 of 2: {MINISTER}",
    ]
    letters = _letters_by_page(soup)
    assert list(letters) == [MP_ADDRESS, MINISTER_ADDRESS]
    for position, (address, name) in enumerate(((MP_ADDRESS, MP), (MINISTER_ADDRESS, MINISTER)), 1):
        subject, body = _campaign_template(app, "en", position)
        greeting = GREETINGS[address]
        assert letters[address] == {
            "From": f"Jane Doe <{EMAIL_FROM}>",
            "Replies go to": SUPPORTER,
            "To": f"{name} <{address}>",
            "Subject": subject,
            "text": f"{greeting}\n\n{body}\n\n{PERSONAL_LINE}\n\n{SIGNATURE}",
            "lang": "en",
        }
    assert not soup.select("div.notice")  # no nudge: nobody sent these words yet
    assert not soup.select("p.error")
    assert _submissions(app) == [] and _mails(outbox) == []  # a preview stores nothing


def test_preview_carries_the_input_in_hiddenform_fields(client: FlaskClient) -> None:
    soup = _preview(client, consent_followup="y")
    form = one(soup, "form[method=post]")
    assert form["action"] == WRITE
    assert all(
        field.get("type") == "hidden" or field.has_attr("hidden")
        for field in form.select("input[name], textarea[name]")
    )
    fields = form_fields(form)
    assert {name: fields[name] for name in INPUT} == INPUT
    assert fields["fed_num"] == "35100"
    assert fields["consent_followup"] == "y"
    assert fields["csrf_token"]
    # Letters sent through our server are counted by the server: no report token.
    assert "token" not in fields
    buttons = {str(b["value"]): text(b) for b in form.select("button[name=action]")}
    assert buttons == {"send": "Send my 2 letters", "edit": "Change my letter"}


def test_change_my_letter_goes_back_to_the_form_with_the_input_kept(client: FlaskClient) -> None:
    edited_body = "My own letter to {mp_name}."
    preview = _preview(client, body=edited_body, consent_followup="y")
    response = _post(client, form_fields(one(preview, "form[method=post]")), "edit")
    assert response.status_code == 200
    soup = parse(response.data)
    assert one(soup, "h1").get_text() == "Write to them"
    fields = form_fields(one(soup, "form[method=post]"))
    assert {name: fields[name] for name in INPUT} == INPUT
    assert fields["body"] == edited_body
    assert fields["consent_followup"] == "y"
    assert not soup.select("p.error")


def test_an_edited_letter_is_previewed_filled_in_and_a_target_with_own_words_keeps_them(
    app: Flask, client: FlaskClient
) -> None:
    soup = _preview(client, body="Please act, {mp_name}.", personal_line="")
    letters = _letters_by_page(soup)
    assert letters[MP_ADDRESS]["text"] == f"Dear {MP},\n\nPlease act, Chi Nguyen.\n\n{SIGNATURE}"
    # The draft was the MP's letter: the Minister's own letter is sent to her as written.
    subject, body = _campaign_template(app, "en", 2)
    assert letters[MINISTER_ADDRESS]["Subject"] == subject
    assert letters[MINISTER_ADDRESS]["text"] == (f"Dear Minister,\n\n{body}\n\n{SIGNATURE}")


def test_a_postal_code_from_another_riding_addresses_that_riding(client: FlaskClient) -> None:
    soup = _preview(client, postal_code="K1A 0A6")
    form = one(soup, "form[method=post]")
    assert form["action"] == f"{CAMPAIGN}/riding/35079/email"
    assert form_fields(form)["fed_num"] == "35079"
    assert MP_ADDRESS not in _letters_by_page(soup)


# -- Refused input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please enter your name."),
        ("name", "Jane Doe\r\nBcc: victim@example.org", "Please keep this on one line."),
        ("email", "no-at-sign", "Please enter a valid email address."),
        ("email", "a@b", "Please enter a valid email address."),
        ("postal_code", "90210", "This looks like a US ZIP code. "),
        ("postal_code", "", "Please enter your postal code, "),
        ("subject", "Hello\nBcc: victim@example.org", "Please keep this on one line."),
        ("body", "   ", "Your letter is empty."),
    ],
)
@pytest.mark.parametrize("action", ["preview", "send"])
def test_bad_input_is_shown_next_to_its_field_with_400_and_nothing_stored(
    app: Flask, client: FlaskClient, outbox: Path, field: str, value: str, message: str, action: str
) -> None:
    response = _post(client, _letter(client, **{field: value}), action)
    assert response.status_code == 400
    soup = parse(response.data)
    control = one(soup, f"form [name={field}]")
    error = one(soup, f"#{field}-error")
    assert error["id"] in str(control["aria-describedby"]).split()
    assert control["aria-invalid"] == "true"
    assert text(error).startswith(message)
    assert len(soup.select("p.error")) == 1  # the other fields were fine
    kept = form_fields(one(soup, "form[method=post]"))
    assert {k: kept[k] for k in INPUT if k != field} == {
        k: v for k, v in INPUT.items() if k != field
    }
    assert not soup.select("input[type=radio]")  # the riding is not in question
    assert _submissions(app) == [] and _mails(outbox) == []


def test_a_required_personal_line_must_be_written(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _update_campaign(app, email_personal_line_required=True)
    hint = one(_page(client, WRITE), "#personal_line-hint")
    assert text(hint).startswith("Required by this campaign")
    response = _post(client, _letter(client, personal_line=" "), "send")
    assert response.status_code == 400
    soup = parse(response.data)
    assert "own words" in text(one(soup, "#personal_line-error"))
    assert _submissions(app) == [] and _mails(outbox) == []
    assert _letters_by_page(_preview(client))  # with the line, the letter goes on


def test_a_postal_code_spanning_ridings_asks_which_riding(app: Flask, client: FlaskClient) -> None:
    response = _post(client, _letter(client, postal_code="V6B 9Z9"), "preview")
    assert response.status_code == 400
    soup = parse(response.data)
    fieldset = one(soup, "fieldset")
    error = one(fieldset, "#fed_num-error")
    assert "several ridings" in text(error)
    radios = fieldset.select("input[type=radio][name=fed_num]")
    assert [r["value"] for r in radios][:2] == ["59035", "59036"]
    labels = [text(one(fieldset, f"label[for={r['id']}]")) for r in radios]
    assert labels[0] == "Vancouver Centre"
    assert not soup.select("input[type=hidden][name=fed_num]")
    assert _submissions(app) == []
    data = {**form_fields(one(soup, "form[method=post]")), "fed_num": "59036"}
    chosen = _post(client, data, "preview")
    assert chosen.status_code == 200
    preview = parse(chosen.data)
    assert one(preview, "form[method=post]")["action"] == f"{CAMPAIGN}/riding/59036/email"
    assert MP_ADDRESS not in _letters_by_page(preview)


# -- Sending and confirming ------------------------------------------------------------


def test_sending_asks_the_supporter_to_confirm_and_holds_the_letters(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    location = _send(client)
    soup = _page(client, location)
    notice = one(soup, "div.notice[role=status]")
    assert text(one(notice, "strong")) == "Check your inbox."
    assert [_flat(li) for li in soup.select("ol.letters li")] == [
        f"{MP}: waiting for your confirmation",
        f"{MINISTER}: waiting for your confirmation",
    ]
    (confirmation,) = _mails(outbox)
    assert _address(confirmation, "To") == ("Jane Doe", SUPPORTER)
    assert _address(confirmation, "From") == (TITLE_EN, EMAIL_FROM)
    assert _header(confirmation, "Subject").startswith("Confirm your letter")
    assert _confirm_path(outbox)
    (submission,) = _submissions(app)
    assert STATUS_URL.match(location) and location.endswith(submission.public_id)
    assert submission.status == SubmissionStatus.awaiting_confirmation
    assert [m.status for m in submission.messages if m.kind == "letter"] == [MessageStatus.held] * 2
    assert _events(app) == []


def test_opening_the_confirmation_link_shows_a_button_and_sends_nothing(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _send(client)
    path = _confirm_path(outbox)
    other = app.test_client()  # the link is opened elsewhere: no shared session
    for opener in (client, other, other):
        soup = _page(opener, path)
        form = one(soup, "main form[method=post]")
        assert form.get("action", path) in (path, "")
        assert text(one(form, "button[type=submit]")) == "Confirm and send"
        assert f"{MP}, {MINISTER}" in text(one(soup, "main"))
    assert len(_mails(outbox)) == 1
    assert _submissions(app)[0].status == SubmissionStatus.awaiting_confirmation


def test_confirming_sends_one_letter_to_each_target_from_the_campaign_replying_to_the_supporter(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    preview = _letters_by_page(_preview(client))
    location = _send(client)
    response = _confirm(client, _confirm_path(outbox))
    assert response.status_code == 303
    assert response.headers["Location"] == location
    soup = _page(client, location)
    assert "confirmed" in text(one(soup, "p.done"))
    assert [_flat(li) for li in soup.select("ol.letters li")] == [
        f"{MP}: sent",
        f"{MINISTER}: sent",
    ]
    assert not soup.select("meta[http-equiv=refresh]")  # nothing left to wait for
    assert len(_mails(outbox)) == 3
    for address, name in ((MP_ADDRESS, MP), (MINISTER_ADDRESS, MINISTER)):
        (letter,) = _to(outbox, address)
        assert _address(letter, "To") == (name, address)
        assert _address(letter, "From") == ("Jane Doe", EMAIL_FROM)
        assert _address(letter, "Reply-To") == ("Jane Doe", SUPPORTER)
        assert all(header not in letter for header in ("Cc", "Bcc", "Sender"))
        assert _header(letter, "Subject") == preview[address]["Subject"]
        assert _content(letter) == preview[address]["text"]
        assert str(letter["Content-Language"]) == "en"
    events = _events(app)
    assert [(e.outcome, e.fed_num) for e in events] == [(Outcome.sent, 35100)] * 2


def test_a_second_confirmation_sends_nothing_again(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    location = _send(client)
    path = _confirm_path(outbox)
    assert _confirm(client, path).status_code == 303
    assert "confirmed" in text(one(_page(client, location), "p.done"))
    assert len(_mails(outbox)) == 3
    again = client.post(path)
    assert again.status_code == 303 and again.headers["Location"] == location
    assert "already confirmed" in text(one(_page(client, location), "p.done"))
    soup = _page(client, path)
    assert not soup.select("main form")  # no button any more
    assert "already confirmed" in text(one(soup, "main"))
    assert len(_mails(outbox)) == 3
    assert len(_events(app)) == 2


def test_without_confirmation_the_letters_go_at_once(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _update_campaign(app, email_confirm=False)
    soup = _page(client, _send(client))
    assert not soup.select("div.notice[role=status]")
    assert text(one(soup, '.counter [data-count="emails"]')) == "2"  # both letters, at once
    assert _to(outbox, SUPPORTER) == []
    assert len(_to(outbox, MP_ADDRESS)) == len(_to(outbox, MINISTER_ADDRESS)) == 1


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_target_gets_a_letter_with_its_own_subject_body_and_salutation(
    app: Flask, client: FlaskClient, outbox: Path, lang: str
) -> None:
    _update_campaign(app, email_confirm=False)
    _page(client, f"{WRITE}?lang={lang}")  # the supporter's language, kept in the session
    _send(client)
    greetings = {
        "en": {MP_ADDRESS: f"Dear {MP},", MINISTER_ADDRESS: "Dear Minister,"},
        "fr": {MP_ADDRESS: f"Bonjour {MP},", MINISTER_ADDRESS: "Bonjour Lena Metlege Diab,"},
    }[lang]
    subjects = []
    for position, address in enumerate((MP_ADDRESS, MINISTER_ADDRESS), 1):
        (message,) = _to(outbox, address)
        subject, body = _campaign_template(app, lang, position)
        assert _header(message, "Subject") == subject
        assert str(message["Content-Language"]) == lang
        assert _content(message).startswith(f"{greetings[address]}\n\n{body}\n\n")
        subjects.append(subject)
    assert subjects[0] != subjects[1]  # the Minister's letter is not the MP's


def test_an_accented_email_domain_still_gets_the_confirmation(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _send(client, email="jane@exämple.org")
    (confirmation,) = _mails(outbox)
    assert _address(confirmation, "To") == ("Jane Doe", "jane@xn--exmple-cua.org")


def _tampered(token: str) -> str:
    """``token`` with its last two characters changed."""
    return token[:-2] + ("AA" if not token.endswith("AA") else "BB")


def test_a_tampered_confirmation_link_is_refused_and_sends_nothing(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _send(client)
    path = _confirm_path(outbox)
    prefix, token = path.rsplit("/", 1)
    for bad in (_tampered(token), "not-a-token"):
        for response in (client.get(f"{prefix}/{bad}"), client.post(f"{prefix}/{bad}")):
            assert response.status_code == 400
            assert one(parse(response.data), "p.error[role=alert]")
    assert len(_mails(outbox)) == 1
    assert _submissions(app)[0].status == SubmissionStatus.awaiting_confirmation


class _SignedLongAgo(TimestampSigner):
    """Signs as if it were ``confirm_hours`` and one more hour ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 49 * 3600


def test_an_expired_confirmation_link_is_refused_with_410(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    location = _send(client)
    public_id = location.rsplit("/", 1)[1]
    secret = str(app.config["SECRET_KEY"])
    old = URLSafeTimedSerializer(secret, salt=confirmation.TOKEN_SALT, signer=_SignedLongAgo)
    fresh = URLSafeTimedSerializer(secret, salt=confirmation.TOKEN_SALT)
    path = f"{CAMPAIGN}/emails/confirm/{old.dumps(public_id)}"
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410
        assert "expired" in text(one(parse(response.data), "p.error[role=alert]"))
    assert len(_mails(outbox)) == 1
    # The same letter with a fresh signature is still good: the age made the difference.
    assert client.get(f"{CAMPAIGN}/emails/confirm/{fresh.dumps(public_id)}").status_code == 200


def test_a_letter_older_than_the_confirmation_period_cannot_be_confirmed(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _send(client)
    path = _confirm_path(outbox)
    with _db(app) as session:
        session.execute(update(EmailSubmission).values(created_at=utcnow() - timedelta(hours=49)))
        session.commit()
    assert client.get(path).status_code == 410
    assert client.post(path).status_code == 410
    assert len(_mails(outbox)) == 1
    assert _events(app) == []


def test_a_confirmation_link_of_another_campaign_is_404(client: FlaskClient, outbox: Path) -> None:
    _send(client)
    token = _confirm_path(outbox).rsplit("/", 1)[1]
    assert client.get(f"/c/no-such-campaign/emails/confirm/{token}").status_code == 404
    assert client.get(f"{CAMPAIGN}/emails/unknown-id").status_code == 404


# -- Duplicates and identical letters ----------------------------------------------------


@pytest.mark.parametrize("again", [SUPPORTER, "  Jane.Supporter@EXAMPLE.org "])
def test_the_same_letter_again_from_the_same_address_is_refused_with_409(
    app: Flask, client: FlaskClient, outbox: Path, again: str
) -> None:
    _send(client)
    form = one(_preview(client, email=again), "form[method=post]")
    response = _post(client, form_fields(form), "send")
    assert response.status_code == 409
    soup = parse(response.data)
    assert "already wrote to them" in text(one(soup, "p.error[role=alert]"))
    assert len(soup.select("section.letter")) == 2  # still the preview, to change or leave
    assert len(_submissions(app)) == 1
    assert len(_mails(outbox)) == 1


def test_many_identical_letters_bring_a_nudge_to_add_a_line(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(EMAIL_IDENTICAL_NUDGE=1)
    _update_campaign(app, email_confirm=False)
    first = app.test_client()
    assert not _preview(first, personal_line="").select("div.notice")
    _send(first, personal_line="")
    second = app.test_client()
    nudge = one(_preview(second, personal_line="", name="Sam Roe"), "div.notice[role=status]")
    assert "already sent these exact words" in text(nudge)
    assert re.search(r"\b1\b", text(nudge))
    assert not _preview(second, name="Sam Roe").select("div.notice")  # with a line of their own


def test_a_letter_refused_for_its_words_shows_the_count_in_its_preview(
    make_app: Callable[..., Flask],
) -> None:
    """Sending counts the same words only in its checks; a refused letter's preview
    still says how many sent them."""
    app = make_app(EMAIL_IDENTICAL_NUDGE=2)
    _update_campaign(app, email_confirm=False, email_block_identical=True)
    for name in ("Ana", "Ben"):
        _send(app.test_client(), personal_line="", name=name, email=f"{name}@example.org")
    client = app.test_client()
    sam = {"personal_line": "", "name": "Sam", "email": "sam@example.org"}
    form = one(_preview(client, **sam), "form[method=post]")
    response = _post(client, form_fields(form), "send")
    assert response.status_code == 400
    soup = parse(response.data)
    assert "add a line of your own" in text(one(soup, "p.error[role=alert]"))
    nudge = one(soup, "div.notice[role=status]")
    assert re.search(r"\b2\b", text(nudge)), text(nudge)
    assert len(_submissions(app)) == 2


# -- mailto: mode ----------------------------------------------------------------------


def test_mailto_mode_asks_no_address_and_links_each_letter_to_the_supporters_mail_app(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _update_campaign(app, email_mailto=True)
    write = one(_page(client, WRITE), "form[method=post]")
    assert not write.select("input[name=email]")
    assert not write.select("input[name=consent_followup]")
    soup = _preview(client, email="")
    letters = _letters_by_page(soup)
    assert all("Replies go to" not in h and "From" not in h for h in letters.values())
    links = [str(a["href"]) for a in soup.select("section.letter a[href^='mailto:']")]
    assert len(links) == 2
    for link, (address, letter) in zip(links, letters.items(), strict=True):
        parts = urlsplit(link)
        assert unquote(parts.path) == address
        query = parse_qs(parts.query, strict_parsing=True)
        assert query == {"subject": [letter["Subject"]], "body": [letter["text"]]}
    buttons = [str(b["value"]) for b in soup.select("form button[name=action]")]
    assert buttons == ["mailto", "edit"]
    send = _post(client, form_fields(one(soup, "form[method=post]")), "send")
    assert send.status_code == 200  # no sending in this mode: the preview again
    assert _submissions(app) == [] and _mails(outbox) == []


def test_i_sent_my_letters_counts_each_letter_once_per_page(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _update_campaign(app, email_mailto=True)
    fields = form_fields(one(_preview(client, email=""), "form[method=post]"))
    for _ in range(2):
        response = _post(client, fields, "mailto")
        assert response.status_code == 303
        assert response.headers["Location"] == f"{CAMPAIGN}/riding/35100"
    events = _events(app)
    assert [(e.outcome, e.fed_num) for e in events] == [(Outcome.mailto, 35100)] * 2
    assert len({e.target_id for e in events}) == 2
    thanks = one(_page(client, f"{CAMPAIGN}/riding/35100"), "main > p.done")
    assert "counted" in text(thanks)
    # Another preview is another page: its letters count again.
    again = form_fields(one(_preview(client, email=""), "form[method=post]"))
    assert again["token"] != fields["token"]
    assert _post(client, again, "mailto").status_code == 303
    assert len(_events(app)) == 4
    assert _submissions(app) == [] and _mails(outbox) == []


def test_i_sent_my_letters_without_a_token_counts_nothing(app: Flask, client: FlaskClient) -> None:
    _update_campaign(app, email_mailto=True)
    fields = form_fields(one(_preview(client, email=""), "form[method=post]"))
    assert _post(client, {**fields, "token": ""}, "mailto").status_code == 400
    assert _events(app) == []


# -- CSRF -----------------------------------------------------------------------------


def test_a_letter_without_the_csrf_token_is_refused_and_nothing_is_stored(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    data = _letter(client)
    del data["csrf_token"]
    for action in ("send", "preview"):
        response = _post(client, data, action)
        assert response.status_code == 400
        assert not parse(response.data).select("section.letter")
    assert _submissions(app) == [] and _mails(outbox) == []


# -- The development outbox ----------------------------------------------------------------


def test_dev_outbox_lists_the_messages_written_locally(
    client: FlaskClient, outbox: Path, login_as: Callable[..., User]
) -> None:
    login_as(Role.organizer)
    assert not _page(client, "/dev/outbox").select("table.outbox")
    _send(client)
    response = client.get("/dev/outbox")
    assert response.headers["Cache-Control"] == "no-store"
    rows = parse(response.data).select("table.outbox tbody tr")
    assert len(rows) == 1
    link = one(rows[0], "a")
    assert text(link).startswith("Confirm your letter")
    message = _page(client, str(link["href"]))
    headers = {
        text(dt): text(dd)
        for dt, dd in zip(message.select("dt"), message.select("dd"), strict=True)
    }
    assert headers["To"] == f"Jane Doe <{SUPPORTER}>"
    assert "/emails/confirm/" in one(message, "pre.letter-text").get_text()


def test_dev_outbox_is_for_logged_in_staff_only(
    app: Flask, client: FlaskClient, outbox: Path, login_as: Callable[..., User]
) -> None:
    _send(client)
    (real,) = [p.name for p in outbox.glob("*.eml")]
    for url in ("/dev/outbox", f"/dev/outbox/{real}"):
        for where in ("127.0.0.1", "203.0.113.9"):
            response = client.get(url, environ_base={"REMOTE_ADDR": where})
            assert response.status_code == 302, (url, where)
            assert urlsplit(response.headers["Location"]).path == "/login"
            assert SUPPORTER.encode() not in response.data
            assert b"/emails/confirm/" not in response.data
    # The status page's demo notice says the outbox is for staff.
    notice = one(_page(client, _send(client, email="other@example.org")), "p.notice")
    assert "staff" in text(notice).lower()
    login_as(Role.organizer)
    assert client.get(f"/dev/outbox/{real}").status_code == 200


def test_dev_outbox_refuses_names_outside_the_outbox(
    client: FlaskClient, outbox: Path, login_as: Callable[..., User]
) -> None:
    _send(client)
    login_as(Role.organizer)
    secret = outbox.parent / "secret-0123456789abcdef.eml"
    secret.write_text("Subject: private\n\nnot for the web\n")
    (real,) = [p.name for p in outbox.glob("*.eml")]
    for name in (
        "..%2Fsecret-0123456789abcdef.eml",
        "%2E%2E%2Fsecret-0123456789abcdef.eml",
        "..",
        ".",
        f"..%2F{outbox.name}%2F{real}",
        quote(str(secret), safe=""),
        "secret-0123456789abcdef.eml",
    ):
        response = client.get(f"/dev/outbox/{name}")
        assert response.status_code == 404, name
        assert b"not for the web" not in response.data
    assert client.get(f"/dev/outbox/{real}").status_code == 200


def test_dev_outbox_is_404_when_mail_really_goes_out(
    make_app: Callable[..., Flask], make_user: Callable[..., User]
) -> None:
    app = make_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1")
    client = app.test_client()
    log_in(client, make_user(Role.admin))
    assert client.get("/dev/outbox").status_code == 404
    assert client.get("/dev/outbox/x-0123456789abcdef.eml").status_code == 404


# -- Privacy ---------------------------------------------------------------------------


PHONE_LIKE = re.compile(r"(?<![\w.])(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}(?![\w.])")


def test_the_supporters_address_is_never_in_a_url_or_a_log_record(
    app: Flask, client: FlaskClient, outbox: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    urls: list[str] = []

    def visit(response: TestResponse) -> None:
        if "Location" in response.headers:
            urls.append(response.headers["Location"])
        urls.extend(_urls(parse(response.data)))

    visit(client.post(CAMPAIGN, data={"postal_code": "M5V 3L9"}))
    visit(client.get(WRITE))
    data = _letter(client)
    preview = _post(client, data, "preview")
    visit(preview)
    assert SUPPORTER in text(parse(preview.data))  # shown to the supporter, in the page only
    sent = _post(client, form_fields(one(parse(preview.data), "form[method=post]")), "send")
    visit(sent)
    visit(client.get(sent.headers["Location"]))
    path = _confirm_path(outbox)
    visit(client.get(path))
    confirmed = client.post(path)
    visit(confirmed)
    visit(client.get(confirmed.headers["Location"]))
    visit(client.get("/dev/outbox"))
    assert len(_mails(outbox)) == 3
    assert len(urls) > 10
    forms_of_the_address = {
        SUPPORTER,
        quote(SUPPORTER),
        quote(SUPPORTER, safe=""),
        "jane.supporter",
    }
    for url in urls:
        assert not any(form in url for form in forms_of_the_address), url
    assert caplog.records  # the sends were logged: the check below looked at something
    for record in caplog.records:
        logged = record.getMessage() + (record.exc_text or "")
        assert not any(form in logged for form in forms_of_the_address), logged
        assert "M5V" not in logged and "Jane Doe" not in logged, logged
        assert not PHONE_LIKE.search(logged), logged


# -- French ----------------------------------------------------------------------------


def test_in_french_the_page_and_the_letter_are_french(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    soup = _page(client, f"{WRITE}?lang=fr")
    assert one(soup, "html")["lang"] == "fr"
    fields = form_fields(one(soup, "form[method=post]"))
    subject, body = _campaign_template(app, "fr")
    assert (fields["subject"], fields["body"]) == (subject, body)
    preview = _preview(client)  # the language stays chosen
    assert one(preview, "html")["lang"] == "fr"
    letters = _letters_by_page(preview)
    assert [letter["lang"] for letter in letters.values()] == ["fr", "fr"]
    for position, address in enumerate((MP_ADDRESS, MINISTER_ADDRESS), 1):
        subject, body = _campaign_template(app, "fr", position)
        assert body in letters[address]["text"]
        # ``text()`` reads headers with every space collapsed, the no-break ones too.
        assert " ".join(subject.split()) in letters[address].values()
    assert letters[MP_ADDRESS]["text"].startswith(f"Bonjour {MP},\n\n")
    assert letters[MINISTER_ADDRESS]["text"].startswith("Bonjour Lena Metlege Diab,\n\n")
    location = _send(client)
    assert _confirm(client, _confirm_path(outbox)).status_code == 303
    assert _page(client, location).select("html[lang=fr]")
    for message in _mails(outbox):
        assert str(message["Content-Language"]) == "fr"
    (letter,) = _to(outbox, MINISTER_ADDRESS)
    assert body in _content(letter)


def test_a_french_speaking_target_gets_the_french_letter_from_an_english_supporter(
    app: Flask, client: FlaskClient, outbox: Path
) -> None:
    _update_campaign(app, email_confirm=False)
    with _db(app) as session:
        query = update(Person).where(Person.email == MINISTER_ADDRESS)
        session.execute(query.values(preferred_language="fr"))
        session.commit()
    letters = _letters_by_page(_preview(client))
    assert (letters[MP_ADDRESS]["lang"], letters[MINISTER_ADDRESS]["lang"]) == ("en", "fr")
    _, french = _campaign_template(app, "fr", 2)
    assert french in letters[MINISTER_ADDRESS]["text"]
    _send(client)
    (letter,) = _to(outbox, MINISTER_ADDRESS)
    assert str(letter["Content-Language"]) == "fr"
    assert french in _content(letter)


def test_i_sent_my_letters_with_a_made_up_or_reused_token_counts_nothing_more(
    app: Flask, client: FlaskClient
) -> None:
    _update_campaign(app, email_mailto=True)
    fields = form_fields(one(_preview(client, email=""), "form[method=post]"))
    for made_up in ("abc123", fields["token"][:-4] + "AAAA"):
        response = _post(client, {**fields, "token": made_up}, "mailto")
        assert response.status_code == 400
        refusal = text(one(parse(response.data), "p.error"))
        assert refusal == "This form was not issued by this page. Please reload the page."
    # A token from another riding's preview is refused too.
    other = form_fields(one(_preview(client, email="", postal_code="K1A 0A6"), "form[method=post]"))
    assert other["fed_num"] == "35079"
    assert _post(client, {**fields, "token": other["token"]}, "mailto").status_code == 400
    assert _events(app) == []
    for _ in range(3):
        assert _post(client, fields, "mailto").status_code == 303
    assert len(_events(app)) == 2  # one per letter, once


def test_i_sent_my_letters_stops_at_the_hourly_limit(
    make_app: Callable[..., Flask], stopped_clock: datetime
) -> None:
    app = make_app(REPORTS_MAX_PER_IP_PER_HOUR=2)
    client = app.test_client()
    _update_campaign(app, email_mailto=True)
    statuses = []
    for _ in range(5):
        fields = form_fields(one(_preview(client, email=""), "form[method=post]"))
        statuses.append(_post(client, fields, "mailto").status_code)
    assert statuses == [303, 303, 429, 429, 429]
    assert len(_events(app)) == 4  # two reports of two letters


def test_i_sent_my_letters_on_a_campaign_that_sends_them_itself_counts_nothing(
    app: Flask, client: FlaskClient
) -> None:
    _update_campaign(app, email_mailto=True)
    fields = form_fields(one(_preview(client, email=""), "form[method=post]"))
    _update_campaign(app, email_mailto=False)
    assert _post(client, fields, "mailto").status_code == 404
    assert _events(app) == [] and _submissions(app) == []


# -- The status page and the language switch (issue 14) -----------------------------------


def test_the_page_awaiting_confirmation_neither_reloads_nor_thanks_and_offers_check_again(
    client: FlaskClient,
) -> None:
    location = _send(client)
    soup = _page(client, location)
    assert not soup.select("meta[http-equiv=refresh]")  # WCAG 2.2.1: no timed reload
    assert "Thank you" not in text(one(soup, "main"))  # nothing is sent yet
    again = one(soup, "main a.button")
    assert (again["href"], text(again)) == (location, "Check again")


def test_once_confirmed_and_sent_the_status_page_thanks_without_check_again(
    client: FlaskClient, outbox: Path
) -> None:
    location = _send(client)
    assert _confirm(client, _confirm_path(outbox)).status_code == 303
    soup = _page(client, location)
    assert text(one(soup, "p.thanks")).startswith("Thank you for taking action!")
    assert not soup.select("main a.button")  # nothing left to wait for


def _switch(soup: BeautifulSoup) -> tuple[str, dict[str, str]]:
    """Press the language switch of a page holding a form: its URL and what it posts."""
    button = one(soup, "header nav button[form]")
    form = one(soup, f"form#{button['form']}")
    data = {**form_fields(form), str(button["name"]): str(button["value"])}
    return str(button["formaction"]), data


def test_switching_language_on_the_preview_keeps_the_letter_and_the_input(
    client: FlaskClient, outbox: Path
) -> None:
    preview = _preview(client, personal_line="Pour mes voisins.")
    url, data = _switch(preview)
    assert urlsplit(url).query == "lang=fr"  # and nothing personal
    assert SUPPORTER not in url and "M5V" not in url
    response = client.post(url, data=data)
    assert response.status_code == 200
    soup = parse(response.data)
    assert one(soup, "html")["lang"] == "fr"
    assert text(one(soup, "h1")) != "Check your letter"
    fields = form_fields(one(soup, "form#letter-preview"))
    assert {k: fields[k] for k in ("name", "email", "postal_code", "city", "personal_line")} == {
        **INPUT,
        "personal_line": "Pour mes voisins.",
    }
    letters = _letters_by_page(soup)
    assert all("Pour mes voisins." in letter["text"] for letter in letters.values())
    assert _mails(outbox) == []  # switching sends nothing


def test_switching_language_turns_an_untouched_draft_into_the_other_languages_draft(
    app: Flask, client: FlaskClient
) -> None:
    soup = _page(client, WRITE)
    url, data = _switch(soup)
    data.update(name="Jane Doe")
    page = parse(client.post(url, data=data).data)
    fields = form_fields(one(page, "form#letter-form"))
    assert (fields["subject"], fields["body"]) == _campaign_template(app, "fr")
    assert fields["name"] == "Jane Doe"
    # A letter in the supporter's own words stays as written.
    url, data = _switch(page)
    data.update(body="Mes propres mots, {riding}.")
    back = form_fields(one(parse(client.post(url, data=data).data), "form#letter-form"))
    assert back["body"] == "Mes propres mots, {riding}."
    assert back["subject"] == _campaign_template(app, "en")[0]


def test_a_letter_with_several_errors_focuses_only_the_first(client: FlaskClient) -> None:
    response = _post(client, _letter(client, name="", email="not-an-address"), "preview")
    assert response.status_code == 400
    soup = parse(response.data)
    assert [str(f["name"]) for f in soup.select("[aria-invalid=true]")][:2] == ["name", "email"]
    assert [str(f["name"]) for f in soup.select("[autofocus]")] == ["name"]


def test_the_letter_form_styles_only_the_postal_code_in_capitals(client: FlaskClient) -> None:
    form = one(_page(client, WRITE), "form#letter-form")
    assert [str(f["name"]) for f in form.select("input.postal-code")] == ["postal_code"]
    assert one(form, "input[name=email]")["autocomplete"] == "email"
