"""``findBills`` (terminal-api, issue 18 §1): a cashier window finds any bill of the hospital.

Criteria (any combination, all must hold): ``keyword`` (one text the cashier typed: matches a
busNo, e-bill or paper number, payer prefix, ID number, phone or card number), ``busNo`` (exact), ``billNo`` with optional
``billBatchCode`` (the e-bill's number, or the number of the paper it was exchanged for),
``payer`` (prefix), ``idCardNo``, ``tel``, ``cardNo`` (exact, through the keyed digests of
store/person_digest.py: the values are sealed at rest). Only issued bills; newest first; paged
by ``pageNo`` / ``pageSize`` (≤ :data:`MAX_PAGE`).

Reach: a window session whose role is hospital-wide (api/access.hospital_wide) sees every
billing point; any other caller that may call the method sees only its granted points (HIS and
kiosk callers may not call it at all: permissions.CALLER_METHODS).

Each item carries what a window shows and acts on (the shape of workflows.records.BillRecord):
numbers, amounts, payer, state (red, paper and the papers voided by reprints), the red bill, and
the stored request with the ID number, phone and card number masked. A search by ID number,
phone or card number reads personal data: it is audited (criterion names and the number found,
never the values).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select

from billing_core.envelope import loads
from billing_core.money import wire
from sync_server.bills.records import red_of
from sync_server.connectors.masking import mask_id, mask_sensitive
from sync_server.context import ServerContext
from sync_server.errors import SearchCriteriaError, SearchPageError
from sync_server.security.audit import Actor, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.person_digest import digest
from sync_server.store.schema import billing_points, bills, paper_bills

MAX_PAGE = 100
MAX_PAGE_NO = 100_000  # an offset beyond any store, and within every database's integer range
#: request field -> digest column
PERSONAL = {"idCardNo": bills.c.id_digest, "tel": bills.c.tel_digest, "cardNo": bills.c.card_digest}
_TEXT = ("keyword", "busNo", "billBatchCode", "billNo", "payer", *PERSONAL)


def _criteria(data: dict[str, Any]) -> dict[str, str]:
    crit = {k: str(data.get(k) or "").strip() for k in _TEXT}
    crit = {k: v for k, v in crit.items() if v}
    if not crit or set(crit) == {"billBatchCode"}:
        raise SearchCriteriaError()
    for name, value in crit.items():
        if len(value) > 64:
            raise SearchCriteriaError(f"查询条件{name}过长（最多64个字符）")
    return crit


def _page(data: dict[str, Any]) -> tuple[int, int]:
    try:
        page_no, size = int(data.get("pageNo") or 1), int(data.get("pageSize") or 20)
    except (TypeError, ValueError, OverflowError):
        raise SearchPageError() from None
    if not 1 <= page_no <= MAX_PAGE_NO or not 1 <= size <= MAX_PAGE:
        raise SearchPageError()
    return page_no, size


def _where(conn: Connection, crit: dict[str, str], places: frozenset[str]) -> Any:
    dialect = conn.dialect
    cond = [bills.c.state == "issued", bills.c.place_code.in_(sorted(places))]
    if "busNo" in crit:
        cond.append(bills.c.bus_no == crit["busNo"])
    if "billNo" in crit:
        no = crit["billNo"]
        e_bill = bills.c.bill_no == no
        paper = bills.c.p_bill_no == no
        if "billBatchCode" in crit:
            e_bill = and_(e_bill, bills.c.bill_batch_code == crit["billBatchCode"])
            paper = and_(paper, bills.c.p_bill_batch_code == crit["billBatchCode"])
        cond.append(or_(e_bill, paper))
    if "payer" in crit:
        cond.append(_prefix(crit["payer"]))
    for name, column in PERSONAL.items():
        if name in crit:
            cond.append(column == digest(dialect, crit[name]))
    if "keyword" in crit:
        kw = crit["keyword"]
        hashed = digest(dialect, kw)
        cond.append(or_(bills.c.bus_no == kw, bills.c.bill_no == kw, bills.c.p_bill_no == kw, _prefix(kw),
                        *(column == hashed for column in PERSONAL.values())))
    return and_(*cond)


def _prefix(text: str) -> Any:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return bills.c.payer.like(escaped + "%", escape="\\")


def _masked_request(request: dict[str, Any]) -> dict[str, Any]:
    out = dict(request)
    for key in ("idCardNo", "tel", "cardNo", "medicalInsuranceID"):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = mask_id(out[key])
    # notice targets, contacts ... the rest of the masking rules of the logs
    for key in ("noticeValue", "email"):
        if key in out:
            out[key] = mask_sensitive({key: out[key]})[key]
    return out


def _item(conn: Connection, row: RowMapping, point_names: dict[str, str]) -> dict[str, Any]:
    request = loads(row["request_json"])
    papers = conn.execute(select(paper_bills.c.p_bill_batch_code, paper_bills.c.p_bill_no, paper_bills.c.state)
                          .where(paper_bills.c.bill_id == row["id"]).order_by(paper_bills.c.id)).all()
    # the paper in force: the last one still issued (the bill's own columns keep a voided one's number)
    current = [(code, no) for code, no, state in papers if state == "issued"][-1:] or (
        [] if papers else [(row["p_bill_batch_code"] or "", row["p_bill_no"] or "")])
    p_code, p_no = current[0] if current else ("", "")
    item = {
        "busNo": row["bus_no"], "method": row["method"], "busType": row["bus_type"] or "",
        "placeCode": row["place_code"], "placeName": point_names.get(row["place_code"], ""), "payer": row["payer"] or "", "payee": str(request.get("payee", "")),
        "totalAmt": wire(Decimal(row["total_amt"])), "busDateTime": row["bus_date_time"] or "",
        "billBatchCode": row["bill_batch_code"] or "", "billNo": row["bill_no"] or "",
        "random": row["random"] or "", "createTime": row["create_time"] or "",
        "isScarlet": str(row["is_scarlet"]), "isPrtPaper": str(row["is_prt_paper"]),
        "pBillBatchCode": str(p_code), "pBillNo": str(p_no),
        "voidedPapers": [str(no) for _code, no, state in papers if state != "issued"],
        "emergency": "0" if row["origin"] == "online" else "1", "carryState": row["carry"],
        "callerAppid": row["caller_appid"], "request": _masked_request(request),
    }
    red = red_of(conn, row["id"])
    if red is not None:
        item |= {"scarletBillBatchCode": red["bill_batch_code"] or "", "scarletBillNo": red["bill_no"] or "",
                 "scarletRandom": red["random"] or "", "scarletCreateTime": red["create_time"] or "",
                 "scarletReason": red["reason"] or "", "scarletState": red["state"]}
    return item


def find_bills(ctx: ServerContext, who: Actor, places: frozenset[str], data: dict[str, Any]) -> dict[str, Any]:
    """One page of the bills at ``places`` matching the request's criteria (module docstring)."""
    crit = _criteria(data)
    page_no, size = _page(data)
    with read_tx(ctx.engine) as conn:
        where = _where(conn, crit, places)
        total = int(conn.execute(select(func.count()).select_from(bills).where(where)).scalar() or 0)
        rows = conn.execute(select(bills).where(where).order_by(bills.c.id.desc())
                            .offset((page_no - 1) * size).limit(size)).mappings().all()
        names = {str(c): str(n or "") for c, n in conn.execute(select(billing_points.c.place_code,
                                                                       billing_points.c.name))}
        items = [_item(conn, r, names) for r in rows]
    personal = sorted(set(crit) & {*PERSONAL, "keyword"})
    if personal:  # a read of personal data: who looked whom up by what (never the values)
        with write_tx(ctx.engine) as conn:
            audit(conn, ctx.clock, who, "find_bills", "bill", None, None,
                  {"by": personal, "found": total, "busNos": [i["busNo"] for i in items]})
    return {"total": str(total), "pageNo": str(page_no), "pageSize": str(size),
            "pageCount": str(-(-total // size)), "billList": items}
