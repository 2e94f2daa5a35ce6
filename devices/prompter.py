"""How a device reaches the person at the terminal, without knowing about Qt.

Modelled on Electrum's ``HardwareHandlerBase``: a driver that needs a human ("请插入社保卡",
"请输入密码") calls the injected :class:`Prompter`. qt_common implements it with a signal and a
``threading.Event`` (the driver runs on its device thread, the dialog on the GUI thread); tests
and headless tools use :class:`ScriptedPrompter` or :class:`NullPrompter`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Prompter(Protocol):
    """The UI-agnostic interface a device uses to talk to a person."""

    def show_message(self, text: str) -> None:
        """Show a Chinese instruction such as "请插入社保卡" until :meth:`finished`."""

    def ask_pin(self, prompt: str) -> str | None:
        """Ask for a PIN; return the digits, or None when the person cancels."""

    def confirm(self, text: str) -> bool:
        """Ask a yes/no question."""

    def finished(self) -> None:
        """Hide whatever :meth:`show_message` showed."""


class NullPrompter:
    """A prompter for unattended use: shows nothing, never has a PIN, answers no."""

    def show_message(self, text: str) -> None:
        """Ignore the message."""

    def ask_pin(self, prompt: str) -> str | None:
        """No one to ask: cancel."""
        return None

    def confirm(self, text: str) -> bool:
        """No one to ask: no."""
        return False

    def finished(self) -> None:
        """Nothing to hide."""


class ScriptedPrompter:
    """A prompter with canned answers that records every message (tests, demo scripts).

    :param pins: PINs returned by successive :meth:`ask_pin` calls (None = cancel).
    :param confirm_answer: what :meth:`confirm` answers.
    """

    def __init__(self, pins: Iterable[str | None] = (), confirm_answer: bool = True) -> None:
        self.pins: deque[str | None] = deque(pins)
        self.confirm_answer = confirm_answer
        self.messages: list[str] = []
        self.pin_prompts: list[str] = []
        self.finished_count = 0

    def show_message(self, text: str) -> None:
        """Record the message."""
        self.messages.append(text)

    def ask_pin(self, prompt: str) -> str | None:
        """Return the next scripted PIN (None when the script is exhausted)."""
        self.pin_prompts.append(prompt)
        return self.pins.popleft() if self.pins else None

    def confirm(self, text: str) -> bool:
        """Record the question and return the scripted answer."""
        self.messages.append(text)
        return self.confirm_answer

    def finished(self) -> None:
        """Count the calls."""
        self.finished_count += 1
