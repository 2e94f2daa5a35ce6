"""Base information and configuration through the real server (issue 18 §4): the HIS->platform
code mapping applied on issuing (the platform receives the mapped codes), registered checkers
enforced on inpatient / registration / check-up bills, the configuration tables, users and
callers managed through the terminal api (same functions as the admin CLI), the audit viewer
with the hash chain's verification (and a tampered row found)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text, update
from traffic import load_sample

from billing_core.clock import SystemClock
from billing_core.errors import SignatureError
from sync_server.bills.catalog import import_items
from sync_server.security.audit import Actor
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log, bills, pay_channels
from tests.rigs.stack import DB_KINDS, HisClient, ServerThread, Stack

pytestmark = pytest.mark.integration

MAPPING = """
[hospital]
name = "测试县人民医院"
strict = ["payChannelCode"]

[busType]
"1" = "02"

[placeCode]
"SF-01" = "002"

[payChannelCode]
"WXZF" = "05"
"YBGR" = "YBK"
"YBTC" = "YBTCJJ"
# this HIS sends the platform's own codes for these (the fixtures' bills); 05 only as WXZF
"YBK" = "YBK"
"YBTCJJ" = "YBTCJJ"
"01" = "01"
"02" = "02"
"04" = "04"

[chargeCode]
"XYF" = "001"
"HYF" = "004"
"JCF" = "003"
"ZLF" = "005"
"""


@pytest.fixture(scope="module", params=DB_KINDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp(f"finance_admin_{request.param}")
    (base / "codes.toml").write_text(MAPPING, encoding="utf-8")
    with Stack(base, request.param, code_mapping_file=str(base / "codes.toml")).start(settle=True) as st:
        yield st


def _token(srv: ServerThread, role: str) -> str:
    user = next(u for u in srv.demo["users"] if u["role"] == role)
    return str(srv.terminal("TERM01").ok("login", {"username": user["username"],
                                                   "password": user["password"]})["sessionToken"])


def _as(srv: ServerThread, role: str) -> Any:
    token = _token(srv, role)
    term = srv.terminal("TERM01")
    return lambda method, data: term.call(method, {**data, "sessionToken": token})


def _ok(answer: tuple[str, Any]) -> Any:
    code, body = answer
    assert code == "S0000", f"{code} {body}"
    return body


def _outpatient_in_his_codes() -> dict[str, Any]:
    data = load_sample("outpatient.json") | {"busNo": f"MAP{uuid.uuid4().hex[:12]}", "busType": "1",
                                               "placeCode": "SF-01"}
    his_charge = {"001": "XYF", "004": "HYF", "003": "JCF", "005": "ZLF"}
    for line in data["chargeDetail"] + data["listDetail"]:
        line["chargeCode"] = his_charge[line["chargeCode"]]
    his_channel = {"05": "WXZF", "YBK": "YBGR", "YBTCJJ": "YBTC"}
    for ch in data["payChannelDetail"]:
        ch["payChannelCode"] = his_channel[ch["payChannelCode"]]
    return data


def test_his_codes_are_mapped_before_the_platform_sees_them(stack: Stack) -> None:
    srv = stack.server
    data = _outpatient_in_his_codes()
    ans = srv.his(0).ok("invoiceEBillOutpatient", data)
    # what the platform stored, read from its own database
    with sqlite3.connect(stack.sim.data_dir / "finance.sqlite3") as db:
        bus_type, place, bill_id = db.execute("SELECT bus_type, place_code, id FROM bills WHERE bus_no = ?",
                                              (data["busNo"],)).fetchone()
        items = [json.loads(r[0]) for r in db.execute("SELECT item_json FROM bill_items WHERE bill_id = ?",
                                                       (bill_id,))]
    assert (bus_type, place) == ("02", "002")
    assert {i["chargeCode"] for i in items if "chargeCode" in i} == {"001", "004", "003", "005"}
    with read_tx(srv.ctx.engine) as conn:
        row = conn.execute(select(bills).where(bills.c.bus_no == data["busNo"])).mappings().one()
        chans = set(conn.execute(select(pay_channels.c.code).where(pay_channels.c.bill_id == row["id"])).scalars())
    assert row["place_code"] == "002" and row["bus_type"] == "02" and row["bill_no"] == ans["billNo"]
    assert chans == {"05", "YBK", "YBTCJJ"}
    # a strict kind refuses an unmapped HIS code, nothing written
    bad = _outpatient_in_his_codes()
    bad["payChannelDetail"][0]["payChannelCode"] = "XJ"
    code, msg = srv.his(0).call("invoiceEBillOutpatient", bad)
    assert code == "E1030" and "XJ" in msg
    with read_tx(srv.ctx.engine) as conn:
        assert conn.execute(select(bills.c.id).where(bills.c.bus_no == bad["busNo"])).first() is None
    # our own terminals speak platform codes and are never mapped (05 is not an HIS code here)
    token = _token(srv, "cashier")
    plain = load_sample("outpatient.json") | {"busNo": f"TRM{uuid.uuid4().hex[:12]}", "sessionToken": token}
    term = HisClient(srv.url, "TERM01", next(c["key"] for c in srv.demo["callers"] if c["appid"] == "TERM01"))
    try:
        assert term.ok("invoiceEBillOutpatient", plain)["billNo"]
    finally:
        term.close()


def test_registered_checkers_are_required_on_inpatient_registration_checkup(stack: Stack) -> None:
    srv = stack.server
    his = srv.his(0)
    finance = _as(srv, "finance")

    def inpatient(checker: str) -> dict[str, Any]:
        return load_sample("inpatient.json") | {"busNo": f"CK{uuid.uuid4().hex[:12]}", "checker": checker,
                                                "placeCode": "001"}

    assert his.ok("invEBillHospitalized", inpatient("任何人"))["billNo"]  # no list set up yet: not refused
    _ok(finance("financeConfig", {"table": "checkers", "action": "save", "row": {"code": "C01", "name": "孙丽"}}))
    code, msg = his.call("invEBillHospitalized", inpatient("任何人"))
    assert code == "E5973" and "checker" in msg and "任何人" in msg
    assert his.ok("invEBillHospitalized", inpatient("孙丽"))["billNo"]
    reg = load_sample("registration.json") | {"busNo": f"CK{uuid.uuid4().hex[:12]}", "checker": "周静",
                                              "placeCode": "001"}
    assert his.call("invEBillRegistration", reg)[0] == "E5973"
    out = load_sample("outpatient.json") | {"busNo": f"CK{uuid.uuid4().hex[:12]}", "checker": "王芳",
                                            "placeCode": "001"}
    for ch in out["payChannelDetail"]:  # 05 of this HIS is WXZF (the mapping above)
        ch["payChannelCode"] = "WXZF" if ch["payChannelCode"] == "05" else ch["payChannelCode"]
    assert his.ok("invoiceEBillOutpatient", out)["billNo"]  # outpatient bills are not checked
    _ok(finance("financeConfig", {"table": "checkers", "action": "disable", "code": "C01"}))
    assert his.call("invEBillHospitalized", inpatient("孙丽"))[0] == "E5973"
    _ok(finance("financeConfig", {"table": "checkers", "action": "enable", "code": "C01"}))
    assert his.ok("invEBillHospitalized", inpatient("孙丽"))["billNo"]


def test_configuration_tables(stack: Stack) -> None:
    srv = stack.server
    finance = _as(srv, "finance")
    _ok(finance("financeConfig", {"table": "departments", "action": "save", "row": {"code": "0203", "name": "呼吸内科"}}))
    _ok(finance("financeConfig", {"table": "departments", "action": "save", "row": {"code": "0203", "name": "呼吸科"}}))
    rows = _ok(finance("financeConfig", {"table": "departments", "action": "list"}))["rows"]
    assert rows == [{"code": "0203", "name": "呼吸科", "enabled": "1"}]
    code, msg = finance("financeConfig", {"table": "departments", "action": "save", "row": {"code": "0204"}})
    assert code == "E5972" and "name" in msg
    code, msg = finance("financeConfig", {"table": "commonPayers", "action": "save",
                                          "row": {"code": "P1", "name": "某公司", "payerType": "9"}})
    assert code == "E5972" and "payerType" in msg
    _ok(finance("financeConfig", {"table": "commonPayers", "action": "save",
                                  "row": {"code": "P1", "name": "市医保局", "payerType": "2"}}))
    import_items(srv.ctx.engine, SystemClock(), Actor("test"),
                 [{"chargeCode": "001", "chargeName": "西药费"}, {"chargeCode": "004", "chargeName": "化验费"}])
    code, msg = finance("financeConfig", {"table": "itemGroups", "action": "save",
                                          "row": {"code": "G1", "name": "血常规套餐", "items": [{"chargeCode": "999"}]}})
    assert code == "E5972" and "items[0].chargeCode" in msg
    group = _ok(finance("financeConfig", {"table": "itemGroups", "action": "save", "row": {
        "code": "G1", "name": "血常规套餐", "items": [{"chargeCode": "004", "number": "2"}, {"chargeCode": "001"}]}}))
    assert group["items"] == [{"chargeCode": "004", "number": "2"}, {"chargeCode": "001", "number": "1"}]
    assert _as(srv, "cashier")("financeConfig", {"table": "departments", "action": "list"})[0] == "E2033"
    with read_tx(srv.ctx.engine) as conn:
        actions = list(conn.execute(select(audit_log.c.action, audit_log.c.actor).where(
            audit_log.c.entity.in_(["departments", "item_groups", "common_payers"])).order_by(audit_log.c.id)))
    finance_user = next(u["username"] for u in srv.demo["users"] if u["role"] == "finance")
    assert [a for a, _ in actions] == ["save_departments", "save_departments", "save_common_payers",
                                       "save_item_groups"]
    assert {who for _, who in actions} == {finance_user}


def test_users_and_callers_managed_through_the_screens_api(stack: Stack) -> None:
    srv = stack.server
    admin = _as(srv, "admin")
    assert _as(srv, "finance")("manageUsers", {"action": "list"})[0] == "E2033"
    made = _ok(admin("manageUsers", {"action": "create", "username": "cw02", "name": "财务二", "role": "finance"}))
    term = srv.terminal("TERM01")
    assert term.ok("login", {"username": "cw02", "password": made["password"]})["role"] == "finance"
    _ok(admin("manageUsers", {"action": "role", "username": "cw02", "role": "cashier"}))
    assert term.ok("login", {"username": "cw02", "password": made["password"]})["role"] == "cashier"
    _ok(admin("manageUsers", {"action": "disable", "username": "cw02"}))
    assert term.call("login", {"username": "cw02", "password": made["password"]})[0] != "S0000"
    _ok(admin("manageUsers", {"action": "enable", "username": "cw02"}))
    assert {u["username"]: u["role"] for u in _ok(admin("manageUsers", {"action": "list"}))["users"]}["cw02"] == "cashier"
    assert admin("manageUsers", {"action": "create", "username": "x", "name": "x", "role": "boss"})[0] == "E5026"

    his = _ok(admin("manageCallers", {"action": "create", "appid": "HIS09", "name": "体检系统", "kind": "his",
                                      "placeCodes": ["004"]}))
    client = HisClient(srv.url, "HIS09", his["key"])
    try:
        bill = load_sample("checkup.json") | {"busNo": f"NEW{uuid.uuid4().hex[:12]}", "placeCode": "004",
                                              "checker": "孙丽"}  # registered above
        assert client.ok("invEBillCheckUp", bill)["billNo"]
        assert client.call("invEBillCheckUp", bill | {"busNo": f"NEW{uuid.uuid4().hex[:12]}",
                                                        "placeCode": "003"})[0] == "E2011"
        _ok(admin("manageCallers", {"action": "grant", "appid": "HIS09", "placeCodes": "003"}))
        rotated = _ok(admin("manageCallers", {"action": "rotate", "appid": "HIS09"}))
        try:  # the old key stops working: refused (an answer the old key cannot verify, or a failure)
            refused = client.call("invEBillCheckUp", bill)[0] != "S0000"
        except SignatureError:
            refused = True
        assert refused
    finally:
        client.close()
    listed = {c["appid"]: c for c in _ok(admin("manageCallers", {"action": "list"}))["callers"]}
    assert listed["HIS09"]["placeCodes"] == ["003", "004"] and "key" not in listed["HIS09"]
    assert rotated["key"] != his["key"]


def test_audit_viewer_verifies_the_chain(stack: Stack) -> None:
    srv = stack.server
    finance = _as(srv, "finance")
    today = srv.ctx.clock.now().date().isoformat()
    page = _ok(finance("auditLog", {"dateFrom": today, "dateTo": today, "action": "save_departments"}))
    assert page["rowCount"] == "2" and [r["entityId"] for r in page["rows"]] == ["0203", "0203"]
    assert page["chain"]["ok"] == "1" and int(page["chain"]["rows"]) > 10
    assert _as(srv, "cashier")("auditLog", {"dateFrom": today, "dateTo": today})[0] == "E2033"
    assert finance("auditLog", {"dateFrom": "bad", "dateTo": today})[0] == "E5970"
    # someone edits an audit row behind the server's back: the viewer says which row
    target = int(page["rows"][0]["id"])
    with srv.ctx.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == target).values(actor="nobody"))
        conn.execute(text("SELECT 1"))
    page = _ok(finance("auditLog", {"dateFrom": today, "dateTo": today}))
    assert page["chain"]["ok"] == "0" and page["chain"]["brokenId"] == str(target)




def test_finance_base_info_download(stack: Stack) -> None:
    srv = stack.server
    finance = _as(srv, "finance")
    got = _ok(finance("financeBaseInfo", {"action": "download"}))
    # the platform's own answer, asked directly with the platform's client: what must be stored
    platform = stack.sim.client()
    want = {kind: platform.ok("getBaseInfo", {"kind": kind})["list"] for kind in ("unit", "billKind", "incomeItem")}
    assert got["counts"] == {k: str(len(v)) for k, v in want.items()}
    assert {k: len(v) for k, v in want.items()}["billKind"] >= 2  # e-bills and paper at least
    for kind, rows in want.items():
        stored = _ok(finance("financeBaseInfo", {"action": "list", "kind": kind}))["rows"]
        assert [(r["code"], r["name"]) for r in stored] == sorted((r["code"], r["name"]) for r in rows)
    assert _as(srv, "cashier")("financeBaseInfo", {"action": "list"})[0] == "E2033"
    # the platform away: E5974, the stored rows untouched
    stack.sim.stop()
    try:
        code, msg = finance("financeBaseInfo", {"action": "download"})
        assert code == "E5974" and "下载失败" in msg
        assert len(_ok(finance("financeBaseInfo", {"action": "list"}))["rows"]) == sum(len(v) for v in want.values())
    finally:
        stack.sim.start()
