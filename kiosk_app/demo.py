"""Demo keys of ``python -m kiosk_app --demo`` (virtual devices have no hands to hold a card):

F5 inserts the first demo patient's social-security card (F6 takes it out), F7 places that
patient's ID card, F8 scans the e-voucher of the first patient who has one, F9 scans a WeChat
payment code, F10 "pays" the QR code shown (the payment simulator's scan control endpoint).
Patients come from the HIS simulator's ``demo.json``.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

from devices.card_reader import IdCard, SocialSecurityCard
from qt_common.qt import QKeySequence, QShortcut, Qt, QWidget
from workflows.payment_session import PAY_WAITING_SCAN

WECHAT_CODE = "134567890123456789"


class DemoKeys:
    """Installs the demo shortcuts on ``window``."""

    def __init__(self, window: QWidget, kiosk: Any, his_dir: Path, payment_url: str) -> None:
        demo = json.loads((his_dir / "demo.json").read_text(encoding="utf-8"))
        self.patients: list[dict[str, Any]] = demo["patients"]
        self.kiosk = kiosk
        self.payment_url = payment_url
        self.order = ""
        kiosk.events.subscribe(self._on_event)
        for key, fn in ((Qt.Key.Key_F5, self.insert_ssc), (Qt.Key.Key_F6, self.remove_ssc),
                        (Qt.Key.Key_F7, self.place_id), (Qt.Key.Key_F8, self.scan_voucher),
                        (Qt.Key.Key_F9, self.scan_pay_code), (Qt.Key.Key_F10, self.pay_qr)):
            QShortcut(QKeySequence(key), window).activated.connect(fn)

    def _device(self, role: str) -> Any:
        return self.kiosk.devices.by_role(role)

    def _first(self, field: str) -> dict[str, Any]:
        return next(p for p in self.patients if p.get(field))

    def insert_ssc(self) -> None:
        p = self._first("ssCard")
        self._device("ssc_reader").insert(SocialSecurityCard(
            card_no=p["ssCard"], name=p["name"], id_no=p["idNo"], region="350200", spec_version="3.00",
            card_id_code="350200D156000005991101450000000" + p["id"][-1], card_type="3", issue_date="20200115",
            expiry_date="20300115", sex="1" if p["sex"] == "男" else "2"))

    def remove_ssc(self) -> None:
        self._device("ssc_reader").remove()

    def place_id(self) -> None:
        p = self._first("idNo")
        birth = date.fromisoformat(p["birth"]) if "-" in p["birth"] else date.today()
        self._device("id_reader").place(IdCard(
            name=p["name"], sex="1" if p["sex"] == "男" else "2", ethnicity="01", birth_date=f"{birth:%Y%m%d}",
            address="福建省厦门市海沧区演示路1号", id_no=p["idNo"], authority="厦门市公安局海沧分局",
            valid_from="20200101", valid_to="20400101", photo_wlt=bytes(1024)))

    def scan_voucher(self) -> None:
        self._device("scanner").scan(self._first("eVoucher")["eVoucher"])

    def scan_pay_code(self) -> None:
        self._device("scanner").scan(WECHAT_CODE)

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        if name == PAY_WAITING_SCAN:
            self.order = str(payload.get("out_trade_no", ""))

    def pay_qr(self) -> None:
        order, url = self.order, self.payment_url
        if not order:
            return

        def post() -> None:
            import requests

            requests.post(f"{url}/_sim/orders/{order}/scan", json={"channel": "wechat"}, timeout=10)

        threading.Thread(target=post, name="demo-pay", daemon=True).start()
