"""Pharmacy settlement (2101-2103), filings and their queries (2501-2506, 5301/5302/5304), and
docs/INSURANCE.md telling the truth about which transactions are built."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from simulators.insurance.dispatch import HANDLERS
from tests.rigs.insurance import DRUG_A, DRUG_B, ZHANG, ZHAO, InsClient, fee_line, new_msgid, now_text

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[4]


def _pharmacy(p: dict[str, str], no: str, medfee: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": {"psn_no": p["psn_no"], "mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"],
                     "begntime": now_text(), "medfee_sumamt": medfee, "ipt_otp_no": no, "med_type": "41",
                     "insutype": p["insutype"], "psn_setlway": "01", "acct_used_flag": "1"},
            "drugdetail": lines}


def test_pharmacy_settle_cancel_and_reverse(client: InsClient, app: Flask) -> None:
    p = ZHANG
    lines = [fee_line("", p, "1", DRUG_B, "2", "30"), fee_line("", p, "2", DRUG_A, "10", "0.5")]
    pre = client.ok("2101", _pharmacy(p, "YD1", "65.00", lines), p["plc"])
    assert pre["setlinfo"]["setl_id"] is None and len(pre["detlcutinfo"]) == 2
    assert not app.test_client().get("/_sim/settlements").get_json()["settlements"]  # nothing kept
    assert "不符" in client.fails("2102", _pharmacy(p, "YD1", "66.00", lines), p["plc"])
    out = client.ok("2102", _pharmacy(p, "YD1", "65.00", lines), p["plc"])["setlinfo"]
    assert out["hifp_pay"] + out["acct_pay"] + out["psn_cash_pay"] == Decimal("65.00")
    assert "已结算" in client.fails("2102", _pharmacy(p, "YD1", "65.00", lines), p["plc"])
    cancel = client.ok("2103", {"data": {"setl_id": out["setl_id"], "psn_no": p["psn_no"]}}, p["plc"])
    assert cancel["setlinfo"]["medfee_sumamt"] == Decimal("-65.00")
    msgid = new_msgid()
    again = client.ok("2102", _pharmacy(p, "YD1", "65.00", lines), p["plc"], msgid=msgid)["setlinfo"]
    client.ok("2601", {"data": {"psn_no": p["psn_no"], "omsgid": msgid, "oinfno": "2102"}}, p["plc"])
    state = app.test_client().get(f"/_sim/settlements?mdtrt_id={again['mdtrt_id']}").get_json()["settlements"]
    assert [s["state"] for s in state] == ["reversed"]


def test_filings_and_their_queries(client: InsClient) -> None:
    p = ZHAO
    chronic = client.ok("2503", {"data": {"psn_no": p["psn_no"], "insutype": "390", "opsp_dise_code": "M03900",
                                          "opsp_dise_name": "高血压", "begndate": "2026-01-01"}}, p["plc"])
    sn = chronic["result"]["trt_dcla_detl_sn"]
    assert client.ok("5301", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["feedetail"][0]["opsp_dise_code"] == "M03900"
    client.ok("2505", {"data": {"psn_no": p["psn_no"], "insutype": "390", "begndate": "2026-01-01"}}, p["plc"])
    assert client.ok("5302", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["psnfixmedin"]
    client.ok("2501", {"refmedin": {"psn_no": p["psn_no"], "insutype": "390", "begndate": "2026-01-01",
                                    "enddate": "2026-03-01", "dise_codg": "K35.800", "dise_name": "阑尾炎",
                                    "reflin_medins_no": "H44010600001"}}, p["plc"])
    assert client.ok("5304", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["refmedin"]
    client.ok("2504", {"data": {"psn_no": p["psn_no"], "trt_dcla_detl_sn": sn}}, p["plc"])
    assert client.ok("5301", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["feedetail"] == []
    assert "不存在或已撤销" in client.fails("2504", {"data": {"psn_no": p["psn_no"], "trt_dcla_detl_sn": sn}}, p["plc"])
    assert "不能为空" in client.fails("2503", {"data": {"psn_no": p["psn_no"]}}, p["plc"])
    assert client.ok("5205", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["feedetail"] == []


def test_docs_list_exactly_the_built_transactions() -> None:
    text = (ROOT / "docs" / "INSURANCE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{4}) \| [^|]+\| [^|]+\| (built|not built) \|", text, flags=re.MULTILINE)
    assert len(rows) > 100, "the transaction table was not found"
    built = {no for no, state in rows if state == "built"}
    listed = {no for no, _ in rows}
    handled = {no for no in HANDLERS if len(no) == 4}
    assert built == handled, (sorted(built - handled), sorted(handled - built))
    assert not {no for no, state in rows if state == "not built"} & handled
    assert handled <= listed


def test_cancel_echoes_setl_id_knob_and_reconciliation_with_refunds(client: InsClient, knobs: Any) -> None:
    from tests.rigs.insurance import outpatient_settled

    knobs(cancel_new_setl_id=False)
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    setl_id = out["setlinfo"]["setl_id"]
    cancel = client.ok("2208", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": ZHANG["psn_no"]}},
                       ZHANG["plc"])
    assert cancel["setlinfo"]["setl_id"] == setl_id
    day = now_text()[:10]
    base = {"insutype": "310", "clr_type": "11", "setl_optins": "440300", "stmt_begndate": day, "stmt_enddate": day}
    # only valid settlements: none left
    zero = {"medfee_sumamt": 0, "fund_pay_sumamt": 0, "acct_pay": 0, "fixmedins_setl_cnt": 0}
    assert client.ok("3201", {"data": {**base, **zero, "refd_setl_flag": "0"}})["stmtinfo"]["stmt_rslt"] == "000000"
    # with refunds: the settlement and its cancel, netting to zero, count 2
    both = dict(zero, fixmedins_setl_cnt=2)
    assert client.ok("3201", {"data": {**base, **both, "refd_setl_flag": "1"}})["stmtinfo"]["stmt_rslt"] == "000000"
    knobs(stmt_codes={"balanced": "0", "unbalanced": "1"})
    assert client.ok("3201", {"data": {**base, **zero, "refd_setl_flag": "1"}})["stmtinfo"]["stmt_rslt"] == "1"


def test_new_person_by_control_and_upload_as_byte_array(client: InsClient, app: Flask) -> None:
    http = app.test_client()
    person = {"psn_no": "44030000000000000099", "certno": "440106201001010011", "psn_name": "孙八", "gend": "1",
              "brdy": "2010-01-01", "card_no": "SSC99", "card_sn": "SN99", "ec_token": "ECT-99",
              "insurances": [{"insutype": "390", "psn_type": "1401", "insuplc_admdvs": "440300", "balc": "0"}]}
    assert http.post("/_sim/persons", json=person).status_code == 200
    assert http.post("/_sim/persons", json=person).get_json()["code"] == "E3601"
    assert http.post("/_sim/persons", json={**person, "psn_no": "1", "certno": "bad"}).get_json()["code"] == "E3601"
    out = client.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": "ECT-99"}})
    assert out["baseinfo"]["psn_name"] == "孙八" and out["baseinfo"]["age"] > 10
    up = client.ok("9101", {"fsUploadIn": {"in": list(b"PK\x03\x04"), "filename": "a.zip",
                                           "fixmedins_code": client.code}})
    assert up["file_qury_no"].startswith("fsi/upld/")
    assert "Base64" in client.fails("9101", {"fsUploadIn": {"in": "!!", "filename": "a.zip",
                                                            "fixmedins_code": client.code}})
