"""HisClient against the HIS simulator as a real process: every operation, restart keeps state,
fault knobs, a timeout resolved by requestId, masking."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core.bills import validate_request
from billing_core.clock import CST
from simulators.his.people import make_id_no
from tests.rigs.his_rig import HisProcess
from workflows.his import HisBadAnswer, HisClient, HisError, HisUnavailable, Payment

pytestmark = pytest.mark.integration


def rid() -> str:
    return "T" + secrets.token_hex(8)


def today() -> datetime:
    return datetime.now(CST)


def test_every_operation(client: HisClient, his_proc: HisProcess) -> None:
    demo = his_proc.demo["patients"]
    zhang = client.find_patient("hospitalCard", demo[0]["hospitalCard"])
    li = demo[1]
    assert client.find_patient("ssCard", li["ssCard"]).patient_id == li["id"]
    assert client.find_patient("idNo", li["idNo"]).patient_id == li["id"]
    assert client.find_patient("eVoucher", li["eVoucher"]).name == "李娜"
    # 办就诊卡 (a new patient: ID number with a valid check digit)
    new_id = make_id_no("110105", date(1991, 3, 4), secrets.randbelow(400) + 1, male=True)
    reg = client.register_card(rid(), name="郑好", sex="男", birth_date=date(1991, 3, 4), id_no=new_id,
                               phone="13722223333", first_top_up=Decimal("20"), card_fee=Decimal("5"),
                               payment=Payment.paid("05", "WX-REG", Decimal("25")))
    assert reg.patient.hospital_card == reg.hospital_card and reg.top_up and reg.card_fee
    assert client.prepay_balance(reg.patient.patient_id) == Decimal("20.00")
    # clinic
    depts = {d.name for d in client.departments()}
    assert {"内科", "外科", "儿科", "妇产科", "眼科", "急诊科"} <= depts
    assert all(d.dept_code == "NK" for d in client.doctors("NK"))
    day = today().date()
    slots = client.slots("NK", day, "普通")
    booking = client.register_now(rid(), zhang.patient_id, slots[0].slot_id, Payment.prepayment())
    assert booking.appointment.queue_no and booking.settlement.amount == slots[0].fee
    assert client.slots("NK", day, "普通")[0].remaining == slots[0].remaining - 1
    later = client.slots("WK", day + timedelta(days=3), "专家")[0]
    ahead = client.book_appointment(rid(), zhang.patient_id, later.slot_id, Payment.prepayment())
    assert [a.appointment_no for a in client.appointments(zhang.patient_id, "booked")] == [ahead.appointment.appointment_no]
    same_day = client.book_appointment(rid(), reg.patient.patient_id, client.slots("EK", day)[0].slot_id,
                                       Payment.paid("05", "WX-B", Decimal("11.00")))
    assert client.check_in(same_day.appointment.appointment_no).queue_no == 1
    cancel = client.cancel_appointment(rid(), ahead.appointment.appointment_no, "行程有变")
    assert cancel.appointment.status == "cancelled" and cancel.refund.amount == -later.fee
    # outpatient
    pending = client.pending_charges(zhang.patient_id)
    s = client.settle_outpatient(rid(), zhang.patient_id, [pending[0].charge_id], Payment.prepayment())
    assert s.amount == pending[0].amount and s.ebill.status == "pending"
    validate_request(s.ebill_method or "", (s.ebill_request or {}) | {"placeCode": "005"})
    # the kiosk issued the bill (terminal mode) and tells the HIS its numbers
    reported = client.report_ebill(s.settlement_no, "44060126", "0000123456", "a1b2c3")
    assert reported.ebill.status == "issued" and reported.ebill.bill_no == "0000123456"
    assert client.report_ebill(s.settlement_no, "44060126", "0000123456", "a1b2c3").ebill.bill_no == "0000123456"
    with pytest.raises(HisError) as clash:
        client.report_ebill(s.settlement_no, "44060126", "0000999999", "ffffff", emergency=True)
    assert clash.value.code == "E3564"
    top = client.top_up_prepay(rid(), zhang.patient_id, Decimal("50"), Payment.paid("04", "ALI-1", Decimal("50")))
    assert top.prepay_balance == client.prepay_balance(zhang.patient_id)
    # inpatient
    wang = next(x for x in demo if x["name"] == "王芳")
    stay = client.inpatient(wang["id"])
    assert stay.status == "in" and stay.deposit > 0
    dl = client.daily_list(stay.admission_no, stay.admitted_on)
    assert dl.lines and dl.total == sum((ln.amount for ln in dl.lines), Decimal(0))
    dep = client.top_up_deposit(rid(), stay.admission_no, Decimal("500"), Payment.paid("05", "WX-D", Decimal("500")))
    assert dep.deposit_balance == stay.deposit + 500
    bill = client.discharge_bill(stay.admission_no)
    assert bill.deposit_used + bill.due == bill.total and bill.deposit - bill.deposit_used == bill.refund_due
    out = client.settle_discharge(rid(), stay.admission_no)
    assert out.refund_due == bill.refund_due and client.inpatient(wang["id"]).status == "discharged"
    # discharge with a payment on top of a small deposit
    small = his_proc.control("inpatients", {"patientId": reg.patient.patient_id, "days": 2, "deposit": "100",
                                            "seed": 7})["inpatient"]
    bill = client.discharge_bill(small["admissionNo"])
    assert bill.due == bill.total - Decimal("100") and bill.refund_due == 0
    paid = client.settle_discharge(rid(), small["admissionNo"], Payment.paid("01", "POS-9", bill.due))
    assert (paid.deposit_part, paid.external_part, paid.pay_ref) == (Decimal("100.00"), bill.due, "POS-9")
    # history, reversal, query
    history = client.settlements(zhang.patient_id)
    assert {x.kind for x in history} >= {"registration", "outpatient", "prepay", "reversal"}
    rev = client.reverse_settlement(rid(), top.settlement_no, "误充值")
    assert rev.reversal_of == top.settlement_no and client.settlement(top.settlement_no).status == "reversed"
    outcome = client.query_request(rid())
    assert outcome is None


def test_errors_carry_code_and_chinese_message(client: HisClient) -> None:
    with pytest.raises(HisError) as err:
        client.find_patient("idNo", "110105194912310021")
    assert err.value.code == "E3513" and "校验位" in err.value.message
    with pytest.raises(HisError) as err:
        client.settlement("MZ000")
    assert err.value.code == "E3560"


def test_restart_keeps_state(tmp_path: Path) -> None:
    proc = HisProcess(tmp_path).start()
    try:
        caller = proc.demo["callers"][0]
        with HisClient(proc.url, caller["appid"], caller["key"]) as c:
            pid = proc.demo["patients"][0]["id"]
            r = rid()
            s = c.top_up_prepay(r, pid, Decimal("88.00"), Payment.paid("05", "WX-R", Decimal("88.00")))
            balance = c.prepay_balance(pid)
        proc.stop()
        proc.start()
        assert proc.demo["callers"][0]["key"] == caller["key"]
        with HisClient(proc.url, caller["appid"], caller["key"]) as c:
            assert c.prepay_balance(pid) == balance
            assert c.settlement(s.settlement_no).amount == Decimal("88.00")
            again = c.top_up_prepay(r, pid, Decimal("88.00"), Payment.paid("05", "WX-R", Decimal("88.00")))
            assert again.settlement_no == s.settlement_no and c.prepay_balance(pid) == balance
    finally:
        proc.stop()


def test_fault_knobs(client: HisClient, his_proc: HisProcess) -> None:
    pid = his_proc.demo["patients"][0]["id"]
    his_proc.control("faults", {"down": 2})
    for _ in range(2):
        with pytest.raises(HisUnavailable) as down:
            client.prepay_balance(pid)
        assert down.value.sent is False and down.value.code == "E3591"
    assert client.prepay_balance(pid) >= 0
    his_proc.control("faults", {"refuseSettlements": 1, "refuseMessage": "HIS拒绝结算：测试"})
    charge = his_proc.control("charges", {"patientId": pid, "count": 2, "seed": 3})["charge"]
    with pytest.raises(HisError) as refused:
        client.settle_outpatient(rid(), pid, [charge["chargeId"]], Payment.prepayment())
    assert refused.value.code == "E3563" and refused.value.message == "HIS拒绝结算：测试"
    assert [c.charge_id for c in client.pending_charges(pid) if c.charge_id == charge["chargeId"]]


def test_timeout_then_query_by_request_id(his_proc: HisProcess) -> None:
    caller = his_proc.demo["callers"][1]
    pid = his_proc.demo["patients"][0]["id"]
    charge = his_proc.control("charges", {"patientId": pid, "kind": "exam", "count": 1, "seed": 5})["charge"]
    his_proc.control("faults", {"slow": 1.5, "slowCalls": 1})
    r = rid()
    with HisClient(his_proc.url, caller["appid"], caller["key"], timeout=0.5) as impatient:
        with pytest.raises(HisUnavailable) as lost:
            impatient.settle_outpatient(r, pid, [charge["chargeId"]], Payment.prepayment())
        assert lost.value.sent is True
    with HisClient(his_proc.url, caller["appid"], caller["key"], timeout=5) as c:
        outcome = c.query_request(r)
        assert outcome is not None and outcome.ok and outcome.operation == "outpatient.settle"
        assert outcome.data is not None
        done = outcome.data["settlement"]["settlementNo"]
        # resending with the same requestId is safe: the first result, money moved once
        again = c.settle_outpatient(r, pid, [charge["chargeId"]], Payment.prepayment())
        assert again.settlement_no == done
        assert len([s for s in c.settlements(pid, "outpatient") if s.settlement_no == done]) == 1


def test_identity_numbers_are_masked_in_repr_and_logs(client: HisClient, his_proc: HisProcess,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    p = his_proc.demo["patients"][1]
    caplog.set_level(logging.DEBUG)
    patient = client.find_patient("idNo", p["idNo"])
    with pytest.raises(HisError):
        client.find_patient("idNo", p["idNo"][:-1] + ("0" if p["idNo"][-1] != "0" else "1"))
    text = repr(patient) + str(patient) + caplog.text
    assert p["idNo"] not in text and p["phone"] not in text and p["ssCard"] not in text
    assert p["idNo"][:6] + "********" + p["idNo"][-4:] in repr(patient)
    assert patient.id_no == p["idNo"]  # the full number is there for the e-bill


def test_an_unreachable_his_was_never_sent_to(his_proc: HisProcess) -> None:
    from tests.rigs.stack import free_port

    caller = his_proc.demo["callers"][0]
    with HisClient(f"http://127.0.0.1:{free_port()}", caller["appid"], caller["key"], timeout=2) as nowhere:
        with pytest.raises(HisUnavailable) as err:
            nowhere.departments()
    assert err.value.sent is False


def test_a_wrong_key_is_refused(his_proc: HisProcess) -> None:
    caller = his_proc.demo["callers"][0]
    with HisClient(his_proc.url, caller["appid"], "not-the-key", timeout=2) as wrong:
        with pytest.raises(HisError) as err:
            wrong.departments()
    assert err.value.code == "E3504"  # refused by the HIS: the key is wrong


def test_an_answer_without_the_his_signature_is_refused() -> None:
    """GIVEN something that answers the interface's JSON but cannot sign it (not the HIS, or a
    proxy that altered the body) WHEN a call is made THEN HisBadAnswer: the outcome is unknown."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Forger(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            self.rfile.read(int(self.headers["Content-Length"]))
            body = '{"code":"0","msg":"成功","data":{"departments":[]}}'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-His-Signature", "0" * 64)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Forger)
    thread = threading.Thread(target=srv.serve_forever, name="forger", daemon=True)
    thread.start()
    try:
        with HisClient(f"http://127.0.0.1:{srv.server_address[1]}", "KIOSK01", "k", timeout=2) as c:
            with pytest.raises(HisBadAnswer) as err:
                c.departments()
        assert err.value.code == "E3592" and err.value.sent is True
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(5)
