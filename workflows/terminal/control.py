"""The runtime's local control socket: JSON lines over TCP on 127.0.0.1 (port 0, written to
``data_dir/control.port``), so tests and the IT screen can drive a headless terminal.

Request ``{"cmd": "issue", "method": ..., "request": {...}, "print": true}``; answer
``{"ok": true, "result": ...}`` or ``{"ok": false, "code": "E....", "message": "..."}``.
Only loopback connections are possible: the socket binds 127.0.0.1.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from billing_core.envelope import dumps, loads

Handler = Callable[[dict[str, Any]], Any]


class ControlServer:
    """Serves commands with ``handle(request) -> answer dict`` on a background thread."""

    def __init__(self, handle: Handler) -> None:
        outer_handle = handle

        class _Req(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for line in self.rfile:
                    if not line.strip():
                        continue
                    try:
                        request = loads(line)
                        answer = outer_handle(request if isinstance(request, dict) else {})
                    except ValueError:
                        answer = {"ok": False, "code": "E8702", "message": "控制命令不是有效的JSON"}
                    self.wfile.write(dumps(answer).encode("utf-8") + b"\n")
                    self.wfile.flush()

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _Req)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)

    def start(self, port_file: Path) -> None:
        """Serve, then publish the port (atomically, so readers never see half a number)."""
        self._thread.start()
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(self.port), encoding="ascii")
        tmp.replace(port_file)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ControlClient:
    """Talks to a runtime's control socket (tests, CLI)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._file = self._sock.makefile("rwb")

    @classmethod
    def wait(cls, port_file: Path, timeout: float = 20.0) -> ControlClient:
        """Connect once the runtime has published its port."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return cls(int(port_file.read_text(encoding="ascii")))
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one command; returns the answer object (raises ConnectionError if the runtime died)."""
        self._file.write(dumps({"cmd": cmd, **args}).encode("utf-8") + b"\n")
        self._file.flush()
        line = self._file.readline()
        if not line:
            raise ConnectionError("terminal runtime closed the control connection")
        answer: dict[str, Any] = loads(line)
        return answer

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            self._sock.close()
