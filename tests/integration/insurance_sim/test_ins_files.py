"""Catalogues by version and files (1301-1319, 9101/9102, 1901), reconciliation (3201/3202), the
settlement list (4101), table-driven uploads (3401 -> 5101) and the voucher centre (4901-5501)."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.rigs.insurance import SINGLE, WANG, ZHANG, InsClient, InsSimProcess, outpatient_settled

pytestmark = pytest.mark.integration
TODAY = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d")


def _download(c: InsClient, file_qury_no: str, owner: str) -> str:
    status, body = c.post_raw(c.envelope("9102", {"fsDownloadIn": {"file_qury_no": file_qury_no, "filename": "x.zip",
                                                                  "fixmedins_code": owner}}), SINGLE)
    assert status == 200 and body[:2] == b"PK", body[:200]
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return z.read(z.namelist()[0]).decode("utf-8")


def _zip(text: str) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("stmt.txt", text)
    return base64.b64encode(buf.getvalue()).decode()


def test_catalogue_versions_and_dictionary(client: InsClient, sim: InsSimProcess) -> None:
    out = client.ok("1301", {"data": {"ver": "0"}})
    assert out["file_qury_no"].startswith("fsi/plc/")
    rows = [ln.split("\t") for ln in _download(client, out["file_qury_no"], "plc").splitlines()]
    assert {r[0] for r in rows} >= {"XJ01CAA040A001010101445", "XR05CBA037A001010100794"}
    last = max(r[7] for r in rows)
    r = sim.control("POST", "/_sim/catalogue", {"list_type": "1301", "items": [
        {"code": "XN02BEA001A001010100001", "name": "对乙酰氨基酚片", "lv": "01", "selfpay_prop": "0", "pric_uplmt": "0.20"}]})
    assert r.status_code == 200, r.text
    newer = client.ok("1301", {"data": {"ver": last}})
    rows = [ln.split("\t") for ln in _download(client, newer["file_qury_no"], "plc").splitlines()]
    assert [r[0] for r in rows] == ["XN02BEA001A001010100001"] and rows[0][7] == r.json()["ver"]
    # a file of the platform is not the institution's, and an unknown one does not exist
    assert "不存在" in client.fails("9102", {"fsDownloadIn": {"file_qury_no": newer["file_qury_no"],
                                                             "fixmedins_code": client.code}})
    assert sim.control("POST", "/_sim/catalogue", {"list_type": "1399", "items": []}).json()["code"] == "E3601"
    types = client.ok("1901", {"data": {"type": "insutype"}})["list"]
    assert {t["value"] for t in types} >= {"310", "390"}
    assert "不存在" in client.fails("1901", {"data": {"type": "nope"}})


def test_reconciliation_totals_and_details(client: InsClient) -> None:
    # a day of our own settlements in the simulator's module: everything of WANG settled so far counts too,
    # so compare with what the platform reports and then with a deliberately wrong file
    mdtrt_id, out = outpatient_settled(client, WANG)
    info = out["setlinfo"]
    setls = client.ok("5201", {"data": {"psn_no": WANG["psn_no"]}}, WANG["plc"])
    assert setls["mdtrtinfo"]
    base = {"insutype": "340", "clr_type": "11", "setl_optins": "440300", "stmt_begndate": TODAY,
            "stmt_enddate": TODAY, "refd_setl_flag": "0"}
    wrong = client.ok("3201", {"data": {**base, "medfee_sumamt": "0.01", "fund_pay_sumamt": 0, "acct_pay": 0,
                                        "fixmedins_setl_cnt": 1}})["stmtinfo"]
    assert wrong["stmt_rslt"] == "000103" and "医疗费总额" in wrong["stmt_rslt_dscr"]
    # the platform's own figures, read from the description, then sent back: balanced
    totals = _totals(wrong["stmt_rslt_dscr"])
    ok = client.ok("3201", {"data": {**base, **totals}})["stmtinfo"]
    assert ok["stmt_rslt"] == "000000", ok
    # 3202: a file with one line of ours (right) and one invented line
    line = "\t".join([info["setl_id"], mdtrt_id, WANG["psn_no"], str(info["medfee_sumamt"]),
                      str(info["fund_pay_sumamt"]), str(info["acct_pay"]), "0"])
    bogus = "\t".join(["NOSUCHSETL", mdtrt_id, WANG["psn_no"], "1.00", "0.00", "0.00", "0"])
    up = client.ok("9101", {"fsUploadIn": {"in": _zip(line + "\n" + bogus), "filename": "stmt.txt.zip",
                                           "fixmedins_code": client.code}})
    medfee = info["medfee_sumamt"] + Decimal("1.00")
    res = client.ok("3202", {"data": {"setl_optins": "440300", "file_qury_no": up["file_qury_no"],
                                      "stmt_begndate": TODAY, "stmt_enddate": TODAY, "medfee_sumamt": str(medfee),
                                      "fund_pay_sumamt": 0, "cash_payamt": 0, "fixmedins_setl_cnt": 2}})
    lines = [ln.split("\t") for ln in _download(client, res["fileinfo"]["file_qury_no"], client.code).splitlines()]
    memos = {ln[2]: ln[6] for ln in lines}
    assert memos["NOSUCHSETL"] == "中心无此结算"
    assert info["setl_id"] not in memos  # our own line agrees
    assert all(len(ln) == 10 for ln in lines)
    assert "行数" in client.fails("3202", {"data": {"setl_optins": "440300", "file_qury_no": up["file_qury_no"],
                                                    "stmt_begndate": TODAY, "stmt_enddate": TODAY,
                                                    "medfee_sumamt": "1", "fund_pay_sumamt": 0, "cash_payamt": 0,
                                                    "fixmedins_setl_cnt": 5}})


def _totals(dscr: str) -> dict[str, Any]:
    """中心 figures out of the 3201 description (医疗费总额：中心X，机构Y；...)."""
    names = {"医疗费总额": "medfee_sumamt", "基金支付总额": "fund_pay_sumamt", "个人账户支付总额": "acct_pay",
             "结算笔数": "fixmedins_setl_cnt"}
    out: dict[str, Any] = {"medfee_sumamt": "0.01", "fund_pay_sumamt": "0", "acct_pay": "0", "fixmedins_setl_cnt": 1}
    for part in dscr.split("：", 1)[1].split("；"):
        name, rest = part.split("：")
        out[names[name]] = rest.split("，")[0].removeprefix("中心")
    return out


def _setl_list(setl_id: str, mdtrt_id: str, psn_no: str, amt: str) -> dict[str, Any]:
    return {"setlinfo": {"mdtrt_id": mdtrt_id, "setl_id": setl_id, "psn_no": psn_no, "bill_code": "44060126",
                         "bill_no": "0000001", "biz_sn": "BIZ1", "hi_setl_lv": "3", "setl_begn_date": TODAY,
                         "setl_end_date": TODAY, "fixmedins_code": "H44030300001"},
            "payinfo": [{"fund_pay_type": "310100", "fund_payamt": "0"}],
            "diseinfo": [{"diag_type": "1", "diag_code": "J18.900", "diag_name": "肺炎", "maindiag_flag": "1"}],
            "iteminfo": [{"med_chrgitm": "01", "amt": amt, "claa_sumfee": amt, "clab_amt": 0, "fulamt_ownpay_amt": 0,
                          "oth_amt": 0}]}


def test_settlement_list_and_uploads(client: InsClient) -> None:
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    setl_id = out["setlinfo"]["setl_id"]
    body = _setl_list(setl_id, mdtrt_id, ZHANG["psn_no"], "350.00")
    assert "不符" in client.fails("4101", _setl_list(setl_id, mdtrt_id, ZHANG["psn_no"], "351.00"), ZHANG["plc"])
    assert client.ok("4101", body, ZHANG["plc"])["setl_list_id"]
    assert "已上传" in client.fails("4101", body, ZHANG["plc"])
    client.ok("3401", {"deptinfo": {"hosp_dept_codg": "A03", "hosp_dept_name": "内科", "begntime": "2020-01-01 00:00:00",
                                    "caty": "A03", "dept_estbdat": "2020-01-01"}})
    assert "已上传" in client.fails("3401", {"deptinfo": {"hosp_dept_codg": "A03", "hosp_dept_name": "内科",
                                                          "begntime": "2020-01-01 00:00:00", "caty": "A03"}})
    assert any(d["hosp_dept_codg"] == "A03" for d in client.ok("5101", {"data": {}})["feedetail"])
    client.ok("3403", {"data": {"hosp_dept_codg": "A03"}})
    assert not client.ok("5101", {"data": {}})["feedetail"]


def test_voucher_centre(client: InsClient) -> None:
    mdtrt_id, out = outpatient_settled(client, ZHANG)
    setl_id = out["setlinfo"]["setl_id"]
    pdf = base64.b64encode(b"%PDF-1.7 demo bill").decode()
    v = {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": ZHANG["psn_no"], "bill_code": "44060126",
         "bill_no": "A" + setl_id[-9:], "bill_chkcode": "a1b2c3", "bill_amt": "350.00", "bill_date": TODAY.replace("-", ""),
         "bill_time": "101010", "biller": "收费员", "rechker": "复核员", "elec_setl_cert_flag": "0", "file_type": "pdf",
         "file": pdf}
    assert "不是有效的PDF" in client.fails("4901", {"data": {**v, "file": base64.b64encode(b"nope").decode()}},
                                           ZHANG["plc"])
    assert "不符" in client.fails("4901", {"data": {**v, "bill_amt": "1.00"}}, ZHANG["plc"])
    up = client.ok("4901", {"data": v}, ZHANG["plc"])["data"]
    assert up["upld_stas"] == "1"
    assert "已上传" in client.fails("4901", {"data": v}, ZHANG["plc"])
    res = client.ok("4902", {"data": {"bill_code": v["bill_code"], "bill_no": v["bill_no"]}})["data"]
    assert res["upld_cnt"] == 1
    by_path = client.call("4902", {"data": {"bill_code": v["bill_code"], "bill_no": v["bill_no"]}},
                          path="/fsi/api/elecSetlCertService/queryUploadResult")
    assert by_path["infcode"] == 0 and by_path["output"]["data"]["setl_id"] == setl_id
    again = client.ok("4905", {"data": {**v, "biller": "更正收费员"}}, ZHANG["plc"])["data"]
    assert again["upld_cnt"] == 2
    st = client.ok("5501", {"data": {"setl_id": setl_id}})["data"]
    assert st[0]["elec_setl_cert_stas"] == "1"
    # red flush: the original voucher becomes red-flushed
    red = {**v, "bill_no": "R" + v["bill_no"], "bill_amt": "-350.00", "elec_setl_cert_flag": "1",
           "rel_elec_setl_cert_code": v["bill_code"], "rel_elec_setl_cert_no": v["bill_no"]}
    client.ok("4901", {"data": red}, ZHANG["plc"])
    st = client.ok("5501", {"data": {"bill_code": v["bill_code"], "bill_no": v["bill_no"]}})["data"]
    assert st[0]["elec_setl_cert_stas"] == "2"
    assert "不能同时为空" in client.fails("5501", {"data": {}})
