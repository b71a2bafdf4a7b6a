"""A call's row as Twilio's webhooks read and write it: one SELECT, guarded one-statement writes.

Domain code: no Flask. A webhook needs a handful of the request's columns, not a mapped
object: ``load`` reads them into a ``CallRow`` with one Core SELECT, without the ORM's
identity map and attribute instrumentation. Each write is one ``UPDATE ... WHERE`` whose
guard is checked by the database (a stale or racing delivery writes nothing), built
once per process with bound parameters: a webhook only binds values, where building the
statement anew cost more than running it.

The writers take a ``CallRow`` or a loaded ``CallRequest`` (domain code and tests hold
those) and, when the row matched, give the call the values written, so what the caller
holds stays what is stored.

Every function here runs its statements on a Core ``Connection``: given a ``Session`` (as
domain code and tests hold), the session's own; given a ``Connection`` (as the webhook
routes hold: one per request, in one transaction they commit), that one. A webhook needs
no ORM session at all, whose begin, commit and close cost about as much as a statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Insert,
    String,
    Update,
    and_,
    bindparam,
    case,
    cast,
    exists,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from callmp.db import Base, utcnow
from callmp.models import CallRequest, CallStatus, ContactEvent
from callmp.models.calls import FINAL, RANK

#: Statuses a request may still leave.
OPEN = tuple(status for status in CallStatus if status not in FINAL)


@dataclass(slots=True)
class CallRow:
    """The columns of one call request its webhooks read (never its phone number)."""

    id: int
    public_id: str
    campaign_id: int
    fed_num: int | None
    locale: str
    referral: str
    share_source: str
    phone_hmac: str
    status: CallStatus
    error_reason: str
    provider_sid: str | None
    step: int
    office_try: int
    plan: str | None
    created_at: datetime


#: What the webhooks read of a call request: a ``CallRow``, or a loaded ``CallRequest``
#: (domain code and tests hold those).
CallLike = CallRow | CallRequest

#: Where the webhooks' statements run: an ORM session, or a Core connection in a
#: transaction (the webhook routes'); either way the caller commits.
Db = Session | Connection


def connection(db: Db) -> Connection:
    """The Core connection of ``db``: itself, or the session's (in its transaction)."""
    return db if isinstance(db, Connection) else db.connection()


def orm_session(db: Db) -> Session:
    """An ORM session on ``db``'s transaction: itself, or one joined to the connection.

    For the rare paths that need mapped objects (a plan built for a call stored without
    one); the joined session neither commits nor rolls back the connection's transaction.
    """
    return db if isinstance(db, Session) else Session(bind=db)


_ROW_FIELDS = frozenset(CallRow.__slots__)
_COLUMNS = (
    CallRequest.id,
    CallRequest.public_id,
    CallRequest.campaign_id,
    CallRequest.fed_num,
    CallRequest.locale,
    CallRequest.referral,
    CallRequest.share_source,
    CallRequest.phone_hmac,
    CallRequest.status,
    CallRequest.error_reason,
    CallRequest.provider_sid,
    CallRequest.step,
    CallRequest.office_try,
    CallRequest.plan,
    CallRequest.created_at,
)
_LOAD = select(*_COLUMNS).where(CallRequest.public_id == bindparam("public_id"))


def load(db: Db, public_id: str) -> CallRow | None:
    """The request with opaque id ``public_id`` as a ``CallRow``, or None."""
    if not public_id or len(public_id) > 32:
        return None
    row = connection(db).execute(_LOAD, {"public_id": public_id}).first()
    return None if row is None else CallRow(*row)  # type: ignore[call-arg]


def dial_key(call_id: int, step: int, office: int) -> str:
    """The ``dedupe_key`` of the contact event for office ``office`` of target ``step``."""
    return f"b:{call_id}:{step}:{office}"


# The dial action's event joined by its key (unique: at most one row), built in SQL as
# ``dial_key`` builds it in Python: "b:" || call id || ":step:office".
_DIAL_EVENT = (
    select(*_COLUMNS, ContactEvent.id)
    .select_from(
        CallRequest.__table__.outerjoin(
            ContactEvent.__table__,
            ContactEvent.dedupe_key
            == literal("b:", String)
            + cast(CallRequest.id, String)
            + bindparam("suffix", type_=String),
        )
    )
    .where(CallRequest.public_id == bindparam("public_id"))
)


def load_dialled(db: Db, public_id: str, step: int, office: int) -> tuple[CallRow, bool] | None:
    """``load``, and whether the dial of office ``office`` of target ``step`` is counted.

    One SELECT instead of ``load`` then ``counted``: a dial action's replay check rides
    on the call's load (the INSERT ... ON CONFLICT stays the guard when two race).
    """
    if not public_id or len(public_id) > 32:
        return None
    params = {"public_id": public_id, "suffix": f":{step}:{office}"}
    row = connection(db).execute(_DIAL_EVENT, params).first()
    if row is None:
        return None
    *columns, event_id = tuple[Any, ...](row)
    return CallRow(*columns), event_id is not None


def remember(call: CallLike, values: dict[str, Any]) -> None:
    """Give ``call`` the values just written to its row (nothing left for a flush)."""
    if isinstance(call, CallRequest):
        for name, value in values.items():
            set_committed_value(call, name, value)
    else:  # a CallRow holds no phone number and no update time
        for name, value in values.items():
            if name in _ROW_FIELDS:
                setattr(call, name, value)


def _run(db: Db, statement: Update, params: dict[str, Any]) -> bool:
    """Run a guarded UPDATE of one row; True when the row matched."""
    written = connection(db).execute(statement, params)
    return getattr(written, "rowcount", 0) == 1


def _by_id() -> Any:
    """The WHERE clause's first part: this request's row."""
    return CallRequest.id == bindparam("row_id")


def _unowned() -> Any:
    """No other request holds provider id ``:sid`` (the column is unique)."""
    other = aliased(CallRequest)
    return ~exists().where(other.provider_sid == bindparam("sid"))


_LINK = (
    update(CallRequest)
    .where(_by_id(), CallRequest.provider_sid.is_(None), _unowned())
    .values(provider_sid=bindparam("sid"), updated_at=bindparam("now"))
)


def link(db: Db, call: CallLike, sid: str) -> bool:
    """Take ``sid`` as the call's provider id when a signed webhook names it first.

    After a timeout the provider may have created the call although we never learnt its
    id; its webhooks carry it. Once linked, no retry places the call a second time. One
    UPDATE ... WHERE provider_sid IS NULL and no request holds ``sid``: two webhooks racing
    link it once, and a sid another request owns is left alone.
    """
    if call.provider_sid or not sid:
        return False
    now = utcnow()
    sid = sid[:64]
    if not _run(db, _LINK, {"row_id": call.id, "sid": sid, "now": now}):
        return False
    remember(call, {"provider_sid": sid, "updated_at": now})
    return True


@lru_cache(maxsize=32)
def _move(status: CallStatus, with_reason: bool) -> Update:
    """UPDATE to ``status`` where the stored status is still earlier (built once)."""
    earlier = [held for held in OPEN if RANK[held] < RANK[status]]
    values: dict[str, Any] = {"status": status, "updated_at": bindparam("now")}
    if status in FINAL:
        values["phone"] = None  # keep the number only as long as the call needs it
    if with_reason:
        values["error_reason"] = bindparam("reason")
    return update(CallRequest).where(_by_id(), CallRequest.status.in_(earlier)).values(values)


def move_forward(
    db: Db, call: CallLike, status: CallStatus, *, error_reason: str | None = None
) -> bool:
    """Move the call to ``status``: one UPDATE ... WHERE the stored status is still earlier.

    Nothing is written when the loaded row is already at ``status`` or beyond (a replay or
    late news); a callback racing another one never moves the call backwards, whichever
    commits first. ``error_reason`` goes with the move.
    """
    if call.status in FINAL or RANK[status] <= RANK[call.status]:
        return False
    now = utcnow()
    params: dict[str, Any] = {"row_id": call.id, "now": now}
    if error_reason is not None:
        params["reason"] = error_reason
    if not _run(db, _move(status, error_reason is not None), params):
        return False
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status in FINAL:
        values["phone"] = None
    if error_reason is not None:
        values["error_reason"] = error_reason
    remember(call, values)
    return True


@lru_cache(maxsize=8)
def _link_and_move(status: CallStatus) -> Update:
    """``link`` and ``move_forward`` to ``status`` as one UPDATE ... RETURNING (built once)."""
    earlier = [held for held in OPEN if RANK[held] < RANK[status]]
    unlinked = and_(CallRequest.provider_sid.is_(None), _unowned())
    behind = CallRequest.status.in_(earlier)
    values: dict[str, Any] = {
        "provider_sid": case((unlinked, bindparam("sid")), else_=CallRequest.provider_sid),
        "status": case(
            (behind, bindparam("status", type_=CallRequest.status.type)),
            else_=CallRequest.status,
        ),
        "updated_at": bindparam("now"),
    }
    if status in FINAL:
        values["phone"] = case((behind, None), else_=CallRequest.phone)
    return (
        update(CallRequest)
        .where(_by_id(), or_(unlinked, behind))
        .values(values)
        .returning(CallRequest.provider_sid, CallRequest.status)
    )


def link_and_move(db: Db, call: CallLike, sid: str, status: CallStatus) -> None:
    """``link`` the provider's ``sid``, then ``move_forward`` to ``status``, in one statement.

    Each part keeps its own guard (in a CASE of its column): the sid is taken only while the
    row has none and no other request holds it, the status moves only forward, and a row
    where neither holds is not written. When only one part can apply, that part runs alone.
    """
    if call.provider_sid or not sid:
        move_forward(db, call, status)
        return
    if call.status in FINAL or RANK[status] <= RANK[call.status]:
        link(db, call, sid)
        return
    now = utcnow()
    params = {"row_id": call.id, "sid": sid[:64], "status": status, "now": now}
    row = connection(db).execute(_link_and_move(status), params).first()
    if row is None:
        return
    stored_sid, stored_status = row
    values: dict[str, Any] = {
        "provider_sid": stored_sid,
        "status": stored_status,
        "updated_at": now,
    }
    if stored_status == status and status in FINAL:
        values["phone"] = None
    remember(call, values)


_REACH = (
    update(CallRequest)
    .where(_by_id(), CallRequest.step < bindparam("to_step"))
    .values(step=bindparam("to_step"), updated_at=bindparam("now"))
)
_DIAL = (
    update(CallRequest)
    .where(
        _by_id(),
        or_(
            CallRequest.step < bindparam("to_step"),
            and_(
                CallRequest.step == bindparam("to_step"),
                CallRequest.office_try != bindparam("to_office"),
            ),
        ),
    )
    .values(
        step=bindparam("to_step"), office_try=bindparam("to_office"), updated_at=bindparam("now")
    )
)


def reach_step(db: Db, call: CallLike, step: int) -> bool:
    """Move the call on to target ``step``, never back: one UPDATE ... WHERE step < it."""
    if step <= call.step:  # nothing written on a replay
        return False
    now = utcnow()
    if not _run(db, _REACH, {"row_id": call.id, "to_step": step, "now": now}):
        return False
    remember(call, {"step": step, "updated_at": now})
    return True


def dial_office(db: Db, call: CallLike, step: int, office: int) -> bool:
    """Note that office ``office`` of target ``step`` is dialled, never moving back a target."""
    if step < call.step or (step == call.step and office == call.office_try):
        return False
    now = utcnow()
    params = {"row_id": call.id, "to_step": step, "to_office": office, "now": now}
    if not _run(db, _DIAL, params):
        return False
    remember(call, {"step": step, "office_try": office, "updated_at": now})
    return True


@lru_cache(maxsize=8)
def _insert_once(dialect: str, model: type[Base]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING its key, for ``model`` (built once)."""
    build = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = inspect(model).primary_key
    return build(model).on_conflict_do_nothing().returning(*key)


def insert_once(db: Db, model: type[Base], values: dict[str, Any]) -> bool:
    """Add one row of ``model`` unless its unique key is taken; True when it went in.

    RETURNING tells whether a row went in (PostgreSQL's rowcount is -1 either way).
    """
    conn = connection(db)
    statement = _insert_once(conn.dialect.name, model)
    return conn.execute(statement, values).first() is not None


_SEEN = select(ContactEvent.id).where(ContactEvent.dedupe_key == bindparam("key"))


def counted(db: Db, key: str) -> bool:
    """True when a contact event with ``dedupe_key`` ``key`` is stored."""
    return connection(db).execute(_SEEN, {"key": key}).first() is not None
