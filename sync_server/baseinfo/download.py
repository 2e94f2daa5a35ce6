"""财政基础信息下载 (issue 18 §4): the unit, its bill kinds and the income items, downloaded from
the finance platform (our ``getBaseInfo`` extension, docs/REPORTS.md) into ``fin_base_info``.

Terminal api ``financeBaseInfo``: ``{action: download}`` fetches all three kinds first and then
replaces the stored rows of each kind in one transaction with one audit row (a platform that
answers one kind and fails the next changes nothing); ``{action: list, kind?}`` reads them back.
Unreachable or refusing platform: E5974 with the platform's reason, nothing written.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, insert, select

from billing_core import methods
from billing_core.clock import ts17
from sync_server.baseinfo.errors import BaseInfoDownloadError
from sync_server.connectors.errors import ConnectorError
from sync_server.context import ServerContext
from sync_server.security.audit import Actor, audit
from sync_server.store.baseinfo_schema import fin_base_info
from sync_server.store.db import read_tx, write_tx

#: wire kind -> stored kind (store/baseinfo_schema.BASE_KINDS)
WIRE_KINDS = {"unit": "unit", "billKind": "bill_kind", "incomeItem": "income_item"}
LABELS = {"unit": "单位信息", "billKind": "票据种类", "incomeItem": "收入项目"}


def _fetch(ctx: ServerContext, kind: str) -> list[dict[str, Any]]:
    try:
        got = ctx.upstream.call(methods.GET_BASE_INFO, {"kind": kind})
    except ConnectorError as exc:
        raise BaseInfoDownloadError(f"财政基础信息（{LABELS[kind]}）下载失败：{exc.message}") from None
    rows = got.get("list") if isinstance(got, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and r.get("code") and r.get("name") for r in rows):
        raise BaseInfoDownloadError(f"财政基础信息（{LABELS[kind]}）应答格式不正确")
    return rows


def download(ctx: ServerContext, who: Actor) -> dict[str, Any]:
    """Fetch every kind, then replace the stored rows; the counts per kind."""
    fetched = {kind: _fetch(ctx, kind) for kind in WIRE_KINDS}
    now = ts17(ctx.clock.now())
    with write_tx(ctx.engine) as conn:
        before = {k: n for k, n in conn.execute(select(fin_base_info.c.kind, fin_base_info.c.code))}
        conn.execute(delete(fin_base_info))
        rows = [{"kind": WIRE_KINDS[kind], "code": str(r["code"])[:50], "name": str(r["name"])[:200],
                 "parent_code": str(r.get("parentCode") or "")[:50] or None,
                 "detail_json": json.dumps(r, ensure_ascii=False), "downloaded_at": now}
                for kind, items in fetched.items() for r in items]
        if rows:
            conn.execute(insert(fin_base_info), rows)
        counts = {kind: str(len(items)) for kind, items in fetched.items()}
        audit(conn, ctx.clock, who, "download_base_info", "fin_base_info", None, {"rows": len(before)}, counts)
    return {"downloadedAt": now, "counts": counts}


def listing(ctx: ServerContext, kind: str = "") -> dict[str, Any]:
    """The stored rows (of one wire kind, or all), by kind and code."""
    q = select(fin_base_info).order_by(fin_base_info.c.kind, fin_base_info.c.code)
    if kind:
        if kind not in WIRE_KINDS:
            raise BaseInfoDownloadError(f"kind（基础信息类型）必须是：{'、'.join(WIRE_KINDS)}")
        q = q.where(fin_base_info.c.kind == WIRE_KINDS[kind])
    back = {v: k for k, v in WIRE_KINDS.items()}
    with read_tx(ctx.engine) as conn:
        return {"rows": [{"kind": back[r["kind"]], "code": r["code"], "name": r["name"],
                          "parentCode": r["parent_code"] or "", "downloadedAt": r["downloaded_at"]}
                         for r in conn.execute(q).mappings()]}


def handle(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """One ``financeBaseInfo`` request."""
    action = str(data.get("action") or "list")
    if action == "download":
        return download(ctx, who)
    if action == "list":
        return listing(ctx, str(data.get("kind") or ""))
    raise BaseInfoDownloadError("action（操作）必须是：download、list")
