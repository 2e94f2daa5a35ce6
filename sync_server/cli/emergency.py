"""``python -m sync_server emergency --data-dir DIR [--finance-url URL] <command>``.

Finance/IT commands for terminals' emergency mode, working on the server's database (a running
server sees the changes at once; SQLite WAL or PostgreSQL by DATABASE_URL):

* ``revoke TERMINAL --reason R --operator O`` — revoke a lost terminal's blocks;
* ``report --day yyyy-MM-dd [--terminal T] [--no-platform]`` — 应急开票数据结转报告 with the diff
  against the platform (exit 1 when not clean);
* ``alarms`` — evaluate every terminal and list the open alarms (overdue, low stock, silent);
* ``set NAME VALUE`` — ``terminal_upload_deadline_hours`` or ``terminal_low_stock``.

Output is one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from billing_core.errors import BillingError
from sync_server.cli import common
from sync_server.emergency import carry_report, terminal_stock, terminal_watch


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = common.parser("emergency", "终端应急开票管理")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rv = sub.add_parser("revoke", help="收回丢失终端的应急号段")
    rv.add_argument("terminal")
    rv.add_argument("--reason", required=True)
    rv.add_argument("--operator", required=True)
    rp = sub.add_parser("report", help="应急开票数据结转报告")
    rp.add_argument("--day", required=True)
    rp.add_argument("--terminal")
    rp.add_argument("--no-platform", action="store_true")
    sub.add_parser("alarms", help="终端应急告警")
    st = sub.add_parser("set", help="设置阈值")
    st.add_argument("name", choices=sorted(terminal_watch.DEFAULTS))
    st.add_argument("value")
    args = parser.parse_args(argv)
    ctx = common.context(args)
    code = 0
    out: Any
    try:
        if args.cmd == "revoke":
            out = {"revoked": terminal_stock.revoke(ctx, args.terminal, args.reason, args.operator)}
        elif args.cmd == "report":
            out = carry_report.build(ctx, args.day, args.terminal, platform=not args.no_platform)
            code = 0 if out["clean"] else 1
        elif args.cmd == "alarms":
            out = {"alarms": [{k: a[k] for k in ("terminal_id", "kind", "code", "message", "raised_at")}
                              for a in terminal_watch.scan(ctx)]}
        else:
            terminal_watch.set_setting(ctx, args.name, args.value)
            out = {args.name: args.value}
    except BillingError as exc:
        print(json.dumps({"error": exc.code, "message": exc.message}, ensure_ascii=False))
        return 2
    except ValueError as exc:
        print(json.dumps({"error": "value", "message": f"参数不正确：{exc}"}, ensure_ascii=False), file=sys.stderr)
        return 2
    finally:
        ctx.close()
    print(json.dumps(out, ensure_ascii=False))
    return code

