"""``/health`` (liveness, database, outbox backlog) and ``/notice/...`` (the H5 view of a bill
issued from the server's emergency stock: the pictureUrl of spec §3.4 for local bills)."""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import and_, select

from billing_core.envelope import loads
from billing_core.money import format_yuan, to_chinese_upper
from sync_server.api.notice_guard import LookupLimiter, mask_id, mask_name
from sync_server.context import ServerContext
from sync_server.outbox import queue as outbox
from sync_server.store.db import ping, read_tx
from sync_server.store.schema import bills

bp = Blueprint("health", __name__)


def limiter() -> LookupLimiter:
    """The /notice page's guessing protection of this app (created with it)."""
    found: LookupLimiter = current_app.extensions["sync_notice_limiter"]
    return found


@bp.get("/health")
def health() -> Any:
    """Liveness and backlog."""
    ctx: ServerContext = current_app.extensions["sync_server"]
    ok = ping(ctx.engine)
    backlog: dict[str, int] = {}
    if ok:
        with read_tx(ctx.engine) as conn:
            backlog = outbox.counts(conn)
    return jsonify({"status": "ok" if ok else "degraded", "database": ok, "outbox": backlog,
                    "instance": ctx.instance}), (200 if ok else 503)


@bp.get("/notice/<code>/<no>/<random>")
def notice(code: str, no: str, random: str) -> Any:
    """A minimal H5 notice of a locally issued bill (Chinese, escaped)."""
    ctx: ServerContext = current_app.extensions["sync_server"]
    address = request.remote_addr or ""
    wait = limiter().allow(address)
    if wait:
        return (f"查验过于频繁或失败次数过多，请{int(wait // 60) + 1}分钟后再试", 429,
                {"Content-Type": "text/plain; charset=utf-8", "Retry-After": str(int(wait) + 1)})
    with read_tx(ctx.engine) as conn:
        row = conn.execute(select(bills).where(and_(bills.c.bill_batch_code == code, bills.c.bill_no == no,
                                                    bills.c.random == random))).mappings().first()
    if row is None:
        limiter().failed(address)
        return "<html><body><p>未找到该票据</p></body></html>", 404
    req = loads(row["request_json"])
    amount = Decimal(row["total_amt"])
    items = "".join(f"<tr><td>{html.escape(str(i.get('chargeName', '')))}</td><td>{html.escape(str(i.get('amt')))}"
                    f"</td></tr>" for i in req.get("chargeDetail") or [])
    banner = "<h2>应急开票（待结转）</h2>" if row["origin"] != "online" else ""
    # personal data on a page anyone holding the code can open: masked (issue 14 §11)
    card = f"<p>证件号码：{html.escape(mask_id(str(req['cardNo'])))}</p>" if req.get("cardNo") else ""
    body = (f"<html><head><meta charset='utf-8'><title>医疗收费电子票据告知单</title></head><body>{banner}"
            f"<h1>医疗收费电子票据告知单</h1><p>票据代码：{html.escape(code)}</p><p>票据号码：{html.escape(no)}</p>"
            f"<p>校验码：{html.escape(random)}</p><p>交款人：{html.escape(mask_name(str(row['payer'] or '')))}</p>{card}"
            f"<p>金额：{format_yuan(amount)}（{to_chinese_upper(amount)}）</p><table>{items}</table></body></html>")
    return body, 200, {"Content-Type": "text/html; charset=utf-8"}
