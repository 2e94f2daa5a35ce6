"""What every simulator's ``python -m simulators.<name>`` shares: its options and its life.

Each simulator is a separate outside system (they never import each other); this module is the
common shell around one: ``--host``, ``--port``, ``--data-dir``, warning-level logging, and
running until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Protocol


class Stoppable(Protocol):
    """A started simulator server."""

    def stop(self) -> None: ...


def parser(prog: str, description: str, port: int, data_dir: str) -> argparse.ArgumentParser:
    """The common options (a simulator adds its own before parsing)."""
    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=port)
    p.add_argument("--data-dir", default=data_dir)
    return p


def setup_logging() -> None:
    """Warnings and errors to stderr, with time and logger name."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve_until_signal(server: Stoppable) -> int:
    """Block until SIGINT or SIGTERM, then stop ``server``; the exit status (0)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0
