"""``python -m sync_server worker``: the outbox worker as its own process (server run with ``--worker none``)."""

from __future__ import annotations

import logging
import signal

from sync_server.background.worker import Worker
from sync_server.cli import common
from sync_server.connectors.masking import install_log_masking


def main(argv: list[str] | None = None) -> int:
    """``python -m sync_server worker``: deliver the outbox of a server's database."""
    parser = common.parser("worker", "同步服务器发件箱投递进程")
    args = parser.parse_args(argv)
    ctx = common.context(args)
    signal.signal(signal.SIGTERM, lambda *_: ctx.stop.set())
    logging.basicConfig(level=logging.INFO)
    install_log_masking()  # no ID, phone or insurance number in any log line (issue 14)
    try:
        Worker(ctx).run()  # in this thread; the carry pool and batches in threads of ctx.threads
    except KeyboardInterrupt:
        ctx.stop.set()
    finally:
        ctx.close()  # joins the carry pool and batch threads, then releases the liveness lock
    return 0
