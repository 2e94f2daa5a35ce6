"""Outpatient settlement over HTTP against the real process: 2201-2208 with their refusals,
2601 reversal, the settlement that timed out but committed, restart on the same data, the
platform-down and slow knobs, the three URL styles."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from tests.rigs.insurance import (
    CONSULT,
    DRUG_A,
    DRUG_B,
    LI,
    WANG,
    ZHANG,
    ZHAO,
    InsClient,
    InsSimProcess,
    fee_line,
    new_msgid,
    outpatient_settled,
    register,
    settle_data,
)

pytestmark = pytest.mark.integration


def _balance(sim: InsSimProcess, psn_no: str) -> str:
    return str(sim.control("GET", f"/_sim/persons/{psn_no}").json()["insurances"][0]["balc"])


def test_outpatient_flow_with_refusals(client: InsClient) -> None:
    p = WANG
    # 2201: voucher must be the person's, ipt_otp_no unique, insutype in force
    no = "MZ-IT-" + new_msgid()[-8:]
    mdtrt_id = register(client, p, no)
    assert "已登记" in client.fails("2201", {"data": {
        "psn_no": p["psn_no"], "insutype": "340", "begntime": "2026-12-01 08:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p["certno"], "ipt_otp_no": no, "atddr_no": "D", "dr_name": "医", "dept_code": "A",
        "dept_name": "内", "caty": "A03"}}, p["plc"])
    assert "未参加险种" in client.fails("2201", {"data": {
        "psn_no": p["psn_no"], "insutype": "390", "begntime": "2026-12-01 08:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p["certno"], "ipt_otp_no": no + "X", "atddr_no": "D", "dr_name": "医", "dept_code": "A",
        "dept_name": "内", "caty": "A03"}}, p["plc"])
    # 2203 visit info
    client.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "med_type": "11",
                                     "begntime": "2026-12-01 08:00:00", "main_cond_dscr": "咳嗽",
                                     "dise_codg": "J18.900", "dise_name": "肺炎"},
                       "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "J18.900", "diag_name": "肺炎",
                                     "diag_dept": "内科", "dise_dor_no": "D001", "dise_dor_name": "李医生",
                                     "diag_time": "2026-12-01 08:10:00", "vali_flag": "1"}]}, p["plc"])
    # 2204 two batches; 2205 cancels one; 2206 pre-settles without committing
    client.ok("2204", {"feedetail": [fee_line(mdtrt_id, p, "1", CONSULT, "1", "10", "B1"),
                                     fee_line(mdtrt_id, p, "2", DRUG_A, "24", "0.6", "B1"),
                                     fee_line(mdtrt_id, p, "3", DRUG_B, "1", "30", "B2")]}, p["plc"])
    client.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2", "psn_no": p["psn_no"]}}, p["plc"])
    assert "没有可撤销" in client.fails("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2",
                                                           "psn_no": p["psn_no"]}}, p["plc"])
    pre = client.ok("2206", {"data": settle_data(mdtrt_id, p, "24.40")}, p["plc"])["setlinfo"]
    assert pre["setl_id"] is None and pre["overlmt_selfpay"] == Decimal("2.40")  # 0.60 against a 0.50 limit
    # 2207 settles; 5203 finds it by setl_id and by mdtrt_id
    out = client.ok("2207", {"data": settle_data(mdtrt_id, p, "24.40", invono="INV1")}, p["plc"])["setlinfo"]
    assert out["medins_setl_id"] != pre["medins_setl_id"]
    assert out["hifp_pay"] + out["acct_pay"] + out["psn_cash_pay"] == out["medfee_sumamt"] == Decimal("24.40")
    for key in ({"setl_id": out["setl_id"]}, {"mdtrt_id": mdtrt_id}):
        found = client.ok("5203", {"data": {"psn_no": p["psn_no"], **key}}, p["plc"])
        assert found["setlinfo"]["setl_id"] == out["setl_id"] and found["setldetail"]
    fees = client.ok("5204", {"data": {"psn_no": p["psn_no"], "mdtrt_id": mdtrt_id, "setl_id": out["setl_id"]}},
                     p["plc"])["feedetail"]
    assert [f["feedetl_sn"] for f in fees] == ["1", "2"]
    # settled lines cannot be cancelled, the registration neither
    assert "已结算" in client.fails("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
                                                     "psn_no": p["psn_no"]}}, p["plc"])
    assert "有效结算" in client.fails("2202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"],
                                                        "ipt_otp_no": no}}, p["plc"])
    # the way back (seed 003): cancel settlement, cancel fee lines, cancel registration
    client.ok("2208", {"data": {"setl_id": out["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}, p["plc"])
    client.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": p["psn_no"]}}, p["plc"])
    client.ok("2202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": p["psn_no"], "ipt_otp_no": no}}, p["plc"])
    assert "已撤销" in client.fails("2204", {"feedetail": [fee_line(mdtrt_id, p, "9", CONSULT, "1", "10")]}, p["plc"])
    visits = client.ok("5201", {"data": {"psn_no": p["psn_no"]}}, p["plc"])["mdtrtinfo"]
    assert any(v["mdtrt_id"] == mdtrt_id and v["vali_flag"] == "0" for v in visits)


def test_person_with_an_ended_insurance_and_a_resident(client: InsClient) -> None:
    out = client.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": ZHAO["ect"]}})
    assert {i["insutype"]: i["psn_insu_stas"] for i in out["insuinfo"]} == {"310": "4", "390": "1"}
    _, settled = outpatient_settled(client, ZHAO)  # resident: no deductible, 50 %, no account
    info = settled["setlinfo"]
    assert (info["hifp_pay"], info["acct_pay"], info["psn_cash_pay"]) == (Decimal("135.00"), 0, Decimal("215.00"))
    assert settled["setldetail"][0]["fund_pay_type"] == "390100"
    # cross-region person (李四, insured in 440100) settles with his own insuplc_admdvs
    _, li = outpatient_settled(client, LI)
    assert li["setlinfo"]["clr_optins"] == "440100"


def test_reversal_of_settlement_and_of_cancel(client: InsClient, sim: InsSimProcess) -> None:
    p = ZHANG
    before = _balance(sim, p["psn_no"])
    mdtrt_id = register(client, p)
    client.ok("2204", {"feedetail": [fee_line(mdtrt_id, p, "1", CONSULT, "1", "10")]}, p["plc"])
    msgid = new_msgid()
    out = client.ok("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"], msgid=msgid)["setlinfo"]
    assert _balance(sim, p["psn_no"]) != before
    rev = {"data": {"psn_no": p["psn_no"], "omsgid": msgid, "oinfno": "2207"}}
    assert "不符" in client.fails("2601", {"data": {"psn_no": p["psn_no"], "omsgid": msgid, "oinfno": "2208"}},
                                  p["plc"])
    client.ok("2601", rev, p["plc"])
    assert _balance(sim, p["psn_no"]) == before
    assert "已冲正" in client.fails("2601", rev, p["plc"])
    assert "已冲正" in client.fails("5203", {"data": {"psn_no": p["psn_no"], "setl_id": out["setl_id"]}}, p["plc"])
    assert "不存在" in client.fails("2601", {"data": {"psn_no": p["psn_no"], "omsgid": new_msgid(),
                                                      "oinfno": "2207"}}, p["plc"])
    # settle again, cancel, reverse the cancel: the settlement is valid again
    again = client.ok("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"])["setlinfo"]
    cancel_msgid = new_msgid()
    client.ok("2208", {"data": {"setl_id": again["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}},
              p["plc"], msgid=cancel_msgid)
    client.ok("2601", {"data": {"psn_no": p["psn_no"], "omsgid": cancel_msgid, "oinfno": "2208"}}, p["plc"])
    found = client.ok("5203", {"data": {"psn_no": p["psn_no"], "mdtrt_id": mdtrt_id}}, p["plc"])["setlinfo"]
    assert found["setl_id"] == again["setl_id"] and found["setl_stas"] == "1"
    query = new_msgid()
    client.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": p["certno"]}}, msgid=query)
    assert "不支持冲正" in client.fails("2601", {"data": {"psn_no": p["psn_no"], "omsgid": query, "oinfno": "1101"}},
                                       p["plc"])


def test_settlement_timed_out_but_committed(client: InsClient, sim: InsSimProcess) -> None:
    p = WANG
    before = _balance(sim, p["psn_no"])
    mdtrt_id = register(client, p)
    client.ok("2204", {"feedetail": [fee_line(mdtrt_id, p, "1", CONSULT, "1", "10")]}, p["plc"])
    sim.knobs(timeout_commit={"count": 1, "infnos": ["2207"], "hang_seconds": 4})
    msgid = new_msgid()
    hasty = InsClient(sim.url, timeout=1.0)
    hasty.sign_no = client.sign_no
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        hasty.call("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"], msgid=msgid)
    hasty.close()
    assert time.monotonic() - t0 < 3
    # the answer never came, but the settlement exists: 5203 by mdtrt_id finds it, with our msgid
    found = client.ok("5203", {"data": {"psn_no": p["psn_no"], "mdtrt_id": mdtrt_id}}, p["plc"])["setlinfo"]
    assert found["medins_setl_id"] == msgid and found["setl_stas"] == "1"
    assert _balance(sim, p["psn_no"]) != before
    # a retry with the same msgid is refused; 2601 reverses it; the knob was one-shot
    assert "报文ID重复" in client.fails("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"], msgid=msgid)
    client.ok("2601", {"data": {"psn_no": p["psn_no"], "omsgid": msgid, "oinfno": "2207"}}, p["plc"])
    assert _balance(sim, p["psn_no"]) == before
    assert sim.knobs()["timeout_commit"] is None
    client.ok("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"])


def test_restart_keeps_state(client: InsClient, sim: InsSimProcess) -> None:
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    msgid = out["setlinfo"]["medins_setl_id"]
    sim.knobs(skew_seconds=120)
    sim.stop()
    sim.start()
    assert sim.knobs()["skew_seconds"] == 120
    found = client.ok("5203", {"data": {"psn_no": ZHANG["psn_no"], "mdtrt_id": mdtrt_id}}, ZHANG["plc"])
    assert found["setlinfo"]["setl_id"] == out["setlinfo"]["setl_id"]
    assert "报文ID重复" in client.fails("1101", {"data": {}}, msgid=msgid)  # sign_no survived too


def test_down_slow_and_url_styles(client: InsClient, sim: InsSimProcess) -> None:
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ZHANG["certno"]}}
    sim.knobs(down=True)
    status, body = client.post_raw(client.envelope("1101", payload))
    assert status == 503 and "维护" in body.decode()
    sim.knobs(down=None, slow=1)
    t0 = time.monotonic()
    client.ok("1101", payload)
    assert time.monotonic() - t0 >= 1
    sim.knobs(slow=None)
    # style B (base + infno) and C (service path); the path's infno must match the body's
    assert client.call("1101", payload, path="/1101")["infcode"] == 0
    assert client.call("1101", payload, path="/fsi/api/fsiPsnInfoService/queryPsnInfo")["infcode"] == 0
    assert "不符" in client.call("1101", payload, path="/2207")["err_msg"]
    status, _ = client.post_raw(client.envelope("1101", payload), "/fsi/api/nope/nope")
    assert status == 404


def test_concurrent_settlements_of_one_visit(client: InsClient, sim: InsSimProcess) -> None:
    """Two cashiers settle the same visit at once: exactly one settlement (spec §10.3)."""
    import threading

    p = ZHANG
    mdtrt_id = register(client, p)
    client.ok("2204", {"feedetail": [fee_line(mdtrt_id, p, "1", CONSULT, "1", "10")]}, p["plc"])
    results: list[int] = []
    clients = [InsClient(sim.url) for _ in range(4)]
    for c in clients:
        c.sign_no = client.sign_no

    def go(c: InsClient) -> None:
        results.append(c.call("2207", {"data": settle_data(mdtrt_id, p, "10.00")}, p["plc"])["infcode"])

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    for c in clients:
        c.close()
    assert sorted(results) == [-1, -1, -1, 0]
    rows = sim.control("GET", f"/_sim/settlements?mdtrt_id={mdtrt_id}").json()["settlements"]
    assert [r["state"] for r in rows] == ["valid"]
