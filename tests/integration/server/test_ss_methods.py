"""Every method of the finance-simulator issue's list, through the sync server, on SQLite and
PostgreSQL: each answers S0000 for a valid request built against the simulator's real state,
and each state change is checked through a different read method."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from ss_rig import HisClient, ServerThread, load_sample, other_sample

from billing_core.methods import BATCH as BATCH_METHODS
from billing_core.methods import HIS_METHODS as ALL_HIS_METHODS
from billing_core.methods import ISSUE as ISSUE_METHODS

pytestmark = pytest.mark.integration

SAMPLES = {"invoiceEBillOutpatient": "outpatient.json", "invEBillHospitalized": "inpatient.json",
           "invEBillRegistration": "registration.json", "invEBillCheckUp": "checkup.json",
           "invoiceEBillCommon": "common_donation.json"}
PLACES = {"invoiceEBillOutpatient": "001", "invEBillHospitalized": "002", "invEBillRegistration": "003",
          "invEBillCheckUp": "004", "invoiceEBillCommon": "001"}
P_BATCH = "44060126"  # the simulator's machine-printed paper batch (docs/FINANCE_SIMULATOR.md)


def bus_no(prefix: str = "T") -> str:
    return f"{prefix}{uuid.uuid4().hex[:20]}"


def issue(his: HisClient, method: str = "invoiceEBillOutpatient", **changes: Any) -> tuple[dict[str, Any], dict]:
    bill = load_sample(SAMPLES[method]) | {"busNo": bus_no(), "placeCode": PLACES[method]} | changes
    return bill, his.ok(method, bill)


def ref(answer: dict[str, Any]) -> dict[str, str]:
    return {"billBatchCode": answer["billBatchCode"], "billNo": answer["billNo"]}


def paper_no(his: HisClient, place: str = "001") -> str:
    got = his.ok("getPaperBillNo", {"placeCode": place, "pBillBatchCode": P_BATCH})
    return str(got["pBillNo"])


def states(his: HisClient, answer: dict[str, Any]) -> dict[str, Any]:
    return his.ok("getEBillStatesByBillInfo", ref(answer))


def _issue_case(method: str):
    def case(his: HisClient, srv: ServerThread) -> None:
        bill, ans = issue(his, method)
        assert ans["billNo"] and ans["random"]
        found = his.ok("getEBillByBusNo", {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
        assert found["billNo"] == ans["billNo"]
    return case


def _batch_case(method: str):
    def case(his: HisClient, srv: ServerThread) -> None:
        single = BATCH_METHODS[method]
        bills = [load_sample(SAMPLES[single]) | {"busNo": bus_no("B"), "placeCode": PLACES[single]}
                 for _ in range(3)]
        batch = bus_no("BATCH")
        his.ok(method, {"batchNo": batch, "eBillList": bills})
        deadline = time.monotonic() + 30
        while True:
            got = his.ok("getBatchInvoiceEBill", {"batchNo": batch})
            if all(str(i["status"]) == "1" for i in got["eBillList"]):
                break
            assert time.monotonic() < deadline, got
            time.sleep(0.2)
        for b in bills:
            his.ok("getEBillByBusNo", {"busNo": b["busNo"], "busDateTime": b["busDateTime"]})
    return case


def c_get_batch(his: HisClient, srv: ServerThread) -> None:
    _batch_case("batchInvoiceEBillOutpatient")(his, srv)


def c_write_off(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    red = his.ok("writeOffEBill", other_sample("writeOffEBill") | ref(ans))
    assert red["eScarletBillNo"]
    assert str(states(his, ans)["isScarlet"]) == "1"


def c_write_off_paper(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    his.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": paper_no(his)})
    red = his.ok("writeOffEBillToPaper", other_sample("writeOffEBillToPaper") | ref(ans)
                 | {"pBillBatchCode": P_BATCH, "pBillNo": paper_no(his)})
    assert red["eScarletBillNo"]
    assert str(states(his, ans)["isScarlet"]) == "1"


def c_by_busno(his: HisClient, srv: ServerThread) -> None:
    bill, ans = issue(his)
    got = his.ok("getEBillByBusNo", {"busNo": bill["busNo"], "busDateTime": bill["busDateTime"]})
    assert got["billNo"] == ans["billNo"] and str(got["isScarlet"]) == "0"


def c_states(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    got = states(his, ans)
    assert str(got["state"]) == "1" and str(got["isPrtPaper"]) == "0"


def _with_random(method: str, extra: dict[str, Any] | None = None):
    def case(his: HisClient, srv: ServerThread) -> None:
        _, ans = issue(his)
        base = other_sample(method) if method != "getEBillLayoutFile" else {}
        data = base | ref(ans) | {"random": ans["random"]} | (extra or {})
        if method == "getEBillAccountStatus":
            data["createTime"] = ans["createTime"]
        if method == "getEBillNotifyPic":
            data.pop("random")
        got = his.ok(method, data)
        assert got not in (None, "", {})
    return case


def _list_case(method: str):
    def case(his: HisClient, srv: ServerThread) -> None:
        bill, ans = issue(his)
        if method == "getEBillPrintList":
            his.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH,
                                                                          "pBillNo": paper_no(his)})
        day = bill["busDateTime"][:8]
        data = other_sample(method) | {"busBgnDate": day + "000000000", "busEndDate": day + "235959999",
                                       "cardType": bill["cardType"], "cardNo": bill["cardNo"], "pageSize": 200}
        for k in ("idCardNo", "patientId", "busType"):
            data.pop(k, None)
        got = his.ok(method, data)
        assert ans["billNo"] in {b["billNo"] for b in got["billList"]}, got
    return case


def c_arrears(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his, "invEBillHospitalized", isArrears="0")
    his.ok("receiveArreasFeedBack", other_sample("receiveArreasFeedBack") | ref(ans))
    result, _ = his.call("receiveArreasFeedBack", other_sample("receiveArreasFeedBack") | ref(ans))
    assert result != "S0000"  # already circulable: the platform's state changed


def c_list_detail(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    his.ok("receiveListDetail", other_sample("receiveListDetail") | ref(ans))


def c_paper_no(his: HisClient, srv: ServerThread) -> None:
    first = paper_no(his)
    assert first.isdigit()


def c_turn_paper(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    p = paper_no(his)
    his.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": p})
    got = states(his, ans)
    assert str(got["isPrtPaper"]) == "1" and got["pBillNo"] == p


def c_re_turn(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    his.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": paper_no(his)})
    p2 = paper_no(his)
    his.ok("reTurnPaper", other_sample("reTurnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": p2})
    assert states(his, ans)["pBillNo"] == p2


def c_invalid_paper(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    p = paper_no(his)
    his.ok("turnPaper", other_sample("turnPaper") | ref(ans) | {"pBillBatchCode": P_BATCH, "pBillNo": p})
    red = his.ok("invalidPaper", other_sample("invalidPaper") | {"pBillBatchCode": P_BATCH, "pBillNo": p})
    assert red["eScarletBillNo"]
    assert str(states(his, ans)["isScarlet"]) == "1"


def c_invalid_blank(his: HisClient, srv: ServerThread) -> None:
    p = paper_no(his)
    his.ok("invalidBlankBillNo", other_sample("invalidBlankBillNo") | {"pBillBatchCode": P_BATCH, "pBillNoStart": p,
                                                                        "pBillNoEnd": p})
    assert paper_no(his) != p


def c_valid_bill_no(his: HisClient, srv: ServerThread) -> None:
    got = his.ok("getValidBillNo", {"placeCode": "001"})
    assert int(got["count"]) >= 1


def c_valid_batch(his: HisClient, srv: ServerThread) -> None:
    got = his.ok("getValidBillBatchCode", {"placeCode": "001"})
    assert got["billCodeList"]


def _paper_range(his: HisClient, count: int) -> dict[str, Any]:
    got = his.ok("getValidBillNo", {"placeCode": "001", "billBatchCode": P_BATCH})
    rng = next(r for r in got["billNoList"] if r["billBatchCode"] == P_BATCH)
    end = int(rng["billEndNo"])
    width = len(rng["billEndNo"])
    return {"billCode": rng["billCode"], "billBatchCode": P_BATCH, "copyNum": count,
            "billBgnNo": str(end - count + 1).zfill(width), "billEndNo": str(end).zfill(width)}


def c_stock_out(his: HisClient, srv: ServerThread) -> None:
    rng = _paper_range(his, 5)
    his.ok("billStockReturn", other_sample("billStockReturn") | {"billNoList": [rng]})
    his.ok("billStockOut", other_sample("billStockOut") | {"billNoList": [rng]})


def c_stock_return(his: HisClient, srv: ServerThread) -> None:
    rng = _paper_range(his, 3)
    his.ok("billStockReturn", other_sample("billStockReturn") | {"billNoList": [rng]})
    got = his.ok("getValidBillNo", {"placeCode": "001", "billBatchCode": P_BATCH})
    assert all(int(r["billEndNo"]) < int(rng["billBgnNo"]) or int(r["billBgnNo"]) > int(rng["billEndNo"])
               for r in got["billNoList"] if r["billBatchCode"] == P_BATCH)


def c_stock_list(his: HisClient, srv: ServerThread) -> None:
    got = his.ok("getBillStockOutList", {"placeCode": "001", "bgnDate": "2020-01-01", "endDate": "2030-12-31"})
    assert "billNoList" in got


def c_notice(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    his.ok("sendBillNotice", other_sample("sendBillNotice") | ref(ans))


def _recon_case(method: str):
    def case(his: HisClient, srv: ServerThread) -> None:
        bill, ans = issue(his)
        if "WriteOff" in method:
            his.ok("writeOffEBill", other_sample("writeOffEBill") | ref(ans))
        day10 = f"{bill['busDateTime'][:4]}-{bill['busDateTime'][4:6]}-{bill['busDateTime'][6:8]}"
        ivc = ans["createTime"][:8]
        ivc10 = f"{ivc[:4]}-{ivc[4:6]}-{ivc[6:8]}"
        if method.startswith("getBill"):
            d = day10.replace("-", "") if "Bus" in method else ivc
            got = his.ok(method, {"busBgnDate": d + "000000000", "busEndDate": d + "235959999", "placeCode": "001",
                                  "pageNo": 1, "pageSize": 200})
            assert ans["billNo"] in {b["billNo"] for b in got["billList"]}
            return
        key = "ivcDate" if "Ivc" in method else "busDate"
        got = his.ok(method, {key: ivc10 if key == "ivcDate" else day10, "busType": "02", "placeCode": "001",
                              "isReturnList": "1", "pageNo": 1, "pageSize": 200})
        assert int(got["allTotalNum"]) >= 1
        assert any(int(r["bgnNo"]) <= int(ans["billNo"]) <= int(r["endNo"]) or "WriteOff" in method
                   for r in got["billNoList"])
    return case


def c_voucher(his: HisClient, srv: ServerThread) -> None:
    data = other_sample("invoicePayMentVoucher") | {"busNo": bus_no("YJ"), "placeCode": "002"}
    got = his.ok("invoicePayMentVoucher", data)
    assert got["voucherNo"]


def c_voucher_write_off(his: HisClient, srv: ServerThread) -> None:
    data = other_sample("invoicePayMentVoucher") | {"busNo": bus_no("YJ"), "placeCode": "002"}
    v = his.ok("invoicePayMentVoucher", data)
    red = his.ok("writeOffPayMentVoucher", other_sample("writeOffPayMentVoucher") | {
        "placeCode": "002", "voucherBatchCode": v["voucherBatchCode"], "voucherNo": v["voucherNo"],
        "amt": data["amt"], "ownAcBalance": data["amt"]})
    assert red["voucherNo"]


def c_voucher_cancel(his: HisClient, srv: ServerThread) -> None:
    bill, ans = issue(his, "invEBillHospitalized", placeCode="002")
    got = his.ok("cancelPayMentVoucherBalance", other_sample("cancelPayMentVoucherBalance") | ref(ans) | {
        "placeCode": "002", "hospitalNo": bill["hospitalNo"]})
    assert got["eScarletBillNo"]


def c_voucher_paper(his: HisClient, srv: ServerThread) -> None:
    result, message = his.call("invalidPayMentVoucherPaper", other_sample("invalidPayMentVoucherPaper")
                               | {"placeCode": "002"})
    # no paper was printed from a deposit voucher: the platform's refusal travels back unchanged
    assert result.startswith("E3") or result == "S0000", (result, message)


def c_test_connect(his: HisClient, srv: ServerThread) -> None:
    assert his.ok("testServerConnect", {"testValue": "ping"})


def c_list_total(his: HisClient, srv: ServerThread) -> None:
    _, ans = issue(his)
    got = his.ok("getElectBilllListTotal", ref(ans) | {"random": ans["random"]})
    assert int(got["total"]) >= 1


CASES = {
    **{m: _issue_case(m) for m in ISSUE_METHODS},
    **{m: _batch_case(m) for m in BATCH_METHODS},
    "getBatchInvoiceEBill": c_get_batch, "writeOffEBill": c_write_off, "writeOffEBillToPaper": c_write_off_paper,
    "getEBillByBusNo": c_by_busno, "getEBillStatesByBillInfo": c_states,
    "getBillDetail": _with_random("getBillDetail"), "getEBillPicUrl": _with_random("getEBillPicUrl"),
    "getEBillNotifyPic": _with_random("getEBillNotifyPic"),
    "getEBillAccountStatus": _with_random("getEBillAccountStatus"),
    "getEBillLayoutFile": _with_random("getEBillLayoutFile", {}),
    "getEBillUnPrintList": _list_case("getEBillUnPrintList"), "getNotPrintList": _list_case("getNotPrintList"),
    "getEBillPrintList": _list_case("getEBillPrintList"),
    "receiveArreasFeedBack": c_arrears, "receiveListDetail": c_list_detail, "getPaperBillNo": c_paper_no,
    "turnPaper": c_turn_paper, "reTurnPaper": c_re_turn, "invalidPaper": c_invalid_paper,
    "invalidBlankBillNo": c_invalid_blank, "billStockOut": c_stock_out, "billStockReturn": c_stock_return,
    "getBillStockOutList": c_stock_list, "getValidBillNo": c_valid_bill_no, "getValidBillBatchCode": c_valid_batch,
    "sendBillNotice": c_notice,
    **{m: _recon_case(m) for m in ("checkTotalData", "checkTotalDataByIvcDate", "checkDataByPlace",
                                   "checkDataPlaceByIvcDate", "checkWriteOffData", "checkWriteOffDataByIvcDate",
                                   "getBillByBusDate", "getBillByIvcDate")},
    "invoicePayMentVoucher": c_voucher, "writeOffPayMentVoucher": c_voucher_write_off,
    "cancelPayMentVoucherBalance": c_voucher_cancel, "invalidPayMentVoucherPaper": c_voucher_paper,
    "testServerConnect": c_test_connect, "getElectBilllListTotal": c_list_total,
}


def test_every_listed_method_has_a_case() -> None:
    assert set(CASES) == set(ALL_HIS_METHODS)


@pytest.mark.parametrize("method", sorted(CASES))
def test_method_through_server(server: ServerThread, method: str) -> None:
    CASES[method](server.his(), server)


def test_every_bill_state_matches_its_last_audit_row(server: ServerThread) -> None:
    """Runs after the method cases on the same server: each bill's current state is exactly
    the ``after`` of its latest audit row, so no state change committed without its audit."""
    import json

    from sqlalchemy import select

    from sync_server.bills.records import public
    from sync_server.store.db import read_tx
    from sync_server.store.schema import audit_log, bills

    with read_tx(server.ctx.engine) as conn:
        rows = conn.execute(select(bills)).mappings().all()
        assert len(rows) > 40
        for row in rows:
            last = conn.execute(select(audit_log).where((audit_log.c.entity == "bill")
                                                        & (audit_log.c.entity_id == str(row["id"])))
                                .order_by(audit_log.c.id.desc())).mappings().first()
            assert last is not None, f"bill {row['id']} has no audit row"
            after = json.loads(last["after_json"])
            current = json.loads(__import__("billing_core.envelope", fromlist=["dumps"]).dumps(public(row)))
            assert {k: after.get(k) for k in current} == current, (row["bus_no"], last["action"])
            assert last["caller"] or last["actor"] == "server"


def test_a_batch_left_pending_by_a_dead_process_is_resumed(server: ServerThread) -> None:
    """A batch answered S0000 is stored first; if the process dies before finishing it, the
    worker resumes it (items are idempotent on busNo)."""
    from sqlalchemy import insert

    from billing_core.clock import ts17
    from billing_core.envelope import dumps
    from sync_server.security.audit import SERVER, audit
    from sync_server.store.db import write_tx
    from sync_server.store.schema import batches

    items = [load_sample("outpatient.json") | {"busNo": bus_no("RB"), "placeCode": "001"} for _ in range(2)]
    batch = bus_no("RBATCH")
    with write_tx(server.ctx.engine) as conn:  # what receive() stored before the process died
        conn.execute(insert(batches).values(batch_no=batch, caller_appid="HIS01", method="batchInvoiceEBillOutpatient",
                                            request_json=dumps({"batchNo": batch, "eBillList": items}),
                                            state="pending", created_at=ts17(server.ctx.clock.now())))
        audit(conn, server.ctx.clock, SERVER, "batch_received", "batch", batch)
    his = server.his()
    deadline = time.monotonic() + 30
    while True:
        got = his.ok("getBatchInvoiceEBill", {"batchNo": batch})
        if all(str(i["status"]) == "1" for i in got["eBillList"]):
            break
        assert time.monotonic() < deadline, got
        time.sleep(0.3)
    assert {i["busNo"] for i in got["eBillList"]} == {b["busNo"] for b in items}
