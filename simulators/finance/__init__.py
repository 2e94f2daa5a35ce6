"""Finance e-bill platform simulator (issue 3): the vendor's HIS interface on the wire, with
real state in its own SQLite database, fault knobs, and our §17 emergency extensions.

Use :func:`start` in tests, ``python -m simulators.finance`` on the command line. Imports are
lazy so that ``python -m simulators.finance.chain verify DIR`` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from billing_core.clock import Clock
    from simulators.finance.app import create_app
    from simulators.finance.platform import Platform
    from simulators.finance.server import SimServer

__all__ = ["Platform", "SimServer", "create_app", "start"]


def __getattr__(name: str) -> Any:
    if name == "Platform":
        from simulators.finance.platform import Platform

        return Platform
    if name == "SimServer":
        from simulators.finance.server import SimServer

        return SimServer
    if name == "create_app":
        from simulators.finance.app import create_app

        return create_app
    raise AttributeError(name)


def start(data_dir: Path | str, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None) -> SimServer:
    """Create (or reopen) a simulator in ``data_dir`` and serve it; returns the running server."""
    from simulators.finance.app import create_app
    from simulators.finance.h_issue import start_batch_worker
    from simulators.finance.platform import Platform
    from simulators.finance.server import SimServer

    platform = Platform(Path(data_dir), clock)
    start_batch_worker(platform)
    server = SimServer(create_app(platform), host, port)
    return server.start()
