"""Privacy requests (admins only): find a person, show and export what is held, erase it.

Every step is a POST, so the email address or phone number asked about travels in request
bodies only, never in a URL or an access log; each step is written to the audit log with
counts, never the address or number.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import InputRequired, Length

from callmp import audit
from callmp.db import utcnow
from callmp.directory.phones import PhoneError
from callmp.i18n import N_
from callmp.models import Role
from callmp.supporters import erasure, requests
from callmp.views.admin import confirm
from callmp.views.context import db, services
from callmp.views.security import role_required, staff

bp = Blueprint("admin_privacy", __name__, url_prefix="/admin/privacy-requests")


#: The names of the fields shown for each row held (msgids).
FIELD_LABELS = {
    "created_at": lazy_gettext("When"),
    "name": lazy_gettext("Name"),
    "email": lazy_gettext("Email address"),
    "postal_code": lazy_gettext("Postal code"),
    "city": lazy_gettext("City"),
    "riding": lazy_gettext("Riding"),
    "language": lazy_gettext("Language"),
    "personal_line": lazy_gettext("Personal line"),
    "follow_up_consent": lazy_gettext("Follow-up email allowed"),
    "status": lazy_gettext("Status"),
    "kind": lazy_gettext("Kind"),
    "to": lazy_gettext("To"),
    "subject": lazy_gettext("Subject"),
    "body": lazy_gettext("Text"),
    "sent_at": lazy_gettext("Sent"),
    "comment": lazy_gettext("Comment"),
    "show_publicly": lazy_gettext("Name shown publicly"),
    "phone": lazy_gettext("Phone number"),
    "action": lazy_gettext("Action"),
    "source": lazy_gettext("Source"),
    "wording": lazy_gettext("Words shown"),
    "organization": lazy_gettext("Organization"),
    "withdrawn_at": lazy_gettext("Withdrawn"),
}


class SearchForm(FlaskForm):  # type: ignore[misc]
    """Whom to look for: an email address or a phone number.

    The page's CSRF token is checked for every staff POST (``callmp.views.security``).
    """

    class Meta:
        csrf = False

    kind = RadioField(
        lazy_gettext("Search by"),
        choices=[
            SelectChoice("email", lazy_gettext("Email address")),
            SelectChoice("phone", lazy_gettext("Phone number")),
        ],
        default="email",
    )
    value = StringField(
        lazy_gettext("Email address or phone number"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"maxlength": "254", "autocomplete": "off", "spellcheck": "false"},
    )


def _lookup(form: SearchForm) -> requests.Lookup | None:
    """The keyed hashes to search by, or None (with the form's error set)."""
    if not form.validate():
        return None
    value = str(form.value.data)
    if form.kind.data == "phone":
        try:
            return requests.by_phone(value, services().calls.settings.hmac_key)
        except PhoneError as error:
            form.value.errors = [gettext(error.message, **error.params)]
            return None
    return requests.by_email(value, services().mail.settings)


def _audit(action: str, message: str, lookup: requests.Lookup, held: requests.Held) -> None:
    params: dict[str, str | int] = {"kind": lookup.kind, "rows": held.total}
    audit.record(db(), staff(), action, audit.Summary(message, params), object_type="privacy")


@bp.get("")
@role_required(Role.admin)
def search_page() -> tuple[str, int]:
    """The search form."""
    return render_template("admin/privacy/search.html", form=SearchForm(), held=None), 200


@bp.post("")
@role_required(Role.admin)
def search() -> tuple[str, int]:
    """Everything held about the person: letters, messages, signatures, calls, consents."""
    form = SearchForm()
    lookup = _lookup(form)
    if lookup is None:
        return render_template("admin/privacy/search.html", form=form, held=None), 400
    held = requests.find(db(), lookup)
    _audit("privacy.search", N_("Searched by %(kind)s: %(rows)s rows held."), lookup, held)
    db().commit()
    page = render_template(
        "admin/privacy/search.html",
        form=form,
        held=held,
        data=requests.as_data(held),
        labels=FIELD_LABELS,
    )
    return page, 200


@bp.post("/export")
@role_required(Role.admin)
def export() -> Response | tuple[str, int]:
    """What is held, as a JSON file to give the person."""
    form = SearchForm()
    lookup = _lookup(form)
    if lookup is None:
        return render_template("admin/privacy/search.html", form=form, held=None), 400
    held = requests.find(db(), lookup)
    _audit("privacy.export", N_("Exported by %(kind)s: %(rows)s rows."), lookup, held)
    db().commit()
    body = json.dumps(requests.as_data(held), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    day = utcnow().date().isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="privacy-request-{day}.json"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _confirmation(form: SearchForm, held: requests.Held) -> confirm.Confirmation:
    counts = held.counts()
    return confirm.Confirmation(
        heading=gettext("Erase this person's data?"),
        explanation=[
            gettext(
                "Names, addresses, postal codes, phone numbers, letters, comments and IP "
                "hashes go from %(letters)s letters, %(signatures)s signatures, %(calls)s call "
                "requests and %(consents)s consent records; messages to the person are deleted.",
                **counts,
            ),
            gettext("The counts stay as they are. This cannot be undone."),
        ],
        action=url_for("admin_privacy.erase"),
        button=gettext("Erase"),
        cancel=url_for("admin_privacy.search_page"),
        hidden={"kind": str(form.kind.data), "value": str(form.value.data)},
    )


@bp.post("/erase/confirm")
@role_required(Role.admin)
def confirm_erase() -> tuple[str, int]:
    """Say what erasing will do, with the button that does it."""
    form = SearchForm()
    lookup = _lookup(form)
    if lookup is None:
        return render_template("admin/privacy/search.html", form=form, held=None), 400
    return confirm.page(_confirmation(form, requests.find(db(), lookup)))


@bp.post("/erase")
@role_required(Role.admin)
def erase() -> tuple[str, int]:
    """Erase the person's data (only from the confirmation page's button)."""
    form = SearchForm()
    lookup = _lookup(form)
    if lookup is None:
        return render_template("admin/privacy/search.html", form=form, held=None), 400
    held = requests.find(db(), lookup)
    if not confirm.confirmed():
        return confirm.refused(_confirmation(form, held))
    _audit("privacy.erase", N_("Erased by %(kind)s: %(rows)s rows."), lookup, held)
    counts = erasure.erase(db(), held, utcnow())
    db().commit()
    page = render_template("admin/privacy/erased.html", counts=counts)
    return page, 200
