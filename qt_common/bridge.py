"""Workflow events -> Qt signals on the GUI thread (Electrum's ``QtEventListener``).

Sessions emit events from whatever thread did the work (a task-runner thread, a device thread);
:class:`EventBridge` re-emits each as the ``event`` signal, which Qt queues to the GUI thread
because the bridge lives there. Windows connect to ``event`` and re-render from session state.
"""

from __future__ import annotations

from typing import Any

from qt_common.qt import QObject, Signal
from workflows.events import Events


class EventBridge(QObject):
    """Subscribes to an :class:`Events` hub and re-emits ``(name, payload)`` on the GUI thread."""

    event = Signal(str, dict)

    def __init__(self, events: Events, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._events = events
        events.subscribe(self._on_event)

    def _on_event(self, name: str, payload: dict[str, Any]) -> None:
        self.event.emit(name, payload)

    def close(self) -> None:
        """Stop listening (the window is going away)."""
        self._events.unsubscribe(self._on_event)
