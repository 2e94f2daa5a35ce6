"""Acceptance (issue 16 §4): insured settlement end to end through the sync server and the
finance, insurance and payment simulators, all real processes — outpatient at the window (cash),
outpatient at the kiosk (payment platform), inpatient at discharge; the bill's parts add up, the
voucher is uploaded and its status queried; the cancel chain in reverse order."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core.errors import PlatformError
from offline_store import ins_orders
from tests.rigs.insurance import LI, QIAN, ZHANG, ZHAO
from tests.rigs.insured import (
    INPATIENT,
    OUTPATIENT,
    Rig,
    bill_base,
    inpatient_fees,
    outpatient_fees,
    platform_bill_data,
    visit,
)
from tests.rigs.payment import WECHAT_CODE
from workflows.insurance.cash import KioskPay, WindowCash
from workflows.insurance.errors import CancelIncompleteError
from workflows.insurance.flow import InsuredFlow
from workflows.insurance.models import yuan
from workflows.payment_session import PaymentSession

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def _voucher_uploaded(flow: InsuredFlow, sid: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if flow.api.voucher_status(sid).state == "uploaded":
            return
        time.sleep(0.3)
    raise AssertionError(f"voucher of settlement {sid} not uploaded: {flow.api.voucher_status(sid)}")


def _bill_adds_up(rig: Rig, flow: InsuredFlow, order_no: str) -> ins_orders.InsOrder:
    order = ins_orders.get(flow.db, order_no)
    assert order.state == "done", (order.state, order.message)
    assert order.medfee_fen == order.fund_fen + order.account_fen + order.cash_fen
    rec = flow.api.query(order.settlement_id or 0)
    assert rec.state == "settled" and rec.split is not None and rec.split.medfee == yuan(order.medfee_fen)
    on_platform = rig.sim_settlements(rec.mdtrt_id)
    assert [s["state"] for s in on_platform] == ["valid"]  # exactly one settlement
    # the bill as the finance platform holds it: insurance parts = the settlement's
    bill = flow.his.call("getEBillByBusNo", {"busNo": order.bus_no, "busDateTime": order.params["billBase"]["busDateTime"]})
    assert bill["billNo"] == order.bill["billNo"]
    assert rig.platform_bill(order.bus_no) == [(order.bill["billBatchCode"], order.bill["billNo"], 0)]
    data = platform_bill_data(rig, order.bus_no)
    parts = {k: Decimal(str(data[k])) for k in ("fundPay", "otherfundPay", "accountPay", "selfCashPay", "totalAmt")}
    assert parts["totalAmt"] == yuan(order.medfee_fen)
    assert (parts["fundPay"] + parts["otherfundPay"], parts["accountPay"], parts["selfCashPay"]) == \
        (yuan(order.fund_fen), yuan(order.account_fen), yuan(order.cash_fen))
    assert parts["fundPay"] + parts["otherfundPay"] + parts["accountPay"] + parts["selfCashPay"] == parts["totalAmt"]
    assert data["medicalInsuranceID"] == order.psn_no and data["balancedNumber"] == order.setl_id
    channels = {c["payChannelCode"]: Decimal(str(c["payChannelValue"])) for c in data["payChannelDetail"]}
    assert sum(channels.values()) == parts["totalAmt"]
    return order


def test_outpatient_at_the_window_cash_part_voucher_and_cancel_chain(rig: Rig, tmp_path: Path) -> None:
    term = rig.terminal(tmp_path / "window")
    flow = rig.flow(term)
    person = flow.identify("02", LI["certno"])
    assert person.psn_no == LI["psn_no"] and LI["certno"] not in person.certno_masked
    fees = outpatient_fees()
    order = flow.start(person, visit("outpatient"), fees, OUTPATIENT, bill_base("outpatient", fees, LI["name"]))
    assert order.state == "pre_settled"
    assert order.medfee_fen == 6000 == order.fund_fen + order.account_fen + order.cash_fen
    assert order.fund_fen > 0 and order.cash_fen > 0
    done = flow.pay_and_settle(order.order_no, WindowCash())
    assert done.state == "done" and done.voucher == "queued" and done.setl_id
    order = _bill_adds_up(rig, flow, done.order_no)
    sid = order.settlement_id or 0
    _voucher_uploaded(flow, sid)
    status = flow.api.voucher_status(sid, refresh=True)
    assert status.cert_state == "1" and not status.reimbursed
    assert (status.bill_batch_code, status.bill_no) == (order.bill["billBatchCode"], order.bill["billNo"])
    # the centre accepted it: a re-upload (4905) is refused by the server, nothing queued
    with pytest.raises(PlatformError, match="E5645"):
        flow.api.reupload_voucher(sid, "版式文件更正")
    assert flow.api.voucher_status(sid).state == "uploaded"
    # a cashier may not write off: refused before anything moved
    with pytest.raises(CancelIncompleteError, match="E2033"):
        flow.refund(order.order_no, WindowCash(), "患者要求退费")
    assert flow.api.query(sid).state == "settled" and rig.platform_bill(order.bus_no)[0][2] == 0
    assert ins_orders.get(flow.db, order.order_no).state == "cancelling"  # the refund was asked: resumable
    # a finance user at the same window continues: bill red, settlement cancelled, cash back — in that order
    rig.login(term, "finance")
    cancelled = flow.resume(order.order_no, WindowCash())
    assert cancelled.state == "cancelled"
    assert cancelled.steps == ["bill_red", "ins_cancelled", "cash_refunded", "voucher_red"]
    assert flow.api.query(sid).state == "cancelled"
    assert rig.platform_bill(order.bus_no) == [(order.bill["billBatchCode"], order.bill["billNo"], 1)]
    moves = [to for _f, to, _n in ins_orders.history(flow.db, order.order_no)]
    assert moves[:9] == ["created", "registered", "pre_settled", "paying", "paid", "settling", "settled", "billed",
                         "done"]
    # the voucher centre learns of it: the red-flush voucher uploaded, the original marked red-flushed
    deadline = time.monotonic() + 30
    while flow.api.voucher_status(sid).red_state == "queued" and time.monotonic() < deadline:
        time.sleep(0.3)
    after = flow.api.voucher_status(sid, refresh=True)
    assert after.red_state == "uploaded", after
    assert after.cert_state == "2"  # 5501: the original voucher is red-flushed
    # the same person may be settled again now
    again = flow.start(person, visit("outpatient"), fees, OUTPATIENT, bill_base("outpatient", fees, LI["name"]))
    assert flow.abandon(again.order_no).state == "abandoned"


def test_outpatient_at_the_kiosk_pays_the_cash_part_on_the_payment_platform(rig: Rig, tmp_path: Path) -> None:
    term = rig.terminal(tmp_path / "kiosk")
    flow = rig.flow(term, desk="kiosk")
    person = flow.identify("01", QIAN["ect"])  # the insurance e-voucher
    fees = outpatient_fees()
    order = flow.start(person, visit("outpatient"), fees, OUTPATIENT, bill_base("outpatient", fees, QIAN["name"]))
    client = rig.payment_client()
    try:
        desk = KioskPay(PaymentSession(client, code_deadline=20), method="code", auth_code=WECHAT_CODE, channel="05")
        done = flow.pay_and_settle(order.order_no, desk)
        order = _bill_adds_up(rig, flow, done.order_no)
        assert order.cash_fen > 0 and order.cash_channel == "05"  # the engine leaves a cash part
        paid = client.query(order.cash_trade_no)
        assert paid.paid and paid.total_fee == order.cash_fen
        _voucher_uploaded(flow, order.settlement_id or 0)
        # refund: the cash goes back to the wallet it came from
        rig.login(term, "finance")
        cancelled = flow.refund(order.order_no, desk, "重复缴费")
        assert cancelled.state == "cancelled"
        refunds = client.refunds_of(order.cash_trade_no)
        assert sum(r.refund_fee for r in refunds) == order.cash_fen
    finally:
        client.close_http()


def test_inpatient_discharge_settlement(rig: Rig, tmp_path: Path) -> None:
    term = rig.terminal(tmp_path / "ward")
    flow = rig.flow(term, desk="ward")
    person = flow.identify("03", ZHAO["card"], ZHAO["card_sn"])  # social-security card
    fees = inpatient_fees()
    order = flow.start(person, visit("inpatient"), fees, INPATIENT, bill_base("inpatient", fees, ZHAO["name"]))
    assert order.visit == "inpatient" and order.medfee_fen == 38000
    done = flow.pay_and_settle(order.order_no, WindowCash())
    order = _bill_adds_up(rig, flow, done.order_no)
    assert Decimal(order.bill["totalAmt"]) == Decimal("380.00")
    rec = flow.api.query(order.settlement_id or 0)
    assert rec.visit == "inpatient" and [s["infno"] for s in rig.sim_settlements(rec.mdtrt_id)] == ["2304"]
    _voucher_uploaded(flow, order.settlement_id or 0)


def test_a_patient_kiosk_settles_as_itself_and_leaves_refunds_to_the_window(rig: Rig, tmp_path: Path) -> None:
    """SELF01 is a caller of kind kiosk (no staff session): it may settle and queue the voucher,
    never write off — its refund is refused before anything moved."""
    term = rig.terminal(tmp_path / "self", role=None, appid="SELF01")
    flow = rig.flow(term, desk="kiosk")
    person = flow.identify("03", ZHANG["card"], ZHANG["card_sn"])  # the social-security card
    fees = outpatient_fees()
    order = flow.start(person, visit("outpatient"), fees, OUTPATIENT,
                       bill_base("outpatient", fees, ZHANG["name"], term.config.place_code))
    client = rig.payment_client()
    try:
        desk = KioskPay(PaymentSession(client, code_deadline=20), method="code", auth_code=WECHAT_CODE, channel="05")
        assert order.account_fen > 0 and order.cash_fen == 0  # 张三's account covers his part: nothing to pay
        done = flow.pay_and_settle(order.order_no, desk)
        assert done.cash_trade_no == ""  # no payment order was ever created
        order = _bill_adds_up(rig, flow, done.order_no)
        _voucher_uploaded(flow, order.settlement_id or 0)
        with pytest.raises(CancelIncompleteError, match="冲红失败"):
            flow.refund(order.order_no, desk, "患者要求退费")
        assert flow.api.query(order.settlement_id or 0).state == "settled"
        assert rig.platform_bill(order.bus_no)[0][2] == 0
    finally:
        client.close_http()
