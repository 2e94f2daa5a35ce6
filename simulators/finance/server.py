"""Serving the simulator on a real socket, with a "down" knob that really closes it.

Werkzeug's threaded server runs in a background thread. ``go_down`` stops accepting and closes
the listening socket, so a client sees a refused connection (not an HTTP error), exactly like an
unreachable platform; ``go_up`` binds the same port again. Connections are HTTP/1.0 (no
keep-alive), so no pooled connection can slip a request through while the platform is down.
"""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No per-request access log lines; one request per connection."""

    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class SimServer:
    """The app on ``host:port`` (port 0 = a free port, kept across down/up)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._srv: BaseWSGIServer | None = None
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
            srv = make_server(self.host, self.port, self.app, threaded=True, request_handler=QuietHandler)
            srv.daemon_threads = True
            self.port = srv.server_port
            self._srv = srv
            self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"finance-sim-{self.port}", daemon=True)
            self._thread.start()
        return self

    go_up = start

    def go_down(self) -> None:
        """Stop accepting and close the listening socket (clients get connection refused)."""
        with self._lock:
            srv, self._srv = self._srv, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()

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
