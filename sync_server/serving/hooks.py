"""gunicorn server hooks: migrate once, one outbox worker (slot 0), close the context on exit.

gunicorn calls these in the master (``on_starting``, ``pre_fork``, ``when_ready``) and in each
worker (``post_fork``, ``worker_exit``). The slot is the lowest number no live worker holds, so a
restarted slot-0 worker runs the outbox worker again and no two workers ever run it at once.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from typing import Any

from sync_server.app import prepare
from sync_server.config import ServerConfig, load_config

log = logging.getLogger(__name__)
#: Environment variable naming a worker's slot (set in the worker by ``post_fork``).
SLOT_ENV = "SYNC_SERVER_SLOT"


def settings(bind: str, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn settings of the server (the config module and the CLI's runner share them)."""
    return {
        "bind": [bind],
        "workers": workers,
        "worker_class": "gthread",
        # few threads per process: the GIL and SQLite's single writer make more slower (BENCHMARKS.md)
        "threads": threads,
        # HIS and terminals keep their connections, and so does the nginx proxy in front
        "keepalive": 60,
        # the app is built in each worker after the fork: engine, liveness lock, threads per process
        "preload_app": False,
        # ServerContext.close() joins the server's threads within the 10 s before SIGKILL
        "graceful_timeout": 10,
        "timeout": 60,
        "backlog": 2048,
        "proc_name": "sync_server",
        # X-Forwarded-* are trusted from the reverse proxy on this host only
        "forwarded_allow_ips": "127.0.0.1,::1",
    }


def server_config(server: Any) -> ServerConfig:
    """The configuration of this gunicorn master: the one ``python -m sync_server serve`` built
    (:class:`sync_server.serving.runner.ServerApplication`), else file + environment."""
    cfg = getattr(server.app, "sync_config", None)
    return cfg if isinstance(cfg, ServerConfig) else load_config()


def slot_overrides(cfg_worker: str) -> dict[str, str]:
    """Config overrides of this worker process: only slot 0 keeps the outbox worker thread."""
    slot = int(os.environ.get(SLOT_ENV, "0"))
    return {"worker": cfg_worker if slot == 0 else "none"}


def on_starting(server: Any) -> None:
    """Master, before the port opens: migrations and first-start seeding, once for all workers
    (an open port then means the schema and demo.json exist)."""
    prepare(server_config(server))


def pre_fork(server: Any, worker: Any) -> None:
    """Master: give the new worker the lowest slot no live worker holds."""
    taken = {getattr(w, "sync_slot", None) for w in server.WORKERS.values()}
    worker.sync_slot = next(slot for slot in range(len(taken) + 1) if slot not in taken)


def post_fork(server: Any, worker: Any) -> None:
    """Worker: record the slot for the app factory; die with the master even when it is SIGKILLed."""
    os.environ[SLOT_ENV] = str(worker.sync_slot)
    server.app.sync_slot = worker.sync_slot
    if sys.platform.startswith("linux"):
        # gunicorn's workers notice a dead master only at their next loop turn; the kernel's
        # parent-death signal stops them at once, so the port frees for a restart.
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != server.pid:
        os._exit(0)  # the master died before the request above took effect


def when_ready(server: Any) -> None:
    """Master, port open: say how many processes serve it."""
    print(f"服务进程: {server.num_workers} 个 gunicorn 工作进程（共用 {', '.join(map(str, server.LISTENERS))}）",
          flush=True)


def worker_exit(server: Any, worker: Any) -> None:
    """Worker, on its way out (SIGTERM, max requests): stop and join the server's threads, drop
    the liveness lock, close the pools."""
    app = getattr(worker, "wsgi", None)
    extensions = getattr(app, "extensions", None)
    if extensions and "sync_server" in extensions:
        extensions["sync_server"].close()
