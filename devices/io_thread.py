"""One worker thread per physical device (Electrum's device-thread discipline).

Why: the libraries behind our peripherals are not thread-safe per handle (a pyserial port, a
PC/SC card handle, a python-escpos socket), and a blocking call on one device must never hold up
another. So every call into a physical device runs on that device's own single worker thread;
two devices blocking at once each block only their own worker.

Use :func:`runs_in_device_thread` on driver methods that touch the hardware and
:func:`assert_in_device_thread` inside helpers that must only run there. Callers that want not to
block use :meth:`DeviceWorker.submit` (a ``concurrent.futures.Future``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class DeviceWorker:
    """A single-thread executor bound to one physical device.

    :param name: shown in the thread name (``dev-<name>``) for logs and leak checks.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"dev-{name}")
        self._thread_ident: int | None = None
        self._closed = False
        # Learn the worker's ident once; every later call compares against it.
        self._executor.submit(self._remember_thread).result()

    def _remember_thread(self) -> None:
        self._thread_ident = threading.get_ident()

    def in_worker(self) -> bool:
        """True when the calling thread is this device's worker."""
        return threading.get_ident() == self._thread_ident

    def submit(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Queue ``fn`` on the worker; returns its future (never blocks)."""
        return self._executor.submit(fn, *args, **kwargs)

    def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn`` on the worker and wait for it; runs inline if already on the worker."""
        if self.in_worker():
            return fn(*args, **kwargs)
        return self._executor.submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        """Stop the worker thread after the queued calls finish."""
        if not self._closed:
            self._closed = True
            self._executor.shutdown(wait=True)


class HasWorker(Protocol):
    """Anything with a ``worker`` attribute (every :class:`devices.base.Device`)."""

    worker: DeviceWorker


def assert_in_device_thread(device: HasWorker) -> None:
    """Raise AssertionError unless called on ``device``'s worker thread (a programming error)."""
    if not device.worker.in_worker():
        raise AssertionError(
            f"{type(device).__name__} touched from thread {threading.current_thread().name!r}, "
            f"not from its device thread dev-{device.worker.name}"
        )


def runs_in_device_thread(method: Callable[..., R]) -> Callable[..., R]:
    """Decorator: run a driver method on its device's worker thread and wait for the result.

    Exceptions raised on the worker propagate to the caller unchanged.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
        return self.worker.call(method, self, *args, **kwargs)

    return wrapper
