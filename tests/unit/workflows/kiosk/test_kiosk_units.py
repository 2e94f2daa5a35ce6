"""Kiosk pieces without sockets: device gating, [his]/[kiosk] config, the order store's
compare-and-set, the receipt template, and the reconciliation comparison."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from offline_store import kiosk_orders
from offline_store.db import Database
from offline_store.errors import StoreError
from print_templates.errors import BadValueError
from print_templates.kiosk_receipts import kiosk_receipt_job
from workflows.his.models import EBillState, Settlement
from workflows.kiosk import functions as fn
from workflows.kiosk.flows import id_no_valid
from workflows.kiosk.models import DeviceHealth
from workflows.kiosk.reconcile import DiffKind, compare
from workflows.kiosk_config import KioskConfigError, his_settings, kiosk_settings
from workflows.payment_client import Statement, StatementRow
from workflows.terminal.config import WindowConfigError, from_sections

pytestmark = pytest.mark.unit

ALL_OK = {role: DeviceHealth(role, role, True) for role in fn.ROLE_FAULTS}


def test_a_failing_device_disables_only_the_functions_that_need_it() -> None:
    health = ALL_OK | {"id_reader": DeviceHealth("id_reader", "身份证读卡器", False, "未连接")}
    avail = fn.availability(health)
    off = {name for name, a in avail.items() if not a.enabled}
    assert off == {"identify_id_card", "register_card"}
    assert avail["register_card"].reason == "身份证读卡器故障，请到人工窗口办理"
    paper_out = fn.availability(ALL_OK | {"receipt_printer": DeviceHealth("receipt_printer", "", False, "缺纸")})
    assert not paper_out["outpatient"].enabled and paper_out["identify_ssc"].enabled and paper_out["query"].enabled
    assert not fn.availability({})["identify_ssc"].enabled  # a role not installed counts as faulty
    limited = fn.availability(ALL_OK, enabled=["identify_hospital_card", "outpatient"])
    assert limited["prepay"].reason == fn.DISABLED_BY_CONFIG and limited["outpatient"].enabled


def test_kiosk_and_his_tables_are_checked_naming_the_key(tmp_path: Path) -> None:
    assert kiosk_settings(None) is None and his_settings(None) is None
    k = kiosk_settings({"idle_seconds": 90, "cash_enabled": True, "functions": ["outpatient"],
                        "survey": [{"key": "q1", "text": "满意吗？", "options": ["是", "否"]}]})
    assert k is not None and k.idle_seconds == 90.0 and k.cash_enabled and k.functions == ("outpatient",)
    assert k.survey[0].options == ("是", "否") and k.card_fee == Decimal("5.00") and k.insurance_codes == {}
    coded = kiosk_settings({"insurance_codes": {"X0012": "XR05CBA037A001010100794"}})
    assert coded is not None and coded.insurance_codes == {"X0012": "XR05CBA037A001010100794"}
    for bad, word in (({"idle_seconds": 0}, "idle_seconds"), ({"functions": ["teleport"]}, "teleport"),
                      ({"min_top_up": "1.001"}, "min_top_up"), ({"survey": [{"key": "a"}]}, "survey"),
                      ({"insurance_codes": ["X0012"]}, "insurance_codes")):
        with pytest.raises(KioskConfigError) as err:
            kiosk_settings(bad)
        assert err.value.code == "E3920" and word in err.value.message
    with pytest.raises(KioskConfigError) as no_key:
        his_settings({"url": "http://127.0.0.1:1", "appid": "K"})
    assert "key" in no_key.value.message
    (tmp_path / "his.key").write_text("secret\n", encoding="utf-8")
    h = his_settings({"url": "http://127.0.0.1:1", "appid": "K", "key_file": str(tmp_path / "his.key")})
    assert h is not None and h.key == "secret" and "secret" not in repr(h)
    base = {"server": {"url": "https://s", "appid": "a", "key": "k"}, "window": {"place_code": "005"}}
    cfg = from_sections(base | {"his": {"url": "http://h", "appid": "K", "key": "x"}, "kiosk": {}}, tmp_path / "t.toml")
    assert cfg.his is not None and cfg.kiosk is not None
    with pytest.raises(WindowConfigError) as win:
        from_sections(base | {"kiosk": {"idle_seconds": -1}}, tmp_path / "t.toml")
    assert win.value.code == "E5800" and "[kiosk]" in win.value.message


def test_order_state_moves_only_from_the_state_seen(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        o = kiosk_orders.create(db, order_no="KX1", flow="outpatient", subject="门诊缴费", operation="outpatient.settle",
                                params={"chargeIds": ["C1"]}, patient_id="P1", amount_fen=1250, pay_method="qr",
                                day="2026-12-03", at="t0")
        assert o.state == "created" and kiosk_orders.unfinished(db)[0].order_no == "KX1"
        kiosk_orders.advance(db, "KX1", "created", "paid", "t1", "支付成功", pay_channel="wechat")
        with pytest.raises(StoreError):  # a second mover saw 'created' too: refused, nothing changes
            kiosk_orders.advance(db, "KX1", "created", "failed", "t2")
        done = kiosk_orders.advance(db, "KX1", "paid", "settled", "t3", settlements=["S1"])
        assert done.settlements == ["S1"] and done.pay_channel == "wechat"
        assert [h[1] for h in kiosk_orders.history(db, "KX1")] == ["created", "paid", "settled"]
        with pytest.raises(sqlite3.IntegrityError):  # the schema refuses a negative amount
            kiosk_orders.create(db, order_no="KX2", flow="x", subject="x", operation="x", params={}, patient_id="",
                                amount_fen=-1, pay_method="qr", day="d", at="t")
        assert kiosk_orders.store_salt(db) == kiosk_orders.store_salt(db) and len(kiosk_orders.store_salt(db)) == 4
    finally:
        db.close()


def test_id_check_digit() -> None:
    assert id_no_valid("110101198505056784") and not id_no_valid("110101198505056789")
    assert not id_no_valid("1101011985") and id_no_valid("11010519491231002X")


def test_receipt_masks_and_marks_emergency_bills() -> None:
    job = kiosk_receipt_job({"flow": "outpatient", "hospital": "测试医院", "terminal": "K1", "orderNo": "KX1",
                             "patient": {"name": "张三", "idNo": "440106199001011234", "phone": "13812345678"},
                             "items": [["处方", "1", "12.50"]], "amount": "12.50", "payMethod": "微信",
                             "bills": [{"billBatchCode": "4401", "billNo": "0001", "random": "abc123",
                                        "emergency": True}], "notes": ["同步服务器暂不可用"]})
    text = repr(job.elements)
    assert "440106********1234" in text and "138****5678" in text and "440106199001011234" not in text
    assert "应急票据" in text and "0001" in text
    with pytest.raises(BadValueError):
        kiosk_receipt_job({"flow": "teleport"})
    with pytest.raises(BadValueError):
        kiosk_receipt_job({"flow": "outpatient", "amount": "1.234"})


def _settlement(no: str, ref: str, amount: str, status: str = "settled") -> Settlement:
    a = Decimal(amount)
    return Settlement(no, "outpatient", "P1", "张三", None, a, "external", "05", ref, Decimal("0"), Decimal("0"), a,
                      Decimal("0"), "t", status, None, None, "terminal", (), Decimal("0"), None, None, None,
                      EBillState("issued"))


def _row(no: str, kind: str, fen: int) -> StatementRow:
    return StatementRow("20261203100000", no, "T" + no, "R" + no if kind == "退款" else "", kind, "微信", "被扫",
                        fen if kind == "支付" else 0, fen if kind == "退款" else 0, 0, "门诊缴费")


def _order(db: Database, no: str, fen: int, state: str, settlements: list[str]) -> kiosk_orders.KioskOrder:
    kiosk_orders.create(db, order_no=no, flow="outpatient", subject="门诊缴费", operation="outpatient.settle",
                        params={}, patient_id="P1", amount_fen=fen, pay_method="code", day="2026-12-03", at=no)
    return kiosk_orders.advance(db, no, "created", state, "t", settlements=settlements)


def test_reconciliation_lists_each_kind_of_difference(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    try:
        orders = [_order(db, "KA1", 1000, "printed", ["S1"]), _order(db, "KA2", 500, "refunded", []),
                  _order(db, "KA3", 700, "paid", []), _order(db, "KA4", 300, "printed", ["S4"])]
        rows = (_row("KA1", "支付", 1000), _row("KA2", "支付", 500), _row("KA2", "退款", 500),
                _row("KA3", "支付", 700), _row("KA4", "支付", 333), _row("KA9", "支付", 100), _row("OTHER1", "支付", 1))
        st = Statement("20261203", "", rows, 6, 1, 2634, 500, 0, 2134)
        his = [_settlement("S1", "KA1", "10.00"), _settlement("S4", "KA4", "3.00"), _settlement("S8", "KA8", "8.00")]
        report = compare(date(2026, 12, 3), "KA", st, orders, his)
        kinds = sorted((d.kind.value, d.order_no) for d in report.differences)
        assert kinds == [(DiffKind.AMOUNT_MISMATCH.value, "KA4"), (DiffKind.PAID_NOT_IN_KIOSK.value, "KA9"),
                         (DiffKind.PAID_NOT_SETTLED.value, "KA3"), (DiffKind.SETTLED_NOT_IN_KIOSK.value, "KA8")]
        assert not report.ok and set(report.by_kind()) == {DiffKind.AMOUNT_MISMATCH, DiffKind.PAID_NOT_IN_KIOSK,
                                                           DiffKind.PAID_NOT_SETTLED, DiffKind.SETTLED_NOT_IN_KIOSK}
        clean = compare(date(2026, 12, 3), "KA", Statement("20261203", "", rows[:4], 4, 1, 2200, 500, 0, 1700),
                        orders[:3], his[:1])
        assert [d.kind for d in clean.differences] == [DiffKind.PAID_NOT_SETTLED]
    finally:
        db.close()


def test_voucher_notice_prints_a_top_up_voucher() -> None:
    from print_templates.voucher_notice import is_voucher, voucher_notice_job
    doc = {"hospital": {"name": "测试医院"}, "emergency": {"terminalId": "K1"},
           "request": {"payer": "张三", "idCardNo": "440106199001011234", "tel": "13812345678", "cardNo": "8800000001",
                       "amt": "300.00", "ownAcBalance": "0.00", "hospitalNo": "8800000001", "category": "门诊",
                       "payChannelDetail": [{"payChannelCode": "05", "payChannelValue": "300.00"}]},
           "response": {"voucherBatchCode": "44070126", "voucherNo": "0005000001", "voucherRandom": "1546b2"}}
    assert is_voucher(doc) and not is_voucher({"request": {"totalAmt": "1.00"}})
    text = repr(voucher_notice_job(doc).elements)
    assert "0005000001" in text and "1546b2" in text and "应急票据" in text and "微信" in text
    assert "440106********1234" in text and "440106199001011234" not in text
