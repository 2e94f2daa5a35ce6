"""The audit log viewer (issue 18 §4): read-only, filtered, with the hash chain's verification.

Terminal api ``auditLog``: ``{dateFrom, dateTo, actor?, action?, entity?, entityId?, page?,
pageSize?}`` -> ``{rows: [{id, at, actor, caller, terminal, action, entity, entityId, before,
after}], rowCount, page, pageSize, chain: {ok, rows, brokenId, reason}}``. The chain is verified
over the whole log (security/audit.verify_chain), not only the page: a row removed or altered
anywhere shows as broken, with the first broken row's id. Before/after JSON is shown as stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select

from sync_server.context import ServerContext
from sync_server.reports.filters import int_field, parse_filter, text_field
from sync_server.security.audit import verify_chain
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log


def view(ctx: ServerContext, data: dict[str, Any]) -> dict[str, Any]:
    """One page of the filtered audit log and the chain's state (E5970 for a bad filter)."""
    f = parse_filter({k: v for k, v in data.items() if k in ("dateFrom", "dateTo")})
    cond = [audit_log.c.at >= f.lo, audit_log.c.at < f.hi]
    for key, col, label in (("actor", audit_log.c.actor, "操作人"), ("action", audit_log.c.action, "操作"),
                            ("entity", audit_log.c.entity, "对象类型"), ("entityId", audit_log.c.entity_id, "对象编号")):
        value = text_field(data, key, label, 80)
        if value:
            cond.append(col == value)
    page = int_field(data, "page", "页码", 1, 1_000_000)
    size = int_field(data, "pageSize", "每页条数", 100, 500)
    where = and_(*cond)
    with read_tx(ctx.engine) as conn:
        count = conn.execute(select(func.count()).select_from(audit_log).where(where)).scalar() or 0
        rows = conn.execute(select(audit_log).where(where).order_by(audit_log.c.id.desc())
                            .limit(size).offset((page - 1) * size)).mappings().all()
        chain = verify_chain(conn)
    return {"rows": [{"id": str(r["id"]), "at": r["at"], "actor": r["actor"], "caller": r["caller"] or "",
                      "terminal": r["terminal"] or "", "action": r["action"], "entity": r["entity"],
                      "entityId": r["entity_id"] or "", "before": r["before_json"] or "",
                      "after": r["after_json"] or ""} for r in rows],
            "rowCount": str(count), "page": str(page), "pageSize": str(size),
            "chain": {"ok": "1" if chain.ok else "0", "rows": str(chain.rows),
                      "brokenId": str(chain.broken_id or ""), "reason": chain.reason}}
