"""应急开票数据结转报告: the carry-forward report per terminal and issue day (issue 7 §8).

For each terminal that uploaded emergency bills issued on the day: counts and amounts of the
bills received, carried onto the platform, still pending (and given up: dead outbox items),
conflicts (number voided, the busNo's other bill kept) and rejected uploads; then the **diff
against the platform** (the platform console's 应急开票数据结转 step, offline_rules.md §3/§6.9):
the platform's bills of that issue date at the terminal's billing points (``getBillByIvcDate``)
whose numbers lie in the terminal's blocks are compared with the server's records —

* ``missingOnPlatform``: carried here, absent there;
* ``voidedButOnPlatform``: a conflict voided the number here, yet the platform holds it;
* ``platformOnly``: a number of the terminal's blocks on the platform the server never received;
* ``different``: amount or check code differ;
* ``awaiting``: pending here and (as expected) not yet there.

``clean`` is true when nothing but ``awaiting`` is listed and the platform answered. The report
is written to ``DIR/reports/carry-<day>.json`` and returned.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from billing_core.clock import ts17
from billing_core.money import wire
from sync_server.connectors.errors import PlatformRejected, PlatformUnreachable
from sync_server.context import ServerContext
from sync_server.reconcile.daily import _platform_rows
from sync_server.store.db import read_tx
from sync_server.store.emergency_schema import terminal_uploads
from sync_server.store.schema import bills, conflicts, outbox, stock_ranges

_ZERO = Decimal("0")


def _sum(rows: list[dict[str, Any]]) -> str:
    return wire(sum((Decimal(str(r["total_amt"])) for r in rows), _ZERO))


def _brief(r: dict[str, Any]) -> dict[str, str]:
    return {"busNo": r["bus_no"], "billBatchCode": r["bill_batch_code"], "billNo": r["bill_no"],
            "random": r["random"] or "", "totalAmt": wire(Decimal(str(r["total_amt"]))),
            "issueTime": r["create_time"] or ""}


def _local(ctx: ServerContext, day8: str, terminal: str | None) -> dict[str, dict[str, Any]]:
    """Per terminal: its bills of the day, rejected uploads, conflicts, dead carry-forwards, blocks."""
    out: dict[str, dict[str, Any]] = {}
    with read_tx(ctx.engine) as conn:
        cond = and_(bills.c.origin == "terminal", bills.c.create_time.like(f"{day8}%"))
        if terminal:
            cond = and_(cond, bills.c.caller_appid == terminal)
        for r in conn.execute(select(bills).where(cond).order_by(bills.c.id)).mappings():
            out.setdefault(r["caller_appid"], {"bills": [], "rejected": []})["bills"].append(dict(r))
        rcond = and_(terminal_uploads.c.status == "rejected", terminal_uploads.c.issue_time.like(f"{day8}%"))
        if terminal:
            rcond = and_(rcond, terminal_uploads.c.terminal_id == terminal)
        for r in conn.execute(select(terminal_uploads).where(rcond).order_by(terminal_uploads.c.id)).mappings():
            out.setdefault(r["terminal_id"], {"bills": [], "rejected": []})["rejected"].append(
                {"seq": r["seq"], "busNo": r["bus_no"], "billBatchCode": r["bill_batch_code"], "billNo": r["bill_no"],
                 "totalAmt": wire(Decimal(str(r["total_amt"]))), "code": r["result_code"], "message": r["message"]})
        dead = {r[0] for r in conn.execute(select(outbox.c.idem_key).where(and_(
            outbox.c.kind == "carry_forward", outbox.c.state == "dead")))}
        for name, entry in out.items():
            ids = [b["id"] for b in entry["bills"]]
            entry["conflicts"] = {r["bill_id"]: dict(r) for r in conn.execute(
                select(conflicts).where(conflicts.c.bill_id.in_(ids))).mappings()} if ids else {}
            entry["dead"] = {b["id"] for b in entry["bills"]
                             if f"cf:{b['bill_batch_code']}:{b['bill_no']}" in dead}
            entry["blocks"] = [dict(r) for r in conn.execute(select(stock_ranges).where(and_(
                stock_ranges.c.kind == "emergency_terminal", stock_ranges.c.holder == name))).mappings()]
    return out


def _in_blocks(blocks: list[dict[str, Any]], code: str, no: str) -> bool:
    n = int(no) if str(no).isdigit() else -1
    return any(b["bill_batch_code"] == code and int(b["bgn_no"]) <= n <= int(b["end_no"]) for b in blocks)


def build(ctx: ServerContext, day: str, terminal: str | None = None, *, platform: bool = True) -> dict[str, Any]:
    """The carry-forward report of issue date ``day`` (yyyy-MM-dd), one section per terminal.

    :param platform: also diff against the platform (getBillByIvcDate per billing point).
    """
    day8 = day.replace("-", "")
    local = _local(ctx, day8, terminal)
    report: dict[str, Any] = {"day": day, "createdAt": ts17(ctx.clock.now()), "terminals": {}, "clean": True}
    remote_cache: dict[str, dict[tuple[str, str], dict[str, Any]] | str] = {}
    for name in sorted(local):
        entry = local[name]
        rows = entry["bills"]
        carried = [b for b in rows if b["carry"] == "done"]
        pending = [b for b in rows if b["carry"] == "pending" and b["id"] not in entry["dead"]]
        dead = [b for b in rows if b["carry"] == "pending" and b["id"] in entry["dead"]]
        conflicted = [b for b in rows if b["carry"] == "conflict"]
        section: dict[str, Any] = {
            "counts": {"received": len(rows), "carried": len(carried), "pending": len(pending), "failed": len(dead),
                       "conflicts": len(conflicted), "rejected": len(entry["rejected"]),
                       "writtenOff": sum(1 for b in rows if b["is_scarlet"])},
            "amounts": {"received": _sum(rows), "carried": _sum(carried), "pending": _sum(pending),
                        "failed": _sum(dead), "conflicts": _sum(conflicted),
                        "rejected": wire(sum((Decimal(r["totalAmt"]) for r in entry["rejected"]), _ZERO))},
            "conflicts": [_brief(b) | {"reason": b["void_reason"] or "",
                                       "keptBillBatchCode": (entry["conflicts"].get(b["id"]) or {}).get(
                                           "platform_batch_code", ""),
                                       "keptBillNo": (entry["conflicts"].get(b["id"]) or {}).get("platform_no", "")}
                          for b in conflicted],
            "pending": [_brief(b) for b in pending], "failed": [_brief(b) for b in dead],
            "rejected": entry["rejected"],
        }
        if platform:
            section["diff"] = _diff(ctx, day, entry, remote_cache)
            if section["diff"].get("error") or any(section["diff"][k] for k in (
                    "missingOnPlatform", "voidedButOnPlatform", "platformOnly", "different")):
                report["clean"] = False
        if dead:
            report["clean"] = False
        report["terminals"][name] = section
    text = json.dumps(report, ensure_ascii=False, indent=2)
    out = Path(ctx.config.data_dir) / "reports" / f"carry-{day}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return report


def _diff(ctx: ServerContext, day: str, entry: dict[str, Any],
          cache: dict[str, dict[tuple[str, str], dict[str, Any]] | str]) -> dict[str, Any]:
    places = sorted({b["place_code"] for b in entry["bills"]} | {b["place_code"] for b in entry["blocks"]})
    remote: dict[tuple[str, str], dict[str, Any]] = {}
    for place in places:
        if place not in cache:
            try:
                cache[place] = {(str(r.get("billBatchCode")), str(r.get("billNo"))): r
                                for r in _platform_rows(ctx, day, place) if str(r.get("dataType", "1")) == "1"}
            except (PlatformUnreachable, PlatformRejected) as exc:
                cache[place] = f"{exc.code} {exc.message}"
        got = cache[place]
        if isinstance(got, str):
            return {"error": got}
        remote.update({k: v for k, v in got.items() if _in_blocks(entry["blocks"], *k)})
    mine = {(b["bill_batch_code"], b["bill_no"]): b for b in entry["bills"]}
    out: dict[str, Any] = {"platformCount": len(remote), "platformAmount": wire(sum(
        (Decimal(str(r.get("totalAmt") or 0)) for r in remote.values()), _ZERO)),
        "missingOnPlatform": [], "voidedButOnPlatform": [], "platformOnly": [], "different": [], "awaiting": []}
    for key, b in mine.items():
        there = remote.get(key)
        if b["carry"] == "done" and there is None:
            out["missingOnPlatform"].append(_brief(b))
        elif b["carry"] == "conflict" and there is not None:
            out["voidedButOnPlatform"].append(_brief(b))
        elif b["carry"] == "pending" and there is None:
            out["awaiting"].append(_brief(b))
        if there is not None and b["carry"] != "conflict" and (
                Decimal(str(there.get("totalAmt") or 0)) != Decimal(str(b["total_amt"]))
                or str(there.get("random", b["random"])) != str(b["random"])):
            out["different"].append(_brief(b) | {"platformTotalAmt": str(there.get("totalAmt")),
                                                 "platformRandom": str(there.get("random", ""))})
    for key, r in sorted(remote.items()):
        if key not in mine:
            out["platformOnly"].append({"billBatchCode": key[0], "billNo": key[1], "busNo": str(r.get("busNo", "")),
                                        "totalAmt": str(r.get("totalAmt"))})
    return out
