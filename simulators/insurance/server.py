"""Serving the simulator on a real socket (Werkzeug's threaded server in a background thread)."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, make_server

from simulators.insurance.platform import Platform


class InsSimServer:
    """The app on ``host:port`` (port 0 = a free port); :meth:`stop` ends it."""

    def __init__(self, platform: Platform, host: str = "127.0.0.1", port: int = 0) -> None:
        from simulators.insurance.app import create_app

        self.platform = platform
        self.app = create_app(platform)
        self._srv: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self.host = host
        self.port = int(self._srv.server_port)
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"insurance-sim-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        """``http://host:port`` (the base URL the insurance connector is configured with)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> InsSimServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests, stop serving, close the database."""
        self.platform.stopping.set()
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join(10)
        self.platform.close()
