"""Supporter pages for calls: "call me", its status page, and direct-call reports (HTML parsed)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from callmp.models import CallRequest, Campaign, CampaignStatus, Channel, ContactEvent, Outcome
from tests.factories import make_campaign, make_target
from tests.support.app import twilio_settings
from tests.support.html import one, parse, text
from tests.support.twilio_standin import TwilioStandIn

CAMPAIGN = "/c/status-for-all"
RIDING = f"{CAMPAIGN}/riding/35100"


def _page(client: FlaskClient, url: str = RIDING) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return parse(response.data)


def _call_form(soup: BeautifulSoup) -> dict[str, str]:
    form = one(soup, "section.call-me form")
    return {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}


def _report_form(soup: BeautifulSoup, index: int) -> tuple[str, dict[str, str]]:
    form = soup.select("form.report")[index]
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    checked = form.select("input[type=radio][checked]")
    fields.update({str(i["name"]): str(i["value"]) for i in checked})
    return str(form["action"]).split("#")[0], fields


def test_riding_page_offers_call_me_with_a_labelled_phone_field_and_consent(
    client: FlaskClient,
) -> None:
    soup = _page(client)
    section = one(soup, "section.call-me")
    phone = one(section, "input[name=phone]")
    assert phone["type"] == "tel"
    assert phone["autocomplete"] == "tel"
    assert text(one(section, f"label[for={phone['id']}]")) == "Your phone number"
    consent = one(section, "input[name=consent]")
    assert consent["type"] == "checkbox"
    assert not consent.has_attr("checked")
    assert text(one(section, f"label[for={consent['id']}]")).startswith("Call me now")
    assert _call_form(soup)["csrf_token"]
    assert "Demo mode" in text(section)  # local telephony says so


def test_call_me_without_consent_keeps_the_number_and_says_why(client: FlaskClient) -> None:
    fields = _call_form(_page(client))
    response = client.post(f"{RIDING}/call", data={**fields, "phone": "613-555-0142"})
    assert response.status_code == 400
    soup = parse(response.data)
    assert one(soup, "input[name=phone]")["value"] == "613-555-0142"
    assert text(one(soup, "#consent-error")) == "Please tick the box so we may call you."


def test_call_me_with_a_bad_number_shows_the_message_next_to_the_field(
    client: FlaskClient,
) -> None:
    fields = _call_form(_page(client))
    data = {**fields, "phone": "1-888-555-0142", "consent": "y"}
    response = client.post(f"{RIDING}/call", data=data)
    assert response.status_code == 400
    soup = parse(response.data)
    field = one(soup, "input[name=phone]")
    assert field["aria-invalid"] == "true"
    assert "toll-free" in text(one(soup, f"#{str(field['aria-describedby']).split()[-1]}"))


def test_call_me_without_the_csrf_token_is_refused(client: FlaskClient, session: Session) -> None:
    response = client.post(f"{RIDING}/call", data={"phone": "613-555-0142", "consent": "y"})
    assert response.status_code == 400
    assert session.scalars(select(CallRequest)).first() is None


def test_call_me_leads_to_the_status_page_with_outcomes_and_the_demo_transcript(
    client: FlaskClient, session: Session
) -> None:
    client.get(f"{CAMPAIGN}?ref=newsletter")
    fields = _call_form(_page(client))
    response = client.post(
        f"{RIDING}/call", data={**fields, "phone": "613-555-0142", "consent": "y"}
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "555" not in location
    soup = _page(client, location)
    status = one(soup, "#call-status")
    assert status["data-finished"] == "true"
    assert "ended" in text(one(soup, ".status-message"))
    outcomes = [text(li) for li in soup.select(".attempts li")]
    assert len(outcomes) == 2 and all(line.startswith("Connected") for line in outcomes)
    lines = [text(li) for li in soup.select(".transcript li")]
    assert lines[0].startswith("The voice says:")
    assert any(line.startswith("We dial +1613") for line in lines)
    assert not soup.select("noscript")  # finished: nothing refreshes any more
    events = session.scalars(select(ContactEvent)).all()
    assert {e.referral for e in events} == {"newsletter"}
    # The thank-you shows the count with this call in it (two offices reached).
    assert text(one(soup, '.counter [data-count="calls"]')) == "2"


def test_status_page_of_another_campaign_or_unknown_call_is_404(
    client: FlaskClient, session: Session
) -> None:
    fields = _call_form(_page(client))
    location = client.post(
        f"{RIDING}/call", data={**fields, "phone": "613-555-0142", "consent": "y"}
    ).headers["Location"]
    public_id = location.rsplit("/", 1)[1]
    assert client.get(f"/c/other/calls/{public_id}").status_code == 404
    assert client.get(f"{CAMPAIGN}/calls/unknown").status_code == 404


def test_a_call_under_way_offers_check_again_without_reloading_and_polls_with_script(
    make_app: Callable[..., Flask],
) -> None:
    with TwilioStandIn() as standin:
        app = make_app(**twilio_settings(standin))
        client = app.test_client()
        soup = _page(client)
        assert "Demo mode" not in text(one(soup, "section.call-me"))
        data = {**_call_form(soup), "phone": "613-555-0142", "consent": "y"}
        location = client.post(f"{RIDING}/call", data=data).headers["Location"]
        soup = _page(client, location)
        status = one(soup, "#call-status")
        assert status["data-finished"] == "false"
        assert str(status["data-status-url"]).startswith("/api/v1/calls/")
        assert not soup.select("meta[http-equiv=refresh]")  # no timed reload (WCAG 2.2.1)
        again = one(soup, "main a#check-again")
        assert again["href"] == location
        scripts = [str(s["src"]) for s in soup.select("script[src]")]
        assert any(src.endswith("/static/call-status.js") for src in scripts)
        assert client.get(str(status["data-status-url"])).get_json()["status"] == "ringing"


def test_direct_call_report_is_counted_once_with_office_and_referral(
    client: FlaskClient, session: Session
) -> None:
    client.get(f"{RIDING}?ref=flyer-7")
    soup = _page(client)
    assert len(soup.select("form.report")) == 2
    action, fields = _report_form(soup, 0)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    data = {**fields, f"{prefix}-outcome": "left_voicemail"}
    first = client.post(action, data=data)
    assert first.status_code == 303
    again = client.post(action, data=data)  # a double tap on the button
    assert again.status_code == 303
    (event,) = session.scalars(select(ContactEvent)).all()
    assert event.channel == Channel.direct_call
    assert event.outcome == Outcome.left_voicemail
    assert event.referral == "flyer-7"
    assert event.fed_num == 35100
    assert event.office_id is not None
    thanks = _page(client, first.headers["Location"].split("#")[0])
    assert text(one(thanks, "p.done")) == "Thank you! Your call is counted."


def test_direct_call_report_needs_an_outcome_and_a_real_office(
    client: FlaskClient, session: Session
) -> None:
    soup = _page(client)
    action, fields = _report_form(soup, 0)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    response = client.post(action, data=fields)
    assert response.status_code == 400
    assert "how the call went" in text(one(parse(response.data), "form.report .error"))
    wrong_office = {**fields, f"{prefix}-outcome": "talked_to_staff", f"{prefix}-office": "999999"}
    assert client.post(action, data=wrong_office).status_code == 400
    assert client.post(action, data={**fields, "target_id": "nope"}).status_code == 400
    assert session.scalars(select(ContactEvent)).first() is None


def test_campaign_without_direct_calls_in_twilio_mode_hides_the_report_forms(
    make_app: Callable[..., Flask], session: Session
) -> None:
    session.execute(update(Campaign).values(direct_calls=False))
    session.commit()
    local = make_app().test_client()
    assert _page(local).select("form.report")  # no telephony: direct calls always offered
    with TwilioStandIn() as standin:
        app = make_app(**twilio_settings(standin, TWILIO_FROM_NUMBER=""))
        assert not _page(app.test_client()).select("form.report")


def test_call_pages_in_french(client: FlaskClient) -> None:
    soup = _page(client, f"{RIDING}?lang=fr")
    section = one(soup, "section.call-me")
    phone = one(section, "input[name=phone]")
    assert text(one(section, f"label[for={phone['id']}]")) == "Votre numéro de téléphone"
    assert text(one(section, "button")) == "Appelez-moi"
    legends = [text(legend) for legend in soup.select("form.report legend")]
    assert "Comment ça s'est passé ?" in legends  # text() shows the no-break space as one


# -- Self-reports: only with the page's token, under limits, where direct calls are on ------


def _report_data(
    client: FlaskClient, url: str = RIDING, index: int = 0
) -> tuple[str, dict[str, str]]:
    """A fresh riding page's report form for target ``index``, filled in as a browser would."""
    action, fields = _report_form(_page(client, url), index)
    prefix = next(name for name in fields if name.endswith("-token")).split("-")[0]
    return action, {**fields, f"{prefix}-outcome": "talked_to_staff"}


def _direct_events(session: Session) -> int:
    session.expire_all()
    return len(session.scalars(select(ContactEvent)).all())


def test_many_reports_from_one_client_add_at_most_the_limit(
    make_app: Callable[..., Flask], session: Session, stopped_clock: datetime
) -> None:
    app = make_app(REPORTS_MAX_PER_IP_PER_HOUR=5, REPORTS_MAX_PER_CLIENT_PER_HOUR=100)
    client = app.test_client()
    statuses = []
    for n in range(40):
        # Each a fresh page (a fresh token), half without the session cookie.
        if n % 2:
            client.delete_cookie("session")
        action, data = _report_data(client)
        statuses.append(client.post(action, data=data).status_code)
    assert statuses.count(303) == 5 and statuses.count(429) == 35
    assert _direct_events(session) == 5
    action, data = _report_data(client)
    refused = client.post(action, data=data)
    assert refused.status_code == 429
    error = text(one(parse(refused.data), "form.report .error"))
    assert error == "You have reported many contacts in the last hour. Please try again later."


def test_reports_from_one_browser_session_stop_at_its_limit(
    make_app: Callable[..., Flask], session: Session, stopped_clock: datetime
) -> None:
    app = make_app(REPORTS_MAX_PER_IP_PER_HOUR=100, REPORTS_MAX_PER_CLIENT_PER_HOUR=3)
    client = app.test_client()
    for n in range(6):
        action, data = _report_data(client)
        ip = {"REMOTE_ADDR": f"198.51.100.{n}"}  # a phone moving between networks
        expected = 303 if n < 3 else 429
        assert client.post(action, data=data, environ_base=ip).status_code == expected
    assert _direct_events(session) == 3


def test_a_report_with_a_made_up_token_counts_nothing_and_says_why(
    client: FlaskClient, session: Session
) -> None:
    action, data = _report_data(client)
    prefix = next(name for name in data if name.endswith("-token")).split("-")[0]
    for made_up in ("abc123", "", data[f"{prefix}-token"][:-4] + "AAAA"):
        response = client.post(action, data={**data, f"{prefix}-token": made_up})
        assert response.status_code == 400
        soup = parse(response.data)
        error = text(one(soup, "form.report .error"))
        assert error in (
            "This form was not issued by this page. Please reload the page.",
            "This form has expired. Please reload the page.",
        )
        # The page shown again carries a fresh, valid token.
        assert _report_form(soup, 0)[1][f"{prefix}-token"] not in (made_up, "")
    assert _direct_events(session) == 0


def test_a_reused_token_counts_once_and_a_double_tap_still_says_thank_you(
    client: FlaskClient, session: Session
) -> None:
    action, data = _report_data(client)
    for _ in range(5):
        response = client.post(action, data=data)
        assert response.status_code == 303
    assert _direct_events(session) == 1
    thanks = _page(client, response.headers["Location"].split("#")[0])
    assert text(one(thanks, "p.done")) == "Thank you! Your call is counted."


def test_a_token_from_another_riding_page_counts_nothing(
    client: FlaskClient, session: Session
) -> None:
    action, data = _report_data(client)
    _, elsewhere = _report_data(client, f"{CAMPAIGN}/riding/35101")
    prefix = next(name for name in data if name.endswith("-token")).split("-")[0]
    token = next(value for name, value in elsewhere.items() if name.endswith("-token"))
    response = client.post(action, data={**data, f"{prefix}-token": token})
    assert response.status_code == 400
    error = text(one(parse(response.data), "form.report .error"))
    assert error == "This form was not issued by this page. Please reload the page."
    assert _direct_events(session) == 0


def test_a_report_for_a_campaign_with_direct_calls_off_counts_nothing(
    make_app: Callable[..., Flask], session: Session
) -> None:
    with TwilioStandIn() as standin:
        app = make_app(**twilio_settings(standin))
        client = app.test_client()
        action, data = _report_data(client)  # shown while direct calls were on
        session.execute(update(Campaign).values(direct_calls=False))
        session.commit()
        assert client.post(action, data=data).status_code == 404
    assert _direct_events(session) == 0


def test_report_limits_hold_across_two_app_instances_and_two_campaigns(
    make_app: Callable[..., Flask], session: Session, stopped_clock: datetime
) -> None:
    other = make_campaign(session, slug="second", status=CampaignStatus.published)
    make_target(session, other)
    session.commit()
    limits = {"REPORTS_MAX_PER_IP_PER_HOUR": 4, "REPORTS_MAX_PER_CLIENT_PER_HOUR": 100}
    first, second = make_app(**limits).test_client(), make_app(**limits).test_client()
    statuses = []
    for n in range(12):
        client = (first, second)[n % 2]
        url = (RIDING, "/c/second/riding/35100")[n // 2 % 2]
        action, data = _report_data(client, url)
        statuses.append(client.post(action, data=data).status_code)
    assert statuses.count(303) == 4
    assert _direct_events(session) == 4


def test_switching_language_after_an_error_keeps_the_number_and_calls_nobody(
    client: FlaskClient, session: Session
) -> None:
    fields = _call_form(_page(client))
    response = client.post(f"{RIDING}/call", data={**fields, "phone": "613-555-0142"})
    soup = parse(response.data)
    button = one(soup, "header nav button[form=call-form]")
    assert button["formaction"] == f"{RIDING}/call?lang=fr"  # no number in the URL
    data = {**fields, "phone": "613-555-0142", "consent": "y", "action": str(button["value"])}
    again = client.post(str(button["formaction"]), data=data)
    assert again.status_code == 200
    page = parse(again.data)
    assert one(page, "html")["lang"] == "fr"
    assert one(page, "input[name=phone]")["value"] == "613-555-0142"
    assert session.scalars(select(CallRequest)).all() == []  # a switch is not "Call me"


def test_count_my_call_lives_in_a_report_form_with_a_unique_id(client: FlaskClient) -> None:
    soup = _page(client)
    forms = soup.select("details.report-box form.report")
    assert len(forms) == 2
    assert len({str(f["id"]) for f in forms}) == 2
    assert all(text(one(f, "button[type=submit]")) == "Count my call" for f in forms)
