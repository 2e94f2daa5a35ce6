"""A small observer: sessions of any terminal announce changes, the GUI (qt_common.bridge) re-renders.

One instance per app, passed in by constructor (no global callback manager, STYLE §1 Electrum
"don't copy"). Callbacks may run on any thread; qt_common's bridge re-emits them on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]

#: Event names the sessions emit (window, ward and kiosk alike; LOCKED / LOGGED_IN are the login session's).
LINK_CHANGED = "link_changed"        # {"online": bool, "reason": str}
BILL_ISSUED = "bill_issued"          # {"record": BillRecord}
BILL_CHANGED = "bill_changed"        # {"record": BillRecord}
STOCK_CHANGED = "stock_changed"      # {"status": EmergencyStatus}
UPLOAD_PROGRESS = "upload_progress"  # {"done": int, "total": int}
CARRY_FORWARD = "carry_forward"      # {"result": CarryForwardResult}
LOCKED = "locked"                    # {"user": str}
LOGGED_IN = "logged_in"              # {"user": User}


class Events:
    """Subscribe callbacks; :meth:`emit` calls each with ``(name, payload)``."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        """Add a callback for every event."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Remove a callback (no error when absent)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def emit(self, name: str, **payload: Any) -> None:
        """Tell every listener; one failing listener does not stop the others."""
        with self._lock:
            listeners = list(self._listeners)
        for fn in listeners:
            fn(name, payload)
