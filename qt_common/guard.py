"""GUI-thread I/O guard: HTTP, SQLite, sockets and device calls must never run on the GUI thread.

Workflows cannot import Qt, so the assertion is installed from outside at app start: the I/O
entry points are wrapped to check the calling thread (issue 8: "a test fails if any HTTP, SQLite
or device call runs on the GUI thread" — a thread assertion instead of timing the event loop).

Wrapped: ``requests.Session.send`` (every HTTP call), ``sqlite3.connect`` (connections made with a
guarded factory whose execute/commit check too), ``socket.socket.connect`` (TCP printers, rigs)
and ``devices.io_thread.DeviceWorker.call`` (the blocking call into a device thread). A violation
raises :class:`GuiThreadIO` and is recorded in :data:`violations` (Qt may swallow exceptions in
slots, so tests assert the list is empty).
"""

from __future__ import annotations

import functools
import socket
import sqlite3
import threading
import traceback
from collections.abc import Callable
from typing import Any

_gui_ident: int | None = None
_originals: dict[str, Any] = {}
violations: list[str] = []


class GuiThreadIO(AssertionError):
    """An I/O call was made on the GUI thread (a programming error, never shown to a user)."""


def assert_not_gui_thread(what: str) -> None:
    """Raise GuiThreadIO when called on the GUI thread the guard was installed from."""
    if _gui_ident is not None and threading.get_ident() == _gui_ident:
        stack = "".join(traceback.format_stack(limit=8)[:-1])
        violations.append(f"{what}\n{stack}")
        raise GuiThreadIO(f"{what} called on the GUI thread")


def _wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        assert_not_gui_thread(name)
        return fn(*args, **kwargs)

    return guarded


class _GuardedConnection(sqlite3.Connection):
    def execute(self, *a: Any, **k: Any) -> sqlite3.Cursor:  # type: ignore[override]
        assert_not_gui_thread("sqlite3.Connection.execute")
        return super().execute(*a, **k)

    def executemany(self, *a: Any, **k: Any) -> sqlite3.Cursor:  # type: ignore[override]
        assert_not_gui_thread("sqlite3.Connection.executemany")
        return super().executemany(*a, **k)

    def executescript(self, *a: Any, **k: Any) -> sqlite3.Cursor:  # type: ignore[override]
        assert_not_gui_thread("sqlite3.Connection.executescript")
        return super().executescript(*a, **k)

    def cursor(self, *a: Any, **k: Any) -> sqlite3.Cursor:  # type: ignore[override]
        assert_not_gui_thread("sqlite3.Connection.cursor")
        return super().cursor(*a, **k)

    def commit(self) -> None:
        assert_not_gui_thread("sqlite3.Connection.commit")
        super().commit()


def _guarded_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
    assert_not_gui_thread("sqlite3.connect")
    kwargs.setdefault("factory", _GuardedConnection)
    return _originals["sqlite3.connect"](*args, **kwargs)


def install() -> None:
    """Install the guard; the calling thread is taken as the GUI thread. Idempotent."""
    global _gui_ident
    _gui_ident = threading.get_ident()
    if _originals:
        return
    import requests

    _originals["requests.Session.send"] = requests.Session.send
    requests.Session.send = _wrap("requests.Session.send", requests.Session.send)  # type: ignore[method-assign]
    _originals["sqlite3.connect"] = sqlite3.connect
    sqlite3.connect = _guarded_connect  # type: ignore[assignment]
    _originals["socket.socket.connect"] = socket.socket.connect
    socket.socket.connect = _wrap("socket.connect", socket.socket.connect)  # type: ignore[method-assign]
    try:
        from devices.io_thread import DeviceWorker
    except ImportError:  # devices is optional for a GUI without peripherals
        return
    _originals["DeviceWorker.call"] = DeviceWorker.call
    DeviceWorker.call = _wrap("DeviceWorker.call", DeviceWorker.call)  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore the original entry points (tests)."""
    global _gui_ident
    import requests

    if "requests.Session.send" in _originals:
        requests.Session.send = _originals.pop("requests.Session.send")  # type: ignore[method-assign]
    if "sqlite3.connect" in _originals:
        sqlite3.connect = _originals.pop("sqlite3.connect")
    if "socket.socket.connect" in _originals:
        socket.socket.connect = _originals.pop("socket.socket.connect")  # type: ignore[method-assign]
    if "DeviceWorker.call" in _originals:
        from devices.io_thread import DeviceWorker

        DeviceWorker.call = _originals.pop("DeviceWorker.call")  # type: ignore[method-assign]
    _gui_ident = None
