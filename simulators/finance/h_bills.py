"""Red-flush, status, queries, pictures, notices and list data (spec §5, §9)."""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

from billing_core import envelope, methods
from billing_core.pagination import list_page_count
from simulators.finance import errors as E
from simulators.finance import render
from simulators.finance.errors import SimError
from simulators.finance.h_emergency import emergency_block_of
from simulators.finance.h_issue import existing_by_bus_no
from simulators.finance.platform import (
    CallCtx,
    Platform,
    find_bill,
    items_of,
    make_red,
    method,
    notice_bill,
    page,
    picture_url,
    qr_text,
    red_response,
)
from simulators.finance.platform_paper import paper_of, use_paper


def find_for_write_off(db: sqlite3.Connection, batch: str, no: str) -> sqlite3.Row:
    """The bill to red-flush; an emergency number not yet uploaded is refused with E4015 (§17)."""
    try:
        return find_bill(db, batch, no, doc="bill")
    except SimError:
        if emergency_block_of(db, batch, no) is not None:
            raise SimError(E.NOT_UPLOADED, f"应急票据{batch}/{no}尚未上传，不能冲红") from None
        raise


@method(methods.WRITE_OFF_EBILL)
def write_off(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Red-flush a whole bill; a bill exchanged to paper needs its paper voided first (seed 001 (三)1(5))."""
    blue = find_for_write_off(db, data["billBatchCode"], data["billNo"])
    if blue["is_prt_paper"] and not blue["is_scarlet"]:
        raise SimError(E.HAS_PAPER, f"电子票据{blue['bill_batch_code']}/{blue['bill_no']}已换开纸质票据，请先作废纸质票据")
    red = make_red(db, ctx, p.now17(), blue, data, "writeOffEBill")
    return red_response(red, ctx.base_url)


@method(methods.WRITE_OFF_EBILL_TO_PAPER)
def write_off_to_paper(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Red-flush a bill exchanged to paper onto a red paper bill; the exchanged paper stays."""
    blue = find_for_write_off(db, data["billBatchCode"], data["billNo"])
    if not blue["is_prt_paper"]:
        raise SimError(E.NOT_PAPER, f"电子票据{blue['bill_batch_code']}/{blue['bill_no']}未换开纸质票据")
    now = p.now17()
    red = make_red(db, ctx, now, blue, data, "writeOffEBillToPaper")
    use_paper(db, str(data["placeCode"]), str(data["pBillBatchCode"]), str(data["pBillNo"]), red["id"], "red",
              now, str(data["busDateTime"]), str(data["operator"]))
    return red_response(red, ctx.base_url)


def _scarlet(db: sqlite3.Connection, blue: sqlite3.Row) -> dict[str, Any]:
    if not blue["is_scarlet"]:
        return {"isScarlet": "0"}
    red = db.execute("SELECT * FROM bills WHERE id = ?", (blue["red_id"],)).fetchone()
    return {"isScarlet": "1", "scarletBillBatchCode": red["bill_batch_code"], "scarletBillNo": red["bill_no"],
            "scarletRandom": red["random"], "scarletBillQRCode": render.qr_png_b64(qr_text(red)),
            "scarletCreateTime": red["create_time"], "scarletBillBusDate": red["bus_date_time"],
            "scarletPictureUrl": picture_url(red["base_url"], red),
            "scarletPictureNetUrl": picture_url(red["base_url"], red, "net")}


@method(methods.GET_EBILL_BY_BUS_NO)
def by_bus_no(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """The idempotency lookup: the bill issued for a busNo (E3001 when none)."""
    bill = existing_by_bus_no(db, str(data["busNo"]))
    if bill is None:
        raise SimError(E.NOT_FOUND, f"未找到业务流水号{data['busNo']}对应的电子票据")
    out = {"billBatchCode": bill["bill_batch_code"], "billNo": bill["bill_no"], "random": bill["random"],
           "billQRCode": render.qr_png_b64(qr_text(bill)), "createTime": bill["create_time"],
           "pictureUrl": picture_url(bill["base_url"], bill), "pictureNetUrl": picture_url(bill["base_url"], bill, "net")}
    out.update(_scarlet(db, bill))
    return out


@method(methods.GET_EBILL_STATES_BY_BILL_INFO)
def states(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """State, paper exchange and 冲红 of a bill."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"])
    paper = paper_of(db, bill["id"])
    out = {"billName": bill["bill_name"], "billBatchCode": bill["bill_batch_code"], "billNo": bill["bill_no"],
           "random": bill["random"], "ivcDateTime": bill["create_time"], "state": str(bill["state"]),
           "isPrtPaper": str(bill["is_prt_paper"]),
           "pBillBatchCode": paper["p_bill_batch_code"] if paper else "",
           "pBillNo": paper["p_bill_no"] if paper else "", "pCreateTime": paper["create_time"] if paper else "",
           "pBillBusDate": paper["bus_date_time"] if paper else ""}
    out.update(_scarlet(db, bill))
    return out


@method(methods.GET_BILL_DETAIL)
def detail(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """The bill's header, charge items, list lines and payment channels."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], data["random"])
    req = envelope.loads(bill["data_json"])
    header_keys = ("busNo", "busType", "payer", "busDateTime", "placeCode", "payee", "author", "totalAmt",
                   "remark", "cardType", "cardNo", "sex", "age", "idCardNo", "patientNo", "patientId", "caseNumber",
                   "hospitalNo", "category", "inHospitalDate", "outHospitalDate", "cashPay", "cashRecharge",
                   "cashRefund", "medicalInstitution", "medicalCareType", "medicalInsuranceID", "fundPay",
                   "otherfundPay", "accountPay", "selfConceitedAmt", "selfPayAmt", "selfCashPay", "ownPay")
    out: dict[str, Any] = {k: req.get(k, "") for k in header_keys}
    out.update(busNo=bill["bus_no"], busType=bill["bus_type"], totalAmt=bill["total_amt"],
               placeCode=bill["place_code"])
    for k in ("inHospitalDate", "outHospitalDate"):  # yyyy-MM-dd in this answer (spec §5)
        v = str(out[k])
        out[k] = f"{v[:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 and v.isdigit() else v
    out["otherParameter"] = [{"infoName": i.get("infoName", ""), "infoValue": i.get("infoValue", "")}
                             for i in req.get("otherInfo") or []]
    out["otherSpecialParameter"] = [{"infoName": i.get("infoName", ""), "infoValue": i.get("infoValue", "")}
                                    for i in req.get("otherMedicalList") or []]
    out["chargeDetail"] = items_of(db, bill["id"], "charge")
    out["listDetail"] = items_of(db, bill["id"], "list")
    out["payChannelDetail"] = items_of(db, bill["id"], "pay")
    return out


@method(methods.GET_EBILL_PIC_URL)
def pic_url(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """H5 page URLs for a display channel."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], data["random"])
    channel = str(data.get("channelMode", "1"))
    return {"pictureUrl": picture_url(ctx.base_url, bill, "" if channel == "1" else channel),
            "pictureNetUrl": picture_url(ctx.base_url, bill, "net")}


def notice_parts(db: sqlite3.Connection, bill: sqlite3.Row) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """What the notice PNG / PDF / H5 page draw: the bill, its charge items, the QR text."""
    items = items_of(db, bill["blue_id"] if bill["kind"] == "red" else bill["id"], "charge")
    return notice_bill(db, bill), items, qr_text(bill)


@method(methods.GET_EBILL_NOTIFY_PIC)
def notify_pic(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """The notice (告知单): its fields and, with isReturnPic=1, the PNG as pictureData."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"])
    out = {"billBatchCode": bill["bill_batch_code"], "billNo": bill["bill_no"], "random": bill["random"],
           "createTime": bill["create_time"], "billQRCode": render.qr_png_b64(qr_text(bill))}
    if str(data.get("isReturnPic", "0")) == "1":
        out["pictureData"] = base64.b64encode(render.notice_png(*notice_parts(db, bill))).decode("ascii")
    return out


@method(methods.GET_EBILL_LAYOUT_FILE, raw=True)
def layout_file(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Simulator method (seed 002 (7)): the bill's layout file as a base64 PDF."""
    missing = [k for k in ("billBatchCode", "billNo", "random") if not str(data.get(k) or "")]
    if missing:
        raise SimError(E.BAD_REQUEST, f"缺少必填字段：{'、'.join(missing)}")
    bill = find_bill(db, str(data["billBatchCode"]), str(data["billNo"]), str(data["random"]))
    pdf = render.layout_pdf(*notice_parts(db, bill))
    return {"billBatchCode": bill["bill_batch_code"], "billNo": bill["bill_no"], "fileType": "PDF",
            "fileData": base64.b64encode(pdf).decode("ascii")}


@method(methods.GET_EBILL_ACCOUNT_STATUS)
def account_status(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Booking state: "0" not booked, "1" booked (set through the control endpoint)."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], data["random"])
    if str(data["createTime"]) != bill["create_time"]:
        raise SimError(E.NOT_FOUND, f"开票时间与电子票据不符：{bill['bill_batch_code']}/{bill['bill_no']}")
    return {"state": str(bill["account_state"])}


def _bills_between(db: sqlite3.Connection, data: dict[str, Any], extra: str, args: tuple[Any, ...]) -> list[sqlite3.Row]:
    sql = ("SELECT * FROM bills WHERE doc = 'bill' AND kind = 'blue' AND bus_date_time BETWEEN ? AND ?" + extra)
    params: list[Any] = [str(data["busBgnDate"]), str(data["busEndDate"]), *args]
    for key, col in (("busType", "bus_type"), ("cardType", "card_type"), ("cardNo", "card_no"),
                     ("idCardNo", "id_card_no"), ("patientId", "patient_id"), ("placeCode", "place_code")):
        if data.get(key):
            sql += f" AND {col} = ?"
            params.append(str(data[key]))
    return db.execute(sql + " ORDER BY id", params).fetchall()


def _list_entry(b: sqlite3.Row) -> dict[str, Any]:
    req = envelope.loads(b["data_json"])
    return {"busDate": b["bus_date_time"], "busNo": b["bus_no"], "billName": b["bill_name"],
            "billBatchCode": b["bill_batch_code"], "billNo": b["bill_no"], "random": b["random"],
            "totalAmt": b["total_amt"], "payer": b["payer"], "sex": str(req.get("sex", "")),
            "idCardNo": b["id_card_no"], "ivcDateTime": b["create_time"], "remark": str(req.get("remark", ""))}


@method(methods.GET_EBILL_UNPRINT_LIST)
def unprint_list(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Valid e-bills not yet exchanged to paper (kiosk use)."""
    rows = _bills_between(db, data, " AND state = 1 AND is_scarlet = 0 AND is_prt_paper = 0", ())
    return {"total": len(rows), "pageNo": str(data["pageNo"]),
            "billList": [_list_entry(b) for b in page(rows, data["pageNo"], data["pageSize"])]}


@method(methods.GET_NOT_PRINT_LIST)
def not_print_list(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Valid e-bills whose image was not printed (the simulator prints nothing, so: not on paper)."""
    rows = _bills_between(db, data, " AND state = 1 AND is_scarlet = 0 AND is_prt_paper = 0", ())
    out = []
    for b in page(rows, data["pageNo"], data["pageSize"]):
        entry = _list_entry(b)
        entry["listFlag"] = "1" if b["list_count"] else "0"
        out.append(entry)
    return {"total": len(rows), "pageNo": str(data["pageNo"]), "billList": out}


@method(methods.GET_EBILL_PRINT_LIST)
def print_list(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Bills already exchanged to paper (the one-week range limit is billing_core validation)."""
    rows = _bills_between(db, data, " AND is_prt_paper = 1", ())
    out = []
    for b in page(rows, data["pageNo"], data["pageSize"]):
        paper = paper_of(db, b["id"])
        out.append({"busDate": b["bus_date_time"], "placeCode": b["place_code"], "billName": b["bill_name"],
                    "billBatchCode": b["bill_batch_code"], "billNo": b["bill_no"],
                    "relatedBillBatchCode": paper["p_bill_batch_code"] if paper else "",
                    "relatedBillNo": paper["p_bill_no"] if paper else "", "ivcDateTime": b["create_time"]})
    return {"total": len(rows), "pageNo": str(data["pageNo"]), "billList": out}


@method(methods.RECEIVE_ARREARS_FEEDBACK)
def arrears(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """A not-circulable bill (isArrears=0) becomes circulable."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], doc="bill")
    if bill["is_arrears"] != "0":
        raise SimError(E.ALREADY_CIRCULABLE, f"电子票据{bill['bill_batch_code']}/{bill['bill_no']}已是可流通状态")
    db.execute("UPDATE bills SET is_arrears = '1', arrears_date = ? WHERE id = ?",
               (str(data["feedBackDate"]), bill["id"]))
    return "成功"


@method(methods.RECEIVE_LIST_DETAIL)
def list_detail(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Append list lines in chunks; chunk numbers must increase (no repeats)."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], doc="bill")
    batch_no = int(data["batchNo"])
    if batch_no <= bill["list_batch"]:
        raise SimError(E.LIST_BATCH_ORDER, f"清单批次号必须递增：已收到{bill['list_batch']}，本次{batch_no}")
    lines = list(data.get("listDetail") or [])
    start = bill["list_count"]
    db.executemany("INSERT INTO bill_items VALUES (?, 'list', ?, ?)",
                   [(bill["id"], start + i, envelope.dumps(x)) for i, x in enumerate(lines)])
    db.execute("UPDATE bills SET list_count = list_count + ?, list_batch = ? WHERE id = ?",
               (len(lines), batch_no, bill["id"]))
    return "成功"


@method(methods.GET_ELECT_BILL_LIST_TOTAL)
def list_total(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """List page count by billing_core's rule; a bill without list lines is an error (seed 000 item 11)."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"], data["random"])
    return {"total": str(list_page_count(bill["list_count"]))}


@method(methods.SEND_BILL_NOTICE)
def send_notice(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Record an SMS (1201) / e-mail (1202) delivery of a bill."""
    bill = find_bill(db, data["billBatchCode"], data["billNo"])
    notices = list(data.get("noticeList") or [])
    if not notices:
        raise SimError(E.BAD_NOTICE, "noticeList不能为空")
    now = p.now17()
    db.executemany("INSERT INTO notices (bill_id, notice_type, notice_value, time) VALUES (?, ?, ?, ?)",
                   [(bill["id"], str(n["noticeType"]), str(n["noticeValue"]), now) for n in notices])
    return "成功"


@method(methods.TEST_SERVER_CONNECT)
def test_connect(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """Connectivity check."""
    return "成功"
