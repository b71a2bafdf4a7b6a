"""Slow down password guessing without locking the real owner out. Domain code, no Flask.

Two counts of wrong passwords, both in the database so that every web process (and
every gunicorn worker) shares them:

- per account *and* address: a few tries are free, then each further wrong password
  makes the next try wait twice as long (up to a ceiling). Someone guessing from one
  address is slowed down; the owner, from their own address, is not affected.
- per address, any account: looser, for one address trying many accounts.

A count is forgotten some time after its last wrong password; a right password clears
the account-and-address count. Keys are HMACs of the address and the email with the app's
secret, so neither is stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from callmp.db import insert_once, lock_keys, utcnow
from callmp.models import LoginFailures


@dataclass(frozen=True)
class Backoff:
    """How many wrong passwords are free, and how long each further one makes us wait."""

    free: int
    first_wait: timedelta
    longest_wait: timedelta
    forget_after: timedelta = timedelta(hours=1)

    def wait_after(self, failures: int) -> timedelta | None:
        """The wait after the ``failures``-th wrong password in a row (None: no wait)."""
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 20)
        wait: timedelta = min(self.first_wait * 2**doublings, self.longest_wait)
        return wait


@dataclass(frozen=True)
class LoginKeys:
    """The two counts a login attempt belongs to."""

    account_address: str
    address: str


@dataclass
class LoginLimits:
    """The login limits of one app: both back-offs, the secret for keys, and the clock."""

    secret: bytes
    per_account_address: Backoff
    per_address: Backoff
    clock: Callable[[], datetime] = field(default=utcnow)

    def keys(self, email: str, address: str) -> LoginKeys:
        """The keys of a login to ``email`` from ``address`` (keyed hashes of both)."""
        email = email.strip().lower()
        return LoginKeys(
            account_address="aa:" + self._hash(f"{email}\n{address}"),
            address="a:" + self._hash(address),
        )

    def _hash(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:64]

    def wait(self, session: Session, keys: LoginKeys) -> timedelta | None:
        """How long this login must wait before its password is checked (None: go ahead).

        Locks both keys until the transaction ends: the caller checks the password and
        counts a wrong one (``failed``) before committing. Otherwise guesses sent at once
        would all read "no wait" before any was counted, and all be checked.
        """
        lock_keys(session, "login:" + keys.account_address, "login:" + keys.address)
        now = self.clock()
        query = select(LoginFailures.blocked_until).where(
            LoginFailures.key.in_((keys.account_address, keys.address))
        )
        until = [found for found in session.scalars(query) if found is not None and found > now]
        return max(until) - now if until else None

    def failed(self, session: Session, keys: LoginKeys) -> None:
        """Count a wrong password against both keys (flushes; the caller commits)."""
        now = self.clock()
        _count(session, keys.account_address, self.per_account_address, now)
        _count(session, keys.address, self.per_address, now)
        forgotten = now - max(self.per_account_address.forget_after, self.per_address.forget_after)
        session.execute(delete(LoginFailures).where(LoginFailures.last_failure_at < forgotten))

    def succeeded(self, session: Session, keys: LoginKeys) -> None:
        """The right password: the owner's count from this address starts again."""
        session.execute(delete(LoginFailures).where(LoginFailures.key == keys.account_address))


def _count(session: Session, key: str, backoff: Backoff, now: datetime) -> None:
    """One more wrong password for ``key``, atomically (several processes may count at
    once), and the wait it earns."""
    insert_once(session, LoginFailures, {"key": key, "failures": 0, "last_failure_at": now})
    row = LoginFailures.key == key
    session.execute(
        update(LoginFailures)
        .where(row, LoginFailures.last_failure_at < now - backoff.forget_after)
        .values(failures=0, blocked_until=None)
    )
    failures = session.execute(
        update(LoginFailures)
        .where(row)
        .values(failures=LoginFailures.failures + 1, last_failure_at=now)
        .returning(LoginFailures.failures)
    ).scalar_one()
    wait = backoff.wait_after(failures)
    if wait is not None:
        session.execute(update(LoginFailures).where(row).values(blocked_until=now + wait))
