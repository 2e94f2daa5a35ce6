"""``python -m sync_server admin backup | restore | restore-report`` (docs/OPERATIONS.md).

``admin backup [--dir DIR] [--keep N]``     one backup folder under DIR (default DATA_DIR/backups);
                                            keeps the newest N (default 14); prints its path
``admin restore FOLDER --operator NAME``    put a backup back (every server stopped first); the
                                            next start retires the restored emergency blocks and
                                            reconciles them with the platform
``admin restore-report``                    what that reconciliation found (retired blocks, conflicts)

Scheduled backups: deploy/systemd/sync-server-backup.timer runs ``admin backup`` nightly.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from billing_core.errors import BillingError
from sync_server.app import build_context
from sync_server.backup import after_restore
from sync_server.backup.archive import make_backup, prune, restore_backup
from sync_server.cli import common
from sync_server.config import load_config
from sync_server.security.audit import Actor

COMMANDS = ("backup", "restore", "restore-report")


def main(argv: list[str]) -> int:
    """Run one of :data:`COMMANDS`; 0 on success, 1 with the code and message on failure."""
    ap = common.parser("admin", "同步服务器备份与恢复")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("backup", help="备份数据库（SQLite 在线备份；PostgreSQL 用 pg_dump）")
    b.add_argument("--dir", default=None, help="备份目录（默认 数据目录/backups）")
    b.add_argument("--keep", type=int, default=14, help="保留最近 N 份（默认 14）")
    r = sub.add_parser("restore", help="从备份恢复（须先停止全部同步服务器）")
    r.add_argument("folder", help="备份目录 sync_server-<时间>")
    r.add_argument("--operator", required=True, help="操作人姓名（记入审计日志）")
    sub.add_parser("restore-report", help="恢复后首次启动的库存核对结果")
    args = ap.parse_args(argv)
    overrides = {k: v for k, v in {"data_dir": args.data_dir, "finance_url": args.finance_url}.items() if v}
    cfg = load_config(overrides, path=args.config)
    try:
        if args.cmd == "backup":
            dest = Path(args.dir) if args.dir else Path(cfg.data_dir) / "backups"
            folder = make_backup(cfg, dest)
            out: Any = {"backup": str(folder), "removed": [str(p) for p in prune(dest, args.keep)]}
        elif args.cmd == "restore":
            manifest = restore_backup(cfg, Path(args.folder))
            ctx = build_context(cfg)  # migrates an older backup forward; no server runs now
            try:
                after_restore.mark_restored(ctx, manifest, Actor(args.operator.strip() or "admin-cli",
                                                                 terminal="admin-cli"))
            finally:
                ctx.close()
            out = {"restored": str(args.folder), "manifest": manifest,
                   "next": "启动同步服务器：首次启动将作废恢复前的应急号段并与财政平台核对（admin restore-report 查看）"}
        else:
            ctx = common.context(args)
            try:
                out = after_restore.last_report(ctx) or {"report": None}
            finally:
                ctx.close()
    except BillingError as err:
        print(json.dumps({"code": err.code, "message": err.message}, ensure_ascii=False), file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0
