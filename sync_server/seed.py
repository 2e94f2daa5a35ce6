"""Demo-mode seeding: billing points, demo callers, users with random passwords, demo.json.

Runs only in demo mode (``serve --demo`` / ``SYNC_DEMO=1``), once per database (a ``seeded``
setting records it). Passwords are random on every new installation and written only to the
data dir (``first_run_passwords.txt`` and ``demo.json``, mode 0600), never into the database,
which keeps their argon2 hashes alone (issue 14). A data dir that lost demo.json gets new demo
passwords (:func:`ensure_demo_json`).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from billing_core.clock import ts17
from sync_server.bills.catalog import DEMO_ITEMS, upsert_items
from sync_server.context import ServerContext
from sync_server.security.audit import SERVER, audit
from sync_server.security.auth import hash_password
from sync_server.store.db import inserted_id, read_tx, write_tx
from sync_server.store.files import secure_data_dir, write_private
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
        {"appid": "KIOSK01", "name": "自助服务点收费终端", "kind": "terminal", "placeCodes": [points[-1]]},
        # the patient self-service kiosk: acts as itself (no staff session), kind kiosk's method list
        {"appid": "SELF01", "name": "患者自助机", "kind": "kiosk", "placeCodes": [points[-1]]},
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
    write_demo_files(Path(cfg.data_dir), demo)
    return True


def write_demo_files(data_dir: Path, demo: dict[str, Any]) -> None:
    """Write demo.json (the simulator's shape plus users) and the first-run password list."""
    secure_data_dir(data_dir)
    for name, text in (("demo.json", json.dumps(demo, ensure_ascii=False, indent=2)),
                       ("first_run_passwords.txt", "\n".join(f"{u['role']}\t{u['username']}\t{u['password']}"
                                                             for u in demo["users"]) + "\n")):
        write_private(data_dir / name, text)


def ensure_demo_json(ctx: ServerContext) -> None:
    """Write demo.json again if the data dir lost it (e.g. PostgreSQL + a fresh data dir).

    The database holds no clear password, so the demo users get new random ones (their hashes
    replaced, audited); the demo callers' keys are the ones registered.
    """
    path = Path(ctx.config.data_dir) / "demo.json"
    if path.exists():
        return
    names = [u[0] for u in USERS]
    with write_tx(ctx.engine) as conn:
        if not conn.execute(select(settings.c.value).where(settings.c.name == "seeded")).first():
            return
        grants: dict[int, list[str]] = {}
        for cid, place in conn.execute(select(caller_points.c.caller_id, caller_points.c.place_code)):
            grants.setdefault(cid, []).append(place)
        demo: dict[str, Any] = {"placeCodes": list(ctx.config.place_codes),
                                "callers": [], "users": []}
        wanted = {c["appid"] for c in _callers(ctx.config.place_codes)}
        for r in conn.execute(select(callers).order_by(callers.c.id)).mappings():
            if r["appid"] in wanted:
                demo["callers"].append({"appid": r["appid"], "key": r["secret"], "name": r["name"], "kind": r["kind"],
                                        "placeCodes": sorted(grants.get(r["id"], []))})
        for r in conn.execute(select(users).where(users.c.username.in_(names)).order_by(users.c.id)).mappings():
            password = secrets.token_urlsafe(12)
            conn.execute(update(users).where(users.c.id == r["id"]).values(password_hash=hash_password(password)))
            audit(conn, ctx.clock, SERVER, "demo_password_reset", "user", r["username"], None,
                  {"username": r["username"]})
            demo["users"].append({"username": r["username"], "password": password, "role": r["role"]})
    write_demo_files(Path(ctx.config.data_dir), demo)
