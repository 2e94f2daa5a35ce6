"""terminal_api: SM2 key registration, heartbeat, user login, catalog download, emergency stock
hand-out, and the refusals around them."""

from __future__ import annotations

import json

import pytest
from gmssl_pyx import sm2_key_generate
from sqlalchemy import select
from ss_rig import ServerThread

from sync_server.security.signing import sign_bill, verify_bill
from sync_server.store.db import read_tx
from sync_server.store.schema import callers, stock_ranges

pytestmark = pytest.mark.integration


def test_register_heartbeat_catalog(server: ServerThread) -> None:
    term = server.terminal("TERM01")
    public, _private = sm2_key_generate()
    got = term.ok("register", {"sm2PublicKey": public.hex()})
    assert got["terminalId"] == "TERM01"
    with read_tx(server.ctx.engine) as conn:
        assert conn.execute(select(callers.c.sm2_public_key).where(callers.c.appid == "TERM01")).scalar() == public.hex()
    assert term.call("register", {"sm2PublicKey": "00ff"})[0] == "E5032"
    beat = term.ok("heartbeat", {})
    assert len(beat["serverTime"]) == 17 and "outboxPending" in beat
    cat = term.ok("catalog", {})
    assert [p["placeCode"] for p in cat["billingPoints"]] == ["001"]
    assert {"code": "02", "name": "现金"} in cat["payChannels"] or cat["payChannels"]


def test_login(server: ServerThread) -> None:
    users = {u["role"]: u for u in server.demo["users"]}
    assert set(users) == {"cashier", "finance", "ward_nurse", "admin", "it"}
    term = server.terminal("TERM01")
    got = term.ok("login", {"username": users["cashier"]["username"], "password": users["cashier"]["password"]})
    assert got["role"] == "cashier"
    assert term.call("login", {"username": users["cashier"]["username"], "password": "wrong"})[0] == "E2014"
    assert term.call("login", {"username": "nobody", "password": "x"})[0] == "E2014"
    text = (server.ctx.config.data_dir / "first_run_passwords.txt").read_text(encoding="utf-8")
    assert users["it"]["password"] in text
    assert json.loads((server.ctx.config.data_dir / "demo.json").read_text(encoding="utf-8"))["callers"][0]["appid"]


def test_emergency_stock_hand_out(server: ServerThread) -> None:
    term = server.terminal("TERM01")
    block = term.ok("emergencyStock", {"placeCode": "001", "count": 50})
    assert int(block["billEndNo"]) - int(block["billBgnNo"]) + 1 == 50
    with read_tx(server.ctx.engine) as conn:
        row = conn.execute(select(stock_ranges).where(stock_ranges.c.bgn_no == block["billBgnNo"])).mappings().one()
        server_blocks = conn.execute(select(stock_ranges).where(stock_ranges.c.kind == "emergency_server")
                                     ).mappings().all()
    assert row["holder"] == "TERM01" and row["kind"] == "emergency_terminal"
    for b in server_blocks:  # a terminal's block never overlaps the server's own
        if b["bill_batch_code"] == block["billBatchCode"]:
            assert int(b["end_no"]) < int(block["billBgnNo"]) or int(b["bgn_no"]) > int(block["billEndNo"])
    assert term.call("emergencyStock", {"placeCode": "002", "count": 5})[0] == "E2011"
    assert term.call("emergencyStock", {"placeCode": "001", "count": 0})[0] == "E5026"


def test_refusals(server: ServerThread) -> None:
    his_as_terminal = server.his()
    his_as_terminal.url = his_as_terminal.url.replace("/medical-web/api/medical", "/terminal/api")
    assert his_as_terminal.call("heartbeat", {})[0] == "E2015"
    # the terminal upload path (issue 7): a malformed upload is refused as a whole, nothing stored
    assert server.terminal("TERM01").call("uploadEmergencyBills", {})[0] == "E5411"


def test_server_signature_verifies(server: ServerThread) -> None:
    bill = {"busNo": "X1", "totalAmt": "1.00"}
    sig = sign_bill(server.ctx, bill)
    assert verify_bill(server.ctx.sm2_public.hex(), bill, sig)
    assert not verify_bill(server.ctx.sm2_public.hex(), bill | {"totalAmt": "2.00"}, sig)


def test_terminal_issues_as_its_logged_in_user(server: ServerThread) -> None:
    import uuid

    import requests
    from ss_rig import load_sample

    from billing_core import envelope
    from sync_server.store.schema import audit_log, bills

    term = next(c for c in server.demo["callers"] if c["appid"] == "TERM01")
    cashier = next(u for u in server.demo["users"] if u["username"] == "cashier01")
    # the user travels as a server session inside the signed data (issue 14 item 4), not X-Operator
    token = server.terminal("TERM01").ok("login", {"username": "cashier01",
                                                   "password": cashier["password"]})["sessionToken"]
    bill = load_sample("outpatient.json") | {"busNo": f"TU{uuid.uuid4().hex[:12]}", "placeCode": "001",
                                             "sessionToken": token}
    body = envelope.dumps(envelope.encode_request(term["appid"], term["key"], bill, noise=uuid.uuid4().hex))
    resp = requests.post(f"{server.url}/invoiceEBillOutpatient", data=body.encode(), timeout=30,
                         headers={"Content-Type": "application/json", "X-Operator": "cashier01"})
    assert envelope.decode_response(resp.content, term["appid"], term["key"]).ok
    with read_tx(server.ctx.engine) as conn:
        bid = conn.execute(select(bills.c.id).where(bills.c.bus_no == bill["busNo"])).scalar_one()
        rows = conn.execute(select(audit_log).where((audit_log.c.entity == "bill")
                                                    & (audit_log.c.entity_id == str(bid)))).mappings().all()
    assert rows and all(r["actor"] == "cashier01" and r["terminal"] == "TERM01" and r["caller"] == "TERM01"
                        for r in rows)
