"""Idle countdown: no touch for ``idle_s`` seconds -> a visible countdown -> back to the attract screen.

Any press or key anywhere in the application counts as activity (an application event filter).
The watcher is armed only while a patient is being served; the window disarms it on the attract
screen and while money is moving (the payment screen has its own countdown, and dropping a
patient in the middle of a payment would lose track of it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from qt_common.qt import QEvent, QObject, QTimer, Signal

_ACTIVITY = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin,
             QEvent.Type.TabletPress)


class IdleWatcher(QObject):
    """Emits ``countdown(seconds_left)`` once the patient has been idle for ``idle_s``, every tick
    until ``countdown_s`` more seconds pass, then ``expired``; ``resumed`` when a touch comes in
    during the countdown.

    :param clock: monotonic seconds (tests may pass their own).
    """

    countdown = Signal(int)
    expired = Signal()
    resumed = Signal()

    def __init__(self, idle_s: float, countdown_s: float, parent: QObject | None = None, *,
                 tick_ms: int = 200, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.idle_s = idle_s
        self.countdown_s = countdown_s
        self._clock = clock
        self._last = clock()
        self.armed = False
        self.counting = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(tick_ms)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() in _ACTIVITY:
            self.touch()
        return False

    def touch(self) -> None:
        """Activity: restart the idle time; a running countdown stops."""
        self._last = self._clock()
        if self.counting:
            self.counting = False
            self.resumed.emit()

    def arm(self, on: bool) -> None:
        """Watch (a patient is being served) or not (attract screen, payment in progress)."""
        self.armed = on
        self.touch()

    def seconds_left(self) -> float:
        """Seconds until the reset (idle time plus countdown), from the last touch."""
        return max(0.0, self.idle_s + self.countdown_s - (self._clock() - self._last))

    def _tick(self) -> None:
        if not self.armed:
            return
        left = self.seconds_left()
        if left <= 0:
            self.counting = False
            self.armed = False
            self.expired.emit()
        elif left <= self.countdown_s:
            self.counting = True
            self.countdown.emit(int(left + 0.999))

    def stop(self) -> None:
        """Stop ticking (window closing)."""
        self._timer.stop()
