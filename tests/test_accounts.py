"""Staff accounts: Argon2id hashes, authentication, password changes, roles, the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmp import accounts
from callmp.db import utcnow
from callmp.models import AuditEntry, Role, User
from tests.support.app import STAFF_PASSWORD


def _entries(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_create_user_stores_an_argon2id_hash_and_a_lower_case_address(session: Session) -> None:
    user = accounts.create_user(
        session, email="  Lead@Example.ORG ", password="a long enough secret", role=Role.lead
    )
    assert user.email == "lead@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, "a long enough secret")
    [entry] = _entries(session, "user.create")
    assert entry.user_label == "command line" and "lead@example.org" in entry.summary


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not an address", "a long enough secret", "email"),
        ("x@example.org", "short", "password"),
        ("x@example.org", "", "password"),
        ("x@example.org", "p" * 257, "password"),
    ],
)
def test_create_user_refuses_bad_input_naming_the_field(
    session: Session, email: str, password: str, field: str
) -> None:
    with pytest.raises(accounts.AccountError) as refused:
        accounts.create_user(session, email=email, password=password, role=Role.organizer)
    assert refused.value.field == field


def test_create_user_refuses_an_address_taken_in_another_case(session: Session) -> None:
    accounts.create_user(session, email="a@example.org", password="x" * 12, role=Role.lead)
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_user(session, email="A@EXAMPLE.org", password="y" * 12, role=Role.lead)


def test_authenticate_accepts_the_right_password_only(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.lead)
    assert accounts.authenticate(session, user.email.upper(), "wrong password!!", utcnow()) is None
    assert accounts.authenticate(session, "nobody@example.org", STAFF_PASSWORD, utcnow()) is None
    found = accounts.authenticate(session, user.email, STAFF_PASSWORD, utcnow())
    assert found is not None and found.id == user.id
    assert found.last_login_at is not None


def test_authenticate_refuses_a_deactivated_account(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.lead, active=False)
    assert accounts.authenticate(session, user.email, STAFF_PASSWORD, utcnow()) is None


def test_authenticate_upgrades_a_hash_made_with_weaker_parameters(
    session: Session, make_user: Callable[..., User]
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STAFF_PASSWORD)
    user = make_user(Role.lead)
    stored = session.get(User, user.id)
    assert stored is not None
    stored.password_hash = weak
    assert accounts.authenticate(session, user.email, STAFF_PASSWORD, utcnow()) is stored
    assert stored.password_hash != weak
    assert not PasswordHasher().check_needs_rehash(stored.password_hash)


def test_changing_the_password_draws_a_new_session_token(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = session.get(User, make_user(Role.organizer).id)
    assert user is not None
    token = user.session_token
    with pytest.raises(accounts.AccountError) as refused:
        accounts.change_password(session, user, "not my password", "a brand new secret", utcnow())
    assert refused.value.field == "current"
    assert user.session_token == token
    accounts.change_password(session, user, STAFF_PASSWORD, "a brand new secret", utcnow())
    assert user.session_token != token
    assert PasswordHasher().verify(user.password_hash, "a brand new secret")
    assert len(_entries(session, "user.password")) == 1


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = session.get(User, make_user(Role.admin).id)
    assert admin is not None
    for change in (
        accounts.AccountChange(name="", role=Role.lead, active=True),
        accounts.AccountChange(name="", role=Role.admin, active=False),
    ):
        with pytest.raises(accounts.AccountError, match="at least one active admin"):
            accounts.update_user(session, admin, change, admin)
    other = session.get(User, make_user(Role.admin).id)
    assert other is not None
    accounts.update_user(
        session, admin, accounts.AccountChange(name="Ex", role=Role.lead, active=True), other
    )
    assert admin.role == Role.lead
    [entry] = _entries(session, "user.update")
    assert entry.user_id == other.id


def test_deactivating_an_account_ends_its_sessions(
    session: Session, make_user: Callable[..., User]
) -> None:
    admin = session.get(User, make_user(Role.admin).id)
    lead = session.get(User, make_user(Role.lead).id)
    assert admin is not None and lead is not None
    token = lead.session_token
    accounts.update_user(
        session, lead, accounts.AccountChange(name="", role=Role.lead, active=False), admin
    )
    assert lead.session_token != token and not lead.active


def test_roles_include_the_ones_below(make_user: Callable[..., User]) -> None:
    organizer, lead, admin = (make_user(role) for role in (Role.organizer, Role.lead, Role.admin))
    assert [organizer.can(r) for r in Role] == [True, False, False]
    assert [lead.can(r) for r in Role] == [True, True, False]
    assert [admin.can(r) for r in Role] == [True, True, True]
    inactive = make_user(Role.admin, active=False)
    assert not inactive.can(Role.organizer)


def test_accounts_are_listed_admins_first(session: Session, make_user: Callable[..., User]) -> None:
    for role in (Role.organizer, Role.admin, Role.lead):
        make_user(role)
    assert [user.role for user in accounts.list_users(session)] == [
        Role.admin,
        Role.lead,
        Role.organizer,
    ]


def test_the_dashboard_time_zone_is_kept_only_when_real(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.organizer)
    assert accounts.set_time_zone(session, user, "America/Regina") is True
    assert accounts.set_time_zone(session, user, "America/Regina") is False
    with pytest.raises(ValueError):
        accounts.set_time_zone(session, user, "Mars/Olympus")
    assert user.time_zone == "America/Regina"
