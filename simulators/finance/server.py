"""Serving the simulator on a real socket, with keep-alive, and a "down" knob that really closes it.

A small HTTP/1.1 WSGI server (the standard library's ``socketserver`` with one thread per
connection) runs in a background thread. Connections are kept alive, so a platform call does not
pay a TCP connect and a new server thread each time (Werkzeug's development server always answers
``Connection: close``). The fault knobs keep their exact meaning:

* ``go_down`` stops accepting, closes the listening socket (a new connection is refused, exactly
  like an unreachable platform) and closes every established keep-alive connection: idle ones at
  once, busy ones right after the answer that is being produced. A request read from a connection
  after the server went down is not processed: the connection is closed without an answer. So no
  pooled connection can slip a request through while the platform is down. ``go_up`` binds the
  same port again.
* commit-but-drop-response: the app shuts the socket down (``environ["werkzeug.socket"]``) and the
  answer never leaves; this server then closes the connection.
"""

from __future__ import annotations

import io
import logging
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask

log = logging.getLogger(__name__)

#: Seconds an idle keep-alive connection is kept (clients reconnect transparently after that).
IDLE_TIMEOUT = 60.0
#: Largest request body accepted (the biggest envelope is a batch of bills, well below this).
MAX_BODY = 64 * 1024 * 1024


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Threaded TCP server that knows its open connections (for the ``down`` knob)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], app: Any) -> None:
        self.app = app
        # (path prefix, fn(name, body, host_url, socket) -> bytes | None): POSTs answered without WSGI
        self.fast_post: tuple[str, Any] | None = getattr(app, "config", {}).get("SIM_FAST_POST")
        self.down = False
        self.conn_lock = threading.Lock()
        self.handlers: set[_Handler] = set()
        super().__init__(addr, _Handler)

    def close_connections(self) -> None:
        """Mark the server down; close idle connections now, busy ones after their answer."""
        with self.conn_lock:
            self.down = True
            handlers = list(self.handlers)
        for h in handlers:
            with self.conn_lock:
                idle = h.idle
            if idle:
                _shutdown(h.connection)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler calling the WSGI app; the request body is read in full first
    (Content-Length), so the next request line is never confused with an unread body."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server: _Server
    idle = True

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.conn_lock:
            self.server.handlers.add(self)
            if self.server.down:  # accepted just before the listening socket closed
                self.close_connection = True
                _shutdown(self.connection)

    def finish(self) -> None:
        with self.server.conn_lock:
            self.server.handlers.discard(self)
        try:
            super().finish()
        except OSError:
            pass

    def handle_one_request(self) -> None:
        try:
            with self.server.conn_lock:
                self.idle = True
                if self.server.down:
                    self.close_connection = True
                    return
            self.raw_requestline = self.rfile.readline(65537)
            with self.server.conn_lock:
                self.idle = False
                down = self.server.down
            if not self.raw_requestline or down:  # EOF, or read after going down: no answer
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536 or not self.parse_request():
                self.close_connection = True
                return
            self._run_wsgi()
            if self.server.down:
                self.close_connection = True
        except (OSError, ValueError):  # timeout, reset, dropped answer: close the connection
            self.close_connection = True

    def _run_wsgi(self) -> None:
        te = self.headers.get("Transfer-Encoding", "")
        length = self.headers.get("Content-Length")
        if te or (length is not None and (not length.isdigit() or int(length) > MAX_BODY)):
            self._send_raw("400 Bad Request", [("Content-Type", "text/plain")], [b"bad request body"])
            self.close_connection = True
            return
        body = self.rfile.read(int(length)) if length else b""
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        fast = self.server.fast_post
        if fast is not None and self.command == "POST" and path.startswith(fast[0]):
            name = unquote_to_bytes(path[len(fast[0]):]).decode("latin-1")
            if name and "/" not in name:
                self._fast(fast[1], name, body, f"http://{self.headers.get('Host') or f'{host}:{port}'}/")
                return
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "werkzeug.socket": self.connection,
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query,
            "SERVER_NAME": str(host), "SERVER_PORT": str(port), "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0], "REMOTE_PORT": self.client_address[1],
            "CONTENT_LENGTH": str(len(body)) if length else "",
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
        }
        for k, v in self.headers.items():
            key = "HTTP_" + k.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{v}" if key in environ else v
        state: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            state["status"], state["headers"] = status, headers
            return lambda data: state.setdefault("extra", []).append(data)

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks = list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:  # never a stack trace to the caller
            log.exception("finance simulator: request failed")
            self._send_raw("500 Internal Server Error", [("Content-Type", "text/plain")], [b"internal error"])
            return
        self._send_raw(state["status"], state["headers"], state.get("extra", []) + chunks)

    def _fast(self, fn: Any, name: str, body: bytes, host_url: str) -> None:
        """A POST the app answers without WSGI (``app.config["SIM_FAST_POST"]``): bytes, or None when
        the answer is dropped (the app shut the socket; the connection is closed unanswered)."""
        try:
            out = fn(name, body, host_url, self.connection)
        except Exception:  # never a stack trace to the caller
            log.exception("finance simulator: request failed")
            self._send_raw("500 Internal Server Error", [("Content-Type", "text/plain")], [b"internal error"])
            return
        if out is None:
            self.close_connection = True
            return
        self._send_raw("200 OK", [("Content-Type", "application/json")], [out])

    def _send_raw(self, status: str, headers: list[tuple[str, str]], chunks: list[bytes]) -> None:
        body = b"".join(chunks)
        lines = [f"HTTP/1.1 {status}"]
        has_length = False
        for k, v in headers:
            if k.lower() == "content-length":
                has_length = True
            elif k.lower() == "connection":
                continue
            lines.append(f"{k}: {v}")
        if not has_length:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection or self.server.down:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            body = b""
        self.connection.sendall(head + body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base class signature)
        pass


class SimServer:
    """The app on ``host:port`` (port 0 = a free port, kept across down/up)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._srv: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        app.config["SIM_SERVER"] = self

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The method prefix a client is configured with."""
        return f"{self.url}/medical-web/api/medical"

    @property
    def is_up(self) -> bool:
        """True while the listening socket is open."""
        return self._srv is not None

    def start(self) -> SimServer:
        """Bind and serve in a background thread."""
        with self._lock:
            if self._srv is not None:
                return self
            srv = _Server((self.host, self.port), self.app)
            self.port = srv.server_address[1]
            self._srv = srv
            self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"finance-sim-{self.port}", daemon=True)
            self._thread.start()
        return self

    go_up = start

    def go_down(self) -> None:
        """Stop accepting, close the listening socket (clients get connection refused) and close
        the established keep-alive connections (idle ones at once, busy ones after their answer)."""
        with self._lock:
            srv, self._srv = self._srv, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()
            srv.close_connections()

    def down_for(self, seconds: float, delay: float = 0.0) -> None:
        """Go down after ``delay`` seconds, come back ``seconds`` later (control endpoint)."""

        def run() -> None:
            self.go_down()
            threading.Timer(seconds, self.go_up).start()

        threading.Timer(delay, run).start()

    def stop(self) -> None:
        """Shut down for good (and stop the platform's batch worker)."""
        self.go_down()
        platform = self.app.config.get("PLATFORM")
        if platform is not None:
            platform.shutdown()
