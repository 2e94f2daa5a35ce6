"""Card insertion / removal events for any :class:`SocialSecurityCardReader`.

A kiosk's idle screen wants "a card was inserted" as an event rather than a blocking call.
:class:`CardWatcher` polls ``card_present()`` (which runs on the reader's own device thread) from
a small watcher thread and calls ``on_inserted`` / ``on_removed`` on each change. The callbacks
run on the watcher thread: a GUI re-emits them as signals (qt_common's event bridge).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from devices.card_reader import SocialSecurityCardReader
from devices.errors import DeviceError


class CardWatcher:
    """Polls a card reader and reports changes.

    :param reader: an open reader.
    :param on_inserted: called once per insertion.
    :param on_removed: called once per removal.
    :param on_error: called with a DeviceError when polling fails (e.g. the reader vanished);
        the watcher keeps polling, so it reports the reader's return as an insertion/removal.
    :param interval: seconds between polls.
    """

    def __init__(
        self,
        reader: SocialSecurityCardReader,
        on_inserted: Callable[[], None],
        on_removed: Callable[[], None],
        on_error: Callable[[DeviceError], None] | None = None,
        interval: float = 0.2,
    ) -> None:
        self.reader = reader
        self.on_inserted = on_inserted
        self.on_removed = on_removed
        self.on_error = on_error
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.present: bool | None = None  # unknown until the first poll

    def start(self) -> CardWatcher:
        """Start polling."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"card-watch-{self.reader.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling and wait for the watcher thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.reader.is_open:
                    self.reader.open()
                now = self.reader.card_present()
            except DeviceError as err:
                if self.on_error is not None:
                    self.on_error(err)
                self._stop.wait(self.interval)
                continue
            if now != self.present:
                was, self.present = self.present, now
                if now:
                    self.on_inserted()
                elif was is not None:
                    self.on_removed()
            self._stop.wait(self.interval)
