"""The query plans of the statements our own functions issue, on SQLite and PostgreSQL.

A function runs with a SQLAlchemy ``before_cursor_execute`` listener that records each
statement with its parameters; each SELECT, UPDATE or DELETE is then explained on the
same connection (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN (FORMAT JSON)`` on
PostgreSQL) and its plan reduced to the tables it reads and how.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

#: Statements worth explaining: the rest (INSERT, locks, SAVEPOINT) read no table range.
_EXPLAINED = ("SELECT", "UPDATE", "DELETE", "WITH")

#: PostgreSQL node types that read an index within the bounds of an "Index Cond".
_INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


@dataclass(frozen=True)
class Step:
    """One table access of a plan: which table, through which index, and whether bounded.

    ``bounded`` is False for a full scan, of the table or of a whole index alike.
    """

    table: str
    index: str
    bounded: bool
    detail: str


@dataclass(frozen=True)
class Explained:
    """One statement a function issued, and its plan."""

    sql: str
    steps: list[Step]

    def __str__(self) -> str:
        return self.sql + "\n" + "\n".join(f"    {step.detail}" for step in self.steps)


def _sqlite_steps(connection: Connection, sql: str, parameters: Any) -> list[Step]:
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
    steps = []
    for row in rows:
        detail = str(row[-1])
        found = re.match(r"(SCAN|SEARCH) (\S+)", detail)
        if found is None:
            continue  # a subquery's header, a temporary B-tree for ORDER BY ...
        index = re.search(
            r"USING (?:COVERING |AUTOMATIC (?:PARTIAL )?COVERING )?INDEX (\S+)", detail
        )
        steps.append(
            Step(
                table=found.group(2),
                index=index.group(1) if index else "",
                bounded=found.group(1) == "SEARCH",
                detail=detail,
            )
        )
    return steps


def _pg_nodes(node: dict[str, Any], table: str = "") -> Iterator[Step]:
    kind = str(node.get("Node Type", ""))
    relation = str(node.get("Relation Name", table))
    if kind == "Seq Scan" or kind in _INDEX_NODES:
        index = str(node.get("Index Name", ""))
        bounded = kind != "Seq Scan" and "Index Cond" in node
        yield Step(relation, index, bounded, f"{kind} on {relation} {index}".strip())
    for child in node.get("Plans", []):
        yield from _pg_nodes(child, relation)


def _pg_steps(connection: Connection, sql: str, parameters: Any) -> list[Step]:
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, parameters).scalar_one()
    return list(_pg_nodes(plan[0]["Plan"]))


def explain(session: Session, sql: str, parameters: Any) -> Explained:
    """The plan of one statement, on the session's connection and transaction."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return Explained(sql, _sqlite_steps(connection, sql, parameters))
    return Explained(sql, _pg_steps(connection, sql, parameters))


def plans_of(session: Session, run: Callable[[], object]) -> list[Explained]:
    """Run ``run`` and explain every SELECT, UPDATE and DELETE it issued, in order."""
    engine = session.get_bind()
    issued: list[tuple[str, Any]] = []

    def record(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not many and sql.lstrip().upper().startswith(_EXPLAINED):
            issued.append((sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return [explain(session, sql, parameters) for sql, parameters in issued]


def full_scans(plans: list[Explained], tables: set[str]) -> list[str]:
    """The plans that read the whole of one of ``tables`` (or the whole of one of its
    indexes), each shown with its statement."""
    return [
        str(plan)
        for plan in plans
        if any(step.table in tables and not step.bounded for step in plan.steps)
    ]


def indexes_used(plans: list[Explained]) -> set[str]:
    """Every index a bounded step of these plans reads."""
    return {step.index for plan in plans for step in plan.steps if step.bounded and step.index}
