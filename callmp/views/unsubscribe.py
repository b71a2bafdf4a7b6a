"""Withdrawing consent: the one-click link (/u/<key>) and the public page (/unsubscribe).

Thin views over ``callmp.supporters.unsubscribe``. The link's POST carries no CSRF token:
mail providers send RFC 8058's ``List-Unsubscribe=One-Click`` body themselves; the
unguessable key in the URL is what a forged request lacks, and withdrawing is idempotent
and only ever touches the record the key names. The page's form is our own: it carries a
signed token, is limited per IP in the database, and answers the same whether or not the
address was on any list.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext, lazy_gettext
from wtforms import EmailField
from wtforms.validators import InputRequired, Length

from callmp.db import utcnow
from callmp.models.consent import ConsentRecord
from callmp.supporters import unsubscribe
from callmp.views import form_tokens, presenters
from callmp.views.context import db, services
from callmp.views.form_tokens import token_failed
from callmp.views.public_forms import PublicForm

bp = Blueprint("unsubscribe", __name__)


class WithdrawForm(PublicForm):
    """The public page's one field: the address to take off every list."""

    email = EmailField(
        lazy_gettext("Your email address"),
        validators=[InputRequired(), Length(max=254)],
        render_kw={"autocomplete": "email", "maxlength": "254"},
    )


def _record_or_404(key: str) -> ConsentRecord:
    record = unsubscribe.standing(db(), key)
    if record is None:
        abort(404)
    return record


def _link_page(record: ConsentRecord, *, done: bool = False, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "unsubscribe/link.html",
        record=record,
        address=unsubscribe.mask(record.email),
        organization=unsubscribe.organization(db(), record, presenters.locale_code()),
        done=done,
    )
    return page, status


@bp.get(unsubscribe.PATH.format(key="<key>"))
def link(key: str) -> tuple[str, int]:
    """What the link withdraws, with a button (mail scanners open links: GET changes nothing)."""
    return _link_page(_record_or_404(key))


@bp.post(unsubscribe.PATH.format(key="<key>"))
def link_post(key: str) -> tuple[str, int]:
    """Withdraw the consent the key names: the button, or a mail provider's one-click POST."""
    record = _record_or_404(key)
    withdrawal = unsubscribe.withdraw(db(), record, utcnow(), unsubscribe.VIA_LINK)
    db().commit()
    return _link_page(withdrawal.record, done=withdrawal.changed)


@bp.get("/unsubscribe")
def page() -> tuple[str, int]:
    """The form: withdraw by email address."""
    return render_template("unsubscribe/page.html", form=WithdrawForm(), sent=False), 200


@bp.post("/unsubscribe")
def page_post() -> tuple[str, int]:
    """Withdraw every consent of the address; the same answer whether or not it matched."""
    form = WithdrawForm()
    if not form.validate():
        error = gettext(form_tokens.EXPIRED) if token_failed(form) else ""
        return render_template("unsubscribe/page.html", form=form, sent=False, error=error), 400
    allowed = unsubscribe.limited_withdraw_address(
        db(),
        str(form.email.data),
        request.remote_addr or "",
        services().mail.settings,
        utcnow(),
        int(current_app.config["UNSUBSCRIBE_MAX_PER_IP_PER_HOUR"]),
    )
    if not allowed:
        db().rollback()
        error = gettext("Too many requests from your connection. Please try again in an hour.")
        return render_template("unsubscribe/page.html", form=form, sent=False, error=error), 429
    db().commit()
    return render_template(
        "unsubscribe/page.html", form=WithdrawForm(formdata=None), sent=True
    ), 200
