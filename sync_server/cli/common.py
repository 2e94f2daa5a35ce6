"""What every server command shares: the options naming the server's data and platform, and
the server context built from them (the same configuration rules as the server itself)."""

from __future__ import annotations

import argparse

from sync_server.app import build_context
from sync_server.config import load_config
from sync_server.context import ServerContext


def parser(command: str, description: str) -> argparse.ArgumentParser:
    """An argument parser for ``python -m sync_server COMMAND`` with the shared options."""
    out = argparse.ArgumentParser(prog=f"python -m sync_server {command}", description=description)
    out.add_argument("--data-dir", help="服务器数据目录（与服务器相同）")
    out.add_argument("--finance-url", help="财政平台方法前缀")
    out.add_argument("--config", help="JSON 或 TOML 配置文件（与服务器相同）")
    return out


def context(args: argparse.Namespace) -> ServerContext:
    """The server context of the data dir / config the command line names."""
    overrides = {k: v for k, v in {"data_dir": args.data_dir, "finance_url": args.finance_url}.items() if v}
    overrides |= getattr(args, "extra_overrides", None) or {}
    return build_context(load_config(overrides, path=args.config))
