"""The terminals as the management web shows them: every registered terminal (caller kinds
terminal, kiosk, ward), its scene, and what its last heartbeat said (terminal_status): device
health, paper, software version, emergency mode, emergency stock and journal backlog, the pushed
configuration version it applied, open alarms — with a silent terminal marked stale."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select

from billing_core import terminal_params as tp
from billing_core.clock import parse_ts17
from sync_server.store.emergency_schema import terminal_alarms, terminal_status
from sync_server.store.schema import audit_log, caller_points, callers

#: A terminal not heard of for longer than this is shown as stale (terminals beat every few seconds
#: to a minute; five minutes of silence means it is off, offline or hung).
STALE_AFTER = timedelta(minutes=5)
#: device roles as the kiosk names them (workflows.kiosk.kiosk.LABELS; its heartbeat sends the roles)
DEVICE_NAMES = {"receipt_printer": "凭条打印机", "bill_printer": "票据打印机", "ssc_reader": "社保卡读卡器",
                "id_reader": "身份证读卡器", "scanner": "扫码器", "camera": "摄像头", "card_reader": "读卡器",
                "cash_acceptor": "纸币识别器"}
PAPER_NAMES = {"ok": "正常", "low": "纸将尽", "out": "缺纸", "unknown": "未知"}


def _devices(raw: str | None) -> list[dict[str, Any]]:
    if not raw:
        return []
    try:
        table = json.loads(raw)
    except ValueError:
        return []
    return [{"role": DEVICE_NAMES.get(str(role), str(role)), "ok": bool(v.get("ok")), "detail": str(v.get("detail") or "")}
            for role, v in table.items() if isinstance(v, dict)]


def _row(c: Any, st: Any, places: list[str], alarms: int, now: datetime) -> dict[str, Any]:
    scene = tp.SCENE_OF_KIND.get(c["kind"], "")
    seen = st["last_seen"] if st is not None else None
    stale = True
    if seen:
        try:
            stale = now - parse_ts17(seen) > STALE_AFTER
        except ValueError:
            stale = True
    devices = _devices(st["devices_json"]) if st is not None else []
    return {
        "appid": c["appid"], "name": c["name"], "kind": c["kind"], "scene": scene,
        "sceneName": tp.SCENE_NAMES.get(scene, c["kind"]), "enabled": bool(c["enabled"]), "places": places,
        "lastSeen": seen, "stale": stale, "reported": st is not None,
        "softwareVersion": st["software_version"] if st is not None else None,
        "paper": PAPER_NAMES.get(str(st["paper"]), st["paper"]) if st is not None and st["paper"] else None,
        "emergency": bool(st["emergency"]) if st is not None and st["emergency"] is not None else None,
        "stockRemaining": st["stock_remaining"] if st is not None else None,
        "pendingUploads": st["pending_uploads"] if st is not None else None,
        "oldestPending": st["oldest_pending"] if st is not None else None,
        "unfinishedOrders": st["unfinished_orders"] if st is not None else None,
        "configVersion": st["config_version"] if st is not None else None,
        "devices": devices, "devicesOk": all(d["ok"] for d in devices), "openAlarms": alarms,
        "hasSm2Key": bool(c["sm2_public_key"]),
    }


def terminals(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    """Every terminal, by appid."""
    status = {r["terminal_id"]: r for r in conn.execute(select(terminal_status)).mappings()}
    places: dict[int, list[str]] = {}
    for cid, place in conn.execute(select(caller_points.c.caller_id, caller_points.c.place_code)
                                   .order_by(caller_points.c.place_code)):
        places.setdefault(cid, []).append(place)
    alarms: dict[str, int] = {}
    for (tid,) in conn.execute(select(terminal_alarms.c.terminal_id).where(terminal_alarms.c.state == "open")):
        alarms[tid] = alarms.get(tid, 0) + 1
    rows = conn.execute(select(callers).where(callers.c.kind.in_(sorted(tp.SCENE_OF_KIND)))
                        .order_by(callers.c.appid)).mappings().all()
    return [_row(c, status.get(c["appid"]), places.get(c["id"], []), alarms.get(c["appid"], 0), now) for c in rows]


def terminal(conn: Connection, appid: str, now: datetime) -> dict[str, Any] | None:
    """One terminal with its alarms (open and recent) and its last audit rows; None when unknown."""
    c = conn.execute(select(callers).where(and_(callers.c.appid == appid,
                                                callers.c.kind.in_(sorted(tp.SCENE_OF_KIND))))).mappings().first()
    if c is None:
        return None
    st = conn.execute(select(terminal_status).where(terminal_status.c.terminal_id == appid)).mappings().first()
    places = [r[0] for r in conn.execute(select(caller_points.c.place_code).where(
        caller_points.c.caller_id == c["id"]).order_by(caller_points.c.place_code))]
    alarm_rows = [dict(r) for r in conn.execute(select(terminal_alarms).where(terminal_alarms.c.terminal_id == appid)
                                                .order_by(terminal_alarms.c.id.desc()).limit(20)).mappings()]
    out = _row(c, st, places, sum(1 for a in alarm_rows if a["state"] == "open"), now)
    out["alarms"] = alarm_rows
    out["audit"] = [dict(r) for r in conn.execute(
        select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.entity, audit_log.c.entity_id)
        .where((audit_log.c.terminal == appid) | (audit_log.c.caller == appid) | (audit_log.c.entity_id == appid))
        .order_by(audit_log.c.id.desc()).limit(20)).mappings()]
    return out
