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
import secrets
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from billing_core.clock import Clock, SystemClock, ts17
from billing_core.errors import ValidationError
from sync_server.bills.catalog import import_items, read_csv
from sync_server.cli import backup, common
from sync_server.errors import RequestDataError, UnknownPlaceError
from sync_server.security.audit import Actor, audit, verify_chain
from sync_server.security.auth import ROLES, hash_password
from sync_server.security.permissions import KINDS
from sync_server.security.sessions import revoke_user
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.schema import billing_points, caller_points, callers, users

ADMIN = Actor("admin-cli")
#: Commands that change the database: each names its operator (``--operator``).
CHANGING = frozenset({"add-caller", "grant", "disable-caller", "add-user", "charge-items", "disable-user",
                      "reset-password", "rotate-key"})


def operator_actor(operator: str | None) -> Actor:
    """The audit actor of an admin action: the named person at the admin CLI, else ``admin-cli``."""
    name = (operator or "").strip()
    return Actor(name, terminal="admin-cli") if name else ADMIN
#: The clock of functions called without one (tests, tools); main() passes its context's.
_SYSTEM = SystemClock()


def _places(conn: Any, places: list[str]) -> list[str]:
    known = {r[0] for r in conn.execute(select(billing_points.c.place_code))}
    unknown = [p for p in places if p not in known]
    if unknown:
        raise UnknownPlaceError(f"开票点不存在：{'、'.join(unknown)}")
    return places


def add_caller(engine: Engine, appid: str, name: str, kind: str, places: list[str], *,
               clock: Clock = _SYSTEM, who: Actor = ADMIN) -> dict[str, Any]:
    """Register an HIS or terminal with a generated key; returns appid and key."""
    if kind not in KINDS:
        raise RequestDataError(f"kind必须是：{'、'.join(KINDS)}")
    key = secrets.token_hex(16)
    with write_tx(engine) as conn:
        _places(conn, places)
        cid = inserted_id(conn.execute(insert(callers).values(appid=appid, secret=key, name=name, kind=kind, enabled=1,
                                                  created_at=ts17(clock.now()))))
        for p in places:
            conn.execute(insert(caller_points).values(caller_id=cid, place_code=p))
        audit(conn, clock, who, "add_caller", "caller", appid, None,
              {"appid": appid, "kind": kind, "placeCodes": places})
    return {"appid": appid, "key": key, "kind": kind, "placeCodes": places}


def grant(engine: Engine, appid: str, places: list[str], *, clock: Clock = _SYSTEM,
          who: Actor = ADMIN) -> None:
    """Grant more billing points to a caller."""
    with write_tx(engine) as conn:
        _places(conn, places)
        cid = conn.execute(select(callers.c.id).where(callers.c.appid == appid)).scalar()
        if cid is None:
            raise RequestDataError(f"调用方不存在：{appid}")
        have = {r[0] for r in conn.execute(select(caller_points.c.place_code).where(caller_points.c.caller_id == cid))}
        for p in places:
            if p not in have:
                conn.execute(insert(caller_points).values(caller_id=cid, place_code=p))
        audit(conn, clock, who, "grant", "caller", appid, {"placeCodes": sorted(have)},
              {"placeCodes": sorted(have | set(places))})


def disable_caller(engine: Engine, appid: str, *, clock: Clock = _SYSTEM, who: Actor = ADMIN) -> None:
    """Disable a caller (its requests are refused with E2003 from then on)."""
    with write_tx(engine) as conn:
        res = conn.execute(update(callers).where(callers.c.appid == appid).values(enabled=0))
        if not res.rowcount:
            raise RequestDataError(f"调用方不存在：{appid}")
        audit(conn, clock, who, "disable_caller", "caller", appid, {"enabled": 1}, {"enabled": 0})


def add_user(engine: Engine, username: str, name: str, role: str, *, clock: Clock = _SYSTEM,
             who: Actor = ADMIN) -> dict[str, str]:
    """Create a user with a generated password; returns the name and the password (shown once)."""
    if role not in ROLES:
        raise RequestDataError(f"角色必须是：{'、'.join(ROLES)}")
    password = secrets.token_urlsafe(12)
    with write_tx(engine) as conn:
        conn.execute(insert(users).values(username=username, display_name=name, role=role,
                                          password_hash=hash_password(password), enabled=1,
                                          created_at=ts17(clock.now())))
        audit(conn, clock, who, "add_user", "user", username, None, {"username": username, "role": role})
    return {"username": username, "password": password, "role": role}


def disable_user(engine: Engine, username: str, *, clock: Clock = _SYSTEM,
                 who: Actor = ADMIN) -> dict[str, Any]:
    """Disable a user: no more logins, and every live session ends now."""
    with write_tx(engine) as conn:
        res = conn.execute(update(users).where(users.c.username == username).values(enabled=0))
        if not res.rowcount:
            raise RequestDataError(f"用户不存在：{username}")
        revoked = revoke_user(conn, username)
        audit(conn, clock, who, "disable_user", "user", username, {"enabled": 1},
              {"enabled": 0, "revokedSessions": revoked})
    return {"username": username, "enabled": 0, "revokedSessions": revoked}


def reset_password(engine: Engine, username: str, *, clock: Clock = _SYSTEM,
                   who: Actor = ADMIN) -> dict[str, str]:
    """A generated one-time password (shown once); the user must change it at the next login and
    every live session ends now."""
    password = secrets.token_urlsafe(12)
    with write_tx(engine) as conn:
        res = conn.execute(update(users).where(users.c.username == username).values(
            password_hash=hash_password(password), password_changed_at=ts17(clock.now()), must_change=1))
        if not res.rowcount:
            raise RequestDataError(f"用户不存在：{username}")
        revoke_user(conn, username)
        audit(conn, clock, who, "reset_password", "user", username, None, {"mustChangePassword": True})
    return {"username": username, "password": password, "mustChangePassword": "1"}


def rotate_key(engine: Engine, appid: str, *, clock: Clock = _SYSTEM,
               who: Actor = ADMIN) -> dict[str, str]:
    """A new generated envelope key for a caller (shown once); the old key stops working as soon
    as the servers' caller caches refresh (a few seconds)."""
    key = secrets.token_hex(16)
    with write_tx(engine) as conn:
        res = conn.execute(update(callers).where(callers.c.appid == appid).values(secret=key))
        if not res.rowcount:
            raise RequestDataError(f"调用方不存在：{appid}")
        # the key itself never goes into the audit log
        audit(conn, clock, who, "rotate_key", "caller", appid, None, {"rotated": True})
    return {"appid": appid, "key": key}


def listing(engine: Engine) -> dict[str, Any]:
    """Callers (without keys) and users (without hashes)."""
    with read_tx(engine) as conn:
        grants: dict[int, list[str]] = {}
        for cid, p in conn.execute(select(caller_points.c.caller_id, caller_points.c.place_code)):
            grants.setdefault(cid, []).append(p)
        return {"callers": [{"appid": r["appid"], "name": r["name"], "kind": r["kind"], "enabled": r["enabled"],
                             "placeCodes": sorted(grants.get(r["id"], []))}
                            for r in conn.execute(select(callers)).mappings()],
                "users": [{"username": r["username"], "role": r["role"], "enabled": r["enabled"]}
                          for r in conn.execute(select(users)).mappings()]}


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

