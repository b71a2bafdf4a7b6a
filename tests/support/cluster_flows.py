"""What a supporter's browser, Twilio and a staff member do, over HTTP, to a ``Cluster``.

Every request names the server it goes to; ``Driver`` counts requests per server. Twilio's
webhooks are signed with the SDK's ``RequestValidator`` for the cluster's public URL and
posted to a server's loopback address with the same path and query, as a load balancer in
front of the servers would pass them on.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any
from xml.etree import ElementTree

import requests
from twilio.request_validator import RequestValidator

from callmp.demo import DEMO_SLUG
from tests.support.cluster import CALLER_ID, PUBLIC_URL, Cluster
from tests.support.html import form_fields, one, parse
from tests.support.twilio_standin import DEFAULT_ACCOUNT_SID, CreatedCall
from tests.support.twiml_doc import one as one_twiml
from tests.support.twiml_doc import parse as parse_twiml

SPADINA = 35100  # the demo's riding in these flows: its MP, then the Minister
POSTAL_CODE = "M5V 3L9"
CALLS_API = f"/api/v1/campaigns/{DEMO_SLUG}/calls"
LETTERS_API = f"/api/v1/campaigns/{DEMO_SLUG}/emails"
COUNTS_API = f"/api/v1/campaigns/{DEMO_SLUG}/counts?by_office=0"
RIDING_PAGE = f"/c/{DEMO_SLUG}/riding/{SPADINA}"
TIMEOUT_S = 10.0


def local(url: str) -> str:
    """The path and query of a URL on the public base URL (what Twilio requests)."""
    assert url.startswith(PUBLIC_URL), url
    return url.removeprefix(PUBLIC_URL)


def phone(n: int) -> str:
    """The ``n``-th fictional supporter number (613-555-01xx), in E.164."""
    assert 0 <= n < 100
    return f"+1613555{100 + n:04d}"


@dataclass
class Driver:
    """Sends requests to the cluster's servers by name, counting them per server."""

    cluster: Cluster
    twilio_token: str
    sent: Counter[str] = field(default_factory=Counter)

    def url(self, server: str, path: str) -> str:
        """``path`` on ``server``'s loopback address."""
        return self.cluster.processes[server].base_url + path

    def request(
        self,
        method: str,
        server: str,
        path: str,
        browser: requests.Session | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request to ``server`` (in ``browser``'s session when given), redirects kept."""
        self.sent[server] += 1
        kwargs.setdefault("timeout", TIMEOUT_S)
        kwargs.setdefault("allow_redirects", False)
        sender = browser or requests
        return sender.request(method, self.url(server, path), **kwargs)

    def get(self, server: str, path: str, browser: requests.Session | None = None) -> Any:
        """GET ``path`` on ``server``."""
        return self.request("GET", server, path, browser)

    # -- Calls -----------------------------------------------------------------------------

    def ask_call(self, server: str, number: str) -> requests.Response:
        """A supporter asks to be called, through the JSON API."""
        body = {"phone": number, "fed_num": SPADINA, "lang": "en"}
        return self.request("POST", server, CALLS_API, json=body)

    def webhook(self, server: str, url: str, params: dict[str, str]) -> requests.Response:
        """POST ``params`` to Twilio's ``url`` on ``server``, signed as Twilio signs it."""
        signature = RequestValidator(self.twilio_token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": str(signature)}
        return self.request("POST", server, local(url), data=params, headers=headers)

    def drive_call(self, created: CreatedCall, servers: Sequence[str], duration: int) -> None:
        """Twilio's side of one call, each webhook on the next of ``servers`` in turn.

        The supporter answers, presses 1, talks ``duration`` s with the first office, then
        hangs up at the next menu: one bridged call to the MP.
        """
        turn = itertools.cycle(servers)
        params = {
            "AccountSid": DEFAULT_ACCOUNT_SID,
            "CallSid": created.sid,
            "From": CALLER_ID,
            "To": created.to,
            "Direction": "outbound-api",
            "CallStatus": "in-progress",
        }
        root = twiml(self.webhook(next(turn), created.url, params))
        action = str(one_twiml(root, "Gather").get("action"))
        root = twiml(
            self.webhook(next(turn), PUBLIC_URL + local(action), {**params, "Digits": "1"})
        )
        action = str(one_twiml(root, "Dial").get("action"))
        dialled = {**params, "DialCallStatus": "completed", "DialCallDuration": str(duration)}
        root = twiml(self.webhook(next(turn), action, dialled))
        assert list(root.iter("Gather")), "after the MP, the menu for the Minister"
        done = {**params, "CallStatus": "completed", "CallDuration": str(duration + 20)}
        answer = self.webhook(next(turn), created.status_callback, done)
        assert answer.status_code == 204, answer.status_code

    # -- Letters ---------------------------------------------------------------------------

    def send_letter(self, server: str, address: str) -> requests.Response:
        """A supporter writes to the MP and the Minister, through the JSON API."""
        body = {"name": "Sam Tremblay", "postal_code": POSTAL_CODE, "email": address}
        return self.request("POST", server, LETTERS_API, json=body)

    def confirm(self, server: str, link: str) -> requests.Response:
        """Open a confirmation link on ``server`` and press its button."""
        browser = requests.Session()
        page = self.get(server, local(link), browser)
        assert page.status_code == 200, page.status_code
        form = one(parse(page.content), "main form[method=post]")
        action = str(form.get("action") or local(link))
        return self.request("POST", server, action, browser, data=form_fields(form))

    # -- Direct-call reports ---------------------------------------------------------------

    def report_call(self, page_server: str, post_server: str, outcome: str) -> requests.Response:
        """Load the riding page on one server, report a call to the MP on the other."""
        browser = requests.Session()
        page = self.get(page_server, RIDING_PAGE, browser)
        assert page.status_code == 200, page.status_code
        form = parse(page.content).select("form.report")[0]
        fields = {
            str(i["name"]): str(i.get("value", ""))
            for i in form.select("input[type=hidden]")
            if not str(i["name"]).endswith("-office")
        }
        prefix = next(name for name in fields if name.endswith("-token")).removesuffix("-token")
        office = form.select(f"input[name={prefix}-office]")[0]
        fields.update({f"{prefix}-outcome": outcome, f"{prefix}-office": str(office["value"])})
        action = str(form["action"]).split("#")[0]
        return self.request("POST", post_server, action, browser, data=fields)

    # -- Staff logins ----------------------------------------------------------------------

    def login_form(self, server: str, browser: requests.Session) -> dict[str, str]:
        """The login form's hidden fields (its CSRF token), from ``server``."""
        page = self.get(server, "/login", browser)
        assert page.status_code == 200, page.status_code
        return form_fields(one(parse(page.content), "form"))

    def log_in(
        self, server: str, browser: requests.Session, hidden: dict[str, str], email: str, pw: str
    ) -> requests.Response:
        """Post the login form to ``server``."""
        data = {**hidden, "email": email, "password": pw}
        return self.request("POST", server, "/login", browser, data=data)


def twiml(response: requests.Response) -> ElementTree.Element:
    """A 200 TwiML answer, parsed."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/xml")
    return parse_twiml(response.content)


def confirmation_link(message: EmailMessage) -> str:
    """The confirmation URL in a confirmation email."""
    lines = str(message.get_content()).splitlines()
    (link,) = [line.strip() for line in lines if "/emails/confirm/" in line]
    return link


# -- The throttle, as the provider saw it ------------------------------------------------------
