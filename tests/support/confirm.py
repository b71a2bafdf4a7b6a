"""Going through a staff confirmation page as a lead would: GET it, press its button."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.html import form_fields, one, parse


def confirm_via_page(client: FlaskClient, url: str) -> TestResponse:
    """Open the confirmation page at ``url`` and post its form (what its button sends)."""
    page = client.get(url)
    assert page.status_code == 200, url
    form = one(parse(page.data), "form.confirm")
    return client.post(str(form["action"]), data=form_fields(form))
