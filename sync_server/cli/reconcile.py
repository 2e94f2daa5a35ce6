"""``python -m sync_server reconcile``: the daily reconciliation by hand (exit 1 when not clean)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from billing_core.clock import date10
from sync_server.cli import common
from sync_server.reconcile.daily import run


def main(argv: list[str] | None = None) -> int:
    """``python -m sync_server reconcile --data-dir DIR [--finance-url URL] [--day yyyy-MM-dd]``."""
    parser = common.parser("reconcile", "电子票据对账：本地记录与财政平台逐开票点核对")
    parser.add_argument("--day", help="开票日期 yyyy-MM-dd，默认昨天")
    args = parser.parse_args(argv)
    ctx = common.context(args)
    try:
        day = args.day or date10(ctx.clock.now() - timedelta(days=1))
        report = run(ctx, day)
    finally:
        ctx.close()
    print(json.dumps({"day": day, "clean": report["clean"],
                      "file": str(Path(ctx.config.data_dir) / "reports" / f"reconcile-{day}.json")},
                     ensure_ascii=False))
    return 0 if report["clean"] else 1
