"""Caller and user administration: a new HIS gets its own key and points, grants widen them, a
disabled caller is refused, a new user logs in; every change is audited."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import select
from ss_rig import HisClient, ServerThread, load_sample

from sync_server.cli import admin
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log

pytestmark = pytest.mark.integration


def test_callers_and_users(server: ServerThread) -> None:
    engine = server.ctx.engine
    appid = f"HIS{uuid.uuid4().hex[:6].upper()}"
    created = admin.add_caller(engine, appid, "体检系统", "his", ["004"])
    his = HisClient(server.url, appid, created["key"])
    time.sleep(2.1)  # the caller cache refreshes every 2 s
    bill = load_sample("checkup.json") | {"busNo": f"ADM{uuid.uuid4().hex[:12]}", "placeCode": "004"}
    assert his.ok("invEBillCheckUp", bill)["billNo"]
    assert his.call("invEBillCheckUp", bill | {"busNo": bill["busNo"] + "X", "placeCode": "003"})[0] == "E2011"
    admin.grant(engine, appid, ["003"])
    time.sleep(2.1)
    assert his.ok("invEBillCheckUp", bill | {"busNo": bill["busNo"] + "X", "placeCode": "003"})["billNo"]
    admin.disable_caller(engine, appid)
    time.sleep(2.1)
    assert his.call("invEBillCheckUp", bill | {"busNo": bill["busNo"] + "Y"})[0] == "E2003"
    user = admin.add_user(engine, f"u{uuid.uuid4().hex[:6]}", "收费员", "cashier")
    got = server.terminal("TERM01").ok("login", {"username": user["username"], "password": user["password"]})
    assert got["role"] == "cashier"
    listed = admin.listing(engine)
    assert any(c["appid"] == appid and c["placeCodes"] == ["003", "004"] and not c["enabled"]
               for c in listed["callers"])
    with read_tx(engine) as conn:
        actions = [r[0] for r in conn.execute(select(audit_log.c.action).where(audit_log.c.actor == "admin-cli"))]
    assert {"add_caller", "grant", "disable_caller", "add_user"} <= set(actions)
