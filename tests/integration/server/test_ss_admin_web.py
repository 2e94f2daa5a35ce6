"""The terminal-management web (issue 19 §1) through Flask's test client on the real server
(SQLite and PostgreSQL): login rules, CSRF, pages, pushes delivered in the heartbeat answer,
dead outbox items retried and resolved (audited). The browser test is
tests/integration/admin_web/test_admin_chromium.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from billing_core.clock import ts17
from sync_server.outbox import queue as outbox_queue
from sync_server.store.admin_schema import terminal_settings
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import audit_log, outbox
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


def _user(server: ServerThread, role: str) -> dict[str, str]:
    return next(u for u in server.demo["users"] if u["role"] == role)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "form without a CSRF token"
    return found.group(1)


def _login(server: ServerThread, role: str = "admin", password: str | None = None) -> tuple[FlaskClient, Any]:
    client = server.app.test_client()
    page = client.get("/admin/login")
    user = _user(server, role)
    resp = client.post("/admin/login", data={"csrf": _csrf(page.get_data(as_text=True)), "username": user["username"],
                                             "password": user["password"] if password is None else password})
    return client, resp


def _admin(server: ServerThread) -> FlaskClient:
    client, resp = _login(server)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/terminals"), resp.get_data(as_text=True)
    return client


def _audit(server: ServerThread, action: str, entity_id: str) -> list[dict[str, Any]]:
    with read_tx(server.ctx.engine) as conn:
        return [dict(r) for r in conn.execute(select(audit_log).where(
            (audit_log.c.action == action) & (audit_log.c.entity_id == entity_id))).mappings()]


def test_login_rules(server: ServerThread) -> None:
    # a page without a session goes to the login form
    anon = server.app.test_client()
    assert anon.get("/admin/terminals").status_code == 302
    # wrong password: refused, audited, no cookie
    client, resp = _login(server, password="wrong-password-1")
    assert resp.status_code == 401 and "E2014" in resp.get_data(as_text=True)
    assert client.get_cookie("ebill_admin", path="/admin") is None
    assert _audit(server, "login_failed", _user(server, "admin")["username"])
    # a cashier's right password: refused (not an administrator)
    client, resp = _login(server, role="cashier")
    assert resp.status_code == 401 and "E5101" in resp.get_data(as_text=True)
    # the login form without its token: refused
    resp = server.app.test_client().post("/admin/login", data={"username": "admin01", "password": "x"})
    assert resp.status_code == 401 and "E5102" in resp.get_data(as_text=True)
    # the admin: HttpOnly SameSite cookie, then the pages
    client = _admin(server)
    cookie = client.get_cookie("ebill_admin", path="/admin")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    page = client.get("/admin/terminals")
    assert page.status_code == 200 and "终端列表" in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    # a POST without the session's CSRF token changes nothing
    resp = client.post("/admin/params", data={"scene": "kiosk", "idle_seconds": "30"})
    assert resp.status_code == 403 and "E5102" in resp.get_data(as_text=True)
    # logout ends the session server-side
    client.post("/admin/logout", data={"csrf": _csrf(page.get_data(as_text=True))})
    assert client.get("/admin/terminals").status_code == 302


def test_expired_admin_password_is_changed_on_the_login_page(server: ServerThread) -> None:
    from sync_server.cli.admin import add_user, reset_password

    name = f"adm{server.port}"
    add_user(server.ctx.engine, name, "第二管理员", "admin")
    one_time = reset_password(server.ctx.engine, name)["password"]
    client = server.app.test_client()
    csrf = _csrf(client.get("/admin/login").get_data(as_text=True))
    page = client.post("/admin/login", data={"csrf": csrf, "username": name, "password": one_time})
    html = page.get_data(as_text=True)
    assert page.status_code == 401 and "E2031" in html and 'name="new_password"' in html
    assert client.get_cookie("ebill_admin", path="/admin") is None
    change = {"csrf": csrf, "change": "1", "username": name, "password": one_time}
    weak = client.post("/admin/login", data=change | {"new_password": "short1", "confirm_password": "short1"})
    assert "E2034" in weak.get_data(as_text=True)
    differ = client.post("/admin/login", data=change | {"new_password": "Good-pass-2026", "confirm_password": "x"})
    assert "两次输入的新密码不一致" in differ.get_data(as_text=True)
    done = client.post("/admin/login", data=change | {"new_password": "Good-pass-2026",
                                                     "confirm_password": "Good-pass-2026"})
    assert done.status_code == 302 and "changed=1" in done.headers["Location"]
    resp = client.post("/admin/login", data={"csrf": csrf, "username": name, "password": "Good-pass-2026"})
    assert resp.status_code == 302 and client.get("/admin/terminals").status_code == 200
    assert _audit(server, "change_password", name)


def test_login_attempts_are_rate_limited(server: ServerThread) -> None:
    """After login_max_failures (5) wrong passwords the user is locked, the right one included."""
    from sync_server.cli.admin import add_user

    name = f"lock{server.port}"
    password = add_user(server.ctx.engine, name, "锁定测试", "admin")["password"]
    client = server.app.test_client()
    csrf = _csrf(client.get("/admin/login").get_data(as_text=True))
    codes = []
    for _ in range(6):
        page = client.post("/admin/login", data={"csrf": csrf, "username": name, "password": "Wrong-pass-1"})
        codes.append(re.search(r"E\d{4}", page.get_data(as_text=True)).group(0))  # type: ignore[union-attr]
    assert codes == ["E2014"] * 5 + ["E2032"]
    page = client.post("/admin/login", data={"csrf": csrf, "username": name, "password": password})
    assert page.status_code == 401 and "E2032" in page.get_data(as_text=True)
    assert _audit(server, "login_locked", name)


def test_every_page_renders(server: ServerThread) -> None:
    term = server.terminal("TERM01")
    term.ok("heartbeat", {"kind": "cashier", "softwareVersion": "1.4.2", "paper": "low", "stockRemaining": 37,
                          "pendingUploads": 2, "oldestPending": ts17(server.ctx.clock.now()),
                          "devices": {"printer": {"ok": False, "detail": "缺纸"}}})
    client = _admin(server)
    listing = client.get("/admin/terminals").get_data(as_text=True)
    for text in ("TERM01", "收费窗口", "1.4.2", "纸将尽", "printer故障", "SELF01", "从未心跳"):
        assert text in listing, text
    detail = client.get("/admin/terminals/TERM01").get_data(as_text=True)
    assert "缺纸" in detail and "37" in detail
    assert client.get("/admin/terminals/NOPE").status_code == 404
    for path, text in (("/admin/functions", "按场景的功能授权"), ("/admin/params?scene=ward", "参数下发"),
                       ("/admin/upgrade", "升级信息"), ("/admin/logs?actor=admin01", "审计日志"),
                       ("/admin/carry", "结转队列"), ("/admin/outbox", "死信")):
        resp = client.get(path)
        assert resp.status_code == 200 and text in resp.get_data(as_text=True), path


def test_pushes_reach_the_heartbeat_answer(server: ServerThread) -> None:
    client = _admin(server)
    csrf = _csrf(client.get("/admin/params?scene=kiosk").get_data(as_text=True))
    bad = client.post("/admin/params", data={"csrf": csrf, "scene": "kiosk", "idle_seconds": "5"},
                      follow_redirects=True).get_data(as_text=True)
    assert "E5103" in bad and "空闲超时（秒）必须在15到600之间" in bad
    bad = client.post("/admin/params", data={"csrf": csrf, "scene": "kiosk", "survey": "q1|题目"},
                      follow_redirects=True).get_data(as_text=True)
    assert "E5110" in bad
    ok = client.post("/admin/params", data={
        "csrf": csrf, "scene": "kiosk", "idle_seconds": "45", "max_bills": "30", "max_total": "3000",
        "max_single": "500.5", "printer_width_mm": "58",
        "survey": "doctor|您对医生满意吗？|满意/一般/不满意"}, follow_redirects=True).get_data(as_text=True)
    assert "已下发自助机参数" in ok
    client.post("/admin/functions", data={"csrf": csrf, "scene": "kiosk", "function": ["outpatient", "query"]})
    client.post("/admin/upgrade", data={"csrf": csrf, "scene": "kiosk", "version": "1.5.0",
                                        "url": "https://ebill.example/kiosk-1.5.0.deb", "sha256": "ab" * 32})
    beat = server.terminal("SELF01").ok("heartbeat", {"configVersion": 0})
    pushed = beat["terminalConfig"]
    assert pushed["scene"] == "kiosk" and pushed["functions"] == ["outpatient", "query"]
    assert pushed["params"] == {"idle_seconds": 45, "max_bills": 30, "max_total": "3000.00", "max_single": "500.50",
                                "printer_width_mm": 58,
                                "survey": [{"key": "doctor", "text": "您对医生满意吗？", "options": ["满意", "一般", "不满意"]}]}
    assert pushed["upgrade"]["version"] == "1.5.0"
    with read_tx(server.ctx.engine) as conn:
        version = max(r[0] for r in conn.execute(select(terminal_settings.c.version)))
    assert pushed["version"] == str(version)
    # the cashier scene got nothing: every function, no parameters
    cashier = server.terminal("TERM01").ok("heartbeat", {})["terminalConfig"]
    assert cashier["scene"] == "cashier" and cashier["params"] == {} and "write_off" in cashier["functions"]
    # audited with before and after
    assert _audit(server, "terminal_setting", "params.kiosk")
    # the version the terminal applied shows on its page
    server.terminal("SELF01").ok("heartbeat", {"configVersion": version})
    assert f"当前下发版本 {version}" in client.get("/admin/terminals/SELF01").get_data(as_text=True)


def _dead_item(server: ServerThread, key: str) -> int:
    with write_tx(server.ctx.engine) as conn:
        item = outbox_queue.enqueue(conn, server.ctx.clock, group=f"BUS-{key}", kind="notice",
                                    method="sendBillNotice", payload={"busNo": f"BUS-{key}"}, idem_key=f"dead-{key}")
        outbox_queue.finish(conn, server.ctx.clock, item, "dead", "E3001 平台拒绝：测试")
    return item


def test_dead_items_retry_and_resolve(server: ServerThread) -> None:
    first, second = _dead_item(server, f"{server.port}-a"), _dead_item(server, f"{server.port}-b")
    client = _admin(server)
    page = client.get("/admin/terminals").get_data(as_text=True)
    assert 'id="dead-alert"' in page
    csrf = _csrf(page)
    out = client.post(f"/admin/outbox/{second}/resolve", data={"csrf": csrf, "reason": " "},
                      follow_redirects=True).get_data(as_text=True)
    assert "E5108" in out
    client.post(f"/admin/outbox/{first}/retry", data={"csrf": csrf})
    client.post(f"/admin/outbox/{second}/resolve", data={"csrf": csrf, "reason": "已在财政平台手工补发"})
    with read_tx(server.ctx.engine) as conn:
        states = dict(conn.execute(select(outbox.c.id, outbox.c.state).where(outbox.c.id.in_([first, second]))).all())
    assert states[second] == "resolved" and states[first] in ("pending", "done", "dead")
    assert _audit(server, "outbox_retry", str(first)) and _audit(server, "outbox_resolve", str(second))
    again = client.post(f"/admin/outbox/{second}/retry", data={"csrf": csrf}, follow_redirects=True)
    assert "E5107" in again.get_data(as_text=True)


def test_settings_need_their_audit_row(server: ServerThread) -> None:
    from sync_server.store.db import AuditMissingError

    with pytest.raises(AuditMissingError), write_tx(server.ctx.engine) as conn:
        conn.execute(insert(terminal_settings).values(name="params.ward", value_json="{}", version=1,
                                                      updated_at=ts17(server.ctx.clock.now()), updated_by="x"))
