"""Answers built from the server's own records: queries while the platform is down, and the
reconciliation methods (seed 000 items 4-9), which are always answered locally — they are the
hospital's side of the comparison.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, select

from billing_core import methods
from billing_core.envelope import loads
from billing_core.money import wire
from sync_server.bills.records import busno_answer, by_number, live_by_busno, states_answer
from sync_server.errors import NotFoundError, RequestDataError
from sync_server.his.scope import batch_visible
from sync_server.store.schema import batches, bills, paper_bills, red_bills

BILL_NAMES = {methods.INVOICE_EBILL_OUTPATIENT: "门诊收费票据", methods.INV_EBILL_HOSPITALIZED: "住院收费票据",
              methods.INV_EBILL_REGISTRATION: "挂号收费票据", methods.INV_EBILL_CHECKUP: "体检收费票据",
              methods.INVOICE_EBILL_COMMON: "通用票据"}


def _page(data: dict[str, Any]) -> tuple[int, int]:
    try:
        page_no = max(int(data.get("pageNo") or 1), 1)
        size = min(max(int(data.get("pageSize") or 200), 1), 200)
    except (TypeError, ValueError):
        raise RequestDataError("pageNo/pageSize必须是整数") from None
    return page_no, size


def _day(ts: str | None) -> str:
    """yyyyMMdd... -> yyyy-MM-dd."""
    ts = ts or ""
    return f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}" if len(ts) >= 8 else ""


def _num(ts: str) -> str:
    """yyyy-MM-dd or yyyyMMdd... -> yyyyMMdd."""
    return ts.replace("-", "")[:8]


def issued_bills(conn: Connection, place: str | None = None, *,
                 places: frozenset[str] | None = None) -> list[RowMapping]:
    """Every bill that exists (or will exist, once carried) on the platform; at ``place``, and
    at one of ``places`` (a caller's scope, sync_server.his.scope) when given."""
    q = select(bills).where(bills.c.state == "issued")
    if place:
        q = q.where(bills.c.place_code == place)
    if places is not None:
        q = q.where(bills.c.place_code.in_(sorted(places)))
    return list(conn.execute(q.order_by(bills.c.id)).mappings().all())


def _e_bill_row(bill: Any, doc: Any, name: str, data_type: str, state: str,
                relate: tuple[str, str]) -> dict[str, Any]:
    """One reconciliation row of an e-bill (``doc`` = the bill) or of its red bill (``doc`` = the
    red_bills row): the number, time and amount are the document's, busNo and place the bill's."""
    return {"busDate": doc["bus_date_time"], "busNo": bill["bus_no"], "busType": bill["bus_type"],
            "placeCode": bill["place_code"], "billName": name, "billBatchCode": doc["bill_batch_code"],
            "billNo": doc["bill_no"], "random": doc["random"], "totalAmt": wire(Decimal(doc["total_amt"])),
            "ivcDateTime": doc["create_time"], "dataType": data_type, "state": state,
            "relateBillBatchCode": relate[0], "relateBillNo": relate[1]}


def rows_for(conn: Connection, *, by_ivc: bool, bgn: str, end: str, place: str | None,
             places: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """Reconciliation rows (getBillByBusDate shape, spec §10) in a date range: e-bills (dataType 1,
    state 3 once red-flushed), red e-bills (dataType 2, negative amounts) and exchanged paper
    (dataType 3). Red bills still queued for the platform have no number yet and are left out."""
    lo, hi = _num(bgn), _num(end)
    out: list[dict[str, Any]] = []
    for b in issued_bills(conn, place, places=places):
        name = BILL_NAMES.get(b["method"], b["method"])
        day = _num((b["create_time"] if by_ivc else b["bus_date_time"]) or "")
        if lo <= day <= hi:
            out.append(_e_bill_row(b, b, name, "1", "3" if b["is_scarlet"] else "1", ("", "")))
        reds = conn.execute(select(red_bills).where(and_(red_bills.c.bill_id == b["id"],
                                                         red_bills.c.state == "issued"))).mappings().all()
        for r in reds:
            rday = _num((r["create_time"] if by_ivc else r["bus_date_time"]) or "")
            if lo <= rday <= hi:
                out.append(_e_bill_row(b, r, name, "2", "1", (b["bill_batch_code"], b["bill_no"])))
        papers = conn.execute(select(paper_bills).where(paper_bills.c.bill_id == b["id"])).mappings().all()
        for pb in papers:
            pday = _num(pb["created_at"] or "")
            if lo <= pday <= hi:
                out.append({"busDate": pb["created_at"], "busNo": b["bus_no"], "busType": b["bus_type"],
                            "placeCode": pb["place_code"], "billName": "医疗收费票据（机打）",
                            "billBatchCode": pb["p_bill_batch_code"], "billNo": pb["p_bill_no"], "random": "",
                            "totalAmt": wire(Decimal(b["total_amt"])), "ivcDateTime": pb["created_at"],
                            "dataType": "3", "state": "1" if pb["state"] == "issued" else "2",
                            "relateBillBatchCode": b["bill_batch_code"], "relateBillNo": b["bill_no"]})
    out.sort(key=lambda r: (r["ivcDateTime"] or "", r["dataType"], r["billBatchCode"] or "", r["billNo"] or ""))
    return out


def _ranges(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Contiguous number ranges per (busType, placeCode, billBatchCode) (check* billNoList)."""
    keyed: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        keyed.setdefault((r["busType"], r["placeCode"], r["billName"], r["billBatchCode"]), []).append(r)
    out = []
    for (bus_type, place, name, code), items in sorted(keyed.items()):
        items.sort(key=lambda r: int(r["billNo"]))
        run: list[dict[str, Any]] = []
        ended: list[dict[str, Any] | None] = [*items, None]  # None closes the last run
        for nxt in ended:
            if run and (nxt is None or int(nxt["billNo"]) != int(run[-1]["billNo"]) + 1):
                out.append({"busType": bus_type, "placeCode": place, "billName": name, "billBatchCode": code,
                            "bgnNo": run[0]["billNo"], "endNo": run[-1]["billNo"], "copyNum": len(run),
                            "totalAmt": wire(sum((Decimal(x["totalAmt"]) for x in run), Decimal("0")))})
                run = []
            if nxt is not None:
                run.append(nxt)
    return out


def reconcile(conn: Connection, method: str, data: dict[str, Any], places: frozenset[str]) -> dict[str, Any]:
    """checkTotalData / checkDataByPlace / checkWriteOffData (+ ByIvcDate) and getBillBy*Date,
    over the caller's ``places`` only (no placeCode = all of the caller's points)."""
    by_ivc = "Ivc" in method
    if method in (methods.GET_BILL_BY_BUS_DATE, methods.GET_BILL_BY_IVC_DATE):
        rows = rows_for(conn, by_ivc=by_ivc, bgn=str(data["busBgnDate"]), end=str(data["busEndDate"]),
                        place=data.get("placeCode") or None, places=places)
        if data.get("dataType"):
            wanted = set(str(data["dataType"]).split(","))
            rows = [r for r in rows if r["dataType"] in wanted]
        page_no, size = _page(data)
        return {"total": len(rows), "pageNo": page_no, "billList": rows[(page_no - 1) * size: page_no * size]}
    day_key = "ivcDate" if by_ivc else "busDate"
    day = str(data[day_key])
    rows = rows_for(conn, by_ivc=by_ivc, bgn=day, end=day, place=data.get("placeCode") or None, places=places)
    # totals cover e-bills and red e-bills (refunds negative); the write-off checks red ones only
    want = {"2"} if "WriteOff" in method else {"1", "2"}
    rows = [r for r in rows if r["dataType"] in want]
    if data.get("busType"):
        rows = [r for r in rows if r["busType"] == str(data["busType"])]
    ranges = _ranges(rows)
    page_no, size = _page(data)
    page = ranges[(page_no - 1) * size: page_no * size]
    out: dict[str, Any] = {
        day_key: day, "copyNum": len(ranges),
        "totalNum": sum(r["copyNum"] for r in page), "totalAmt": wire(sum((Decimal(r["totalAmt"]) for r in page),
                                                                          Decimal("0"))),
        "allTotalNum": len(rows), "allTotalAmt": wire(sum((Decimal(r["totalAmt"]) for r in rows), Decimal("0"))),
    }
    if str(data.get("isReturnList", "1")) != "0":
        out["billNoList"] = page
    return out


def local_query(conn: Connection, method: str, data: dict[str, Any], places: frozenset[str]) -> Any:
    """A query answered from local records (platform down, or a bill the platform has not got
    yet), limited to the caller's ``places``: a bill elsewhere is not found."""
    if method == methods.GET_EBILL_BY_BUS_NO:
        row = live_by_busno(conn, str(data["busNo"]))
        if row is None or row["state"] != "issued" or row["place_code"] not in places:
            raise NotFoundError(f"未找到业务流水号{data['busNo']}的票据")
        return busno_answer(conn, row)
    if method == methods.GET_BATCH_INVOICE_EBILL:
        batch = conn.execute(select(batches).where(batches.c.batch_no == str(data["batchNo"]))).mappings().first()
        visible = batch_visible(loads(batch["request_json"]).get("eBillList") or [], places) if batch else []
        if batch is None or not visible:  # another caller's batch is not even confirmed to exist
            raise NotFoundError(f"未找到批次{data['batchNo']}")
        items = []
        for bill in visible:
            row = live_by_busno(conn, str(bill.get("busNo")))
            if row is not None and row["place_code"] != str(bill.get("placeCode", "")):
                row = None  # the busNo holds another point's bill (E5033 for this item): not this one
            if row is None or row["state"] == "pending":
                err = "" if batch["state"] == "pending" else "开票失败"
                items.append({"busNo": bill.get("busNo"), "status": "0" if not err else "2", "errMsg": err})
            else:
                items.append({"busNo": row["bus_no"], "status": "1"} | busno_answer(conn, row))
        return {"count": len(items), "eBillList": items}
    if method in (methods.GET_EBILL_STATES_BY_BILL_INFO, methods.GET_BILL_DETAIL):
        row = by_number(conn, str(data["billBatchCode"]), str(data["billNo"]))
        if row is None or row["place_code"] not in places:
            raise NotFoundError(f"未找到票据{data['billBatchCode']}-{data['billNo']}")
        if method == methods.GET_EBILL_STATES_BY_BILL_INFO:
            return states_answer(conn, row)
        req = loads(row["request_json"])
        head = {k: req.get(k, "") for k in ("busNo", "busType", "payer", "busDateTime", "placeCode", "payee",
                                            "author", "totalAmt", "remark", "cardType", "cardNo", "sex", "age",
                                            "idCardNo", "patientNo", "patientId")}
        return head | {"chargeDetail": req.get("chargeDetail", []), "listDetail": req.get("listDetail", []),
                       "payChannelDetail": req.get("payChannelDetail", []), "otherParameter": []}
    if method in (methods.GET_EBILL_UNPRINT_LIST, methods.GET_NOT_PRINT_LIST, methods.GET_EBILL_PRINT_LIST):
        page_no, size = _page(data)
        out = []
        for b in issued_bills(conn, data.get("placeCode") or None, places=places):
            if data.get("cardNo") and (b["card_no"] != str(data["cardNo"])):
                continue
            printed = bool(b["is_prt_paper"])
            if (method == methods.GET_EBILL_PRINT_LIST) != printed or b["is_scarlet"]:
                continue
            req = loads(b["request_json"])
            item = {"busDate": _day(b["bus_date_time"]), "busNo": b["bus_no"],
                    "billName": BILL_NAMES.get(b["method"], b["method"]), "billBatchCode": b["bill_batch_code"],
                    "billNo": b["bill_no"], "random": b["random"], "totalAmt": wire(Decimal(b["total_amt"])),
                    "payer": b["payer"], "sex": req.get("sex", ""), "idCardNo": req.get("idCardNo", ""),
                    "ivcDateTime": b["create_time"], "remark": req.get("remark", "")}
            if method == methods.GET_NOT_PRINT_LIST:
                item["listFlag"] = "1" if req.get("listDetail") else "0"
            if method == methods.GET_EBILL_PRINT_LIST:
                item |= {"placeCode": b["place_code"], "relatedBillBatchCode": b["p_bill_batch_code"],
                         "relatedBillNo": b["p_bill_no"]}
            out.append(item)
        return {"total": len(out), "pageNo": page_no, "billList": out[(page_no - 1) * size: page_no * size]}
    raise NotFoundError(f"{method}无法由本地记录应答")

