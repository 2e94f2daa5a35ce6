"""The audit log for people: filtered (actor, action, entity, entity id, day range) and paged by id
(newest first; a page is the rows below an id, so new rows never shift a page being read)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select

from sync_server.store.schema import audit_log

PAGE = 50


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What the logs page asks for; empty fields do not filter. Days are ``YYYYMMDD``."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    entity_id: str = ""
    day_from: str = ""
    day_to: str = ""
    before: int = 0  # rows with a smaller id (0 = from the newest)


def page(conn: Connection, f: LogFilter, size: int = PAGE) -> tuple[list[dict[str, Any]], int | None]:
    """One page of audit rows and the ``before`` of the next page (None: last page)."""
    where = []
    for column, value in ((audit_log.c.actor, f.actor), (audit_log.c.action, f.action),
                          (audit_log.c.entity, f.entity), (audit_log.c.entity_id, f.entity_id)):
        if value:
            where.append(column == value[:80])
    if f.day_from.isdigit() and len(f.day_from) == 8:
        where.append(audit_log.c.at >= f.day_from + "000000000")
    if f.day_to.isdigit() and len(f.day_to) == 8:
        where.append(audit_log.c.at <= f.day_to + "235959999")
    if f.before > 0:
        where.append(audit_log.c.id < f.before)
    rows = [dict(r) for r in conn.execute(
        select(audit_log.c.id, audit_log.c.at, audit_log.c.actor, audit_log.c.caller, audit_log.c.terminal,
               audit_log.c.action, audit_log.c.entity, audit_log.c.entity_id, audit_log.c.before_json,
               audit_log.c.after_json).where(and_(True, *where)).order_by(audit_log.c.id.desc()).limit(size + 1))
        .mappings()]
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1]["id"] if more and rows else None)
