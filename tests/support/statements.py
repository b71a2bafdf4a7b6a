"""Count the SQL statements an engine runs: how tests hold a request's queries fixed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


@contextmanager
def statements(bound: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``bound`` inside the block, in order."""
    seen: list[str] = []

    def note(
        _conn: Connection, _cursor: object, sql: str, _params: object, _ctx: object, _many: bool
    ) -> None:
        """Remember one statement."""
        seen.append(sql)

    event.listen(bound, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(bound, "before_cursor_execute", note)
