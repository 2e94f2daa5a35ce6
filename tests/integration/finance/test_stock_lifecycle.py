"""The simulator's stock lifecycle extensions (issue 18 §2; docs/STOCK.md): 票据申领 with auto and
manual approval, 入库确认 into the unit's stock (then billStockOut works on it), 申退 and voiding
of unit stock — every change read back through another method, every refusal with its code."""

from __future__ import annotations

import uuid

import pytest
import requests

from simulators.finance import SimServer
from sync_server.connectors.errors import PlatformRejected
from sync_server.connectors.finance import FinanceClient
from sync_server.connectors.finance_stock import FinanceStockClient, item
from tests.integration.finance.conftest import control

pytestmark = pytest.mark.integration


def _no() -> str:
    return "SQ" + uuid.uuid4().hex[:20]


def _code(fn, *args) -> str:  # noqa: ANN001
    with pytest.raises(PlatformRejected) as err:
        fn(*args)
    return err.value.code


def test_apply_auto_approve_confirm_then_move_to_a_point(sim: SimServer, client: FinanceClient) -> None:
    st = FinanceStockClient(client)
    no = _no()
    got = st.apply(no, "0602", 50, "财务01", "门诊用量")
    assert got["state"] == "applied" and got["billNoList"] == []
    assert st.apply(no, "0602", 50, "财务01", "门诊用量")["applyNo"] == no  # idempotent
    assert _code(st.apply, no, "0602", 60, "财务01", "") == "E4025"  # same number, other form
    assert _code(st.confirm, no, "财务01") == "E4022"  # not yet decided (seen only at the next query)
    approved = st.get_apply(no)  # stock_approval=auto, delay 0: approved now
    assert approved["state"] == "approved"
    (r,) = approved["billNoList"]
    assert int(r["billEndNo"]) - int(r["billBgnNo"]) + 1 == 50
    # not yet the unit's: billStockOut refuses it before 入库确认
    entry = item("0602", r["billBatchCode"], r["billBgnNo"], r["billBgnNo"])
    assert _code(st.stock_out, "001", entry, "财务01") == "E4002"
    assert st.confirm(no, "财务01") == "成功" and st.confirm(no, "财务01") == "成功"
    assert st.get_apply(no)["state"] == "confirmed"
    st.stock_out("001", entry, "财务01")
    assert any(int(v["billBgnNo"]) <= int(r["billBgnNo"]) <= int(v["billEndNo"]) for v in st.valid_numbers(
        "001", r["billBatchCode"]))
    # 申退 and void of unit stock: the numbers cannot be moved afterwards
    nxt = str(int(r["billBgnNo"]) + 1).zfill(10)
    back = item("0602", r["billBatchCode"], nxt, str(int(nxt) + 9).zfill(10))
    st.give_back(back, "财务01", "年终申退")
    assert _code(st.stock_out, "001", back, "财务01") == "E4002"
    assert _code(st.give_back, back, "财务01", "再退") == "E4024"
    torn = item("0602", r["billBatchCode"], str(int(nxt) + 10).zfill(10), str(int(nxt) + 10).zfill(10))
    st.void_unit(torn, "财务01", "撕毁")
    assert _code(st.void_unit, torn, "财务01", "撕毁") == "E4024"


def test_manual_rejection_and_bad_input(sim: SimServer, client: FinanceClient) -> None:
    st = FinanceStockClient(client)
    control(sim, "faults", {"stock_approval": "manual"})
    try:
        no = _no()
        st.apply(no, "0602", 5, "财务01", "")
        assert st.get_apply(no)["state"] == "applied"  # manual: waits
        r = requests.post(f"{sim.url}/_control/stock_apply", json={"applyNo": no, "approve": False,
                                                                    "opinion": "库存充足"}, timeout=5)
        assert r.status_code == 200 and r.json()["state"] == "rejected"
        got = st.get_apply(no)
        assert (got["state"], got["opinion"], got["billNoList"]) == ("rejected", "库存充足", [])
        assert _code(st.confirm, no, "财务01") == "E4022"
        r = requests.post(f"{sim.url}/_control/stock_apply", json={"applyNo": no, "approve": True}, timeout=5)
        assert r.status_code == 409 and r.json()["code"] == "E4022"
    finally:
        control(sim, "faults", {"stock_approval": "auto"})
    assert _code(st.apply, _no(), "0602", 0, "财务01", "") == "E4020"
    assert _code(st.apply, _no(), "0601", 5, "财务01", "") == "E4020"  # e-bill numbers are not applied for
    assert _code(st.get_apply, "SQnone") == "E4021"
    assert _code(st.give_back, item("0602", "44060126", "0000000001", "0000000002"), "财务01", "x") == "E4024"
