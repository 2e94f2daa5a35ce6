"""Show errors to the cashier: code and Chinese message, never a stack trace (DESIGN §3).

A :class:`BillingError` shows its own code and message. Anything else is logged with its
traceback and shown as E9000 with a short incident id that IT can find in the log.
"""

from __future__ import annotations

import logging
import secrets

from billing_core.errors import BillingError
from qt_common.qt import QMessageBox, QObject, QWidget, Signal

log = logging.getLogger(__name__)


def describe(exc: BaseException) -> tuple[str, str]:
    """``(code, Chinese message)`` for any exception; logs unexpected ones with an incident id."""
    if isinstance(exc, BillingError):
        return exc.code, exc.message
    incident = secrets.token_hex(4)
    log.error("unexpected error, incident %s", incident, exc_info=exc)
    return "E9000", f"系统内部错误，请联系信息科（事件编号 {incident}）"


class ErrorPresenter(QObject):
    """Shows errors in a non-blocking message box and remembers the last one (for the status line).

    :param parent_widget: the window the box belongs to.
    """

    shown = Signal(str, str)

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._parent = parent_widget
        self.last: tuple[str, str] | None = None
        self._box: QMessageBox | None = None

    def show(self, exc: BaseException) -> None:
        """Display ``exc`` (window-modal, does not block the event loop)."""
        code, message = describe(exc)
        self.last = (code, message)
        if self._box is not None:
            self._box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, "操作未完成", f"{message}\n\n错误代码：{code}",
                          QMessageBox.StandardButton.Ok, self._parent)
        box.setObjectName("errorBox")
        box.open()
        self._box = box
        self.shown.emit(code, message)

    def dismiss(self) -> None:
        """Close the box if it is open."""
        if self._box is not None:
            self._box.close()
            self._box = None
