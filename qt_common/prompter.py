"""The Qt side of devices.prompter.Prompter (Electrum's ``QtHandlerBase``).

A driver on its device thread calls :meth:`QtPrompter.confirm` / ``ask_pin``; the prompter emits
a signal to the GUI thread, which shows a non-blocking dialog, and the device thread waits on a
``threading.Event`` for the answer. Calls made on the GUI thread itself are refused (they would
deadlock) — devices never run there (qt_common.guard).
"""

from __future__ import annotations

import threading

from qt_common.qt import QInputDialog, QLineEdit, QMessageBox, QObject, QWidget, Signal


class QtPrompter(QObject):
    """Shows device prompts over ``parent_widget``."""

    _message = Signal(str)
    _finished = Signal()
    _confirm = Signal(str)
    _pin = Signal(str)

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._parent = parent_widget
        self._answer: object = None
        self._done = threading.Event()
        self._box: QMessageBox | None = None
        self._message.connect(self._show_message)
        self._finished.connect(self._hide)
        self._confirm.connect(self._ask_confirm)
        self._pin.connect(self._ask_pin)
        self.last_message = ""

    # --- device-thread side (devices.prompter.Prompter) ---------------------------------
    def show_message(self, text: str) -> None:
        self._message.emit(text)

    def finished(self) -> None:
        self._finished.emit()

    def confirm(self, text: str) -> bool:
        return bool(self._wait(self._confirm, text))

    def ask_pin(self, prompt: str) -> str | None:
        value = self._wait(self._pin, prompt)
        return value if isinstance(value, str) else None

    def _wait(self, signal: Signal, text: str) -> object:
        if threading.current_thread() is threading.main_thread():
            raise RuntimeError("prompter called on the GUI thread")
        self._done.clear()
        signal.emit(text)
        self._done.wait()
        return self._answer

    # --- GUI-thread side ---------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.last_message = text
        self._hide()
        self._box = QMessageBox(QMessageBox.Icon.Information, "提示", text, QMessageBox.StandardButton.NoButton,
                                self._parent)
        self._box.open()

    def _hide(self) -> None:
        if self._box is not None:
            self._box.close()
            self._box = None

    def _ask_confirm(self, text: str) -> None:
        self.last_message = text
        box = QMessageBox(QMessageBox.Icon.Question, "请确认", text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self._parent)
        box.finished.connect(lambda r: self._reply(r == QMessageBox.StandardButton.Yes))
        box.open()

    def _ask_pin(self, prompt: str) -> None:
        self.last_message = prompt
        dlg = QInputDialog(self._parent)
        dlg.setLabelText(prompt)
        dlg.setTextEchoMode(QLineEdit.EchoMode.Password)
        dlg.textValueSelected.connect(self._reply)
        dlg.rejected.connect(lambda: self._reply(None))
        dlg.open()

    def _reply(self, value: object) -> None:
        self._answer = value
        self._done.set()
