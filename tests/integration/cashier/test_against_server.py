"""Every cashier action against the real sync server and finance simulator (subprocesses).

Marked ``integration`` (real processes and sockets). The window is wired as ``--config`` wires it:
one SyncClient (one breaker) for issuing through IssuingWorkflow and for every other call, the
terminal store in a temporary file. Login with the server's users, issuing every kind, paper
exchange / reprint / void / void blank, write-off single and batch with the paper-first rule, the
daily report from the store, and an outage: server down -> emergency bill from the stock the
server handed out -> server up -> carried forward onto the platform with the printed number.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from billing_core.crypto.keys import SM2PrivateKey
from billing_core.errors import BillingError
from offline_store.db import Database
from tests.integration.cashier.server_rig import ServerRig, paper_batch_code
from workflows.cashier.entry import EntryForm
from workflows.cashier.errors import LoginFailed
from workflows.cashier.issuing import WindowConfig
from workflows.cashier.login import ServerDirectory
from workflows.cashier.report import daily_report
from workflows.cashier.services import CashierServices, build_services
from workflows.demo.catalog import demo_catalog
from workflows.emergency.chain import BillSigner
from workflows.link_monitor import carry_summary
from workflows.records import STATE_RED
from workflows.server_api import ServerApi
from workflows.session_errors import AlreadyExchanged, PaperFirst, PaperNumberMismatch
from workflows.sync_client import SyncClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def rig(tmp_path_factory) -> Iterator[ServerRig]:
    r = ServerRig(tmp_path_factory.mktemp("cashier-server")).start()
    yield r
    r.stop()


@pytest.fixture
def window(rig: ServerRig, tmp_path) -> Iterator[CashierServices]:
    yield from _window(rig, tmp_path, "cashier")


@pytest.fixture
def finance_window(rig: ServerRig, tmp_path) -> Iterator[CashierServices]:
    """Write-off and voiding blank paper need the finance role on the server (issue 14 item 4)."""
    yield from _window(rig, tmp_path, "finance")


def _window(rig: ServerRig, tmp_path, role: str) -> Iterator[CashierServices]:
    term = rig.terminal()
    sync = SyncClient(rig.server_url, term["appid"], term["key"], connect_timeout=1, failure_threshold=1,
                      open_seconds=0.5)
    api = ServerApi(sync)
    place = term["placeCodes"][0]
    services = build_services(window=WindowConfig(place, "门诊收费一号窗口", terminal_id=term["appid"]), sync=sync,
                              db=Database(tmp_path / "terminal.db"), directory=ServerDirectory(api),
                              catalog=demo_catalog(), paper_batch_code=paper_batch_code(api, place),
                              signer=BillSigner(SM2PrivateKey.generate()), top_up=20)
    user = rig.user(role)
    services.login.login(user["username"], user["password"])
    yield services
    services.close()


def _form(s: CashierServices, kind: str = "outpatient", channel: str = "02") -> EntryForm:
    f = EntryForm(kind, s.catalog)
    f.header.update(payer="刘洋", card_no="3101000123", patient_no="MZ0001", hospital_no="ZY0001", sex="男",
                    age="34", checker="李华")
    f.add_item({"outpatient": "102", "inpatient": "501", "registration": "101", "checkup": "601"}.get(kind, "901"),
               "1", None if kind in ("outpatient", "inpatient", "registration", "checkup") else "300")
    f.set_pay(channel, str(f.total))
    return f


def test_login_with_server_users(rig: ServerRig, window: CashierServices) -> None:
    assert window.login.user is not None and window.login.user.has("cashier")
    with pytest.raises(LoginFailed):
        window.login.login(rig.user("cashier")["username"], "not-the-password")


def test_audit_rows_name_the_logged_in_cashier(rig: ServerRig, window: CashierServices) -> None:
    """The window sends its logged-in user (X-Operator): the server's audit row of the bill names
    the cashier, not only the terminal; after logout nobody is named."""
    import sqlite3

    cashier = rig.user("cashier")["username"]
    assert window.sync.operator == cashier
    rec = window.issuing.issue(_form(window, "outpatient"), "收费员")
    with sqlite3.connect(rig.tmp / "server" / "sync_server.db") as conn:
        actors = {row[0] for row in conn.execute(
            "SELECT actor FROM audit_log WHERE entity = 'bill' AND after_json LIKE ?", (f"%{rec.bus_no}%",))}
    assert actors == {cashier}
    window.login.logout()
    assert window.sync.operator == ""


@pytest.mark.parametrize("kind", ["outpatient", "inpatient", "registration", "checkup", "transfer", "donation"])
def test_issue_every_kind(window: CashierServices, kind: str) -> None:
    rec = window.issuing.issue(_form(window, kind), "收费员")
    assert rec.bill_no and rec.random and not rec.emergency
    found = window.api.call("getEBillByBusNo", {"busNo": rec.bus_no, "busDateTime": rec.bus_date_time})
    assert (found["billBatchCode"], found["billNo"]) == (rec.bill_batch_code, rec.bill_no)


def test_paper_exchange_reprint_and_paper_first_write_off(finance_window: CashierServices) -> None:
    window = finance_window
    s = window
    rec = s.issuing.issue(_form(s), "收费员")
    _, nxt = s.paper.next_number()
    with pytest.raises(PaperNumberMismatch):
        s.paper.exchange(rec, str(int(nxt) + 1), "收费员")
    rec = s.paper.exchange(rec, nxt, "收费员")
    with pytest.raises(AlreadyExchanged):
        s.paper.exchange(rec, s.paper.next_number()[1], "收费员")
    first = rec.paper_no
    rec = s.paper.reprint(rec, s.paper.next_number()[1], "打印错位", "收费员")
    assert rec.voided_papers == [first] and rec.paper_no != first
    st = s.api.call("getEBillStatesByBillInfo", {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no})
    assert st["isPrtPaper"] == "1" and st["pBillNo"] == rec.paper_no
    with pytest.raises(PaperFirst):
        s.writeoff.write_off(rec, "退费", "收费员")
    rec = s.writeoff.write_off(rec, "退费", "收费员", void_paper_first=True)
    assert rec.state == STATE_RED and rec.red_bill_no
    st = s.api.call("getEBillStatesByBillInfo", {"billBatchCode": rec.bill_batch_code, "billNo": rec.bill_no})
    assert st["isScarlet"] == "1"


def test_void_blank_moves_the_next_number(finance_window: CashierServices) -> None:
    window = finance_window
    _, nxt = window.paper.next_number()
    assert window.paper.void_blank(nxt, str(int(nxt) + 1), "撕坏", "收费员") == 2
    assert int(window.paper.next_number()[1]) == int(nxt) + 2


def test_batch_write_off_and_daily_report(finance_window: CashierServices) -> None:
    window = finance_window
    s = window
    recs = [s.issuing.issue(_form(s, channel=c), "收费员") for c in ("02", "05", "02")]
    s.paper.exchange(recs[2], s.paper.next_number()[1], "收费员")
    result = s.writeoff.write_off_batch(recs, "批量退费", "收费员")
    assert [r.bill_no for r in result.done] == [recs[0].bill_no, recs[1].bill_no]
    assert result.failed and "E5841" in result.failed[0][1]
    rep = daily_report(s.bills, s.clock.now().date(), s.catalog, s.window.place_code)
    line = rep.cashiers[0]
    assert line.count == 3 and line.red_count == 2 and line.net == Decimal("10.00")
    assert {c: a for c, _n, a in rep.channels} == {"02": Decimal("10.00"), "05": Decimal("0.00")}


def test_outage_emergency_and_carry_forward(rig: ServerRig, window: CashierServices) -> None:
    s = window
    assert s.link.probe() is True  # maintain round: key registered, emergency stock from the server
    assert s.workflow.status().stock_remaining == 20
    rig.stop_server()
    try:
        assert s.link.probe() is False and not s.issuing.online
        rec = s.issuing.issue(_form(s), "收费员")
        assert rec.emergency and not rec.uploaded and s.workflow.status().pending_uploads == 1
    finally:
        rig.start_server()
    seen: list[tuple[str, dict]] = []
    s.events.subscribe(lambda name, payload: seen.append((name, payload)))
    deadline = time.monotonic() + 20
    while not s.link.probe() and time.monotonic() < deadline:
        time.sleep(0.3)  # the breaker's half-open wait
    assert s.issuing.online and ("link_changed", {"online": True, "reason": "服务器连接已恢复"}) in seen
    reports = [p["result"] for n, p in seen if n == "carry_forward"]
    assert reports and carry_summary(reports[0]) == (1, [], [])
    assert s.workflow.status().pending_uploads == 0
    assert s.bills.get(rec.bill_batch_code, rec.bill_no).uploaded
    found = s.api.call("getEBillByBusNo", {"busNo": rec.bus_no, "busDateTime": rec.bus_date_time})
    assert (found["billBatchCode"], found["billNo"]) == (rec.bill_batch_code, rec.bill_no)  # the printed number


def test_push_notice_through_the_server(window: CashierServices) -> None:
    from workflows.delivery import send_notice

    f = _form(window)
    f.header["tel"] = "13900001111"
    rec = window.issuing.issue(f, "收费员")
    rec = send_notice(window.api, window.bills, window.events, rec)
    assert rec.notice_sent == "1201:139****1111"


def test_catalog_comes_from_the_server_and_survives_an_outage(rig: ServerRig, tmp_path) -> None:
    """The window's charge items are the server's (seeded catalog), cached in the terminal store:
    a window started while the server is down offers the catalog it last downloaded."""
    from workflows.catalog import server_catalog

    term = rig.terminal()
    db = Database(tmp_path / "terminal.db")
    try:
        online = server_catalog(ServerApi(SyncClient(rig.server_url, term["appid"], term["key"])), db)
        lab = online.get("301")
        assert lab is not None and (lab.name, lab.std, lab.initials) == ("化验费", Decimal("25.00"), "HYF")
        assert [c.code for c in online.channels][:1] == ["02"]  # cash first
        unreachable = SyncClient("http://127.0.0.1:9", term["appid"], term["key"], connect_timeout=0.5)
        offline = server_catalog(ServerApi(unreachable), db)
        assert [i.code for i in offline.items] == [i.code for i in online.items]
        assert [c.code for c in offline.channels] == [c.code for c in online.channels]
        assert server_catalog(ServerApi(unreachable), Database(tmp_path / "never.db")).items == []
    finally:
        db.close()


def _admin_cli(rig: ServerRig, *args: str) -> dict:
    """``python -m sync_server admin --data-dir DIR ...`` on the rig's server: its JSON output."""
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-m", "sync_server", "admin", "--data-dir", str(rig.tmp / "server"), *args],
                         cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    return json.loads(out.stdout)


def test_admin_reset_forces_a_password_change_at_the_window(rig: ServerRig, window: CashierServices) -> None:
    """issue 14 item 5 end to end: the admin CLI resets a password (one-time password printed), the
    window's login says it must change, nothing else is allowed, the change logs in again."""
    from workflows.cashier.errors import PasswordChangeNeeded

    user = rig.user("it")["username"]
    reset = _admin_cli(rig, "reset-password", "--username", user, "--operator", "信息科王工")
    assert reset["mustChangePassword"] == "1" and reset["password"]
    window.login.logout()
    got = window.login.login(user, reset["password"])
    assert got.must_change and window.sync.session_token
    with pytest.raises(PasswordChangeNeeded):
        window.login.require()
    window.login.change_password(reset["password"], "It-neu-2026x")
    assert window.login.user is None and window.sync.session_token == ""
    again = window.login.login(user, "It-neu-2026x")
    assert not again.must_change and window.login.require().user_id == user
    # the admin disables the user: the live session ends at once on the server
    assert _admin_cli(rig, "disable-user", "--username", user, "--operator", "信息科王工")["revokedSessions"] == 1
    with pytest.raises(BillingError) as exc:
        window.api.call("getEBillByBusNo", {"busNo": "NOPE"})
    assert exc.value.code == "E2030"
