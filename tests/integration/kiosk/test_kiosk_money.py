"""The money path under faults, against the real processes: payment timeout then late success;
payment done + sync server down -> emergency bill, uploaded later, no second charge; HIS refusal
after payment -> refund to the original channel; HIS answer lost / HIS down after payment ->
resumed on the next start with the same requestId (money moves once); printer out of paper."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from devices.printer import PaperState
from offline_store import kiosk_orders
from tests.integration.kiosk.rig import wait_until
from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE
from workflows.his import HisClient
from workflows.kiosk.models import PayChoice

pytestmark = pytest.mark.integration


def _his(rig) -> HisClient:  # type: ignore[no-untyped-def]
    caller = rig.his.demo["callers"][0]
    return HisClient(rig.his.url, caller["appid"], caller["key"])


def _identify_with_charge(rig, kiosk, **charge):  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    rig.charge(p["patientId"], **charge)
    kiosk.session.identify_hospital_card(p["hospitalCard"])
    return p, kiosk.session.pending_charges()


def _settlements_paid_by(rig, patient_id: str, order_no: str) -> list:  # type: ignore[type-arg,no-untyped-def]
    with _his(rig) as his:
        return [s for s in his.settlements(patient_id) if s.pay_ref == order_no]


def test_payment_timeout_then_late_success(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p, charges = _identify_with_charge(rig, kiosk)
    # The micropay request hangs past the client's 2 s timeout; the payment lands on a later query.
    rig.control.knobs(next={"outcome": "timeout", "hang_seconds": 3, "late_queries": 1})
    result = kiosk.session.pay_outpatient([charges[0].charge_id], PayChoice.code(WECHAT_CODE))
    assert result.ok and result.state == "printed", result
    order = rig.control._get(f"/_sim/orders/{result.order_no}")
    assert order["trade_state"] == "SUCCESS" and order["total_fee"] == int(result.amount * 100)
    assert len(_settlements_paid_by(rig, p["patientId"], result.order_no)) == 1
    assert kiosk_orders.history(kiosk.terminal.db, result.order_no) == [
        ("", "created", ""), ("created", "paid", "支付成功"), ("paid", "settled", "HIS结算成功"),
        ("settled", "billed", "票据已开具"), ("billed", "printed", "凭条已打印")]


def test_paid_with_sync_server_down_gets_an_emergency_bill_uploaded_later(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    assert kiosk.terminal.workflow.status().stock_remaining > 0  # start() took an emergency block
    p, charges = _identify_with_charge(rig, kiosk)
    rig.server.stop()
    try:
        result = kiosk.session.pay_outpatient([charges[0].charge_id], PayChoice.code(ALIPAY_CODE))
        assert result.ok and result.state == "printed", result
        assert result.bill is not None and result.bill.emergency
        assert any("应急" in n for n in result.notes)
        # The printed receipt says so: the EMERGENCY banner and the note (rebuilt from the stored order).
        from print_templates.kiosk_receipts import kiosk_receipt_job
        from workflows.kiosk.outcome import receipt_doc
        stored = kiosk_orders.get(kiosk.terminal.db, result.order_no)
        text = repr(kiosk_receipt_job(receipt_doc(stored, kiosk.terminal.identity, kiosk.clock.now(), False)).elements)
        assert "应急票据" in text and result.bill.bill_no in text
        assert kiosk.emergency and kiosk.terminal.workflow.status().pending_uploads == 1
        with _his(rig) as his:
            st = his.settlement(result.settlement_no).ebill
        assert st.status == "issued" and st.bill_no == result.bill.bill_no  # reported as emergency
        assert any(name == "kiosk_mode" and payload["emergency"] for name, payload in events[1])
    finally:
        rig.server.start()
    wait_until(lambda: kiosk.maintain().get("linkUp", False), timeout=20, step=0.3)
    wait_until(lambda: kiosk.terminal.workflow.status().pending_uploads == 0, timeout=20, step=0.3)
    assert not kiosk.emergency
    assert [pl["emergency"] for name, pl in events[1] if name == "kiosk_mode"] == [True, False]
    # Nothing is charged twice: resuming again changes nothing, the platform has one paid order.
    assert kiosk.checkout.resume() == []
    assert [o.state for o in kiosk.checkout.orders()] == ["printed"]
    assert len(_settlements_paid_by(rig, p["patientId"], result.order_no)) == 1
    assert rig.control._get(f"/_sim/orders/{result.order_no}")["trade_state"] == "SUCCESS"


def test_his_refuses_after_payment_refunds_to_the_original_channel(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p, charges = _identify_with_charge(rig, kiosk)
    rig.his_control("faults", {"refuseSettlements": 1, "refuseMessage": "HIS结算失败（测试）"})
    result = kiosk.session.pay_outpatient([charges[0].charge_id], PayChoice.code(WECHAT_CODE))
    assert not result.ok and result.refunded and result.state == "refunded", result
    assert "已原路退款" in result.message
    order = rig.control._get(f"/_sim/orders/{result.order_no}")
    assert order["trade_state"] == "REFUND" and order["refund_fee"] == order["total_fee"]
    assert _settlements_paid_by(rig, p["patientId"], result.order_no) == []
    assert [c.charge_id for c in kiosk.session.pending_charges()] == [charges[0].charge_id]  # still to pay


def test_his_answer_lost_then_his_down_resumed_on_next_start(rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk = rig.kiosk(tmp_path / "k")
    try:
        kiosk.start()
        p = rig.patient(prepay="0.00")
        kiosk.session.identify_hospital_card(p["hospitalCard"])
        # The HIS tops up but holds its answer past the client's 3 s timeout: the same requestId is
        # sent again and answers the recorded settlement (one settlement, one top-up).
        rig.his_control("faults", {"slow": 4, "slowCalls": 1})
        first = kiosk.session.top_up_prepay(Decimal("20.00"), PayChoice.code(WECHAT_CODE))
        assert first.ok and first.balance == Decimal("20.00"), first
        assert len(_settlements_paid_by(rig, p["patientId"], first.order_no)) == 1
        rig.his_control("faults", {"down": 3})  # every attempt of this flow answers 503
        paid = kiosk.session.top_up_prepay(Decimal("30.00"), PayChoice.code(WECHAT_CODE))
        assert not paid.ok and paid.state == "paid" and "请勿重复缴费" in paid.message
    finally:
        kiosk.close()
    again = rig.kiosk(tmp_path / "k")  # the kiosk restarts on the same store
    try:
        done = again.start()
        assert [(r.order_no, r.state) for r in done] == [(paid.order_no, "printed")]
        assert len(_settlements_paid_by(rig, p["patientId"], paid.order_no)) == 1
        order = rig.control._get(f"/_sim/orders/{paid.order_no}")
        assert order["trade_state"] == "SUCCESS" and order["refund_fee"] == 0
        assert again.checkout.order(paid.order_no).state == "printed"
        assert again.his.prepay_balance(p["patientId"]) == Decimal("50.00")
    finally:
        again.close()


def test_printer_out_of_paper_disables_only_printing_functions(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="300.00")
    rig.charge(p["patientId"])
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    printer = kiosk.devices.by_role("receipt_printer")
    printer.paper = PaperState.OUT
    result = s.pay_outpatient([c.charge_id for c in s.pending_charges()], PayChoice.prepayment())
    assert result.ok and result.state == "billed", result  # paid and billed, the receipt did not print
    assert result.receipt is not None and not result.receipt.printed
    assert any("补打" in n for n in result.notes)
    avail = kiosk.availability()
    assert not avail["outpatient"].enabled and avail["outpatient"].reason == "凭条打印机故障，请到人工窗口办理"
    assert avail["identify_hospital_card"].enabled and avail["query"].enabled
    body = kiosk.heartbeat_body()
    assert body["paper"] == "out" and body["softwareVersion"] and body["devices"]["receipt_printer"]["ok"] is False
    kiosk.maintain()  # the heartbeat: the server keeps what the kiosk reports of itself
    import sqlite3
    with sqlite3.connect(rig.base / "srv" / "sync_server.db") as db:
        row = db.execute("SELECT kind, software_version, paper, devices_json FROM terminal_status WHERE terminal_id = ?",
                         (kiosk.terminal.config.terminal,)).fetchone()
    assert row is not None and row[0] == "kiosk" and row[1] == body["softwareVersion"] and row[2] == "out", row
    assert json.loads(row[3])["receipt_printer"]["ok"] is False
    printer.paper = PaperState.OK
    assert kiosk.refresh_availability()["outpatient"].enabled
    resumed = kiosk.checkout.resume(print_billed=True)
    assert [(r.order_no, r.state) for r in resumed] == [(result.order_no, "printed")]
    assert balance_is(kiosk, Decimal("300.00") - result.amount)


def balance_is(kiosk, expected: Decimal) -> bool:  # type: ignore[no-untyped-def]
    return kiosk.his.prepay_balance(kiosk.session.patient.patient_id) == expected


def test_crash_after_payment_before_the_his_and_an_abandoned_qr_order(rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.rigs.payment import KEY, MCH_ID
    from workflows.payment_client import PaymentClient
    kiosk = rig.kiosk(tmp_path / "k")
    client = PaymentClient(rig.pay.url, MCH_ID, KEY, timeout=5)
    try:
        p = rig.patient(prepay="0.00")
        charge = rig.charge(p["patientId"], count=1)
        fen = int(Decimal(charge["amount"]) * 100)
        now = kiosk.clock.now()
        paid_no, open_no = kiosk.checkout.order_prefix + "CRASH01", kiosk.checkout.order_prefix + "CRASH02"
        # What the kiosk had written when it died: both orders 'created'; the patient's money for the
        # first one reached the platform, the second QR code was shown and never scanned.
        for no in (paid_no, open_no):
            kiosk_orders.create(kiosk.terminal.db, order_no=no, flow="outpatient", subject="门诊缴费",
                                operation="outpatient.settle",
                                params={"patientId": p["patientId"], "chargeIds": [charge["chargeId"]]},
                                patient_id=p["patientId"], amount_fen=fen,
                                pay_method="code" if no == paid_no else "qr", day=now.date().isoformat(),
                                at=now.isoformat())
        assert client.micropay(paid_no, fen, "门诊缴费", WECHAT_CODE).paid
        assert client.unified_order(open_no, fen, "门诊缴费").open
    finally:
        client.close_http()
        kiosk.close()
    again = rig.kiosk(tmp_path / "k")
    try:
        done = {r.order_no: r.state for r in again.start()}
        assert done == {paid_no: "printed", open_no: "failed"}
        assert len(_settlements_paid_by(rig, p["patientId"], paid_no)) == 1
        assert rig.control._get(f"/_sim/orders/{open_no}")["trade_state"] == "CLOSED"
        assert again.checkout.resume() == []  # nothing left, nothing charged again
    finally:
        again.close()
