"""Pure rules of the insurance room: field checks, the amount identities, the 5203 match, the
reconciliation files, the not-found reading of a refusal."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from sync_server.connectors.insurance_errors import InsuranceRejected
from sync_server.connectors.insurance_types import Settlement
from sync_server.insurance import fields, reconcile
from sync_server.insurance.errors import AmountMismatchError, InsuranceRequestError
from sync_server.insurance.resolve import not_found, ours, platform_day
from sync_server.insurance.scope import SERVER as SERVER_SCOPE
from sync_server.insurance.scope import Scope
from sync_server.insurance.settle import check_amounts

pytestmark = pytest.mark.unit


def test_snake_case_and_fields() -> None:
    assert fields.snake("detItemFeeSumamt") == "det_item_fee_sumamt"
    assert fields.snake("feedetl_sn") == "feedetl_sn" and fields.snake("medListCodg") == "med_list_codg"
    assert fields.amount("12.5", "x") == Decimal("12.50")
    for bad in ("1.005", "abc", "NaN"):
        with pytest.raises(InsuranceRequestError, match="x"):
            fields.amount(bad, "x")
    with pytest.raises(InsuranceRequestError, match="psnNo"):
        fields.required({"psnNo": " "}, "psnNo")
    with pytest.raises(InsuranceRequestError, match="settlementId"):
        fields.settlement_id({"settlementId": "-3"})


def _s(**amounts: str) -> Settlement:
    return Settlement.from_info({k: v for k, v in amounts.items()})


def test_amount_identities() -> None:
    # the spec's sample: 4.52 all from the personal account
    check_amounts(_s(medfee_sumamt="4.52", fund_pay_sumamt="0", acct_pay="4.52", psn_cash_pay="0",
                     psn_part_amt="4.52"), fund_includes_acct=False)
    check_amounts(_s(medfee_sumamt="100", fund_pay_sumamt="70", acct_pay="20", psn_cash_pay="10",
                     psn_part_amt="30"), fund_includes_acct=False)
    # Zhuhai: the fund figure includes the account
    check_amounts(_s(medfee_sumamt="100", fund_pay_sumamt="90", acct_pay="20", psn_cash_pay="10",
                     psn_part_amt="30"), fund_includes_acct=True)
    with pytest.raises(AmountMismatchError):
        check_amounts(_s(medfee_sumamt="100", fund_pay_sumamt="70", acct_pay="20", psn_cash_pay="9",
                         psn_part_amt="29"), fund_includes_acct=False)


def test_5203_match_by_msgid() -> None:
    a = Settlement.from_info({"setl_id": "A", "medins_setl_id": "M1", "medfee_sumamt": "5"})
    b = Settlement.from_info({"setl_id": "B", "medins_setl_id": "M2", "medfee_sumamt": "5"})
    assert ours((a, b), "M2") is b and ours((a,), "M9") is None
    bare = Settlement.from_info({"setl_id": "C", "medfee_sumamt": "5"})
    assert ours((bare,), "M9") is bare  # a platform that echoes no medins_setl_id: its only settlement
    assert ours((bare, bare), "M9") is None


def test_refusal_reading() -> None:
    hints = ("不存在", "无需冲正")
    assert not_found(InsuranceRejected("-1", "原交易报文ID X不存在，无需冲正", infno="2601"), hints)
    assert not not_found(InsuranceRejected("-1", "签到编号sign_no无效", infno="5203"), hints)


def test_reconciliation_files() -> None:
    rows = [{"setl_id": "S1", "mdtrt_id": "M1", "psn_no": "P1", "medfee_sumamt": Decimal("10"),
             "fund_pay_sumamt": Decimal("7"), "acct_pay": Decimal("2"), "refd_setl_flag": "0"}]
    assert reconcile.detail_file(rows, "tab") == b"S1\tM1\tP1\t10.00\t7.00\t2.00\t0\n"
    assert reconcile.detail_file(rows, "space") == b"S1 M1 P1 10.00 7.00 2.00 0\n"
    # a cancel (refund) line: its own setl_id, negative amounts, refd_setl_flag 1
    cancel = {"setl_id": "C1", "mdtrt_id": "M1", "psn_no": "P1", "medfee_sumamt": Decimal("-10"),
              "fund_pay_sumamt": Decimal("-7"), "acct_pay": Decimal("-2"), "refd_setl_flag": "1"}
    assert reconcile.detail_file([cancel], "tab") == b"C1\tM1\tP1\t-10.00\t-7.00\t-2.00\t1\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("r.txt", "psn_no\tmdtrt_id\tsetl_id\nP1\tM1\tS1\tMSG\t000103\t0\t金额不符\t10.00\t7.00\t2.00\n")
    got = reconcile.result_rows(buf.getvalue())
    assert got == [{"psn_no": "P1", "mdtrt_id": "M1", "setl_id": "S1", "msgid": "MSG", "stmt_rslt": "000103",
                    "refd_setl_flag": "0", "memo": "金额不符", "medfee_sumamt": "10.00", "fund_pay_sumamt": "7.00",
                    "acct_pay": "2.00"}]
    with zipfile.ZipFile(io.BytesIO(reconcile.zipped("a.txt", b"x"))) as zf:
        assert zf.read("a.txt") == b"x"


def test_scope_reaches_own_and_shared_point_settlements_only() -> None:
    points = {"TERM01": frozenset({"P1"}), "KIOSK01": frozenset({"P9"}), "SELF01": frozenset({"P9"})}
    kiosk = Scope("SELF01", points["SELF01"], lambda appid: points.get(appid, frozenset()))
    assert kiosk.sees({"caller": "SELF01"}) and kiosk.sees({"caller": "KIOSK01"})  # its own, its point's
    assert not kiosk.sees({"caller": "TERM01"}) and not kiosk.sees({"caller": "GONE"})
    assert Scope("SELF01", points["SELF01"], everything=True).sees({"caller": "TERM01"})  # finance / admin
    assert SERVER_SCOPE.sees({"caller": "anyone"})


def test_the_day_a_settlement_counts() -> None:
    assert platform_day("2026-12-02 23:59:58", "20261203000001000") == "2026-12-02"  # the platform's date
    assert platform_day("", "20261203000001000") == "2026-12-03"  # none answered: ours
    assert platform_day("20261202235958", "20261203000001000") == "2026-12-03"  # not a date-time text
