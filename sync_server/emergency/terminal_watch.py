"""Watching terminals from the server: heartbeat status, upload-overdue alarm, low-stock warning.

Issue 7 §3/§6 want these on *both* sides: the terminal warns its cashier; the server warns the
people who can act when the terminal cannot (finance, IT). From each heartbeat
(``{terminalId, placeCode, stockRemaining, pendingUploads, oldestPending}``) the server keeps the
terminal's figures and raises or clears:

* **E5420 overdue** — the oldest emergency bill the terminal still holds is older than the upload
  deadline (offline_rules.md §6.4: Brazil 24 h, China tax devices ~48 h);
* **E5421 low stock** — fewer unused emergency numbers than the threshold (the terminal's own
  figure, or the server's count of unseen numbers in its active blocks);
* **E5422 silent** (:func:`scan`) — a terminal holding emergency stock has not been heard of
  for longer than the deadline: its offline bills, if any, are overdue by now.

An alarm stays ``open`` (one per terminal and kind) until the condition clears; raising and
clearing write audit rows. Thresholds are settings (table ``settings``), changeable at run time
(``python -m sync_server emergency set``): ``terminal_upload_deadline_hours`` (24) and
``terminal_low_stock`` (20).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from billing_core.clock import parse_ts17, ts17
from billing_core.envelope import dumps
from sync_server.context import ServerContext
from sync_server.emergency import errors as ee
from sync_server.emergency.terminal_stock import revoked_blocks, unused_numbers
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.emergency_schema import terminal_alarms, terminal_status
from sync_server.store.schema import settings, stock_ranges

log = logging.getLogger(__name__)
DEFAULTS = {"terminal_upload_deadline_hours": "24", "terminal_low_stock": "20"}


def setting(conn: Connection, name: str) -> float:
    """A numeric setting (DEFAULTS when unset)."""
    value = conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar()
    return float(value if value is not None else DEFAULTS[name])


def set_setting(ctx: ServerContext, name: str, value: str) -> None:
    """Change a threshold (validated as a positive number)."""
    if name not in DEFAULTS:
        raise KeyError(name)
    if float(value) <= 0:
        raise ValueError(value)
    with write_tx(ctx.engine) as conn:
        if conn.execute(update(settings).where(settings.c.name == name).values(value=str(value))).rowcount == 0:
            conn.execute(insert(settings).values(name=name, value=str(value)))
        audit(conn, ctx.clock, SERVER, "setting", "setting", name, None, {"value": str(value)})


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any, size: int) -> str | None:
    return str(value)[:size] if value not in (None, "") else None


def reported_health(data: dict[str, Any]) -> dict[str, Any]:
    """The heartbeat's self-report (kiosks send it; an older terminal sends none): bounded in size,
    the device table as JSON of ``{role: {ok, detail}}``."""
    devices = data.get("devices")
    table = None
    if isinstance(devices, dict):
        table = dumps({str(role)[:32]: {"ok": bool(v.get("ok")), "detail": str(v.get("detail") or "")[:120]}
                       for role, v in list(devices.items())[:16] if isinstance(v, dict)})
    emergency = data.get("emergency")
    return {"kind": _text(data.get("kind"), 16), "software_version": _text(data.get("softwareVersion"), 40),
            "paper": _text(data.get("paper"), 16), "devices_json": table,
            "emergency": None if emergency is None else int(bool(emergency) and str(emergency) not in ("0", "false")),
            "unfinished_orders": _int(data.get("unfinishedOrders")),
            # the pushed terminalConfig version it applied (issue 19: the management web shows it)
            "config_version": _int(data.get("configVersion"))}


def heartbeat(ctx: ServerContext, terminal: str, data: dict[str, Any]) -> dict[str, Any]:
    """Record a heartbeat; the extra answer fields ``revokedBlocks`` and ``alarms``."""
    now = ctx.clock.now()
    oldest = str(data.get("oldestPending") or "") or None
    row = {"place_code": str(data.get("placeCode") or "") or None, "stock_remaining": _int(data.get("stockRemaining")),
           "pending_uploads": _int(data.get("pendingUploads")), "oldest_pending": oldest, "last_seen": ts17(now),
           **reported_health(data)}
    with write_tx(ctx.engine) as conn:
        if conn.execute(update(terminal_status).where(terminal_status.c.terminal_id == terminal)
                        .values(**row)).rowcount == 0:
            conn.execute(insert(terminal_status).values(terminal_id=terminal, **row))
    alarms = evaluate(ctx, terminal)
    return {"revokedBlocks": revoked_blocks(ctx, terminal),
            "alarms": [{"code": a["code"], "kind": a["kind"], "message": a["message"]} for a in alarms]}


def evaluate(ctx: ServerContext, terminal: str) -> list[dict[str, Any]]:
    """Raise or clear the terminal's alarms from its last status; the open ones."""
    now = ctx.clock.now()
    with read_tx(ctx.engine) as conn:
        st = conn.execute(select(terminal_status).where(terminal_status.c.terminal_id == terminal)).mappings().first()
        hours = setting(conn, "terminal_upload_deadline_hours")
        low = setting(conn, "terminal_low_stock")
        holds = conn.execute(select(stock_ranges.c.id).where(and_(
            stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == terminal,
            stock_ranges.c.state == "active"))).first() is not None
    want: dict[str, tuple[str, str] | None] = {"overdue": None, "low_stock": None, "silent": None}
    deadline = timedelta(hours=hours)
    if st is not None and st["oldest_pending"] and (st["pending_uploads"] or 0) > 0:
        try:
            oldest = parse_ts17(st["oldest_pending"])
        except ValueError:
            oldest = None
        if oldest is not None and now - oldest > deadline:
            want["overdue"] = (ee.OverdueAlarm.code,
                               f"终端{terminal}有{st['pending_uploads']}张应急票据超过上传期限（{hours:g}小时）未上传，"
                               f"最早一张开具于{oldest:%Y-%m-%d %H:%M}")
    if holds:
        left = st["stock_remaining"] if st is not None and st["stock_remaining"] is not None \
            else unused_numbers(ctx, terminal)
        if left < low:
            want["low_stock"] = (ee.LowStockWarning.code,
                                 f"终端{terminal}应急票据库存仅剩{left}张（预警线{low:g}张），请及时发放应急库存")
        seen = parse_ts17(st["last_seen"]) if st is not None else None
        if seen is not None and now - seen > deadline:
            want["silent"] = (ee.SilentTerminalAlarm.code,
                              f"终端{terminal}持有应急号段，已{(now - seen).total_seconds() / 3600:.1f}小时未联系服务器"
                              f"（上传期限{hours:g}小时），其离线开具的应急票据可能已逾期")
    return _apply(ctx, terminal, want)


def _apply(ctx: ServerContext, terminal: str, want: dict[str, tuple[str, str] | None]) -> list[dict[str, Any]]:
    now = ts17(ctx.clock.now())
    with write_tx(ctx.engine) as conn:
        open_rows = {r["kind"]: r for r in conn.execute(select(terminal_alarms).where(and_(
            terminal_alarms.c.terminal_id == terminal, terminal_alarms.c.state == "open"))).mappings()}
        for kind, got in want.items():
            row = open_rows.get(kind)
            if got is None and row is not None:
                conn.execute(update(terminal_alarms).where(terminal_alarms.c.id == row["id"])
                             .values(state="closed", closed_at=now))
                audit(conn, ctx.clock, SERVER, "alarm_cleared", "terminal_alarm", row["id"], {"state": "open"},
                      {"state": "closed", "kind": kind, "terminal": terminal})
            elif got is not None and row is None:
                aid = inserted_id(conn.execute(insert(terminal_alarms).values(
                    terminal_id=terminal, kind=kind, code=got[0], message=got[1], state="open",
                    raised_at=now)))
                audit(conn, ctx.clock, SERVER, "alarm_raised", "terminal_alarm", aid, None,
                      {"kind": kind, "code": got[0], "message": got[1], "terminal": terminal})
                log.warning("%s %s", got[0], got[1])
            elif got is not None and row is not None and row["message"] != got[1]:
                conn.execute(update(terminal_alarms).where(terminal_alarms.c.id == row["id"]).values(message=got[1]))
        rows = conn.execute(select(terminal_alarms).where(and_(
            terminal_alarms.c.terminal_id == terminal, terminal_alarms.c.state == "open"))
            .order_by(terminal_alarms.c.id)).mappings().all()
    return [dict(r) for r in rows]


def scan(ctx: ServerContext) -> list[dict[str, Any]]:
    """Evaluate every terminal that holds emergency stock or reported a status; all open alarms."""
    with read_tx(ctx.engine) as conn:
        names = {r[0] for r in conn.execute(select(stock_ranges.c.holder).where(and_(
            stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder.is_not(None))))}
        names |= {r[0] for r in conn.execute(select(terminal_status.c.terminal_id))}
    out: list[dict[str, Any]] = []
    for name in sorted(names):
        out.extend(evaluate(ctx, name))
    return out
