"""The owner of every thread a server process starts besides waitress's request threads.

The outbox worker, the carry-forward pool, each running batch and the PostgreSQL liveness watch
are started through the :class:`ThreadOwner` on the server context (``ctx.threads``), under a
name. A name runs at most once at a time (a second start of ``carry-pool`` or of
``batch-<batchNo>`` while the first runs is refused), so the owner is also the "is it running?"
registry those loops need — per server context, not per module: two contexts in one process
(tests, tools) never see each other's threads. :meth:`ThreadOwner.shutdown` sets the context's
``stop`` event (and ``wake``, so a sleeping worker notices at once), refuses new starts and joins
every thread with a deadline; every loop checks ``stop`` between units of work and leaves
unfinished work in the database, where the next start picks it up.

It lives below the rooms (next to connectors and store in the import layers) because the rooms
that start threads (background, emergency, his) all reach it through the context.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class ThreadOwner:
    """Starts named daemon threads and joins them all at shutdown.

    :param stop: the event every owned loop watches (``ServerContext.stop``).
    :param wake: set at shutdown too, so loops waiting on it return at once.
    """

    def __init__(self, stop: threading.Event, wake: threading.Event | None = None) -> None:
        self.stop = stop
        self.wake = wake
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, name: str, target: Callable[..., Any], *args: Any) -> threading.Thread | None:
        """Run ``target(*args)`` in a daemon thread called ``name``; None (nothing started) when a
        thread of that name still runs or shutdown has begun.

        Daemon threads: a process that exits without :meth:`shutdown` (a signal, a crash) must not
        hang on them; their work is durable in the database anyway.
        """
        with self._lock:
            if self._closed:
                return None
            running = self._threads.get(name)
            if running is not None and running.is_alive():
                return None
            thread = threading.Thread(target=target, args=args, name=name, daemon=True)
            self._threads[name] = thread
            thread.start()
            # forget finished ones, so the registry does not grow with every batch ever run
            for old in [n for n, t in self._threads.items() if not t.is_alive()]:
                del self._threads[old]
            return thread

    def running(self, name: str) -> bool:
        """True while the thread ``name`` runs."""
        with self._lock:
            thread = self._threads.get(name)
        return thread is not None and thread.is_alive()

    def alive(self) -> list[threading.Thread]:
        """The owned threads still running."""
        with self._lock:
            return [t for t in self._threads.values() if t.is_alive()]

    def shutdown(self, timeout: float = 15.0) -> list[str]:
        """Set ``stop``, refuse new starts, join every thread; the names still alive after
        ``timeout`` seconds in all (logged: a call to the platform that outlived its timeout)."""
        with self._lock:
            self._closed = True
        self.stop.set()
        if self.wake is not None:
            self.wake.set()
        # monotonic, not the context's clock: a real deadline for real threads, even when a test
        # drives business time with a ManualClock
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        left = [t.name for t in self.alive()]
        if left:
            log.warning("threads still running after shutdown: %s", ", ".join(left))
        return left
