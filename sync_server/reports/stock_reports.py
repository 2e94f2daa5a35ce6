"""Stock reports (issue 18 §3) over the stock room's read API (sync_server/stock/stock_read.py,
docs/STOCK.md): 库存结余, 库存不足预警, 入库情况, 分发情况, 作废情况 (with 申退), 领用存.

Same answer shape as the bill reports (reports/table.py). 库存结余 and 库存不足预警 are the stock as
it is now (the date range is not applied; ``placeCode`` narrows 库存不足预警); the journal reports
and 领用存 cover the filter's days. Counts are numbers of bills (张).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from sync_server.reports.filters import ReportFilter
from sync_server.reports.table import COUNT, TEXT, Report, page_of, time_text
from sync_server.stock import stock_read

_ACTIONS = {"opening": "期初", "in": "入库", "distribute": "分发", "recall": "收回", "void": "作废", "return": "申退"}
_FROM = {"store": "财务库房", "distributed": "开票点"}


def _sum(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: str(sum(int(r[k]) for r in rows)) for k in keys}


def stock_balance(conn: Connection, f: ReportFilter) -> Report:
    """库存结余: per lot, received - distributed - voided - returned = balance (in the store)."""
    keys = ("received", "distributed", "voided", "returned", "balance", "held", "voidedHeld")
    rows = [{"billCode": lot["billCode"], "billName": lot["billName"], "billBatchCode": lot["billBatchCode"],
             "range": f"{lot['billBgnNo']}-{lot['billEndNo']}",
             **{k: str(lot[k]) for k in keys}, "ok": "平衡" if lot["ok"] else "不平衡"}
            for lot in stock_read.lot_balances(conn)]
    head = (("billCode", "票据种类", TEXT), ("billName", "票据名称", TEXT), ("billBatchCode", "票据代码", TEXT),
            ("range", "号段", TEXT), ("received", "入库", COUNT), ("distributed", "分发", COUNT),
            ("voided", "库房作废", COUNT), ("returned", "申退", COUNT), ("balance", "库房结余", COUNT),
            ("held", "开票点持有", COUNT), ("voidedHeld", "开票点作废", COUNT), ("ok", "平衡校验", TEXT))
    return Report("stockBalance", "库存结余表", f, head, page_of(rows, f), _sum(rows, keys), len(rows),
                  chart=("billBatchCode", "balance"))


def stock_warnings(conn: Connection, f: ReportFilter) -> Report:
    """库存不足预警: thresholds whose holder has fewer numbers left than the minimum."""
    rows = [{"place": w["placeCode"] or "财务库房", "terminalId": w["terminalId"], "billCode": w["billCode"],
             "minCount": str(w["minCount"]), "remaining": str(w["remaining"]), "message": w["message"]}
            for w in stock_read.warnings(conn) if not f.place_code or w["placeCode"] == f.place_code]
    head = (("place", "开票点", TEXT), ("terminalId", "终端", TEXT), ("billCode", "票据种类", TEXT),
            ("minCount", "预警值", COUNT), ("remaining", "剩余", COUNT), ("message", "说明", TEXT))
    return Report("stockWarnings", "库存不足预警表", f, head, page_of(rows, f), {"count": str(len(rows))}, len(rows))


def _journal(name: str, title: str, actions: tuple[str, ...]) -> Any:
    def build(conn: Connection, f: ReportFilter) -> Report:
        moves = stock_read.moves(conn, f.date_from.isoformat(), f.date_to.isoformat(), actions=actions,
                                 place_code=f.place_code)
        rows = [{"time": time_text(m["at"]), "action": _ACTIONS.get(m["action"], m["action"]),
                 "billCode": m["billCode"], "billBatchCode": m["billBatchCode"],
                 "range": f"{m['billBgnNo']}-{m['billEndNo']}", "count": str(m["count"]),
                 "from": _FROM.get(m["fromState"] or "", ""), "place": m["placeCode"] or "",
                 "terminalId": m["terminalId"] or "", "operator": m["operator"] or "", "reason": m["reason"] or ""}
                for m in moves]
        head = (("time", "时间", TEXT), ("action", "操作", TEXT), ("billCode", "票据种类", TEXT),
                ("billBatchCode", "票据代码", TEXT), ("range", "号段", TEXT), ("count", "张数", COUNT),
                ("from", "来源", TEXT), ("place", "开票点", TEXT), ("terminalId", "终端", TEXT),
                ("operator", "经办人", TEXT), ("reason", "原因", TEXT))
        return Report(name, title, f, head, page_of(rows, f), _sum(rows, ("count",)), len(rows))
    return build


stock_in = _journal("stockIn", "票据入库情况表", ("opening", "in"))
stock_distribution = _journal("stockDistribution", "票据分发情况表", ("distribute", "recall"))
stock_voids = _journal("stockVoids", "库存作废情况表", ("void", "return"))


def stock_ledger(conn: Connection, f: ReportFilter) -> Report:
    """领用存: per bill kind, opening + received - distributed - voided - returned = closing."""
    keys = ("opening", "received", "distributed", "voided", "returned", "closing")
    rows = [{"billCode": r["billCode"], **{k: str(r[k]) for k in keys}}
            for r in stock_read.ledger(conn, f.date_from.isoformat(), f.date_to.isoformat())]
    head = (("billCode", "票据种类", TEXT), ("opening", "期初结存", COUNT), ("received", "本期入库", COUNT),
            ("distributed", "本期领用（分发）", COUNT), ("voided", "本期作废", COUNT), ("returned", "本期申退", COUNT),
            ("closing", "期末结存", COUNT))
    return Report("stockLedger", "票据领用存表", f, head, page_of(rows, f), _sum(rows, keys), len(rows))
