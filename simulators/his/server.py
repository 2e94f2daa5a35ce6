"""Serving the HIS simulator on a real socket: Werkzeug's threaded server in a background thread."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from billing_core.clock import Clock
from simulators.his.app import create_app
from simulators.his.context import HisContext
from simulators.his.issuer import retry_pending
from simulators.his.seed import seed_demo

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (the simulator is called thousands of times in tests)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class HisServer:
    """A running simulator: :attr:`url` (``http://host:port``), :attr:`api_url`, :meth:`stop`."""

    def __init__(self, ctx: HisContext, host: str, port: int) -> None:
        self.ctx = ctx
        self.app = create_app(ctx)
        self._srv: BaseWSGIServer = make_server(host, port, self.app, threaded=True,
                                                    request_handler=_QuietHandler)
        self.host = host
        self.port = int(self._srv.server_port)
        self._thread = threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"his-sim-{self.port}", daemon=True)
        self._thread.start()
        self._stop = threading.Event()
        self._retry = threading.Thread(target=self._retry_loop, name=f"his-sim-retry-{self.port}", daemon=True)
        self._retry.start()

    def _retry_loop(self) -> None:
        """Issue the e-bills left pending (sync server was unreachable) every ``syncRetrySeconds``."""
        while not self._stop.wait(float(self.ctx.config.get("syncRetrySeconds", 5.0))):
            try:
                retry_pending(self.ctx)
            except Exception:  # the loop must survive a bad round; the next one tries again
                log.exception("HIS simulator: e-bill retry round failed")

    @property
    def url(self) -> str:
        """``http://host:port`` (what HisClient is given)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The operation prefix: ``POST {api_url}/<operation>``."""
        return f"{self.url}/his/api"

    def stop(self) -> None:
        """Stop serving and join the server thread."""
        self._stop.set()
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join(10)
        self._retry.join(30)


def start(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None) -> HisServer:
    """Open (or create and seed) the simulator in ``data_dir`` and serve it; port 0 = a free port."""
    ctx = HisContext(Path(data_dir), clock)
    seed_demo(ctx.store, ctx.data_dir, ctx.now())
    return HisServer(ctx, host, port)
