"""Reading and writing bill records, and the answer shapes built from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, delete, insert, select, update

from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps, loads
from billing_core.money import parse_decimal
from sync_server.bills.qr_png import local_qr_png
from sync_server.security.audit import Actor, audit
from sync_server.store.schema import bill_items, bills, pay_channels, red_bills


def live_by_busno(conn: Connection, bus_no: str) -> RowMapping | None:
    """The live bill (or pending claim) of a busNo."""
    return conn.execute(select(bills).where(bills.c.busno_live == bus_no)).mappings().first()


def by_number(conn: Connection, code: str, no: str) -> RowMapping | None:
    """The bill with this electronic code and number."""
    return conn.execute(select(bills).where(and_(bills.c.bill_batch_code == code,
                                                 bills.c.bill_no == no))).mappings().first()


_BY_ID = select(bills).where(bills.c.id == bindparam("bill_id"))


def by_id(conn: Connection, bill_id: int) -> RowMapping:
    """The bill with this id (must exist)."""
    return conn.execute(_BY_ID, {"bill_id": bill_id}).mappings().one()


def public(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    """The audit view of a bill row (no request body)."""
    keys = ("bus_no", "state", "origin", "in_doubt", "carry", "bill_batch_code", "bill_no", "random",
            "total_amt", "is_scarlet", "is_prt_paper", "p_bill_batch_code", "p_bill_no", "is_arrears",
            "void_reason")
    return {k: row[k] for k in keys}


def _qty(value: object) -> Decimal | None:
    if isinstance(value, Decimal):  # normalised requests already carry Decimals
        return value
    if value in (None, ""):
        return None
    try:
        return parse_decimal(value, places=6, digits=20, allow_negative=True)
    except Exception:  # noqa: BLE001 - stored as given; validation already ran
        return None


def store_details(conn: Connection, bill_id: int, data: dict[str, Any], *, fresh: bool = False) -> None:
    """Store the charge items, list items and pay channels of an issued bill.

    :param fresh: the bill has no details yet (skips clearing them first).
    """
    if not fresh:
        conn.execute(delete(bill_items).where(bill_items.c.bill_id == bill_id))
        conn.execute(delete(pay_channels).where(pay_channels.c.bill_id == bill_id))
    rows = []
    for kind, key in (("charge", "chargeDetail"), ("list", "listDetail")):
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict):
                continue
            rows.append({"bill_id": bill_id, "kind": kind, "sort_no": item.get("sortNo", i + 1),
                         "charge_code": item.get("chargeCode"),
                         "name": item.get("chargeName") if kind == "charge" else item.get("name"),
                         "unit": item.get("unit"), "std": _qty(item.get("std")),
                         "number": _qty(item.get("number")), "amt": _qty(item.get("amt")),
                         "self_amt": _qty(item.get("selfAmt"))})
    if rows:
        conn.execute(insert(bill_items), rows)
    chans = [{"bill_id": bill_id, "code": str(c.get("payChannelCode")),
              "value": _qty(c.get("payChannelValue"))}
             for c in data.get("payChannelDetail") or [] if isinstance(c, dict)]
    if chans:
        conn.execute(insert(pay_channels), chans)


_MARK_COLUMNS = ("state", "origin", "in_doubt", "carry", "bill_batch_code", "bill_no", "random", "create_time",
                 "answer_json", "owner", "sign_value", "is_arrears", "updated_at")
_MARK = update(bills).where(bills.c.id == bindparam("bill_id")).values(
    {c: bindparam(c) for c in _MARK_COLUMNS})


def mark_issued(conn: Connection, clock: Clock, who: Actor, bill_id: int, answer: dict[str, Any], *,
                origin: str = "online", in_doubt: bool = False, carry: str = "none",
                sign_value: str | None = None, action: str = "issue",
                data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Turn a pending claim into an issued bill with the platform's (or our emergency) answer;
    returns the bill's row after the change.

    :param data: the request as claimed (saves reading it back from the row).
    """
    before = dict(by_id(conn, bill_id))
    if data is None:
        data = loads(before["request_json"])
    values = {
        "state": "issued", "origin": origin, "in_doubt": int(in_doubt), "carry": carry,
        "bill_batch_code": answer.get("billBatchCode"), "bill_no": answer.get("billNo"),
        "random": answer.get("random"), "create_time": answer.get("createTime"),
        "answer_json": dumps(answer), "owner": None, "sign_value": sign_value,
        "is_arrears": data.get("isArrears"), "updated_at": ts17(clock.now()),
    }
    conn.execute(_MARK, values | {"bill_id": bill_id})
    store_details(conn, bill_id, data, fresh=before["state"] == "pending")
    after = before | values
    audit(conn, clock, who, action, "bill", bill_id, public(before), public(after))
    return after


def issue_answer(row: RowMapping | dict[str, Any], answer: dict[str, Any] | None = None) -> dict[str, Any]:
    """The B-1 answer (spec §3.4) recorded for an issued bill (``answer``: the recorded answer
    when the caller still has it, saving a JSON parse)."""
    if answer is None:
        answer = loads(row["answer_json"]) if row["answer_json"] else {}
    out = {k: answer.get(k, "") for k in ("billBatchCode", "billNo", "random", "createTime", "billQRCode",
                                          "pictureUrl", "pictureNetUrl")}
    if not out["billQRCode"] and row["origin"] != "online" and row["bill_no"]:
        out["billQRCode"] = local_qr_png(row)
    return out | _markers(row)


def _markers(row: RowMapping | dict[str, Any]) -> dict[str, str]:
    # Extra keys (lenient HIS ignore unknown keys, spec §2.1) telling our terminals that the bill
    # was issued from emergency stock and may still be in doubt until carried forward.
    if row["origin"] == "online":
        return {}
    return {"emergency": "1", "inDoubt": str(row["in_doubt"]), "carryState": row["carry"]}


def red_of(conn: Connection, bill_id: int) -> RowMapping | None:
    """The latest red bill of a bill."""
    return conn.execute(select(red_bills).where(red_bills.c.bill_id == bill_id)
                        .order_by(red_bills.c.id.desc())).mappings().first()


def busno_answer(conn: Connection, row: RowMapping) -> dict[str, Any]:
    """getEBillByBusNo's answer (spec §5) from local records."""
    out = {k: v for k, v in issue_answer(row).items()}
    out["isScarlet"] = str(row["is_scarlet"])
    red = red_of(conn, row["id"])
    if red is not None and red["state"] == "issued":
        ans = loads(red["answer_json"]) if red["answer_json"] else {}
        out.update({"scarletBillBatchCode": red["bill_batch_code"], "scarletBillNo": red["bill_no"],
                    "scarletRandom": red["random"], "scarletCreateTime": red["create_time"],
                    "scarletBillQRCode": ans.get("billQRCode", ""),
                    "scarletPictureUrl": ans.get("pictureUrl", "")})
    return out


def states_answer(conn: Connection, row: RowMapping) -> dict[str, Any]:
    """getEBillStatesByBillInfo's answer (spec §5) from local records."""
    red = red_of(conn, row["id"])
    out = {"billName": row["method"], "billBatchCode": row["bill_batch_code"], "billNo": row["bill_no"],
           "random": row["random"], "ivcDateTime": row["create_time"],
           "state": "2" if row["state"] == "void" else "1", "isPrtPaper": str(row["is_prt_paper"]),
           "pBillBatchCode": row["p_bill_batch_code"] or "", "pBillNo": row["p_bill_no"] or "",
           "isScarlet": str(row["is_scarlet"])}
    if red is not None and red["state"] == "issued":
        out.update({"scarletBillBatchCode": red["bill_batch_code"], "scarletBillNo": red["bill_no"],
                    "scarletRandom": red["random"], "scarletCreateTime": red["create_time"]})
    return out
