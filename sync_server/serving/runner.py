"""``python -m sync_server serve --processes N`` on Linux: gunicorn run from inside the CLI.

The master keeps the configuration the CLI built (command-line overrides included); each worker
builds its app from it after the fork, with the outbox worker only in slot 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from sync_server.app import create_app
from sync_server.config import ServerConfig
from sync_server.serving import hooks


class ServerApplication(BaseApplication):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn with the server's hooks and settings, serving :func:`create_app` per worker."""

    def __init__(self, cfg: ServerConfig, options: dict[str, Any]) -> None:
        self.sync_config = cfg
        self.sync_slot = 0
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name in ("on_starting", "pre_fork", "post_fork", "when_ready", "worker_exit"):
            self.cfg.set(name, getattr(hooks, name))
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        worker = self.sync_config.worker if self.sync_slot == 0 else "none"
        return create_app(dataclasses.replace(self.sync_config, worker=worker))


def run(cfg: ServerConfig, host: str, port: int, processes: int, threads: int) -> int:
    """Serve ``processes`` gunicorn workers on host:port until SIGTERM/SIGINT; gunicorn's exit code
    (it stops, exit 1, when workers fail to boot instead of restarting them for ever)."""
    options = hooks.settings(f"{host}:{port}", processes, threads)
    try:
        ServerApplication(cfg, options).run()
    except SystemExit as stop:
        return int(stop.code or 0)
    return 0
