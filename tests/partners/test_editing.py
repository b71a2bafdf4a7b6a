"""Leads' partner edits: what is refused, what is stored, what the audit log keeps."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from callmp.models import AuditEntry, Campaign, Partner, Role, User
from callmp.partners import editing
from callmp.partners.editing import PartnerInput, PartnerInvalid
from callmp.partners.origins import allowed_origins, origins_by_campaign
from callmp.views.context import clean_referral
from tests.factories import make_campaign


@pytest.fixture
def lead(db_session: Session) -> User:
    """A campaign lead to act as (no password: never logs in)."""
    user = User(email="partners-lead@staff.example", role=Role.lead, password_hash="x")
    db_session.add(user)
    db_session.flush()
    return user


def add(session: Session, campaign: Campaign, lead: User, **typed: str) -> Partner:
    """Add a partner from what a lead typed (a name and code by default)."""
    values = {"name": "Migrant Rights Network", "code": "mrn", "origins": "", **typed}
    return editing.create(session, campaign, PartnerInput(**values), lead, clean_referral)


def refusals(error: pytest.ExceptionInfo[PartnerInvalid]) -> dict[str, str]:
    """The refused fields and their msgids."""
    return {name: message for name, (message, _params) in error.value.errors.items()}


def test_a_partner_is_stored_with_normalised_origins_and_a_fresh_key(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    typed = "HTTPS://MRN.example/\n\nhttp://127.0.0.1:8001\nhttps://mrn.example:443\n"
    partner = add(db_session, campaign, lead, name="  Migrant   Rights ", origins=typed)
    other = add(db_session, campaign, lead, code="other")
    assert partner.name == "Migrant Rights"
    assert partner.origin_list() == ["https://mrn.example", "http://127.0.0.1:8001"]
    assert allowed_origins(db_session, campaign.id) == {
        "https://mrn.example",
        "http://127.0.0.1:8001",
    }
    assert len(partner.dashboard_key) >= 40 and partner.dashboard_key != other.dashboard_key
    assert editing.by_key(db_session, partner.dashboard_key) is partner


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"name": "  "}, "name", editing.NO_NAME),
        ({"name": "x" * 201}, "name", editing.LONG_NAME),
        ({"code": ""}, "code", editing.NO_CODE),
        ({"code": "has space"}, "code", editing.BAD_CODE),
        ({"code": "x" * 65}, "code", editing.BAD_CODE),
        (
            {"origins": "https://ok.example\nhttps://mrn.example/embed"},
            "origins",
            editing.BAD_ORIGIN,
        ),
        ({"origins": "https://*.mrn.example"}, "origins", editing.BAD_ORIGIN),
        (
            {"origins": "\n".join(f"https://s{n}.example" for n in range(21))},
            "origins",
            editing.MANY_ORIGINS,
        ),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(
    db_session: Session,
    campaign: Campaign,
    lead: User,
    typed: dict[str, str],
    field: str,
    message: str,
) -> None:
    with pytest.raises(PartnerInvalid) as error:
        add(db_session, campaign, lead, **typed)
    assert refusals(error) == {field: message}
    assert db_session.scalars(select(Partner)).all() == []


def test_a_bad_origin_names_its_line(db_session: Session, campaign: Campaign, lead: User) -> None:
    with pytest.raises(PartnerInvalid) as error:
        add(db_session, campaign, lead, origins="https://ok.example\n\nftp://mrn.example")
    assert error.value.errors["origins"][1] == {"line": "3", "text": "ftp://mrn.example"}


def test_a_code_is_unique_per_campaign_only(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    first = add(db_session, campaign, lead)
    with pytest.raises(PartnerInvalid) as error:
        add(db_session, campaign, lead, name="Someone else")
    assert refusals(error) == {"code": editing.TAKEN_CODE}
    elsewhere = add(db_session, make_campaign(db_session), lead)
    assert elsewhere.code == first.code
    # Saving a partner with its own code is not a clash.
    same = PartnerInput(name="Renamed", code="mrn", origins="")
    editing.update(db_session, campaign, first, same, lead, clean_referral)
    assert first.name == "Renamed"


def test_an_edit_keeps_the_key_and_a_new_link_replaces_it(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    partner = add(db_session, campaign, lead)
    key = partner.dashboard_key
    typed = PartnerInput(name="MRN", code="mrn-2", origins="https://mrn.example")
    editing.update(db_session, campaign, partner, typed, lead, clean_referral)
    assert (partner.code, partner.dashboard_key) == ("mrn-2", key)
    editing.replace_key(db_session, campaign, partner, lead)
    assert partner.dashboard_key != key
    assert editing.by_key(db_session, key) is None
    assert editing.by_key(db_session, partner.dashboard_key) is partner


@pytest.mark.parametrize("key", ["", "x", "y" * 65])
def test_a_wrong_key_finds_nobody(
    db_session: Session, campaign: Campaign, lead: User, key: str
) -> None:
    add(db_session, campaign, lead)
    assert editing.by_key(db_session, key) is None


def test_every_change_is_audited_without_the_key(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    partner = add(db_session, campaign, lead)
    keys = [partner.dashboard_key]
    typed = PartnerInput(name="MRN", code="mrn", origins="")
    editing.update(db_session, campaign, partner, typed, lead, clean_referral)
    editing.replace_key(db_session, campaign, partner, lead)
    keys.append(partner.dashboard_key)
    partner_id = partner.id
    editing.delete(db_session, campaign, partner, lead)
    entries = db_session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "partner.create",
        "partner.update",
        "partner.new_key",
        "partner.delete",
    ]
    for entry in entries:
        assert (entry.campaign_id, entry.object_type, entry.object_id) == (
            campaign.id,
            "partner",
            partner_id,
        )
        assert entry.user_id == lead.id and "mrn" in entry.summary
        assert not any(key in entry.summary or key in str(entry.params) for key in keys)
    assert db_session.get(Partner, partner_id) is None


def test_origins_are_read_for_every_campaign_at_once(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    other = make_campaign(db_session)
    add(db_session, campaign, lead, origins="https://a.example\nhttps://b.example")
    add(db_session, campaign, lead, code="two", origins="https://b.example\nhttps://c.example")
    add(db_session, other, lead, origins="https://z.example")
    add(db_session, other, lead, code="none")
    assert origins_by_campaign(db_session) == {
        campaign.id: {"https://a.example", "https://b.example", "https://c.example"},
        other.id: {"https://z.example"},
    }


def test_a_code_saved_by_someone_else_since_the_check_is_refused_not_a_500(
    db_session: Session, campaign: Campaign, lead: User
) -> None:
    """Two leads saving the same code at once: the second one's check saw it free, the
    unique key refuses the write, and the lead gets the usual "code taken" message."""
    campaign_id = campaign.id

    def another_lead_saves_it(session: Session, *_args: object) -> None:
        session.connection().execute(
            insert(Partner).values(
                campaign_id=campaign_id, name="Other", code="mrn", origins="", dashboard_key="k"
            )
        )

    event.listen(db_session, "before_flush", another_lead_saves_it, once=True)
    with pytest.raises(PartnerInvalid) as refused:
        add(db_session, campaign, lead)
    assert refusals(refused) == {"code": editing.TAKEN_CODE}
