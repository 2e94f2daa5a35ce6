"""First-start seeding: billing points, demo callers, users with random passwords, demo.json.

Runs once per database (a ``seeded`` setting records it). Passwords are random on every new
installation and written only to the data dir (``first_run_passwords.txt`` and ``demo.json``,
mode 0600): no default password exists in a real deployment (DESIGN.md §3).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from billing_core.clock import ts17
from sync_server.bills.catalog import DEMO_ITEMS, upsert_items
from sync_server.context import ServerContext
from sync_server.security.audit import SERVER, audit
from sync_server.security.auth import hash_password
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.schema import billing_points, caller_points, callers, settings, users

POINT_NAMES = {"001": "门诊收费处", "002": "住院收费处", "003": "挂号处", "004": "体检中心", "005": "自助机"}
USERS = (("cashier01", "收费员", "cashier"), ("finance01", "财务人员", "finance"),
         ("nurse01", "病区护士", "ward_nurse"), ("admin01", "系统管理员", "admin"), ("it01", "信息科", "it"))


def _callers(points: tuple[str, ...]) -> list[dict[str, Any]]:
    first = points[0]
    return [
        {"appid": "HIS01", "name": "院内HIS", "kind": "his", "placeCodes": list(points[:-1]) or [first]},
        {"appid": "HIS02", "name": "自助机HIS接口", "kind": "his", "placeCodes": [points[-1]]},
        {"appid": "TERM01", "name": "门诊收费窗口终端", "kind": "terminal", "placeCodes": [first]},
        {"appid": "KIOSK01", "name": "自助机终端", "kind": "terminal", "placeCodes": [points[-1]]},
    ]


def seed(ctx: ServerContext) -> bool:
    """Seed a new database; returns True when it did (first start)."""
    with read_tx(ctx.engine) as conn:
        if conn.execute(select(settings.c.value).where(settings.c.name == "seeded")).first():
            return False
    cfg = ctx.config
    now = ts17(ctx.clock.now())
    demo: dict[str, Any] = {"callers": [], "placeCodes": list(cfg.place_codes), "users": []}
    with write_tx(ctx.engine) as conn:
        for code in cfg.place_codes:
            conn.execute(insert(billing_points).values(place_code=code, name=POINT_NAMES.get(code, f"开票点{code}"),
                                                       enabled=1))
            audit(conn, ctx.clock, SERVER, "seed", "billing_point", code, None, {"place_code": code})
        for c in _callers(cfg.place_codes):
            key = secrets.token_hex(16)
            cid = inserted_id(conn.execute(insert(callers).values(appid=c["appid"], secret=key, name=c["name"], kind=c["kind"],
                                                      enabled=1, created_at=now)))
            for p in c["placeCodes"]:
                conn.execute(insert(caller_points).values(caller_id=cid, place_code=p))
            audit(conn, ctx.clock, SERVER, "seed", "caller", c["appid"], None,
                  {"appid": c["appid"], "kind": c["kind"], "placeCodes": c["placeCodes"]})
            demo["callers"].append({"appid": c["appid"], "key": key, "name": c["name"], "kind": c["kind"],
                                    "placeCodes": c["placeCodes"]})
        for username, display, role in USERS:
            password = secrets.token_urlsafe(12)
            conn.execute(insert(users).values(username=username, display_name=display, role=role,
                                              password_hash=hash_password(password), enabled=1, created_at=now))
            audit(conn, ctx.clock, SERVER, "seed", "user", username, None, {"username": username, "role": role})
            demo["users"].append({"username": username, "password": password, "role": role})
        upsert_items(conn, ctx.clock, SERVER, [dict(zip(("chargeCode", "chargeName", "unit", "std", "initials"), item,
                                                        strict=True)) for item in DEMO_ITEMS])
        conn.execute(insert(settings).values(name="seeded", value=now))
        conn.execute(insert(settings).values(name="demo_json", value=json.dumps(demo, ensure_ascii=False)))
    write_demo_files(Path(cfg.data_dir), demo)
    return True


def write_demo_files(data_dir: Path, demo: dict[str, Any]) -> None:
    """Write demo.json (the simulator's shape plus users) and the first-run password list."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (("demo.json", json.dumps(demo, ensure_ascii=False, indent=2)),
                       ("first_run_passwords.txt", "\n".join(f"{u['role']}\t{u['username']}\t{u['password']}"
                                                             for u in demo["users"]) + "\n")):
        path = data_dir / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)


def ensure_demo_json(ctx: ServerContext) -> None:
    """Rewrite demo.json from the store if the data dir lost it (e.g. PostgreSQL + fresh dir)."""
    path = Path(ctx.config.data_dir) / "demo.json"
    if path.exists():
        return
    with read_tx(ctx.engine) as conn:
        row = conn.execute(select(settings.c.value).where(settings.c.name == "demo_json")).first()
    if row:
        write_demo_files(Path(ctx.config.data_dir), json.loads(row[0]))
