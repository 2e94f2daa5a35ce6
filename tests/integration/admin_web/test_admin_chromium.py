"""The terminal-management web in headless Chromium (issue 19 §1 acceptance): login (a wrong
password refused), every page with seeded data, a dead outbox item retried and another resolved
by clicking, and a parameter push reaching the running headless terminal
(``python -m workflows.terminal``) at its next heartbeat. Screenshots: docs/screenshots/admin_*.png."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from billing_core.clock import ts17
from sync_server.outbox import queue as outbox_queue
from sync_server.store.db import read_tx, write_tx
from sync_server.store.schema import audit_log, outbox
from tests.integration.admin_web.conftest import SHOTS
from tests.integration.terminal.helpers import Terminal
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = predicate()
        if got:
            return got
        assert time.monotonic() < deadline, f"not reached in time: {what}"
        time.sleep(0.2)


def _shot(browser: webdriver.Chrome, name: str) -> None:
    """A full-page screenshot: the viewport set to the page's whole height through DevTools."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1440, "height": max(600, min(int(size["height"]), 4000)), "deviceScaleFactor": 1, "mobile": False})
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(SHOTS / f"admin_{name}.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _replaced(old: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """A wait condition: ``old`` left the document. Chromedriver reports a node of a page that
    was just replaced either as stale or, racing the navigation, as "does not belong to the
    document" (an inspector error, not StaleElementReferenceException): both mean replaced."""
    def gone(_browser: webdriver.Chrome) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False
    return gone


def _click(browser: webdriver.Chrome, element: WebElement) -> None:
    """Click something that loads a page, and wait until the new page replaced the old one."""
    old = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 30).until(_replaced(old))


def _go(browser: webdriver.Chrome, server: ServerThread, path: str) -> str:
    browser.get(f"http://127.0.0.1:{server.port}{path}")
    return browser.find_element(By.TAG_NAME, "body").text


def _login(browser: webdriver.Chrome, server: ServerThread, username: str, password: str) -> str:
    _go(browser, server, "/admin/login")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password)
    _click(browser, browser.find_element(By.ID, "login-submit"))
    return browser.find_element(By.TAG_NAME, "body").text


def _admin(server: ServerThread) -> dict[str, str]:
    return next(u for u in server.demo["users"] if u["role"] == "admin")


def _seed(server: ServerThread) -> tuple[int, int]:
    """Heartbeats of a kiosk (a faulty printer, low paper, emergency backlog) and a ward station,
    two dead outbox items and a pending carry-forward; the dead items' ids."""
    now = ts17(server.ctx.clock.now())
    server.terminal("SELF01").ok("heartbeat", {
        "kind": "kiosk", "softwareVersion": "1.4.2", "paper": "low", "emergency": True, "stockRemaining": 186,
        "pendingUploads": 3, "oldestPending": now, "unfinishedOrders": 1,
        "devices": {"receipt_printer": {"ok": False, "detail": "纸将尽"}, "ssc_reader": {"ok": True, "detail": ""},
                    "id_reader": {"ok": True, "detail": ""}, "scanner": {"ok": True, "detail": ""}}})
    ids = []
    with write_tx(server.ctx.engine) as conn:
        for n, method in enumerate(("sendBillNotice", "writeOffEBill")):
            item = outbox_queue.enqueue(conn, server.ctx.clock, group=f"MZ2026120300{n}", kind="notice" if n == 0
                                        else "change", method=method, payload={"busNo": f"MZ2026120300{n}"},
                                        idem_key=f"seed-dead-{n}")
            outbox_queue.finish(conn, server.ctx.clock, item, "dead", "E3012 财政平台拒绝：票据状态不允许该操作")
            ids.append(item)
        outbox_queue.enqueue(conn, server.ctx.clock, group="MZ20261203099", kind="carry_forward",
                             method="uploadEmergencyEBill", payload={"busNo": "MZ20261203099"}, idem_key="seed-carry")
    return ids[0], ids[1]


def test_login_pages_actions_and_push(server: ServerThread, browser: webdriver.Chrome, terminal: Terminal) -> None:
    admin = _admin(server)
    dead_retry, dead_resolve = _seed(server)

    # --- login: a wrong password is refused, a cashier too; the admin gets in ---------------------
    _go(browser, server, "/admin/terminals")
    assert "E5109" in browser.find_element(By.ID, "login-error").text  # sent to the login page
    _go(browser, server, "/admin/login")
    _shot(browser, "login")
    text = _login(browser, server, admin["username"], "not-the-password-1")
    assert "E2014" in text and "/admin/login" in browser.current_url
    _shot(browser, "login_refused")
    cashier = next(u for u in server.demo["users"] if u["role"] == "cashier")
    assert "E5101" in _login(browser, server, cashier["username"], cashier["password"])
    text = _login(browser, server, admin["username"], admin["password"])
    assert browser.current_url.endswith("/admin/terminals") and "终端列表" in text

    # --- terminals: TERM01 (the running terminal) and the seeded kiosk ----------------------------
    _wait(lambda: "TERM01" in _go(browser, server, "/admin/terminals")
          and browser.find_element(By.CSS_SELECTOR, 'tr[data-appid="TERM01"]').get_attribute("class") != "stale",
          "the running terminal's heartbeat")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-appid="SELF01"]').text
    for words in ("自助机", "1.4.2", "纸将尽", "凭条打印机故障", "应急模式", "186", "3 张"):
        assert words in row, words
    silent = browser.find_element(By.CSS_SELECTOR, 'tr[data-appid="KIOSK01"]')
    assert "从未心跳" in silent.text and silent.get_attribute("class") == "stale"
    assert "有 2 条外发任务发送失败" in browser.find_element(By.ID, "dead-alert").text
    _shot(browser, "terminals")
    _click(browser, browser.find_element(By.LINK_TEXT, "SELF01"))
    detail = browser.find_element(By.ID, "terminal-detail").text
    assert "186" in detail and "应急模式" in detail and "未完成订单" in detail
    assert "纸将尽" in browser.find_element(By.ID, "devices").text
    _shot(browser, "terminal_detail")

    # --- function authorisation: withdraw 人脸识别 from the kiosks --------------------------------
    _go(browser, server, "/admin/functions")
    form = browser.find_element(By.ID, "functions-kiosk")
    form.find_element(By.CSS_SELECTOR, 'input[value="identify_face"]').click()
    _click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "已保存自助机的功能授权" in browser.find_element(By.ID, "ok-msg").text
    pushed = server.terminal("SELF01").ok("heartbeat", {})["terminalConfig"]
    assert "identify_face" not in pushed["functions"] and "outpatient" in pushed["functions"]
    _shot(browser, "functions")

    # --- upgrade information -------------------------------------------------------------------
    _go(browser, server, "/admin/upgrade")
    form = browser.find_element(By.ID, "upgrade-cashier")
    for name, value in (("version", "1.5.0"), ("url", "https://ebill.hospital.local/dl/cashier-1.5.0.deb"),
                        ("sha256", "9f" * 32)):
        form.find_element(By.NAME, name).send_keys(value)
    _click(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "已保存收费窗口的升级信息" in browser.find_element(By.ID, "ok-msg").text
    _shot(browser, "upgrade")

    # --- parameters: a bad value refused, then a push reaching the running terminal -------------
    _go(browser, server, "/admin/params?scene=cashier")
    browser.find_element(By.ID, "idle_seconds").send_keys("5")
    _click(browser, browser.find_element(By.ID, "params-save"))
    assert "E5103" in browser.find_element(By.ID, "err-msg").text
    before = terminal.call("status")["limits"]["max_bills"]
    assert before != 7
    browser.find_element(By.ID, "idle_seconds").clear()
    browser.find_element(By.ID, "idle_seconds").send_keys("33")
    browser.find_element(By.ID, "max_bills").send_keys("7")
    browser.find_element(By.ID, "max_total").send_keys("2000")
    browser.find_element(By.ID, "survey").send_keys("service|您对收费窗口的服务满意吗？|满意/一般/不满意")
    _click(browser, browser.find_element(By.ID, "params-save"))
    ok = browser.find_element(By.ID, "ok-msg").text
    assert "已下发收费窗口参数" in ok
    _shot(browser, "params")
    applied = _wait(lambda: (p := terminal.call("pushed"))["params"].get("idle_seconds") == 33 and p,
                    "the terminal applying the pushed parameters")
    assert applied["limits"]["max_bills"] == 7 and applied["limits"]["max_total"] == "2000.00"
    assert applied["upgrade"]["version"] == "1.5.0"
    status = terminal.call("status")
    assert status["limits"]["max_bills"] == 7  # the issuing workflow's limits in force
    version = applied["version"]
    assert f"版本{version}" in ok
    # ... and the server sees the version applied at the heartbeat after
    _wait(lambda: f"当前下发版本 {version}" in _go(browser, server, "/admin/terminals/TERM01")
          and f"{version}（当前下发版本 {version}）" in browser.find_element(By.ID, "terminal-detail").text,
          "the applied version on the terminal page")

    # --- dead outbox items: retry one, resolve the other -----------------------------------------
    _go(browser, server, "/admin/outbox")
    _shot(browser, "outbox")
    _click(browser, browser.find_element(By.ID, f"retry-{dead_retry}"))
    assert f"外发任务{dead_retry}已重新排队发送" in browser.find_element(By.ID, "ok-msg").text
    browser.find_element(By.ID, f"reason-{dead_resolve}").send_keys("已在财政平台手工冲红")
    _click(browser, browser.find_element(By.ID, f"resolve-{dead_resolve}"))
    assert f"外发任务{dead_resolve}已标记为手工处理" in browser.find_element(By.ID, "ok-msg").text
    assert not browser.find_elements(By.ID, "dead-alert")  # nothing dead any more
    with read_tx(server.ctx.engine) as conn:
        states = dict(conn.execute(select(outbox.c.id, outbox.c.state)
                                   .where(outbox.c.id.in_([dead_retry, dead_resolve]))).all())
        actions = {r[0] for r in conn.execute(select(audit_log.c.action).where(audit_log.c.actor == admin["username"]))}
    assert states == {dead_retry: "pending", dead_resolve: "resolved"}
    assert {"outbox_retry", "outbox_resolve", "terminal_setting", "login_ok"} <= actions

    # --- carry-forward queue and logs --------------------------------------------------------------
    text = _go(browser, server, "/admin/carry")
    assert browser.find_element(By.ID, "carry-pending").text == "1" and "uploadEmergencyEBill" in text
    _shot(browser, "carry")
    _go(browser, server, f"/admin/logs?actor={admin['username']}")
    logs = browser.find_element(By.ID, "logs").text
    assert "outbox_resolve" in logs and "terminal_setting" in logs and "seed" not in logs
    _shot(browser, "logs")
    _go(browser, server, "/admin/logs?size=10")
    first = [r.text.split()[0] for r in browser.find_elements(By.CSS_SELECTOR, "#logs tr")[1:]]
    assert len(first) == 10  # the seeding alone wrote more than a page of 10
    _click(browser, browser.find_element(By.ID, "next-page"))
    second = [r.text.split()[0] for r in browser.find_elements(By.CSS_SELECTOR, "#logs tr")[1:]]
    assert "before=" in browser.current_url and second and int(second[0]) < int(first[-1])

    # --- logout: the session ends ----------------------------------------------------------------
    _click(browser, browser.find_element(By.CSS_SELECTOR, "header form button"))
    _go(browser, server, "/admin/terminals")
    assert "/admin/login" in browser.current_url
