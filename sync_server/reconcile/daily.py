"""The daily reconciliation job: local records vs the platform, per billing point.

For one issue date it lists every bill and red bill the server holds (the same rows it answers
``getBillByIvcDate`` with) and pages through the platform's ``getBillByIvcDate`` for each
billing point, then writes a discrepancy report naming every bill found on one side only, every
amount or state that differs, and the totals of both sides. Emergency bills not yet carried
forward are listed apart (expected to be missing on the platform until the outbox delivers).

The report goes to the ``recon_reports`` table and to ``DIR/reports/reconcile-<day>.json``.
``python -m sync_server reconcile [--day yyyy-MM-dd]`` runs it by hand; the outbox worker runs
it once a day for the previous day.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from billing_core import methods
from billing_core.clock import date10, ts17
from billing_core.money import wire
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.his.queries import rows_for
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import billing_points, bills, recon_reports, settings

Key = tuple[str, str, str]


def _platform_rows(ctx: ServerContext, day: str, place: str) -> list[dict[str, Any]]:
    compact = day.replace("-", "")
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        got = ctx.upstream.call(methods.GET_BILL_BY_IVC_DATE, {"busBgnDate": compact + "000000000",
                                                     "busEndDate": compact + "235959999", "placeCode": place,
                                                     "pageNo": page, "pageSize": 200})
        items = list(got.get("billList") or []) if isinstance(got, dict) else []
        rows.extend(items)
        if len(items) < 200 or len(rows) >= int(got.get("total", 0)):
            return rows
        page += 1


def _key(r: dict[str, Any]) -> Key:
    return (str(r.get("billBatchCode")), str(r.get("billNo")), str(r.get("dataType")))


def _total(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {"num": str(len(rows)), "amt": wire(sum((Decimal(str(r.get("totalAmt") or 0)) for r in rows),
                                                  Decimal("0")))}


def run(ctx: ServerContext, day: str) -> dict[str, Any]:
    """Compare one issue date (yyyy-MM-dd) and store the report; returns it."""
    with read_tx(ctx.engine) as conn:
        points = [r[0] for r in conn.execute(select(billing_points.c.place_code).order_by(billing_points.c.place_code))]
        pending = {(r[0], r[1]) for r in conn.execute(select(bills.c.bill_batch_code, bills.c.bill_no).where(
            (bills.c.state == "issued") & (bills.c.origin != "online") & (bills.c.carry != "done")))}
        local_all = {p: rows_for(conn, by_ivc=True, bgn=day, end=day, place=p) for p in points}
    report: dict[str, Any] = {"day": day, "createdAt": ts17(ctx.clock.now()), "points": {}, "clean": True}
    for place in points:
        local = {_key(r): r for r in local_all[place]}
        try:
            remote = {_key(r): r for r in _platform_rows(ctx, day, place)}
        except (PlatformUnreachable, PlatformRejected) as exc:
            report["points"][place] = {"error": f"{exc.code} {exc.message}"}
            report["clean"] = False
            continue
        awaiting = sorted(k for k in local if k not in remote and (k[0], k[1]) in pending)
        only_local = sorted(k for k in local if k not in remote and (k[0], k[1]) not in pending)
        only_remote = sorted(k for k in remote if k not in local)
        differ = []
        for k in sorted(set(local) & set(remote)):
            a, b = local[k], remote[k]
            if Decimal(str(a["totalAmt"])) != Decimal(str(b.get("totalAmt") or 0)) or \
                    str(a["state"]) != str(b.get("state")):
                differ.append({"billBatchCode": k[0], "billNo": k[1], "dataType": k[2],
                               "local": {"totalAmt": a["totalAmt"], "state": a["state"]},
                               "platform": {"totalAmt": str(b.get("totalAmt")), "state": str(b.get("state"))}})

        def named(keys: list[Key], source: dict[Key, dict[str, Any]]) -> list[dict[str, str]]:
            return [{"billBatchCode": k[0], "billNo": k[1], "dataType": k[2], "busNo": str(source[k].get("busNo", "")),
                     "totalAmt": str(source[k].get("totalAmt"))} for k in keys]

        entry = {"local": _total(list(local.values())), "platform": _total(list(remote.values())),
                 "missingOnPlatform": named(only_local, local), "missingLocally": named(only_remote, remote),
                 "different": differ, "awaitingCarryForward": named(awaiting, local)}
        if only_local or only_remote or differ:
            report["clean"] = False
        report["points"][place] = entry
    text = json.dumps(report, ensure_ascii=False, indent=2)
    with write_tx(ctx.engine) as conn:
        conn.execute(insert(recon_reports).values(day=day, created_at=report["createdAt"],
                                                  clean=int(report["clean"]), report_json=text))
    out = Path(ctx.config.data_dir) / "reports" / f"reconcile-{day}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return report


def maybe_daily(ctx: ServerContext) -> bool:
    """Run yesterday's reconciliation once a day (after 01:00 CST); True when it ran."""
    now = ctx.clock.now()
    if now.hour < 1:
        return False
    day = date10(now - timedelta(days=1))
    with read_tx(ctx.engine) as conn:
        last = conn.execute(select(settings.c.value).where(settings.c.name == "recon_last_day")).scalar()
    if last == day:
        return False
    run(ctx, day)
    with write_tx(ctx.engine) as conn:
        if last is None:
            conn.execute(insert(settings).values(name="recon_last_day", value=day))
        else:
            from sqlalchemy import update
            conn.execute(update(settings).where(settings.c.name == "recon_last_day").values(value=day))
    return True
