"""Contract tests of the voucher methods of ``/insurance/api`` (insVoucherUpload, insVoucherStatus,
insVoucherReupload)
over HTTP on SQLite and PostgreSQL, against the real insurance and finance simulators: the
voucher of a settled settlement's bill is queued in the outbox, uploaded by the worker with the
bill's layout file (4901), queried (5501); repeats are idempotent; every refusal has its code;
an outage of the insurance platform delays the upload, never loses it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from ins_stack import InsTerminal, fees_data, insurance_config, register_data, terminal
from sqlalchemy import select

from billing_core import methods
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log, outbox
from sync_server.store.voucher_schema import ins_vouchers
from tests.rigs.insurance import LI, QIAN, ZHANG, InsSimProcess
from tests.rigs.stack import DB_KINDS, ServerThread, Simulator, db_config, drop_pg_schema
from workflows.insurance.bill import insured_request
from workflows.insurance.models import InsuredPerson, Split

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "requests" / "outpatient.json"


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    sim = Simulator(tmp_path_factory.mktemp("fin")).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module", params=DB_KINDS)
def vserver(request: pytest.FixtureRequest, ins_sim: InsSimProcess, finance: Simulator,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server with both platforms: finance (bills and their layout files) and insurance."""
    db = db_config(request.param)
    st = ServerThread(tmp_path_factory.mktemp(f"vserver_{request.param}"), finance.url,
                      **(db | insurance_config(ins_sim, timeout=3.0, other=request.param != "sqlite")))
    try:
        yield st
    finally:
        st.stop()
        if db.get("database_schema"):
            drop_pg_schema(db["database_schema"])


@pytest.fixture
def term(vserver: ServerThread) -> Iterator[InsTerminal]:
    t = terminal(f"http://127.0.0.1:{vserver.port}", vserver.demo)
    try:
        yield t
    finally:
        t.close()


def _settled(term: InsTerminal, person: dict[str, str]) -> dict[str, Any]:
    reg = term.ok("insRegister", register_data(person))
    term.ok("insUploadFees", fees_data(reg["settlementId"]))
    term.ok("insPreSettle", {"settlementId": reg["settlementId"]})
    done: dict[str, Any] = term.ok("insSettle", {"settlementId": reg["settlementId"]})
    return done


def _bill(server: ServerThread, rec: dict[str, Any], person: dict[str, str], amount: str = "") -> dict[str, Any]:
    """Issue the settlement's e-bill through the server's HIS interface (as the terminal)."""
    base = json.loads(SAMPLE.read_text(encoding="utf-8"))
    for k in ("listDetail", "otherMedicalList", "weChatOrderNo", "reimbursementAmt"):
        base.pop(k, None)
    total = amount or rec["medfeeSumamt"]
    base.update({"busNo": f"V{time.time_ns() % 10**14}", "totalAmt": total,
                 "chargeDetail": [{"sortNo": 1, "chargeCode": "004", "chargeName": "化验费", "unit": "项", "std": total,
                                   "number": "1", "amt": total, "selfAmt": "0.00"}],
                 "listDetail": [{"chargeCode": "004", "name": "血常规检查", "unit": "次", "std": f"{Decimal(total):.4f}",
                                 "number": "1", "amt": f"{Decimal(total):.4f}", "selfAmt": "0.0000"}]})
    medfee = Decimal(total)
    acct, cash = Decimal(rec["acctPay"]), Decimal(rec["psnCashPay"])
    if amount:  # a bill that is not the settlement's: all fund
        acct = cash = Decimal("0.00")
    split = Split(medfee, medfee - acct - cash, acct, cash)
    psn = InsuredPerson(person["psn_no"], person["name"], "", "", "", person["insutype"], person["plc"],
                        Decimal("0.00"), "02", person["certno"])
    request = insured_request(base, split, psn, rec["setlId"] or "", "02")
    ans: dict[str, Any] = server.his().ok(methods.INVOICE_EBILL_OUTPATIENT, request)
    return ans


def _uploaded(term: InsTerminal, server: ServerThread, sid: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        server.ctx.wake.set()
        status: dict[str, Any] = term.ok("insVoucherStatus", {"settlementId": sid})
        if status["state"] != "queued" or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_voucher_queued_uploaded_and_queried(vserver: ServerThread, term: InsTerminal, ins_sim: InsSimProcess) -> None:
    rec = _settled(term, LI)
    sid = rec["settlementId"]
    bill = _bill(vserver, rec, LI)
    data = {"settlementId": sid, "billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"]}
    queued = term.ok("insVoucherUpload", data)
    assert queued["state"] == "queued" and queued["billNo"] == bill["billNo"]
    assert term.ok("insVoucherUpload", data)["state"] in ("queued", "uploaded")  # a repeat: the same row
    status = _uploaded(term, vserver, sid)
    assert status["state"] == "uploaded" and status["uploadCount"] == 1 and status["attempts"] >= 1
    fresh = term.ok("insVoucherStatus", {"settlementId": sid, "refresh": "1"})
    assert fresh["certState"] == "1" and fresh["reimFlag"] == "0"
    assert [(c["billBatchCode"], c["billNo"]) for c in fresh["centre"]] == [(bill["billBatchCode"], bill["billNo"])]
    with read_tx(vserver.ctx.engine) as conn:
        rows = conn.execute(select(ins_vouchers).where(ins_vouchers.c.settlement_id == sid)).mappings().all()
        actions = [r[0] for r in conn.execute(select(audit_log.c.action).where(
            audit_log.c.entity == "ins_voucher"))]
    assert [r["state"] for r in rows] == ["uploaded"]
    assert {"ins_voucher_queued", "ins_voucher_attempt", "ins_voucher_uploaded"} <= set(actions)
    # another bill for the same settlement: refused
    code, msg = term.call("insVoucherUpload", data | {"billNo": "9999999999"})
    assert code == "E5643" and bill["billNo"] in msg
    # the red-flush voucher: only for a cancelled settlement whose bill is red
    code, msg = term.call("insVoucherUpload", {"settlementId": sid, "red": "1"})
    assert code == "E5641" and "撤销后" in msg
    term.ok("insCancel", {"settlementId": sid})
    code, msg = term.call("insVoucherUpload", {"settlementId": sid, "red": "1"})
    assert code == "E5642" and "尚未冲红" in msg
    vserver.his().ok(methods.WRITE_OFF_EBILL, {"billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"],
                                              "reason": "退费", "operator": "王芳", "placeCode": "001",
                                              "busDateTime": time.strftime("%Y%m%d%H%M%S") + "000"})
    red = term.ok("insVoucherUpload", {"settlementId": sid, "red": "1"})
    assert red["flag"] == "1" and red["state"] == "queued" and red["billNo"] != bill["billNo"]
    deadline = time.monotonic() + 30
    while term.ok("insVoucherStatus", {"settlementId": sid})["red"]["state"] == "queued":
        assert time.monotonic() < deadline
        vserver.ctx.wake.set()
        time.sleep(0.2)
    after = term.ok("insVoucherStatus", {"settlementId": sid, "refresh": "1"})
    assert after["red"]["state"] == "uploaded" and after["certState"] == "2"


def test_voucher_refusals(vserver: ServerThread, term: InsTerminal) -> None:
    code, msg = term.call("insVoucherUpload", {"settlementId": 999999, "billBatchCode": "X", "billNo": "1"})
    assert code == "E5614"
    code, msg = term.call("insVoucherUpload", {"settlementId": 1, "billBatchCode": "X"})
    assert code == "E5610" and "billNo" in msg
    reg = term.ok("insRegister", register_data(QIAN))
    sid = reg["settlementId"]
    code, msg = term.call("insVoucherUpload", {"settlementId": sid, "billBatchCode": "X", "billNo": "1"})
    assert code == "E5641" and "已登记" in msg
    code, _ = term.call("insVoucherStatus", {"settlementId": sid})
    assert code == "E5644"
    term.ok("insCancel", {"settlementId": sid})
    rec = _settled(term, QIAN)
    code, msg = term.call("insVoucherUpload", {"settlementId": rec["settlementId"], "billBatchCode": "NOPE",
                                               "billNo": "0000000001"})
    assert code == "E5642" and "NOPE" in msg
    other = _bill(vserver, rec, QIAN, amount="12.00")
    code, msg = term.call("insVoucherUpload", {"settlementId": rec["settlementId"],
                                               "billBatchCode": other["billBatchCode"], "billNo": other["billNo"]})
    assert code == "E5642" and "12.00" in msg
    with read_tx(vserver.ctx.engine) as conn:
        assert not conn.execute(select(ins_vouchers).where(
            ins_vouchers.c.settlement_id.in_([sid, rec["settlementId"]]))).first()
    term.ok("insCancel", {"settlementId": rec["settlementId"]})


def test_voucher_survives_an_outage_and_a_refusal_is_kept(vserver: ServerThread, term: InsTerminal,
                                                          ins_sim: InsSimProcess) -> None:
    rec = _settled(term, ZHANG)
    sid = rec["settlementId"]
    bill = _bill(vserver, rec, ZHANG)
    ins_sim.knobs(down=True)
    try:
        term.ok("insVoucherUpload", {"settlementId": sid, "billBatchCode": bill["billBatchCode"],
                                     "billNo": bill["billNo"]})
        time.sleep(1.5)
        vserver.ctx.wake.set()
        assert term.ok("insVoucherStatus", {"settlementId": sid})["state"] == "queued"
    finally:
        ins_sim.knobs(down=None)
    assert _uploaded(term, vserver, sid)["state"] == "uploaded"
    term.ok("insCancel", {"settlementId": sid})
    # a refusal of the voucher centre is final and keeps the reason
    rec = _settled(term, ZHANG)
    bill = _bill(vserver, rec, ZHANG)
    ins_sim.knobs(refuse={"count": 1, "infcode": -1, "err_msg": "凭证校验失败", "infnos": ["4901"]})
    term.ok("insVoucherUpload", {"settlementId": rec["settlementId"], "billBatchCode": bill["billBatchCode"],
                                 "billNo": bill["billNo"]})
    status = _uploaded(term, vserver, rec["settlementId"])
    assert status["state"] == "refused" and "凭证校验失败" in status["message"]
    # refused before the centre kept it: 4905 would have nothing to replace
    code, msg = term.call("insVoucherReupload", {"settlementId": rec["settlementId"], "reason": "重传"})
    assert code == "E5645" and "未被医保中心接收" in msg
    term.ok("insCancel", {"settlementId": rec["settlementId"]})


def _centre_count(ins_sim: InsSimProcess, bill: dict[str, Any]) -> int:
    """How many times the voucher centre received this bill's voucher (4901 + 4905)."""
    rows = ins_sim.control("GET", "/_sim/vouchers").json()["vouchers"]
    return sum(int(r["upload_count"]) for r in rows
               if (r["bill_code"], r["bill_no"]) == (bill["billBatchCode"], bill["billNo"]))


def _sent(server: ServerThread, sid: int) -> list[str]:
    with read_tx(server.ctx.engine) as conn:
        return [r[0] for r in conn.execute(select(outbox.c.method).where(
            outbox.c.group_key == f"insv:{sid}").order_by(outbox.c.id))]


def test_voucher_refused_by_the_centre_is_reuploaded(vserver: ServerThread, term: InsTerminal,
                                                     ins_sim: InsSimProcess) -> None:
    rec = _settled(term, QIAN)
    sid = rec["settlementId"]
    bill = _bill(vserver, rec, QIAN)
    code, _ = term.call("insVoucherReupload", {"settlementId": sid, "reason": "更正"})
    assert code == "E5644"
    ins_sim.knobs(voucher_reject={"count": 1, "err_msg": "票据版式文件模糊"})
    term.ok("insVoucherUpload", {"settlementId": sid, "billBatchCode": bill["billBatchCode"], "billNo": bill["billNo"]})
    refused = _uploaded(term, vserver, sid)
    assert refused["state"] == "refused" and "票据版式文件模糊" in refused["message"]
    assert _centre_count(ins_sim, bill) == 1
    code, msg = term.call("insVoucherReupload", {"settlementId": sid})
    assert code == "E5610" and "reason" in msg
    # the platform down: the re-upload waits in the outbox, a repeat returns the same row
    ins_sim.knobs(down=True)
    try:
        again = term.ok("insVoucherReupload", {"settlementId": sid, "reason": "版式文件重新生成"})
        assert again["state"] == "queued" and "版式文件重新生成" in again["message"]
        assert term.ok("insVoucherReupload", {"settlementId": sid, "reason": "版式文件重新生成"})["state"] == "queued"
        time.sleep(1.5)
        vserver.ctx.wake.set()
        assert term.ok("insVoucherStatus", {"settlementId": sid})["state"] == "queued"
    finally:
        ins_sim.knobs(down=None)
    done = _uploaded(term, vserver, sid)
    assert done["state"] == "uploaded" and done["uploadCount"] == 2 and done["attempts"] >= 2
    assert _centre_count(ins_sim, bill) == 2
    assert _sent(vserver, sid) == ["4901", "4905"]
    with read_tx(vserver.ctx.engine) as conn:
        vid = conn.execute(select(ins_vouchers.c.id).where(ins_vouchers.c.settlement_id == sid)).scalar_one()
        actions = [r[0] for r in conn.execute(select(audit_log.c.action).where(
            audit_log.c.entity == "ins_voucher", audit_log.c.entity_id == str(vid)).order_by(audit_log.c.id))]
    # queued -> refused (review) -> re-upload queued -> attempts (some while down) -> uploaded
    assert actions.index("ins_voucher_refused") < actions.index("ins_voucher_reupload_queued")
    assert actions.count("ins_voucher_reupload_queued") == 1 and actions[-1] == "ins_voucher_uploaded"
    assert actions[-2] == "ins_voucher_attempt"
    # accepted now: a re-upload is refused and nothing is queued or sent
    code, msg = term.call("insVoucherReupload", {"settlementId": sid, "reason": "再传一次"})
    assert code == "E5645" and "无需重传" in msg
    assert _sent(vserver, sid) == ["4901", "4905"] and _centre_count(ins_sim, bill) == 2
    term.ok("insCancel", {"settlementId": sid})
