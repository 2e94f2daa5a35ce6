"""Inpatient over HTTP: admission, change, fee lines with a refund line, mid-stay and final
settlement, the way back in order (seed 003: 不允许跨单回退), and 2304 timing out but committed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.rigs.insurance import (
    CONSULT,
    DRUG_B,
    QIAN,
    ZHANG,
    InsClient,
    InsSimProcess,
    fee_line,
    new_msgid,
    now_text,
)

pytestmark = pytest.mark.integration

BED = "120100001"


def _admit(c: InsClient, p: dict[str, str]) -> str:
    out = c.ok("2401", {"mdtrtinfo": {
        "psn_no": p["psn_no"], "insutype": p["insutype"], "coner_name": "家属", "tel": "13800138000",
        "begntime": "2026-11-20 08:00:00", "mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"], "med_type": "21",
        "ipt_no": "ZY" + new_msgid()[-10:], "medrcdno": "BA1", "atddr_no": "D001", "chfpdr_name": "王主任",
        "adm_diag_dscr": "腹痛", "adm_dept_codg": "B01", "adm_dept_name": "普外科", "adm_bed": "12",
        "dscg_maindiag_code": "K35.800", "dscg_maindiag_name": "急性阑尾炎"},
        "diseinfo": [{"psn_no": p["psn_no"], "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": "1",
                      "diag_code": "K35.800", "diag_name": "急性阑尾炎", "diag_dept": "普外科", "dise_dor_no": "D001",
                      "dise_dor_name": "王主任", "diag_time": "2026-11-20 08:30:00"}]}, p["plc"])
    return str(out["result"]["mdtrt_id"])


def _settle(mdtrt_id: str, p: dict[str, str], medfee: str, mid: str) -> dict[str, Any]:
    return {"data": {"psn_no": p["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"],
                     "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "insutype": p["insutype"],
                     "acct_used_flag": "0", "invono": "", "mid_setl_flag": mid, "fulamt_ownpay_amt": 0,
                     "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": 0}}


def _discharge(mdtrt_id: str, p: dict[str, str]) -> dict[str, Any]:
    return {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "insutype": p["insutype"],
                         "endtime": now_text(), "dise_codg": "K35.800", "dise_name": "急性阑尾炎",
                         "dscg_dept_codg": "B01", "dscg_dept_name": "普外科", "dscg_way": "1"}}


def test_inpatient_stay(client: InsClient) -> None:
    p = QIAN
    mdtrt_id = _admit(client, p)
    assert "已有在院登记" in client.fails("2401", {"mdtrtinfo": {
        "psn_no": p["psn_no"], "insutype": "310", "begntime": "2026-11-20 08:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p["certno"], "med_type": "21", "ipt_no": "ZYX", "atddr_no": "D", "chfpdr_name": "王",
        "adm_dept_codg": "B01", "adm_dept_name": "外", "dscg_maindiag_code": "K35.800",
        "dscg_maindiag_name": "阑尾炎"}}, p["plc"])
    client.ok("2403", {"adminfo": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "begntime": "2026-11-20 07:30:00"}},
              p["plc"])
    inpatients = client.ok("5303", {"data": {}})["data"]
    assert any(v["mdtrt_id"] == mdtrt_id for v in inpatients)
    # 3 nights' bed, a drug and its refund (negative cnt with init_feedetl_sn)
    client.ok("2301", {"feedetail": [
        fee_line(mdtrt_id, p, "1", BED, "3", "60", "", med_type="21"),
        fee_line(mdtrt_id, p, "2", DRUG_B, "10", "30", "", med_type="21"),
        fee_line(mdtrt_id, p, "3", DRUG_B, "-2", "30", "", med_type="21", init_feedetl_sn="2")]}, p["plc"])
    assert "init_feedetl_sn" in client.fails("2301", {"feedetail": [
        fee_line(mdtrt_id, p, "4", DRUG_B, "-1", "30", "")]}, p["plc"])
    assert "不存在或项目不一致" in client.fails("2301", {"feedetail": [
        fee_line(mdtrt_id, p, "4", DRUG_B, "-1", "30", "", init_feedetl_sn="1")]}, p["plc"])  # line 1 is the bed
    # a final settlement needs the discharge first
    assert "未办理出院" in client.fails("2304", _settle(mdtrt_id, p, "420.00", "0"), p["plc"])
    pre = client.ok("2303", _settle(mdtrt_id, p, "420.00", "1"), p["plc"])["setlinfo"]
    assert pre["setl_id"] is None and pre["clr_type"] == "21"
    mid = client.ok("2304", _settle(mdtrt_id, p, "420.00", "1"), p["plc"])["setlinfo"]
    # 床位 180 甲 + 乙 240 (24 first self-pay): in scope 396, all within the 1000 deductible
    assert (mid["inscp_scp_amt"], mid["act_pay_dedc"], mid["hifp_pay"], mid["psn_cash_pay"]) == \
        (Decimal("396.00"), Decimal("396.00"), 0, Decimal("420.00"))
    client.ok("2301", {"feedetail": [fee_line(mdtrt_id, p, "5", CONSULT, "1", "10", "", med_type="21")]}, p["plc"])
    client.ok("2302", {"data": [{"feedetl_sn": "5", "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}]}, p["plc"])
    client.ok("2301", {"feedetail": [fee_line(mdtrt_id, p, "6", BED, "20", "60", "", med_type="21")]}, p["plc"])
    client.ok("2402", _discharge(mdtrt_id, p), p["plc"])
    assert "已办理出院" in client.fails("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    final = client.ok("2304", _settle(mdtrt_id, p, "1200.00", "0"), p["plc"])["setlinfo"]
    # the rest of the deductible (604) first, then 85 % of 596
    assert (final["act_pay_dedc"], final["hifp_pay"]) == (Decimal("604.00"), Decimal("506.60"))
    assert final["hifp_pay"] + final["acct_pay"] + final["psn_cash_pay"] == Decimal("1200.00")
    assert "不能重复结算" in client.fails("2304", _settle(mdtrt_id, p, "1200.00", "0"), p["plc"])
    # the way back, in order: cancel the final settlement, the discharge, the mid-stay one, the lines, the admission
    assert "请先撤销结算" in client.fails("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    cancel = client.ok("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": final["setl_id"], "psn_no": p["psn_no"]}},
                       p["plc"])["setlinfo"]
    assert cancel["hifp_pay"] == Decimal("-506.60")
    client.ok("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    assert "有效结算" in client.fails("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    client.ok("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": mid["setl_id"], "psn_no": p["psn_no"]}}, p["plc"])
    client.ok("2302", {"data": [{"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}]}, p["plc"])
    client.ok("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    acc = client.ok("5206", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["cuminfo"]
    assert all(a["cum"] == 0 for a in acc if a["cum_type_code"].startswith("ipt"))


def test_inpatient_settlement_timed_out_but_committed(client: InsClient, sim: InsSimProcess) -> None:
    p = ZHANG
    mdtrt_id = _admit(client, p)
    client.ok("2301", {"feedetail": [fee_line(mdtrt_id, p, "1", BED, "2", "60", "", med_type="21")]}, p["plc"])
    client.ok("2402", _discharge(mdtrt_id, p), p["plc"])
    sim.knobs(timeout_commit={"hang_seconds": 3})  # default: 2207 and 2304, once
    msgid = new_msgid()
    hasty = InsClient(sim.url, timeout=1.0)
    hasty.sign_no = client.sign_no
    with pytest.raises(requests.exceptions.ReadTimeout):
        hasty.call("2304", _settle(mdtrt_id, p, "120.00", "0"), p["plc"], msgid=msgid)
    hasty.close()
    found = client.ok("5203", {"data": {"psn_no": p["psn_no"], "mdtrt_id": mdtrt_id}}, p["plc"])["setlinfo"]
    assert found["medins_setl_id"] == msgid
    client.ok("2601", {"data": {"psn_no": p["psn_no"], "omsgid": msgid, "oinfno": "2304"}}, p["plc"])
    assert "没有结算信息" in client.fails("5203", {"data": {"psn_no": p["psn_no"], "mdtrt_id": mdtrt_id}}, p["plc"])
    client.ok("2304", _settle(mdtrt_id, p, "120.00", "0"), p["plc"])
