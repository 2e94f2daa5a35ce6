"""What is pushed to terminals, per scene (billing_core.terminal_params), and its delivery.

Rows of ``terminal_settings`` (store/admin_schema.py) named ``functions.<scene>``,
``params.<scene>``, ``upgrade.<scene>``. Every write checks the value with the shared rules,
takes the next version of one counter shared by all rows, and is audited with before and after
in the same transaction. A terminal's ``terminalConfig`` (heartbeat answer) is built from its
scene's rows; its version is their highest, so any change of the scene reaches the terminal as a
new version at its next heartbeat.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from billing_core import terminal_params as tp
from billing_core.clock import Clock, ts17
from billing_core.envelope import dumps
from sync_server.security.audit import Actor, audit
from sync_server.store.admin_schema import terminal_settings
from sync_server.store.db import read_tx, write_tx

KINDS = ("functions", "params", "upgrade")


def _scene(scene: str) -> str:
    if scene not in tp.SCENES:
        raise tp.TerminalParamError(f"未知的终端场景：{scene}", code="E5104")
    return scene


def read_scene(conn: Connection, scene: str) -> dict[str, Any]:
    """``{functions (None = all), params, upgrade, version}`` of a scene as stored."""
    rows = {r["name"]: r for r in conn.execute(select(terminal_settings).where(
        terminal_settings.c.name.in_([f"{k}.{_scene(scene)}" for k in KINDS]))).mappings()}

    def value(kind: str, default: Any) -> Any:
        row = rows.get(f"{kind}.{scene}")
        return default if row is None else json.loads(row["value_json"])

    return {"functions": value("functions", None), "params": value("params", {}), "upgrade": value("upgrade", {}),
            "version": max((int(r["version"]) for r in rows.values()), default=0),
            "updated": {name.split(".")[0]: (r["updated_at"], r["updated_by"]) for name, r in rows.items()}}


def _write(engine: Engine, clock: Clock, who: Actor, name: str, value: Any) -> int:
    with write_tx(engine) as conn:
        before = conn.execute(select(terminal_settings.c.value_json).where(terminal_settings.c.name == name)).scalar()
        version = int(conn.execute(select(func.coalesce(func.max(terminal_settings.c.version), 0))).scalar_one()) + 1
        row = {"value_json": dumps(value), "version": version, "updated_at": ts17(clock.now()),
               "updated_by": who.actor[:64]}
        if before is None:
            conn.execute(insert(terminal_settings).values(name=name, **row))
        elif conn.execute(update(terminal_settings).where(terminal_settings.c.name == name).values(**row)).rowcount != 1:
            raise RuntimeError(f"terminal setting {name} vanished")  # not reached: the row was read above
        audit(conn, clock, who, "terminal_setting", "terminal_setting", name,
              None if before is None else json.loads(before), {"value": value, "version": version})
    return version


def set_functions(engine: Engine, clock: Clock, who: Actor, scene: str, names: list[str]) -> int:
    """Allow exactly ``names`` in the scene; the new version."""
    return _write(engine, clock, who, f"functions.{_scene(scene)}", tp.check_functions(scene, names))


def set_params(engine: Engine, clock: Clock, who: Actor, scene: str, raw: dict[str, Any]) -> int:
    """Replace the scene's pushed parameters (checked by billing_core.terminal_params); the new version."""
    return _write(engine, clock, who, f"params.{_scene(scene)}", tp.check_params(raw))


def set_upgrade(engine: Engine, clock: Clock, who: Actor, scene: str, raw: dict[str, Any]) -> int:
    """Offer ``{version, url, sha256}`` to the scene's terminals (all empty = none); the new version."""
    return _write(engine, clock, who, f"upgrade.{_scene(scene)}", tp.check_upgrade(raw))


def delivery_for(engine: Engine, caller_kind: str) -> dict[str, Any] | None:
    """The ``terminalConfig`` of a heartbeat answer for a caller of this kind (None: not a terminal)."""
    scene = tp.SCENE_OF_KIND.get(caller_kind)
    if scene is None:
        return None
    with read_tx(engine) as conn:
        stored = read_scene(conn, scene)
    return tp.delivery(stored["version"], scene, stored["functions"], stored["params"], stored["upgrade"])
