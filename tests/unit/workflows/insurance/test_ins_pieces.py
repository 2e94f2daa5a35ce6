"""The Qt-free pieces of the insured flow without sockets: the split, the e-bill's insurance
fields, the durable order store (compare-and-set moves, unfinished orders, per-store salt) and the
"platform down" classification."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core.bills import validate_request
from billing_core.errors import PlatformError
from offline_store import ins_orders
from offline_store.db import Database
from offline_store.errors import StoreError
from tests.integration.terminal.helpers import outpatient
from workflows.errors import AnswerLostError, LinkDownError
from workflows.insurance.bill import insured_request
from workflows.insurance.client import platform_down
from workflows.insurance.errors import InsuredFlowError
from workflows.insurance.models import InsuredPerson, Split, fen, yuan

pytestmark = pytest.mark.unit

PERSON = InsuredPerson("44030000000000000002", "李四", "440***********3456", "1", "41", "390", "440100",
                       Decimal("300.00"), "02", "440106198502023456")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "t.db")
    yield database
    database.close()


def test_split_adds_up_and_takes_the_fund_part_as_the_rest() -> None:
    s = Split.of({"medfeeSumamt": "386.50", "fundPaySumamt": "286.50", "acctPay": "76.50", "psnCashPay": "100.00"})
    assert (s.fund, s.account, s.cash, s.cash_fen) == (Decimal("210.00"), Decimal("76.50"), Decimal("100.00"), 10000)
    # a region whose fund_pay_sumamt includes the account: the account is not counted twice
    assert Split.of({"medfeeSumamt": "10.00", "fundPaySumamt": "9.00", "acctPay": "4.00", "psnCashPay": "1.00"}).fund \
        == Decimal("5.00")
    with pytest.raises(InsuredFlowError, match="不平"):
        Split(Decimal("10.00"), Decimal("5.00"), Decimal("1.00"), Decimal("1.00"))
    with pytest.raises(InsuredFlowError, match="个人现金支付"):
        Split.of({"medfeeSumamt": "10.00", "acctPay": "0", "psnCashPay": "abc"})
    assert fen(Decimal("12.34")) == 1234 and yuan(1234) == Decimal("12.34")


def test_insured_bill_carries_the_settlement_and_passes_validation() -> None:
    base = outpatient("YB0001")
    split = Split(Decimal("386.50"), Decimal("210.00"), Decimal("76.50"), Decimal("100.00"))
    request = insured_request(base, split, PERSON, "SETL0001", "05")
    assert request["payChannelDetail"] == [{"payChannelCode": "YBTCJJ", "payChannelValue": "210.00"},
                                           {"payChannelCode": "YBK", "payChannelValue": "76.50"},
                                           {"payChannelCode": "05", "payChannelValue": "100.00"}]
    assert (request["fundPay"], request["accountPay"], request["selfCashPay"], request["otherfundPay"]) == \
        ("210.00", "76.50", "100.00", "0.00")
    assert request["medicalInsuranceID"] == PERSON.psn_no and request["balancedNumber"] == "SETL0001"
    assert request["medicalCareType"] == "城乡居民基本医疗保险"
    validate_request("invoiceEBillOutpatient", request)  # E1011 / E1016 hold: raises when they do not
    # no account, no cash: only the fund channel
    only_fund = insured_request(base, Split(Decimal("386.50"), Decimal("386.50"), Decimal("0.00"), Decimal("0.00")),
                                PERSON, "S2", "02")
    assert [c["payChannelCode"] for c in only_fund["payChannelDetail"]] == ["YBTCJJ"]
    with pytest.raises(InsuredFlowError, match="票据总金额"):
        insured_request(base, Split(Decimal("1.00"), Decimal("1.00"), Decimal("0.00"), Decimal("0.00")), PERSON, "S", "02")


def test_order_store_moves_only_from_the_state_seen_and_logs_every_move(db: Database) -> None:
    o = ins_orders.create(db, order_no="YB1", desk="cashier", visit="outpatient", psn_no="P1",
                          params={"person": PERSON.wire()}, bus_no="B1", day="2026-12-03", at="t1")
    assert o.state == "created" and o.settlement_id is None and o.steps == []
    o = ins_orders.advance(db, "YB1", "created", "registered", "t2", settlement_id=7)
    o = ins_orders.advance(db, "YB1", "registered", "pre_settled", "t3", medfee_fen=6000, fund_fen=4000,
                           account_fen=1000, cash_fen=1000)
    with pytest.raises(StoreError):  # someone else moved it first
        ins_orders.advance(db, "YB1", "registered", "abandoned", "t4")
    with pytest.raises(ValueError, match="unknown"):
        ins_orders.advance(db, "YB1", "pre_settled", "paying", "t4", amount=1)
    o = ins_orders.advance(db, "YB1", "pre_settled", "pre_settled", "t5", "note only", steps=["x"])
    assert o.steps == ["x"] and ins_orders.by_settlement(db, 7) == o
    assert [o.order_no for o in ins_orders.unfinished(db, "cashier")] == ["YB1"]
    assert ins_orders.unfinished(db, "kiosk") == []
    ins_orders.advance(db, "YB1", "pre_settled", "abandoned", "t6")
    assert ins_orders.unfinished(db) == []
    assert [to for _f, to, _n in ins_orders.history(db, "YB1")] == \
        ["created", "registered", "pre_settled", "pre_settled", "abandoned"]
    assert InsuredPerson.from_params(ins_orders.get(db, "YB1").params["person"]) == PERSON
    # the busNo is unique: one order, one bill
    with pytest.raises(Exception, match="UNIQUE"):
        ins_orders.create(db, order_no="YB2", desk="cashier", visit="outpatient", psn_no="P1", params={},
                          bus_no="B1", day="2026-12-03", at="t7")
    salt = ins_orders.store_salt(db)
    assert len(salt) == 4 and ins_orders.store_salt(db) == salt
    assert ins_orders.next_seq(db, "2026-12-03") == 1 and ins_orders.next_seq(db, "2026-12-03") == 2


def test_platform_down_tells_outages_from_refusals() -> None:
    assert platform_down(LinkDownError()) and platform_down(AnswerLostError())
    assert platform_down(PlatformError("E5601", "x")) and platform_down(PlatformError("E5605", "x"))
    assert not platform_down(PlatformError("E5604", "infcode=-1"))
    assert not platform_down(PlatformError("E5611", "busy"))
    assert not platform_down(ValueError("x"))
