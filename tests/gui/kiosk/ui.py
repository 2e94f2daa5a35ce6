"""Driving the kiosk window in tests: taps by object name, waiting for a screen, and reading back
what the patient sees (every visible text) and what the virtual receipt printer printed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk_app.audit import all_texts
from kiosk_app.controller import KioskController
from kiosk_app.window import KioskWindow
from qt_common.qt import QPushButton
from tests.gui.conftest import bg
from workflows.kiosk.kiosk import Kiosk


def _strings(element: Any) -> str:
    """The texts an element prints (text lines, table cells, key/value rows), one per line."""
    if isinstance(element, str):
        return element
    if isinstance(element, list | tuple):
        return "\n".join(_strings(x) for x in element)
    if dataclasses.is_dataclass(element) and not isinstance(element, type):
        return "\n".join(_strings(getattr(element, f.name)) for f in dataclasses.fields(element)
                         if f.name not in ("align", "style", "font", "kind") and isinstance(getattr(element, f.name), str | list | tuple) or
                         dataclasses.is_dataclass(getattr(element, f.name)))
    return ""


@dataclass
class Ui:
    """One kiosk window over one kiosk (its own store and virtual devices)."""

    win: KioskWindow
    ctl: KioskController
    kiosk: Kiosk
    data: Path
    qtbot: Any

    # --- what the patient does -------------------------------------------------------------
    def tap(self, name: str) -> None:
        """Tap the visible, enabled button ``name`` (object name) on the window."""
        found = [b for b in self.win.findChildren(QPushButton)
                 if b.objectName() == name and b.isVisible()]
        assert found, f"no visible button {name} on {self.win.current().key}: {self.texts()[:400]}"
        assert found[0].isEnabled(), f"{name} is disabled: {found[0].text()}"
        found[0].click()

    def type(self, keypad: Any, digits: str) -> None:
        """Digits on an on-screen keypad."""
        for ch in digits:
            keypad.keys[ch].click()

    def wait(self, *keys: str, timeout: int = 20000) -> str:
        """Wait until the busy bar is down on one of ``keys`` (or the error screen); assert it is
        one of ``keys`` and return it."""
        def there() -> bool:
            return not self.win.busy_bar.isVisible() and self.win.current().key in (*keys, "error")
        self.qtbot.waitUntil(there, timeout=timeout)
        key = self.win.current().key
        assert key in keys, f"on {key}: {self.win.error.text.text()} {self.win.error.code.text()}"
        return key

    def pay_by(self, method: str) -> None:
        """On 确认支付: tap a payment method (``qr`` / ``code`` / ``prepayment``)."""
        assert self.win.current().key == "confirm_pay", self.win.current().key
        b = self.win.confirm_pay.methods.buttons[method]
        assert b.isEnabled(), b.text()
        b.click()

    def show_code(self, code: str) -> None:
        """The patient's payment code at the scanner once 请出示付款码 is up."""
        self.qtbot.waitUntil(lambda: "付款码" in self.win.payment.prompt.text(), timeout=5000)
        bg(lambda: self.device("scanner").scan(code))

    def qr_shown(self) -> str:
        """Wait for the payment QR; the order number the kiosk created for it."""
        self.qtbot.waitUntil(lambda: bool(self.win.payment.qr.payload), timeout=15000)
        orders = bg(lambda: self.kiosk.checkout.orders())
        return str(orders[0].order_no)  # newest first

    def device(self, role: str) -> Any:
        return self.kiosk.devices.by_role(role)

    # --- what the patient sees and gets --------------------------------------------------------
    def texts(self) -> str:
        """Every visible text of the window, one per line."""
        return "\n".join(all_texts(self.win))

    def printed(self) -> list[str]:
        """The text of every receipt the virtual receipt printer printed, in order."""
        printer = self.device("receipt_printer")
        return ["\n".join(_strings(e) for e in job.elements) for job in printer.jobs]

    def receipt_files(self) -> list[Path]:
        return sorted((self.data / "prints").glob("*.png"))

    def finish(self) -> None:
        """完成，退出 on the result screen: back to the attract screen."""
        self.tap("resultFinish")
        assert self.win.current().key == "attract"

    def his_balance(self, patient_id: str) -> Any:
        return bg(lambda: self.kiosk.his.prepay_balance(patient_id))
