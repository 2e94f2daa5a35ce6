"""Reading and writing bill records, and the answer shapes built from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, delete, insert, select

from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps, loads
from billing_core.money import parse_decimal
from sync_server.bills import state
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


def payee_of(data: dict[str, Any]) -> str | None:
    """The request's payee (收费员) as kept in ``bills.payee`` for the reports (None when absent)."""
    value = data.get("payee")
    return str(value)[:50] if value not in (None, "") else None


def public(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    """The audit view of a bill row (no request body)."""
    keys = ("bus_no", "state", "origin", "in_doubt", "carry", "bill_batch_code", "bill_no", "random",
            "total_amt", "is_scarlet", "is_prt_paper", "p_bill_batch_code", "p_bill_no", "is_arrears",
            "void_reason")
    return {k: row[k] for k in keys}


def qty(value: object) -> Decimal | None:
    """A quantity or amount of a detail row as stored: a Decimal, or None when absent or unusable.

    The one parser of detail values (issue 13 §4). The terminal batch used ``Decimal(str(v))``,
    which lets ``NaN``/``Infinity``/``1e400`` through into Numeric columns; this one (billing_core's
    ``parse_decimal``) refuses them, and keeps Decimals of normalised requests as they are.
    """
    if isinstance(value, Decimal):  # normalised requests already carry Decimals
        return value if value.is_finite() else None
    if value in (None, ""):
        return None
    try:
        return parse_decimal(value, places=6, digits=20, allow_negative=True)
    except Exception:  # noqa: BLE001 - stored as given; validation already ran
        return None


def detail_rows(bill_id: int, data: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``bill_items`` rows (charge and list details) and ``pay_channels`` rows of one bill's
    request: the one builder for single (:func:`store_details`) and bulk (terminal batch) writes."""
    items: list[dict[str, Any]] = []
    for kind, key in (("charge", "chargeDetail"), ("list", "listDetail")):
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict):
                continue
            items.append({"bill_id": bill_id, "kind": kind, "sort_no": item.get("sortNo", i + 1),
                          "charge_code": item.get("chargeCode"),
                          "name": item.get("chargeName") if kind == "charge" else item.get("name"),
                          "unit": item.get("unit"), "std": qty(item.get("std")),
                          "number": qty(item.get("number")), "amt": qty(item.get("amt")),
                          "self_amt": qty(item.get("selfAmt"))})
    chans = [{"bill_id": bill_id, "code": str(c.get("payChannelCode")), "value": qty(c.get("payChannelValue"))}
             for c in data.get("payChannelDetail") or [] if isinstance(c, dict)]
    return items, chans


def store_details(conn: Connection, bill_id: int, data: dict[str, Any], *, fresh: bool = False) -> None:
    """Store the charge items, list items and pay channels of an issued bill.

    :param fresh: the bill has no details yet (skips clearing them first).
    """
    if not fresh:
        conn.execute(delete(bill_items).where(bill_items.c.bill_id == bill_id))
        conn.execute(delete(pay_channels).where(pay_channels.c.bill_id == bill_id))
    items, chans = detail_rows(bill_id, data)
    if items:
        conn.execute(insert(bill_items), items)
    if chans:
        conn.execute(insert(pay_channels), chans)


def mark_issued(conn: Connection, clock: Clock, who: Actor, bill_id: int, answer: dict[str, Any], *,
                emergency: bool = False, in_doubt: bool = False, sign_value: str | None = None,
                action: str = "issue", data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Turn a pending claim into an issued bill with the platform's answer (transition ``issue``)
    or our emergency number (``issue_emergency``, ``in_doubt`` as given); returns the bill's row
    after the change.

    :param data: the request as claimed (saves reading it back from the row).
    :raises TransitionRefused: the bill is no longer a pending claim; nothing written.
    """
    before = dict(by_id(conn, bill_id))
    if data is None:
        data = loads(before["request_json"])
    values = {
        "bill_batch_code": answer.get("billBatchCode"), "bill_no": answer.get("billNo"),
        "random": answer.get("random"), "create_time": answer.get("createTime"),
        "answer_json": dumps(answer), "owner": None, "sign_value": sign_value,
        "is_arrears": data.get("isArrears"), "updated_at": ts17(clock.now()),
    }
    if emergency:
        written = state.move(conn, state.TRANSITIONS["issue_emergency"], bill_id, values=values, in_doubt=in_doubt)
    else:
        written = state.move(conn, state.TRANSITIONS["issue"], bill_id, values=values)
    store_details(conn, bill_id, data, fresh=before["state"] == "pending")
    after = before | written
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
    # billBusDate: the business time (17 digits); a 2025 HIS client treats an answer without it as
    # "not issued" (spec §3.4). The platform's value when it sent one, else the request's busDateTime.
    out["billBusDate"] = answer.get("billBusDate") or row["bus_date_time"] or ""
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
