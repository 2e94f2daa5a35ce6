"""``python -m sync_server worker``: the outbox worker as its own process (server run with ``--worker none``)."""

from __future__ import annotations

import argparse
import logging
import signal

from sync_server.app import build_context
from sync_server.background.worker import Worker
from sync_server.config import load_config


def main(argv: list[str] | None = None) -> int:
    """``python -m sync_server worker``: deliver the outbox of a server's database."""
    parser = argparse.ArgumentParser(prog="python -m sync_server worker", description="同步服务器发件箱投递进程")
    parser.add_argument("--data-dir")
    parser.add_argument("--finance-url")
    parser.add_argument("--config", help="JSON 或 TOML 配置文件（与服务器相同）")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"data_dir": args.data_dir, "finance_url": args.finance_url}.items() if v}
    ctx = build_context(load_config(overrides, path=args.config))
    signal.signal(signal.SIGTERM, lambda *_: ctx.stop.set())
    logging.basicConfig(level=logging.INFO)
    try:
        Worker(ctx).run()
    except KeyboardInterrupt:
        ctx.stop.set()
    return 0
