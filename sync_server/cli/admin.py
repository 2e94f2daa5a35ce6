"""Administration from the server's shell: callers (HIS, terminals), users and the charge-item catalog.

``python -m sync_server admin [--data-dir DIR] add-caller --appid HIS03 --name 体检系统 --kind his --places 004``
``python -m sync_server admin add-user --username cashier02 --name 收费员二 --role cashier``
``python -m sync_server admin grant --appid HIS03 --places 001,002`` / ``disable-caller --appid HIS03``
``python -m sync_server admin disable-user --username cashier02`` (its sessions end at once)
``python -m sync_server admin reset-password --username cashier02`` (one-time password, must change at next login)
``python -m sync_server admin rotate-key --appid HIS03`` (the new key is printed once; the old one stops working)
``python -m sync_server admin list``
``python -m sync_server admin charge-items catalog.csv`` (收费项目目录: chargeCode,chargeName,unit,std,initials)
``python -m sync_server admin audit verify`` (exit 1 and the first broken row when the chain is broken)
``python -m sync_server admin backup | restore | restore-report`` (sync_server.cli.backup)

Keys and passwords are generated (never chosen by hand, DESIGN.md §3: no weak passwords) and
printed once; every change writes its audit row. Changing commands require ``--operator NAME``
(the person at the keyboard, issue 14): the audit row's actor is that name and its terminal
``admin-cli``; called as functions without an operator the actor is ``admin-cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from billing_core.errors import ValidationError
from sync_server.bills.catalog import import_items, read_csv
from sync_server.cli import backup, common
from sync_server.security.accounts import (  # noqa: F401  (the functions the CLI and its tests call)
    ADMIN,
    add_caller,
    add_user,
    disable_caller,
    disable_user,
    grant,
    listing,
    reset_password,
    rotate_key,
)
from sync_server.security.audit import Actor, verify_chain
from sync_server.security.auth import ROLES
from sync_server.security.permissions import KINDS
from sync_server.store.db import read_tx

#: Commands that change the database: each names its operator (``--operator``).
CHANGING = frozenset({"add-caller", "grant", "disable-caller", "add-user", "charge-items", "disable-user",
                      "reset-password", "rotate-key"})


def operator_actor(operator: str | None) -> Actor:
    """The audit actor of an admin action: the named person at the admin CLI, else ``admin-cli``."""
    name = (operator or "").strip()
    return Actor(name, terminal="admin-cli") if name else ADMIN
def main(argv: list[str] | None = None) -> int:
    """The admin CLI."""
    # backup / restore live in their own module (they must not build a context before a restore)
    if any(arg in backup.COMMANDS for arg in (argv or sys.argv[1:])[:5]):
        return backup.main(list(argv or sys.argv[1:]))

    ap = common.parser("admin", "同步服务器调用方与用户管理")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("add-caller")
    c.add_argument("--appid", required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--kind", choices=KINDS, required=True)
    c.add_argument("--places", required=True, help="逗号分隔的开票点编码")
    g = sub.add_parser("grant")
    g.add_argument("--appid", required=True)
    g.add_argument("--places", required=True)
    d = sub.add_parser("disable-caller")
    d.add_argument("--appid", required=True)
    u = sub.add_parser("add-user")
    u.add_argument("--username", required=True)
    u.add_argument("--name", required=True)
    u.add_argument("--role", choices=ROLES, required=True)
    du = sub.add_parser("disable-user", help="停用用户（其登录会话立即失效）")
    du.add_argument("--username", required=True)
    rp = sub.add_parser("reset-password", help="重置密码（打印一次性密码，下次登录须修改）")
    rp.add_argument("--username", required=True)
    rk = sub.add_parser("rotate-key", help="更换调用方密钥（新密钥只打印一次）")
    rk.add_argument("--appid", required=True)
    ci = sub.add_parser("charge-items", help="导入收费项目目录（CSV：chargeCode,chargeName,unit,std,initials）")
    ci.add_argument("csv", help="UTF-8 CSV 文件")
    sub.add_parser("list")
    au = sub.add_parser("audit", help="审计日志")
    au.add_argument("action", choices=("verify",), help="verify：校验 SM3 哈希链")
    for p in (c, g, d, u, du, rp, rk, ci):
        p.add_argument("--operator", default=argparse.SUPPRESS, help="操作人姓名（修改类命令必填，记入审计日志）")
    ap.add_argument("--operator", default=None, help="操作人姓名（修改类命令必填，记入审计日志）")
    args = ap.parse_args(argv)
    if args.cmd in CHANGING and not (args.operator or "").strip():
        ap.error(f"{args.cmd} 会修改数据，必须用 --operator 姓名 注明操作人（记入审计日志）")
    who = operator_actor(args.operator)
    ctx = common.context(args)
    engine, clock = ctx.engine, ctx.clock
    try:
        if args.cmd == "add-caller":
            out: Any = add_caller(engine, args.appid, args.name, args.kind, args.places.split(","),
                                  clock=clock, who=who)
        elif args.cmd == "grant":
            grant(engine, args.appid, args.places.split(","), clock=clock, who=who)
            out = {"ok": True}
        elif args.cmd == "disable-caller":
            disable_caller(engine, args.appid, clock=clock, who=who)
            out = {"ok": True}
        elif args.cmd == "add-user":
            out = add_user(engine, args.username, args.name, args.role, clock=clock, who=who)
        elif args.cmd == "disable-user":
            out = disable_user(engine, args.username, clock=clock, who=who)
        elif args.cmd == "reset-password":
            out = reset_password(engine, args.username, clock=clock, who=who)
        elif args.cmd == "rotate-key":
            out = rotate_key(engine, args.appid, clock=clock, who=who)
        elif args.cmd == "charge-items":
            try:
                out = {"imported": import_items(engine, clock, who, read_csv(Path(args.csv)))}
            except ValidationError as err:
                print(json.dumps({"code": err.code, "issues": [i.as_dict() for i in err.issues]},
                                 ensure_ascii=False, indent=2))
                return 2
        elif args.cmd == "audit":
            with read_tx(engine) as conn:
                report = verify_chain(conn)
            if not report.ok:
                print(json.dumps({"ok": False, "rows": report.rows, "brokenId": report.broken_id,
                                  "reason": report.reason}, ensure_ascii=False, indent=2))
                print(f"审计日志哈希链断裂：第一处在 audit_log id={report.broken_id}（{report.reason}）",
                      file=sys.stderr)
                return 1
            out = {"ok": True, "rows": report.rows}
        else:
            out = listing(engine)
    finally:
        ctx.close()
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0

