"""A fake ESC/POS network printer on 127.0.0.1 (a real TCP server) that records and decodes jobs.

It listens like a thermal printer's port 9100, stores the bytes of every connection, decodes
them with :mod:`tests.rigs.escpos_decoder` and answers real-time status queries (``DLE EOT n``)
with one status byte, as Epson-compatible printers do. Tests flip its state to make the driver
see paper out, cover open or a dead connection.

Usage with the real driver (print_templates and app tests do the same)::

    from devices.drivers.escpos_printer import EscposConfig, EscposReceiptPrinter
    from tests.rigs.escpos_printer import TcpEscposPrinter

    with TcpEscposPrinter() as rig:                       # binds 127.0.0.1:0
        cfg = EscposConfig(transport="network", host="127.0.0.1", port=rig.port)
        with EscposReceiptPrinter("receipt_printer", cfg) as printer:
            printer.print_job(job)
        doc = rig.wait_document()                         # waits for the bytes, decodes them
        assert "挂号凭条" in doc.text and doc.cuts == 1

    rig.paper_out()      # next DLE EOT 4 answers "paper end" -> driver raises PaperOut (E6301)
    rig.cover_open()     # DLE EOT 2 answers "cover open"      -> CoverOpen (E6302)
    rig.silent = True    # no status answers                  -> DeviceTimeout (E6005)
    rig.drop_connections()  # close every client socket      -> DeviceDisconnected (E6006)
    rig.stop(); rig.start()  # the printer goes away and comes back on the same port

A pytest fixture is in tests/rigs/fixtures.py (``escpos_rig``).
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

from tests.rigs.escpos_decoder import Document, StreamDecoder

# Status bytes (Epson real-time status): bits 1 and 4 are always set (0x12).
ONLINE = 0x12
OFFLINE = 0x12 | 0x08
CAUSE_OK = 0x12
CAUSE_COVER_OPEN = 0x12 | 0x04
CAUSE_PAPER_STOP = 0x12 | 0x20
PAPER_OK = 0x12
PAPER_NEAR_END = 0x12 | 0x0C
PAPER_END = 0x12 | 0x60


class TcpEscposPrinter:
    """The fake printer. ``port`` stays the same across :meth:`stop` / :meth:`start`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.status: dict[int, int] = {1: ONLINE, 2: CAUSE_OK, 3: 0x12, 4: PAPER_OK}
        self.silent = False
        self.jobs: list[bytes] = []  # one entry per finished connection
        self._current: dict[socket.socket, bytearray] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> TcpEscposPrinter:
        """Listen (again) on ``host:port``."""
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((self.host, self.port))
        srv.listen(8)
        self.port = srv.getsockname()[1]
        self._server = srv
        t = threading.Thread(target=self._accept_loop, args=(srv,), name="escpos-rig", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self) -> None:
        """Stop listening and drop every connection (the printer is switched off)."""
        srv, self._server = self._server, None
        if srv is not None:
            try:
                srv.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
            except OSError:
                pass
            srv.close()
        self.drop_connections()

    def __enter__(self) -> TcpEscposPrinter:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- state the tests flip --------------------------------------------------------------

    def paper_out(self) -> None:
        """Answer status queries with "paper end"."""
        self.status[4] = PAPER_END
        self.status[2] = CAUSE_PAPER_STOP

    def cover_open(self) -> None:
        """Answer status queries with "cover open"."""
        self.status[2] = CAUSE_COVER_OPEN

    def ready(self) -> None:
        """Back to online with paper."""
        self.status.update({1: ONLINE, 2: CAUSE_OK, 4: PAPER_OK})
        self.silent = False

    def drop_connections(self) -> None:
        """Close every client connection now (cable pulled)."""
        with self._lock:
            conns = list(self._current)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    # --- results ---------------------------------------------------------------------------

    def received(self) -> bytes:
        """All bytes received so far, finished connections first."""
        with self._lock:
            return b"".join(self.jobs) + b"".join(bytes(v) for v in self._current.values())

    def document(self) -> Document:
        """Decode everything received so far (status queries included)."""
        dec = StreamDecoder()
        dec.feed(self.received())
        return dec.finish()

    def wait_document(self, min_cuts: int = 1, timeout: float = 5.0) -> Document:
        """Wait until the received bytes hold ``min_cuts`` cuts, then decode them."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                doc = self.document()
                if doc.cuts >= min_cuts:
                    return doc
            except ValueError:
                pass  # a command is still arriving
            if time.monotonic() > deadline:
                return self.document()
            with self._changed:
                self._changed.wait(0.05)

    def clear(self) -> None:
        """Forget received bytes."""
        with self._lock:
            self.jobs.clear()
            for buf in self._current.values():
                buf.clear()

    # --- server ----------------------------------------------------------------------------

    def _accept_loop(self, srv: socket.socket) -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return  # stopped
            t = threading.Thread(target=self._serve, args=(conn,), name="escpos-rig-conn", daemon=True)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        with self._lock:
            self._current[conn] = buf

        def answer(n: int) -> None:
            if not self.silent and n in self.status:
                try:
                    conn.sendall(bytes([self.status[n]]))
                except OSError:
                    pass

        dec = StreamDecoder(on_status_query=answer)
        try:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                with self._changed:
                    buf += data
                    self._changed.notify_all()
                try:
                    dec.feed(data)
                except ValueError:
                    pass  # undecodable bytes are still recorded; tests decode and see the error
        finally:
            with self._changed:
                self._current.pop(conn, None)
                self.jobs.append(bytes(buf))
                self._changed.notify_all()
            conn.close()
