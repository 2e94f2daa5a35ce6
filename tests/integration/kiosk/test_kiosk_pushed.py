"""Issue 19 §1 on a real kiosk: an administrator pushes an idle timeout, a survey and a narrower
function list through the management web (HTTP, as a browser would), and the kiosk built by the
product's builder applies them at its next heartbeat — the session's idle countdown, the survey
questions and the function availability — without a restart; a fresh kiosk on the same store
starts with them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.integration.kiosk.rig import KioskRig
from workflows.kiosk.kiosk import Kiosk

pytestmark = pytest.mark.integration


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "form without a CSRF token"
    return found.group(1)


def _admin_web(rig: KioskRig) -> tuple[requests.Session, str]:
    assert rig.server is not None
    base = f"http://127.0.0.1:{rig.server.port}/admin"
    admin = next(u for u in rig.server.demo["users"] if u["role"] == "admin")
    web = requests.Session()
    csrf = _csrf(web.get(f"{base}/login", timeout=10).text)
    resp = web.post(f"{base}/login", data={"csrf": csrf, "username": admin["username"], "password": admin["password"]},
                    timeout=10)
    assert resp.status_code == 200 and "终端列表" in resp.text, resp.text[:300]
    return web, base


def test_pushed_settings_reach_the_kiosk(rig: KioskRig, kiosk: Kiosk, tmp_path: Path) -> None:
    assert kiosk.session.tick().seconds_left == 60.0
    assert kiosk.settings.idle_seconds == 60.0 and kiosk.availability()["identify_face"].enabled
    web, base = _admin_web(rig)
    try:
        csrf = _csrf(web.get(f"{base}/params?scene=kiosk", timeout=10).text)
        saved = web.post(f"{base}/params", timeout=10, data={
            "csrf": csrf, "scene": "kiosk", "idle_seconds": "25",
            "survey": "cleanliness|您对自助机区域的卫生满意吗？|满意/不满意"})
        assert "已下发自助机参数" in saved.text
        names = [n for n in kiosk.settings.functions if n != "identify_face"]
        saved = web.post(f"{base}/functions", timeout=10, data={"csrf": csrf, "scene": "kiosk", "function": names})
        assert "已保存自助机的功能授权" in saved.text
    finally:
        web.close()
    assert kiosk.settings.idle_seconds == 60.0  # nothing changes before the heartbeat
    done = kiosk.maintain()
    assert done["linkUp"] and done["configVersion"] == kiosk.terminal.workflow.pushed.version > 0
    assert kiosk.settings.idle_seconds == 25.0 and kiosk.settings.warning_seconds == 15.0
    assert [q.key for q in kiosk.settings.survey] == ["cleanliness"]
    face = kiosk.availability()["identify_face"]
    assert not face.enabled and face.reason
    assert kiosk.session.tick().seconds_left == 25.0  # the attract screen shows the new timeout
    # a kiosk built later on the same store begins with the pushed settings, before any heartbeat
    again = rig.kiosk(kiosk.config.data_dir)
    try:
        assert again.settings.idle_seconds == 25.0 and not again.availability()["identify_face"].enabled
    finally:
        again.close()
