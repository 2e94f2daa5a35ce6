"""Detail reports: 开票明细表, 日报明细, 区块链票据明细 (one line per bill or red bill).

Paged in SQL (ORDER BY time, kind, bill id; LIMIT/OFFSET); totals by aggregate queries over the
whole filter, so a page and the totals never disagree about what the filter holds.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, union_all

from sync_server.reports import sources
from sync_server.reports.filters import ReportFilter
from sync_server.reports.sources import blue_where, money, red_where
from sync_server.reports.table import MONEY, ORIGINS, TEXT, Report, amount, bus_type_name, time_text
from sync_server.store.schema import billing_points, bills, red_bills


def place_names(conn: Connection) -> dict[str, str]:
    """Billing point code -> name."""
    return {r.place_code: r.name for r in conn.execute(select(billing_points.c.place_code, billing_points.c.name))}


def _place(names: dict[str, str], code: str) -> str:
    return f"{code} {names[code]}" if code in names else code


def _totals(conn: Connection, f: ReportFilter, *, red: bool = True) -> dict[str, str]:
    blue_n, blue_sum = conn.execute(select(func.count(), func.sum(bills.c.total_amt)).where(blue_where(f))).one()
    out = {"blueCount": str(blue_n), "blueAmount": amount(money(blue_sum))}
    if red:
        red_n, red_sum = conn.execute(select(func.count(), func.sum(red_bills.c.total_amt)).select_from(
            red_bills.join(bills, red_bills.c.bill_id == bills.c.id)).where(red_where(f))).one()
        out |= {"redCount": str(red_n), "redAmount": amount(money(red_sum)),
                "netAmount": amount(money(blue_sum) + money(red_sum))}
    return out


def _state(line: Any) -> str:
    if line.kind == "red":
        return "红票" + ("" if line.red_state == "issued" else "（待平台确认）")
    return "已冲红" if line.is_scarlet else "正常"


INVOICE_COLUMNS = (
    ("time", "开票时间", TEXT), ("place", "开票点", TEXT), ("busType", "票据类型", TEXT),
    ("billBatchCode", "票据代码", TEXT), ("billNo", "票据号码", TEXT), ("payer", "交款人", TEXT),
    ("amount", "金额", MONEY), ("payee", "收费员", TEXT), ("origin", "来源", TEXT),
    ("state", "状态", TEXT), ("paper", "纸质票据", TEXT),
)


def invoice_detail(conn: Connection, f: ReportFilter) -> Report:
    """开票明细表: every issued bill of the filter, by issue time."""
    names = place_names(conn)
    q = sources.blue_lines().where(blue_where(f)).order_by(bills.c.create_time, bills.c.id) \
        .limit(f.page_size).offset(f.offset)
    rows = [{"time": time_text(r.at), "place": _place(names, r.place_code), "busType": bus_type_name(r.bus_type),
             "billBatchCode": r.code or "", "billNo": r.no or "", "payer": r.payer or "",
             "amount": amount(money(r.amount)), "payee": r.payee or "", "origin": ORIGINS.get(r.origin, r.origin),
             "state": _state(r), "paper": "已换开" if r.is_prt_paper else ""} for r in conn.execute(q)]
    totals = _totals(conn, f, red=False)
    return Report("invoiceDetail", "开票明细表", f, INVOICE_COLUMNS, rows,
                  {"count": totals["blueCount"], "amount": totals["blueAmount"]}, int(totals["blueCount"]))


def _union(f: ReportFilter) -> Any:
    return union_all(sources.blue_lines().where(blue_where(f)), sources.red_lines().where(red_where(f))).subquery()


def _lines(conn: Connection, f: ReportFilter) -> list[Any]:
    u = _union(f)
    q = select(u).order_by(u.c.at, u.c.kind, u.c.bill_id).limit(f.page_size).offset(f.offset)
    return list(conn.execute(q))


DAILY_COLUMNS = (
    ("time", "时间", TEXT), ("place", "开票点", TEXT), ("busType", "票据类型", TEXT),
    ("billBatchCode", "票据代码", TEXT), ("billNo", "票据号码", TEXT), ("payer", "交款人", TEXT),
    ("amount", "金额", MONEY), ("state", "状态", TEXT), ("payee", "收费员", TEXT),
)


def daily_detail(conn: Connection, f: ReportFilter) -> Report:
    """日报明细: the blue and red bills of the days, one line each, red amounts negative."""
    names = place_names(conn)
    rows = [{"time": time_text(r.at), "place": _place(names, r.place_code), "busType": bus_type_name(r.bus_type),
             "billBatchCode": r.code or "", "billNo": r.no or "", "payer": r.payer or "",
             "amount": amount(money(r.amount)), "state": _state(r), "payee": r.payee or ""}
            for r in _lines(conn, f)]
    totals = _totals(conn, f)
    return Report("dailyDetail", "日报明细表", f, DAILY_COLUMNS, rows, totals,
                  int(totals["blueCount"]) + int(totals["redCount"]))


def chain_state(line: Any) -> str:
    """Whether the finance platform (and so the finance blockchain) holds the bill.

    Seed 000 item 13: every bill the platform accepts goes on the chain, a red bill too (and its
    blue bill gets 已冲红 appended). Our platform interface carries no separate chain flag, so a
    bill is on the chain exactly when the platform holds it: online bills and red bills it
    answered, emergency bills once carried forward."""
    if line.kind == "red":
        return "已上链" if line.red_state == "issued" else "待上链（冲红待平台确认）"
    if line.origin == "online" or line.carry == "done":
        return "已上链（已冲红）" if line.is_scarlet else "已上链"
    return "待上链（应急票据待结转）"


CHAIN_COLUMNS = (
    ("time", "时间", TEXT), ("place", "开票点", TEXT), ("kind", "票据性质", TEXT),
    ("billBatchCode", "票据代码", TEXT), ("billNo", "票据号码", TEXT),
    ("blueBillNo", "原票据号码", TEXT), ("amount", "金额", MONEY), ("chain", "上链状态", TEXT),
)


def blockchain_detail(conn: Connection, f: ReportFilter) -> Report:
    """区块链票据明细表: blue and red bills with their chain state (:func:`chain_state`)."""
    names = place_names(conn)
    rows = [{"time": time_text(r.at), "place": _place(names, r.place_code),
             "kind": "红票" if r.kind == "red" else "蓝票", "billBatchCode": r.code or "", "billNo": r.no or "",
             "blueBillNo": r.blue_no if r.kind == "red" else "", "amount": amount(money(r.amount)),
             "chain": chain_state(r)} for r in _lines(conn, f)]
    totals = _totals(conn, f)
    return Report("blockchainDetail", "区块链票据明细表", f, CHAIN_COLUMNS, rows, totals,
                  int(totals["blueCount"]) + int(totals["redCount"]))


RED_COLUMNS = (
    ("time", "冲红时间", TEXT), ("place", "开票点", TEXT), ("busType", "票据类型", TEXT),
    ("billBatchCode", "红票代码", TEXT), ("billNo", "红票号码", TEXT),
    ("blueBillBatchCode", "原票据代码", TEXT), ("blueBillNo", "原票据号码", TEXT), ("payer", "交款人", TEXT),
    ("amount", "冲红金额", MONEY), ("reason", "冲红原因", TEXT), ("operator", "经办人", TEXT),
    ("payee", "收费员", TEXT), ("state", "状态", TEXT),
)


def red_detail(conn: Connection, f: ReportFilter) -> Report:
    """医疗冲红明细: every red bill of the filter (write-off, to paper, paper voided), by time."""
    names = place_names(conn)
    q = sources.red_lines().where(red_where(f)).order_by(sources.RED_TIME, red_bills.c.id) \
        .limit(f.page_size).offset(f.offset)
    rows = [{"time": time_text(r.at), "place": _place(names, r.place_code), "busType": bus_type_name(r.bus_type),
             "billBatchCode": r.code or "", "billNo": r.no or "", "blueBillBatchCode": r.blue_code or "",
             "blueBillNo": r.blue_no or "", "payer": r.payer or "", "amount": amount(money(r.amount)),
             "reason": r.reason or "", "operator": r.operator or "", "payee": r.payee or "",
             "state": "已开具" if r.red_state == "issued" else "待平台确认"} for r in conn.execute(q)]
    totals = _totals(conn, f)
    return Report("redDetail", "医疗冲红明细表", f, RED_COLUMNS, rows,
                  {"count": totals["redCount"], "amount": totals["redAmount"]}, int(totals["redCount"]))
