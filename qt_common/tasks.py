"""Run workflow calls off the GUI thread; results come back on it (Anki's op builder).

A handler in a window is a few lines::

    self.tasks.run(lambda: services.issuing.issue(form, user.name),
                   on_success=self._issued, on_failure=self.errors.show)

``fn`` runs on a pool thread and must not touch widgets; ``on_success`` / ``on_failure`` run on
the GUI thread (queued signal). ``busy`` counts running tasks so windows can disable buttons and
tests can wait for idle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qt_common.qt import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object, object)  # on_success, on_failure, (ok, value)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay, on_success: Any, on_failure: Any) -> None:
        super().__init__()
        self.fn, self.relay, self.on_success, self.on_failure = fn, relay, on_success, on_failure
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result: tuple[bool, Any] = (True, self.fn())
        except BaseException as exc:  # delivered to the GUI thread's failure handler
            result = (False, exc)
        self.relay.done.emit(self.on_success, self.on_failure, result)


class TaskRunner(QObject):
    """Runs callables on worker threads and reports back on the GUI thread.

    :param on_failure: default failure handler (usually :meth:`ErrorPresenter.show`).
    """

    busy_changed = Signal(int)

    def __init__(self, on_failure: Callable[[BaseException], None] | None = None,
                 parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay()
        self._relay.done.connect(self._finish)
        self._default_failure = on_failure
        self.busy = 0

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None) -> None:
        """Start ``fn`` on a worker thread."""
        self.busy += 1
        self.busy_changed.emit(self.busy)
        self._pool.start(_Job(fn, self._relay, on_success, on_failure or self._default_failure))

    def _finish(self, on_success: Any, on_failure: Any, result: tuple[bool, Any]) -> None:
        self.busy -= 1
        ok, value = result
        try:
            if ok:
                if on_success is not None:
                    on_success(value)
            elif on_failure is not None:
                on_failure(value)
            else:
                log.error("task failed with no handler", exc_info=value)
        finally:
            self.busy_changed.emit(self.busy)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (shutdown and tests only, never in a handler)."""
        return self._pool.waitForDone(msecs)
