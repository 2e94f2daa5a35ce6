"""The kiosk's insured 门诊缴费 against real processes (finance, insurance, HIS and payment
simulators, sync server): the HIS charges become the insured flow's fee lines, the cash part is
paid on the payment platform, the HIS is told the settlement with its insurance parts, the e-bill
carries them; platform down -> self-pay offered; a HIS refusal undoes the settlement."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from offline_store import ins_orders
from tests.integration.kiosk.insured_rig import InsuredKioskRig
from tests.rigs.payment import WECHAT_CODE
from workflows.events import Events
from workflows.insurance.errors import InsuranceDownError
from workflows.kiosk.errors import InsuredUnavailableError
from workflows.kiosk.kiosk import Kiosk
from workflows.kiosk.models import PayChoice

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InsuredKioskRig]:
    r = InsuredKioskRig(tmp_path_factory.mktemp("kiosk_ins_rig"))
    try:
        yield r.start()
    finally:
        r.stop()


@pytest.fixture
def kiosk(rig: InsuredKioskRig, tmp_path: Path) -> Iterator[Kiosk]:
    k = rig.kiosk(tmp_path / "kiosk", Events())
    try:
        k.start()
        yield k
    finally:
        rig.ins.knobs(down=None, refuse=None)
        rig.his_control("faults", {"down": 0, "refuseSettlements": 0})
        k.close()


def _identified(rig: InsuredKioskRig, kiosk: Kiosk, **person: Any) -> tuple[dict[str, Any], list[str]]:
    who = rig.insured_patient(**person)
    pid = who["patient"]["patientId"]
    rig.charge(pid)
    rig.charge(pid, seed=11, count=1)
    kiosk.session.identify_voucher(scanned=who["token"])
    assert kiosk.session.insured_offered()
    return who, [c.charge_id for c in kiosk.session.pending_charges()]


def _platform_bill(rig: InsuredKioskRig, bus_no: str) -> dict[str, Any]:
    import json

    with sqlite3.connect(rig.finance.data_dir / "finance.sqlite3", timeout=30) as db:
        row = db.execute("SELECT data_json FROM bills WHERE doc = 'bill' AND kind = 'blue' AND bus_no = ?",
                         (bus_no,)).fetchone()
    assert row is not None, f"no bill for {bus_no}"
    data: dict[str, Any] = json.loads(row[0])
    return data


def test_insured_outpatient_payment_end_to_end(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    who, ids = _identified(rig, kiosk, balc="20.00")  # the account pays 20.00, the rest is cash
    total = sum((c.amount for c in kiosk.session.pending_charges()), Decimal("0.00"))
    quote = kiosk.session.insured_quote(ids)
    assert quote.medfee == total == quote.fund + quote.account + quote.cash
    assert quote.account == Decimal("20.00") and quote.cash > 0 and "医保患者" not in quote.name_masked

    result = kiosk.session.pay_insured(quote.order_no, PayChoice.code(WECHAT_CODE))
    assert result.ok, (result.message, result.notes)
    order = ins_orders.get(kiosk.terminal.db, quote.order_no)
    assert order.state == "done" and order.voucher == "queued"
    # the HIS: one settlement, insurance part + external part = amount, the kiosk's bill reported
    s = kiosk.his.settlement(result.settlement_no)
    assert s.kind == "outpatient" and s.amount == total
    assert s.insurance_part == quote.fund + quote.account and s.external_part == quote.cash
    assert s.pay_ref == order.cash_trade_no
    assert s.ebill.status == "issued" and s.ebill.bill_no == order.bill["billNo"]
    assert kiosk.session.pending_charges() == []
    # the insurance platform: exactly one valid settlement
    assert [x["state"] for x in rig.ins_settlements(who["psn_no"])] == ["valid"]
    # the e-bill on the finance platform carries the parts and they add up
    data = _platform_bill(rig, result.settlement_no)
    parts = {k: Decimal(str(data[k])) for k in ("fundPay", "otherfundPay", "accountPay", "selfCashPay", "totalAmt")}
    assert parts["totalAmt"] == total
    assert (parts["fundPay"] + parts["otherfundPay"], parts["accountPay"], parts["selfCashPay"]) == \
        (quote.fund, quote.account, quote.cash)
    assert data["medicalInsuranceID"] == who["psn_no"] and data["balancedNumber"] == order.setl_id
    channels = {c["payChannelCode"]: Decimal(str(c["payChannelValue"])) for c in data["payChannelDetail"]}
    assert channels.get("YBK") == quote.account and channels.get("YBTCJJ", Decimal("0.00")) == quote.fund
    assert sum(channels.values()) == total
    # the payment platform took the cash part once
    status = kiosk.payments.query(order.cash_trade_no) if kiosk.payments else None
    assert status is not None and status.paid and status.total_fee == order.cash_fen
    # the notice was printed (the receipt printer's output)
    assert result.receipt is not None and result.receipt.printed and result.receipt.notice_printed


def test_nothing_to_pay_when_the_insurance_covers_it_all(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    who, ids = _identified(rig, kiosk, balc="3000.00")
    quote = kiosk.session.insured_quote(ids)
    assert quote.cash == 0 and quote.fund + quote.account == quote.medfee
    result = kiosk.session.pay_insured(quote.order_no, PayChoice.qr())  # no payment is started
    assert result.ok, result.message
    order = ins_orders.get(kiosk.terminal.db, quote.order_no)
    assert order.state == "done" and order.cash_trade_no == ""
    s = kiosk.his.settlement(result.settlement_no)
    assert s.insurance_part == quote.medfee and s.external_part == 0 and s.prepay_part == 0
    assert s.ebill.status == "issued"
    assert [x["state"] for x in rig.ins_settlements(who["psn_no"])] == ["valid"]


def test_platform_down_offers_self_pay_and_leaves_nothing_open(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    _, ids = _identified(rig, kiosk, prepay="1000.00")
    rig.ins.knobs(down=True)
    with pytest.raises(InsuranceDownError, match="自费"):
        kiosk.session.insured_quote(ids)
    rig.ins.knobs(down=None)
    assert [o.state for o in ins_orders.unfinished(kiosk.terminal.db, "kiosk")] == []
    # the self-pay path still works: the prepayment account pays the charges
    r = kiosk.session.pay_outpatient(ids, PayChoice.prepayment())
    assert r.ok and kiosk.his.settlement(r.settlement_no).insurance_part == 0


def test_his_refusal_cancels_the_settlement_and_refunds_the_cash(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    who, ids = _identified(rig, kiosk, balc="0.00")
    quote = kiosk.session.insured_quote(ids)
    rig.his_control("faults", {"refuseSettlements": 1})
    result = kiosk.session.pay_insured(quote.order_no, PayChoice.code(WECHAT_CODE))
    assert not result.ok and result.refunded and "已撤销" in result.message
    order = ins_orders.get(kiosk.terminal.db, quote.order_no)
    assert order.state == "abandoned"
    assert [x["state"] for x in rig.ins_settlements(who["psn_no"])] != ["valid"]
    assert all(x["state"] != "valid" or x["refd_setl_flag"] for x in rig.ins_settlements(who["psn_no"]))
    assert kiosk.payments is not None
    assert sum(r.refund_fee for r in kiosk.payments.refunds_of(order.cash_trade_no)) == order.cash_fen
    assert len(kiosk.session.pending_charges()) == len(ids)  # still to pay


def test_social_security_card_settles_by_its_id_number(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    """社保卡: found in the HIS by card number, 1101 by the card's 社会保障号码 (02)."""
    import time

    import requests

    from devices.card_reader import SocialSecurityCard

    n = time.time_ns() % 10**9
    card = SocialSecurityCard(card_no=f"K{n:08d}"[:9], name="社保患者", id_no=f"440306196{n:09d}", region="440300",
                              spec_version="3.00")
    r = requests.post(rig.ins.url + "/_sim/persons", json={
        "psn_no": f"44030060{n:012d}"[:20], "certno": card.id_no, "psn_name": card.name, "gend": "1",
        "brdy": "1960-01-01", "card_no": card.card_no, "card_sn": f"SN{n}", "ec_token": f"ECT-SSC-{n:012d}",
        "insurances": [{"insutype": "310", "psn_insu_stas": "1", "insuplc_admdvs": "440300", "balc": "0.00"}]},
        timeout=10)
    assert r.status_code == 200, r.text
    p = rig.patient(name=card.name, ssCard=card.card_no)
    rig.charge(p["patientId"])
    kiosk.devices.by_role("ssc_reader").insert(card)
    kiosk.session.identify_ssc(timeout=5)
    assert kiosk.session.insured_offered()
    quote = kiosk.session.insured_quote([c.charge_id for c in kiosk.session.pending_charges()])
    assert quote.account == 0 and quote.cash == quote.medfee - quote.fund
    result = kiosk.session.pay_insured(quote.order_no, PayChoice.code(WECHAT_CODE))
    assert result.ok, result.message
    assert [x["state"] for x in rig.ins_settlements(f"44030060{n:012d}"[:20])] == ["valid"]


def test_settlement_in_doubt_sends_to_the_window_and_finishes_once(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    who, ids = _identified(rig, kiosk, balc="0.00")
    quote = kiosk.session.insured_quote(ids)
    # 2207 committed but its answer held past the server's timeout, 5203 refused: nobody can tell yet
    rig.ins.knobs(timeout_commit={"count": 1, "infnos": ["2207"], "hang_seconds": 7},
                  refuse={"count": 50, "infcode": -1, "err_msg": "系统繁忙", "infnos": ["5203"]})
    result = kiosk.session.pay_insured(quote.order_no, PayChoice.code(WECHAT_CODE))
    assert not result.ok and "人工窗口" in result.message and "勿重复" in result.message
    order = ins_orders.get(kiosk.terminal.db, quote.order_no)
    assert order.state == "settling"
    assert kiosk.maintain()["insuredResumed"] == []  # still unknown: waits, settles nothing again
    rig.ins.knobs(refuse=None)
    deadline = time.monotonic() + 60
    while ins_orders.get(kiosk.terminal.db, quote.order_no).state != "done":
        assert time.monotonic() < deadline, ins_orders.get(kiosk.terminal.db, quote.order_no)
        kiosk.maintain()  # the background round: the server's worker resolves with 5203 meanwhile
        time.sleep(0.5)
    order = ins_orders.get(kiosk.terminal.db, quote.order_no)
    assert [x["state"] for x in rig.ins_settlements(who["psn_no"])] == ["valid"]  # exactly one
    assert kiosk.payments is not None and kiosk.payments.query(order.cash_trade_no).paid
    assert kiosk.payments.refunds_of(order.cash_trade_no) == ()  # charged once, nothing to give back
    s = kiosk.his.settlement(order.bill["busNo"])
    assert s.external_part == quote.cash and s.ebill.status == "issued"
    assert kiosk.session.pending_charges() == []


def test_identified_by_hospital_card_is_not_offered_insurance(rig: InsuredKioskRig, kiosk: Kiosk) -> None:
    who = rig.insured_patient()
    rig.charge(who["patient"]["patientId"])
    kiosk.session.identify_hospital_card(who["patient"]["hospitalCard"])
    assert not kiosk.session.insured_offered()
    with pytest.raises(InsuredUnavailableError):
        kiosk.session.insured_quote([c.charge_id for c in kiosk.session.pending_charges()])
