"""gunicorn configuration for the sync server (``gunicorn -c python:sync_server.serving.gunicorn_conf``).

Settings come from the server's own configuration (file in ``SYNC_CONFIG`` + environment, see
sync_server.config): ``workers`` = ``processes``; the address from ``SYNC_BIND`` (default
127.0.0.1:8080 — behind the nginx proxy of deploy/nginx, never on a public interface). The hooks
are those of :mod:`sync_server.serving.hooks`.
"""

from __future__ import annotations

import os

from sync_server.config import load_config
from sync_server.serving.hooks import (  # noqa: F401  (gunicorn reads the hooks by name)
    on_starting,
    post_fork,
    pre_fork,
    settings,
    when_ready,
    worker_exit,
)

_cfg = load_config()
# bind, workers, worker_class, threads, keepalive, timeouts, ... (one list: hooks.settings)
globals().update(settings(os.environ.get("SYNC_BIND", "127.0.0.1:8080"), max(1, _cfg.processes),
                          int(os.environ.get("SYNC_THREADS", "8"))))
