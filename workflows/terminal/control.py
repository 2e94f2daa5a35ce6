"""The runtime's local control socket: JSON lines over TCP on 127.0.0.1 (port 0, written to
``data_dir/control.port``), so tests and the IT screen can drive a headless terminal.

Request ``{"cmd": "issue", "token": ..., "method": ..., "request": {...}, "print": true}``; answer
``{"ok": true, "result": ...}`` or ``{"ok": false, "code": "E....", "message": "..."}``.

Who may drive it (issue 14 item 10): binding 127.0.0.1 is not enough, any web page open on the
PC can POST to a loopback port. So

* every request carries ``token``, a random secret the runtime writes at each start to
  ``data_dir/control.token`` with mode 0600 (readable by the terminal's OS user only); clients
  (:meth:`ControlClient.wait`, ``python -m workflows.terminal --cmd``) read it from there;
* a line that is not a JSON object — an HTTP request line, a header such as ``Origin:``, a form
  or ``text/plain`` body — is refused (E8704) and the connection closed at once, so a browser's
  request never reaches its body; a request without the right token likewise.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from billing_core.envelope import dumps, loads
from workflows.errors import ControlRefused

Handler = Callable[[dict[str, Any]], Any]

TOKEN_FILE = "control.token"
_HTTP_LINE = re.compile(rb"^[A-Z]{3,10} \S+ HTTP/\d", re.ASCII)


def token_file(port_file: Path) -> Path:
    """The token file published next to the port file."""
    return port_file.with_name(TOKEN_FILE)


def write_token(path: Path) -> str:
    """A new random token in ``path``, mode 0600 from its creation (never world-readable)."""
    token = secrets.token_urlsafe(32)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token)
    tmp.replace(path)
    return token


def _refusal(message: str) -> dict[str, Any]:
    return {"ok": False, "code": ControlRefused.code, "message": message}


class ControlServer:
    """Serves commands with ``handle(request) -> answer dict`` on a background thread."""

    def __init__(self, handle: Handler) -> None:
        outer_handle = handle
        outer = self
        self.token = ""  # set by start(); no request is served before

        class _Req(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                for line in self.rfile:
                    if not line.strip():
                        continue
                    answer, close = outer._answer(line, outer_handle)
                    self.wfile.write(dumps(answer).encode("utf-8") + b"\n")
                    self.wfile.flush()
                    if close:
                        return

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = _Server(("127.0.0.1", 0), _Req)
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="control", daemon=True)

    def _answer(self, line: bytes, handle: Handler) -> tuple[dict[str, Any], bool]:
        """(answer, close the connection) of one line."""
        if _HTTP_LINE.match(line):
            return _refusal("拒绝HTTP/浏览器请求：控制端口只接受带令牌的JSON命令"), True
        try:
            request = loads(line)
        except ValueError:
            return _refusal("控制命令不是有效的JSON对象，连接已关闭"), True
        if not isinstance(request, dict):
            return _refusal("控制命令不是有效的JSON对象，连接已关闭"), True
        token = request.pop("token", None)
        if not self.token or not isinstance(token, str) or not hmac.compare_digest(token, self.token):
            return _refusal(f"控制命令缺少令牌或令牌错误（见{TOKEN_FILE}）"), True
        return handle(request), False

    def start(self, port_file: Path) -> None:
        """Write the token file, serve, then publish the port (atomically, so readers never see
        half a number; the token exists before the port does)."""
        self.token = write_token(token_file(port_file))
        self._thread.start()
        tmp = port_file.with_suffix(".tmp")
        tmp.write_text(str(self.port), encoding="ascii")
        tmp.replace(port_file)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ControlClient:
    """Talks to a runtime's control socket (tests, CLI)."""

    def __init__(self, port: int, token: str, timeout: float = 30.0) -> None:
        self.token = token
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._file = self._sock.makefile("rwb")

    @classmethod
    def wait(cls, port_file: Path, timeout: float = 20.0) -> ControlClient:
        """Connect once the runtime has published its port (and its token, written before)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                port = int(port_file.read_text(encoding="ascii"))
                return cls(port, token_file(port_file).read_text(encoding="ascii").strip())
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        """Send one command; returns the answer object (raises ConnectionError if the runtime died)."""
        self._file.write(dumps({"cmd": cmd, **args, "token": self.token}).encode("utf-8") + b"\n")
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
