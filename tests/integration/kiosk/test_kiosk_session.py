"""Kiosk behaviour: the social-security card through the real pcscd rig, the card pulled mid-flow
(before and during a payment), the idle reset leaving no patient data in the session, a QR payment
the patient cancels, the daily reconciliation finding a seeded difference, the cash slip."""

from __future__ import annotations

import gc
import threading
import weakref
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from devices.virtual.card_readers import DEMO_SSC
from tests.integration.kiosk.rig import Payer
from tests.rigs.payment import WECHAT_CODE
from workflows.kiosk.errors import KioskInputError, NotIdentifiedError
from workflows.kiosk.models import IdentifyMethod, PayChoice, SessionState
from workflows.kiosk.reconcile import DiffKind
from workflows.payment_client import PaymentClient

pytestmark = pytest.mark.integration
FIX = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


def test_identify_by_social_security_card_through_pcscd(rig, pcsc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.rigs.pcscd import READER
    kiosk = rig.kiosk(tmp_path / "k", ssc={"driver": "pcsc", "reader": READER})
    try:
        assert kiosk.availability()["identify_ssc"].enabled
        pcsc.insert(FIX / "ssse_zhangsan.json")  # card number A12345678: 李娜 in the HIS demo data
        found = kiosk.session.identify_ssc(timeout=5)
        assert found.method is IdentifyMethod.SSC and found.name == "李娜"
        pcsc.remove()
        assert kiosk.devices.by_role("ssc_reader").wait_for_removal(5)
        kiosk.session.card_removed()
        assert kiosk.session.patient is None and kiosk.session.state is SessionState.ATTRACT
    finally:
        kiosk.close()


def test_card_pulled_before_and_during_payment(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    s = kiosk.session
    reader = kiosk.devices.by_role("ssc_reader")
    reader.insert(DEMO_SSC)
    s.identify_ssc(timeout=2)
    reader.remove()
    s.card_removed()  # before any payment: the flow is abandoned
    assert s.patient is None
    with pytest.raises(NotIdentifiedError):
        s.pending_charges()
    assert ("kiosk_card_removed", {"during_payment": False}) in events[1]

    reader.insert(DEMO_SSC)
    found = s.identify_ssc(timeout=2)
    rig.charge(found.patient_id, count=1)
    charge = s.pending_charges()[0]
    payer = Payer(rig, events[0])
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("r", s.pay_outpatient([charge.charge_id], PayChoice.qr())))
    t.start()
    try:
        assert payer.shown.wait(10)
        # The background round runs meanwhile: it leaves the order the live flow drives alone.
        assert kiosk.maintain()["resumed"] == []
        assert kiosk.checkout.order(payer.order_no).state == "created"
        reader.remove()
        s.card_removed()  # during the payment: the money path finishes first
        assert s.patient is not None
        rig.control.scan(payer.order_no, "wechat")
    finally:
        t.join(30)
    assert out["r"].ok and out["r"].state == "printed"
    assert s.patient is None and s.state is SessionState.ATTRACT
    assert ("kiosk_card_removed", {"during_payment": True}) in events[1]


def test_card_watcher_resets_the_session_when_the_card_leaves(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.kiosk.rig import wait_until
    reader = kiosk.devices.by_role("ssc_reader")
    assert kiosk.watch_card(interval=0.05)
    reader.insert(DEMO_SSC)
    wait_until(lambda: ("kiosk_card_inserted", {}) in events[1], timeout=5, step=0.05)
    assert kiosk.session.identify_ssc(timeout=2).name == "李娜"
    reader.remove()
    wait_until(lambda: kiosk.session.patient is None, timeout=5, step=0.05)
    assert ("kiosk_card_removed", {"during_payment": False}) in events[1]


def _strings(obj: Any, seen: set[int], depth: int = 0) -> list[str]:
    """Every string reachable from ``obj`` through instance dicts, containers and dataclasses."""
    if id(obj) in seen or depth > 6:
        return []
    seen.add(id(obj))
    if isinstance(obj, str):
        return [obj]
    out: list[str] = []
    if isinstance(obj, dict):
        items = list(obj.keys()) + list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif hasattr(obj, "__dict__") or hasattr(obj, "__slots__"):
        names = list(getattr(obj, "__dict__", {}) or {}) + list(getattr(obj, "__slots__", ()))
        items = [getattr(obj, n, None) for n in names if not n.startswith("_ctx")]
    else:
        return []
    for item in items:
        out.extend(_strings(item, seen, depth + 1))
    return out


def test_idle_reset_leaves_no_patient_data(rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk = rig.kiosk(tmp_path / "k", idle_seconds=1.0, warning_seconds=0.5)
    try:
        p = rig.patient(name="闲置测试", prepay="80.00")
        rig.charge(p["patientId"])
        s = kiosk.session
        s.identify_hospital_card(p["hospitalCard"])
        s.pending_charges()
        today = kiosk.clock.now().date()
        s.slots("NK", today)
        ref = weakref.ref(s._patient)  # the HIS record with the full ID number and phone
        assert p["idNo"] in _strings(s, set())
        assert not s.tick().expired
        import time
        time.sleep(0.7)
        assert s.tick().warning
        time.sleep(0.5)
        idle = s.tick()
        assert idle.expired and s.state is SessionState.ATTRACT and s.patient is None
        gc.collect()
        assert ref() is None
        leftover = [x for x in _strings(s, set()) if p["idNo"] in x or p["phone"] in x or "闲置测试" in x
                    or p["patientId"] in x]
        assert leftover == []
    finally:
        kiosk.close()


def test_qr_payment_cancelled_by_the_patient(rig, kiosk, events) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    rig.charge(p["patientId"], count=1)
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    charge = s.pending_charges()[0]
    payer = Payer(rig, events[0])
    out: dict[str, Any] = {}
    t = threading.Thread(target=lambda: out.setdefault("r", s.pay_outpatient([charge.charge_id], PayChoice.qr())))
    t.start()
    try:
        assert payer.shown.wait(10)
        s.cancel_payment()
    finally:
        t.join(30)
    assert not out["r"].ok and out["r"].state == "failed"
    assert rig.control._get(f"/_sim/orders/{payer.order_no}")["trade_state"] == "CLOSED"
    assert [c.charge_id for c in s.pending_charges()] == [charge.charge_id]


def test_daily_reconciliation_finds_the_seeded_difference(rig, kiosk) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    rig.charge(p["patientId"], count=1)
    s = kiosk.session
    s.identify_hospital_card(p["hospitalCard"])
    assert s.top_up_prepay(Decimal("100.00"), PayChoice.code(WECHAT_CODE)).ok
    assert s.pay_outpatient([s.pending_charges()[0].charge_id], PayChoice.prepayment()).ok
    rig.his_control("faults", {"refuseSettlements": 1})
    assert s.top_up_prepay(Decimal("12.00"), PayChoice.code(WECHAT_CODE)).refunded
    today = kiosk.clock.now().date()
    clean = kiosk.reconcile(today)
    assert clean.ok, clean.differences
    # Seeded: a payment under this kiosk's numbers that the kiosk has no order for (a lost order).
    client = PaymentClient(rig.pay.url, "1900000109", "demo-payment-key-2026-hmac-sha256", timeout=5)
    try:
        client.micropay(kiosk.checkout.order_prefix + "LOST0001", 777, "预交金", WECHAT_CODE)
    finally:
        client.close_http()
    report = kiosk.reconcile(today)
    assert [(d.kind, d.order_no, d.found) for d in report.differences] == [
        (DiffKind.PAID_NOT_IN_KIOSK, kiosk.checkout.order_prefix + "LOST0001", Decimal("7.77"))]
    assert report.orders_checked == 3


def test_cash_top_up_and_the_cash_collection_slip(rig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kiosk = rig.kiosk(tmp_path / "k", cash_enabled=True)
    try:
        kiosk.start()
        p = rig.patient(prepay="0.00")
        s = kiosk.session
        s.identify_hospital_card(p["hospitalCard"])
        assert s.top_up_prepay(Decimal("100.00"), PayChoice.cash(10000)).ok
        assert s.top_up_prepay(Decimal("50.00"), PayChoice.cash(5000)).ok
        with pytest.raises(KioskInputError) as short:
            s.top_up_prepay(Decimal("50.00"), PayChoice.cash(2000))
        assert "现金" in str(short.value)
        slip = kiosk.print_cash_slip(kiosk.clock.now().date(), "自助机管理员", "财务张")
        assert slip.ok and slip.amount == Decimal("150.00") and slip.notes == ("现金交易2笔",)
        with _his(rig) as his:
            kinds = {x.pay_channel for x in his.settlements(p["patientId"])}
        assert kinds == {"02"}
    finally:
        kiosk.close()


def _his(rig):  # type: ignore[no-untyped-def]
    from workflows.his import HisClient
    caller = rig.his.demo["callers"][0]
    return HisClient(rig.his.url, caller["appid"], caller["key"])
