"""Server sessions, roles and login hardening (issue 14 items 4 and 5), over HTTP against a real
server on SQLite and PostgreSQL with the finance simulator.

The server runs with ``terminal_session_required`` and a lockout after 3 failures, so each test
shows the refusal the old code did not make: a spoofed ``X-Operator``, a cashier writing off, a
token of another terminal, a locked-out user, an HIS logging in, a reset password used as is.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select, update
from ss_rig import HisClient, ServerThread, load_sample, other_sample

from billing_core import envelope
from billing_core.clock import ts17
from billing_core.ids import new_noise
from sync_server.cli import admin
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import audit_log, bills, sessions, users
from tests.rigs.stack import DB_KINDS, Simulator, Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=DB_KINDS)
def strict(request: pytest.FixtureRequest, sim: Simulator,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """A server that requires terminal sessions and locks a user after 3 failed logins."""
    with Stack(tmp_path_factory.mktemp(f"sessions_{request.param}"), request.param, sim=sim,
               terminal_session_required=True, login_max_failures=3).start(settle=True) as st:
        yield st.server


def _user(server: ServerThread, role: str) -> dict[str, str]:
    """A fresh user of ``role`` (lockouts and resets never touch another test's user)."""
    return admin.add_user(server.ctx.engine, f"{role[:4]}{uuid.uuid4().hex[:8]}", "测试用户", role)


def _login(term: HisClient, user: dict[str, str]) -> str:
    return str(term.ok("login", {"username": user["username"], "password": user["password"]})["sessionToken"])


def _bill(token: str | None = None, place: str = "001") -> dict[str, Any]:
    bill = load_sample("outpatient.json") | {"busNo": f"SS{uuid.uuid4().hex[:12]}", "placeCode": place}
    return bill | ({"sessionToken": token} if token else {})


def _his_as_terminal(server: ServerThread, appid: str = "TERM01") -> HisClient:
    """The terminal's client of the HIS interface (issuing, write-off) on the server."""
    c = next(c for c in server.demo["callers"] if c["appid"] == appid)
    return server._track(HisClient(server.url, c["appid"], c["key"]))  # noqa: SLF001 - closed with the server


def _audit(server: ServerThread, entity: str, entity_id: str) -> list[dict[str, Any]]:
    with read_tx(server.ctx.engine) as conn:
        return [dict(r) for r in conn.execute(select(audit_log).where(
            (audit_log.c.entity == entity) & (audit_log.c.entity_id == entity_id)).order_by(audit_log.c.id)
        ).mappings()]


def test_the_audit_names_the_session_user_not_the_header(strict: ServerThread) -> None:
    cashier = _user(strict, "cashier")
    token = _login(strict.terminal(), cashier)
    term = _his_as_terminal(strict)
    c = next(c for c in strict.demo["callers"] if c["appid"] == "TERM01")
    # the old trust: an unsigned X-Operator header named the acting user; now it is ignored
    bill = _bill(token)
    body = envelope.dumps(envelope.encode_request(c["appid"], c["key"], bill, noise=new_noise()))
    resp = requests.post(f"{strict.url}/invoiceEBillOutpatient", data=body.encode(), timeout=30,
                         headers={"Content-Type": "application/json", "X-Operator": "admin01"})
    assert envelope.decode_response(resp.content, c["appid"], c["key"]).ok
    with read_tx(strict.ctx.engine) as conn:
        bid = conn.execute(select(bills.c.id).where(bills.c.bus_no == bill["busNo"])).scalar_one()
    rows = _audit(strict, "bill", str(bid))
    assert rows and all(r["actor"] == cashier["username"] and r["terminal"] == "TERM01" for r in rows)
    # without a session a terminal cannot issue at all (required), and nothing is written
    bare = _bill()
    assert term.call("invoiceEBillOutpatient", bare)[0] == "E2030"
    with read_tx(strict.ctx.engine) as conn:
        assert conn.execute(select(bills.c.id).where(bills.c.bus_no == bare["busNo"])).first() is None
    # HIS callers need no session and are served as before
    assert strict.his().ok("invoiceEBillOutpatient", _bill())["billNo"]


def test_roles_per_method(strict: ServerThread) -> None:
    cashier, finance = _user(strict, "cashier"), _user(strict, "finance")
    t_cashier, t_finance = _login(strict.terminal(), cashier), _login(strict.terminal(), finance)
    term = _his_as_terminal(strict)
    issued = term.ok("invoiceEBillOutpatient", _bill(t_cashier))
    ref = {"billBatchCode": issued["billBatchCode"], "billNo": issued["billNo"]}
    code, _msg = term.call("writeOffEBill", other_sample("writeOffEBill") | ref | {"sessionToken": t_cashier})
    assert code == "E2033"
    with read_tx(strict.ctx.engine) as conn:
        state = conn.execute(select(bills.c.state, bills.c.is_scarlet).where(
            bills.c.bill_no == issued["billNo"])).one()
    assert (state.state, state.is_scarlet) == ("issued", 0)  # nothing written on refusal
    # giving emergency stock back (申退) is a stock method: not for a cashier either
    stock = strict.terminal().call("emergencyStockReturn", {"placeCode": "001", "billBatchCode": "1",
                                                            "billBgnNo": "1", "billEndNo": "1", "reason": "退回",
                                                            "sessionToken": t_cashier})
    assert stock[0] == "E2033"
    # finance may write off
    term.ok("writeOffEBill", other_sample("writeOffEBill") | ref | {"sessionToken": t_finance})
    rows = [r for r in _audit(strict, "bill", str(_bill_id(strict, issued["billNo"])))
            if r["action"] == "writeOffEBill"]
    assert rows and rows[-1]["actor"] == finance["username"] and rows[-1]["terminal"] == "TERM01"


def _bill_id(server: ServerThread, bill_no: str) -> int:
    with read_tx(server.ctx.engine) as conn:
        return int(conn.execute(select(bills.c.id).where(bills.c.bill_no == bill_no)).scalar_one())


def test_a_session_is_bound_to_its_terminal_expires_and_is_revocable(strict: ServerThread) -> None:
    cashier = _user(strict, "cashier")
    token = _login(strict.terminal(), cashier)
    kiosk = _his_as_terminal(strict, "KIOSK01")
    assert kiosk.call("invoiceEBillOutpatient", _bill(token, place="005"))[0] == "E2030"  # another terminal's
    term = _his_as_terminal(strict)
    assert term.call("invoiceEBillOutpatient", _bill("not-a-token"))[0] == "E2030"
    assert term.ok("invoiceEBillOutpatient", _bill(token))["billNo"]
    strict.terminal().ok("logout", {"sessionToken": token})
    assert term.call("invoiceEBillOutpatient", _bill(token))[0] == "E2030"
    # expiry
    token = _login(strict.terminal(), cashier)
    with write_tx(strict.ctx.engine) as conn:
        conn.execute(update(sessions).where(sessions.c.username == cashier["username"])
                     .values(expires_at=ts17(strict.ctx.clock.now() - timedelta(seconds=1))))
        audit(conn, strict.ctx.clock, SERVER, "test_expire_session", "user", cashier["username"])
    assert term.call("invoiceEBillOutpatient", _bill(token))[0] == "E2030"
    # an admin disabling the user ends the live session at once
    token = _login(strict.terminal(), cashier)
    assert admin.disable_user(strict.ctx.engine, cashier["username"])["revokedSessions"] >= 1
    assert term.call("invoiceEBillOutpatient", _bill(token))[0] == "E2030"
    assert strict.terminal().call("login", {"username": cashier["username"],
                                            "password": cashier["password"]})[0] == "E2014"
    assert "disable_user" in [r["action"] for r in _audit(strict, "user", cashier["username"])]


def test_lockout_after_failures_and_every_attempt_audited(strict: ServerThread) -> None:
    user = _user(strict, "cashier")
    term = strict.terminal()
    _login(term, user)
    for _ in range(3):
        assert term.call("login", {"username": user["username"], "password": "wrong-password"})[0] == "E2014"
    # the right password no longer helps while the user is locked
    assert term.call("login", {"username": user["username"], "password": user["password"]})[0] == "E2032"
    actions = [(r["action"], r["terminal"]) for r in _audit(strict, "user", user["username"])]
    assert actions[1:] == [("login_ok", "TERM01")] + [("login_failed", "TERM01")] * 3 + [("login_locked", "TERM01")]
    # an unknown name is audited too (with the terminal), without revealing that it does not exist
    ghost = f"ghost{uuid.uuid4().hex[:6]}"
    assert term.call("login", {"username": ghost, "password": "x"})[0] == "E2014"
    assert [(r["action"], r["terminal"]) for r in _audit(strict, "user", ghost)] == [("login_failed", "TERM01")]


def test_his_callers_cannot_log_in(strict: ServerThread) -> None:
    his = strict.his()
    his.url = his.url.replace("/medical-web/api/medical", "/terminal/api")
    user = strict.demo["users"][0]
    assert his.call("login", {"username": user["username"], "password": user["password"]})[0] == "E2015"
    assert his.call("changePassword", {"username": user["username"], "oldPassword": user["password"],
                                       "newPassword": "abc12345xyz"})[0] == "E2015"


def test_reset_password_must_change_then_works(strict: ServerThread) -> None:
    user = _user(strict, "cashier")
    term, his_term = strict.terminal(), _his_as_terminal(strict)
    reset = admin.reset_password(strict.ctx.engine, user["username"])
    assert reset["password"] != user["password"]
    got = term.ok("login", {"username": user["username"], "password": reset["password"]})
    assert got["mustChangePassword"] == "1"
    assert his_term.call("invoiceEBillOutpatient", _bill(got["sessionToken"]))[0] == "E2031"
    weak = {"username": user["username"], "oldPassword": reset["password"], "newPassword": "short"}
    assert term.call("changePassword", weak)[0] == "E2034"
    new = "Neu" + uuid.uuid4().hex[:10] + "7"
    term.ok("changePassword", weak | {"newPassword": new})
    assert his_term.call("invoiceEBillOutpatient", _bill(got["sessionToken"]))[0] == "E2030"  # ended by the change
    again = term.ok("login", {"username": user["username"], "password": new})
    assert again["mustChangePassword"] == "0"
    assert his_term.ok("invoiceEBillOutpatient", _bill(again["sessionToken"]))["billNo"]
    # a password older than password_max_age_days (90) must be changed too
    with write_tx(strict.ctx.engine) as conn:
        conn.execute(update(users).where(users.c.username == user["username"]).values(
            password_changed_at=ts17(strict.ctx.clock.now() - timedelta(days=91))))
        audit(conn, strict.ctx.clock, SERVER, "test_age_password", "user", user["username"])
    assert term.ok("login", {"username": user["username"], "password": new})["mustChangePassword"] == "1"


def test_rotate_key_and_caller_kinds(strict: ServerThread) -> None:
    engine = strict.ctx.engine
    appid = f"KSK{uuid.uuid4().hex[:6].upper()}"
    created = admin.add_caller(engine, appid, "自助机", "kiosk", ["005"])
    rotated = admin.rotate_key(engine, appid)
    assert rotated["key"] != created["key"]
    time.sleep(2.1)  # the caller cache refreshes every 2 s
    old = HisClient(strict.url, appid, created["key"])
    new = HisClient(strict.url, appid, rotated["key"])
    try:
        # the old key's request is refused (signed with the new key, which the old holder cannot check)
        body = envelope.encode_request(appid, created["key"], {"busNo": "X"}, noise=new_noise())
        raw = json.loads(old.raw("getEBillByBusNo", envelope.dumps(body).encode()).content)
        assert json.loads(base64.b64decode(raw["data"]))["result"] == "E2002"
        nurse = _user(strict, "admin")
        term = HisClient(strict.url.replace("/medical-web/api/medical", "/terminal/api"), appid, rotated["key"])
        try:
            token = _login(term, nurse)
        finally:
            term.close()
        # a kiosk may issue but never write off, whatever the user's role (the kind's method list)
        assert new.ok("invoiceEBillOutpatient", _bill(token, place="005"))["billNo"]
        code = new.call("writeOffEBill", other_sample("writeOffEBill") | {"placeCode": "005", "sessionToken": token})
        assert code[0] == "E2015"
    finally:
        old.close()
        new.close()
    rows = _audit(strict, "caller", appid)
    assert "rotate_key" in [r["action"] for r in rows]
    assert all(rotated["key"] not in (r["after_json"] or "") for r in rows)


def test_sessions_are_required_by_default_and_a_machine_account_logs_itself_in(strict: ServerThread) -> None:
    """The default config requires a session of staffed terminals; a headless terminal with a
    machine account (SyncClient.use_account) logs in when refused, and again after the session
    ended; a kiosk issues as itself (its kind's method list is its limit)."""
    from sync_server.config import load_config
    from workflows.sync_client import SyncClient

    assert load_config(env={}).terminal_session_required is True
    base = strict.url.replace("/medical-web/api/medical", "")
    term = next(c for c in strict.demo["callers"] if c["appid"] == "TERM01")
    bare = SyncClient(base, "TERM01", term["key"])
    assert bare.his("invoiceEBillOutpatient", _bill()).result == "E2030"  # nobody logged in
    account = _user(strict, "cashier")
    machine = SyncClient(base, "TERM01", term["key"])
    machine.use_account(account["username"], account["password"])
    bill = _bill()
    assert machine.his("invoiceEBillOutpatient", bill).ok and machine.session_token
    with read_tx(strict.ctx.engine) as conn:
        bid = conn.execute(select(bills.c.id).where(bills.c.bus_no == bill["busNo"])).scalar_one()
    assert {r["actor"] for r in _audit(strict, "bill", str(bid))} == {account["username"]}
    first = machine.session_token
    assert machine.terminal("logout", {}).ok  # the session ends (as at expiry or revocation)
    assert machine.his("invoiceEBillOutpatient", _bill()).ok and machine.session_token != first
    appid = f"KSK{uuid.uuid4().hex[:6].upper()}"
    kiosk = admin.add_caller(strict.ctx.engine, appid, "自助机", "kiosk", ["005"])
    time.sleep(2.1)  # the caller cache refreshes every 2 s
    kiosk_client = SyncClient(base, appid, kiosk["key"])
    assert kiosk_client.his("invoiceEBillOutpatient", _bill(place="005")).ok
