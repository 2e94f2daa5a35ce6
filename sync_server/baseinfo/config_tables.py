"""The finance office's configuration tables (issue 18 §4): 业务科室 (departments), 复核人
(checkers), 常用交款人 (common payers), 项目分组 (charge-item groups).

Terminal api ``financeConfig``: ``{table, action, row?, code?}`` with ``table`` one of
``departments | checkers | commonPayers | itemGroups`` and ``action``

* ``list``    -> ``{rows: [...]}`` (every row, disabled ones too, by code);
* ``save``    ``row`` (wire names: code, name, payerType, items [{chargeCode, number}]): insert
  or update by code -> the row as stored;
* ``disable`` / ``enable`` ``code`` -> the row as stored.

A bad row is refused with E5972 naming the field, nothing written; every change writes its audit
row (entity: the table) in the same transaction.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update

from sync_server.baseinfo.errors import ConfigDataError
from sync_server.bills.catalog import charge_item_list
from sync_server.context import ServerContext
from sync_server.security.audit import Actor, audit
from sync_server.store.baseinfo_schema import CONFIG_TABLES
from sync_server.store.db import read_tx, write_tx

LABELS = {"departments": "业务科室", "checkers": "复核人", "commonPayers": "常用交款人", "itemGroups": "项目分组"}
_LIMITS = {"code": 50, "name": 100}


def _table(name: str) -> Table:
    table = CONFIG_TABLES.get(name)
    if table is None:
        raise ConfigDataError(f"table（基础资料表）必须是：{'、'.join(CONFIG_TABLES)}")
    return table


def _wire(name: str, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": row["code"], "name": row["name"], "enabled": str(row["enabled"])}
    if name == "commonPayers":
        out["payerType"] = row["payer_type"]
    if name == "itemGroups":
        out["items"] = json.loads(row["items_json"])
    return out


def _text(row: dict[str, Any], key: str, label: str) -> str:
    value = str(row.get(key) or "").strip()
    if not value:
        raise ConfigDataError(f"{key}（{label}）必填")
    limit = _LIMITS[key] if key in _LIMITS else 100
    if len(value) > limit:
        raise ConfigDataError(f"{key}（{label}）不能超过{limit}个字符")
    return value


def _items(ctx: ServerContext, raw: Any) -> str:
    if not isinstance(raw, list) or not raw:
        raise ConfigDataError("items（分组项目）必须是至少一项的列表：[{chargeCode, number}]")
    known = {i["chargeCode"] for i in charge_item_list(ctx.engine)}
    out = []
    for n, item in enumerate(raw):
        code = str(item.get("chargeCode") or "") if isinstance(item, dict) else ""
        if code not in known:
            raise ConfigDataError(f"items[{n}].chargeCode（收费项目编码）不在收费项目目录中：{code[:20]}")
        try:
            number = Decimal(str(item.get("number") or "1"))
        except InvalidOperation:
            raise ConfigDataError(f"items[{n}].number（数量）必须是数字") from None
        if not number.is_finite() or number <= 0 or number > 10000:
            raise ConfigDataError(f"items[{n}].number（数量）必须大于0且不超过10000")
        out.append({"chargeCode": code, "number": str(number)})
    return json.dumps(out, ensure_ascii=False)


def _values(ctx: ServerContext, name: str, row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise ConfigDataError("row（资料内容）必须是对象")
    values: dict[str, Any] = {"code": _text(row, "code", "编码"), "name": _text(row, "name", "名称")}
    if name == "commonPayers":
        payer_type = str(row.get("payerType") or "2")
        if payer_type not in ("1", "2"):
            raise ConfigDataError("payerType（交款人类型）必须是1（个人）或2（单位）")
        values["payer_type"] = payer_type
    if name == "itemGroups":
        values["items_json"] = _items(ctx, row.get("items"))
    return values


def _one(conn: Connection, table: Table, code: str) -> Any:
    return conn.execute(select(table).where(table.c.code == code)).mappings().first()


def handle(ctx: ServerContext, who: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """One ``financeConfig`` request (see the module docstring)."""
    name = str(data.get("table") or "")
    table = _table(name)
    action = str(data.get("action") or "list")
    if action == "list":
        with read_tx(ctx.engine) as conn:
            rows = conn.execute(select(table).order_by(table.c.code)).mappings().all()
        return {"table": name, "rows": [_wire(name, r) for r in rows]}
    if action == "save":
        values = _values(ctx, name, data.get("row"))
        with write_tx(ctx.engine) as conn:
            before = _one(conn, table, values["code"])
            if name == "checkers":  # a checker's name is what bills carry: one code per name
                other = conn.execute(select(table.c.code).where((table.c.name == values["name"])
                                                                & (table.c.code != values["code"]))).scalar()
                if other is not None:
                    raise ConfigDataError(f"name（名称）“{values['name']}”已登记为复核人{other}")
            if before is None:
                conn.execute(insert(table).values(values | {"enabled": 1}))
            else:
                conn.execute(update(table).where(table.c.code == values["code"]).values(values))
            after = _one(conn, table, values["code"])
            audit(conn, ctx.clock, who, f"save_{table.name}", table.name, values["code"],
                  _wire(name, before) if before is not None else None, _wire(name, after))
        return _wire(name, after)
    if action in ("disable", "enable"):
        code = str(data.get("code") or "")
        with write_tx(ctx.engine) as conn:
            before = _one(conn, table, code)
            if before is None:
                raise ConfigDataError(f"code（编码）不存在于{LABELS[name]}：{code[:50]}")
            flag = 1 if action == "enable" else 0
            conn.execute(update(table).where(table.c.code == code).values(enabled=flag))
            after = _one(conn, table, code)
            audit(conn, ctx.clock, who, f"{action}_{table.name}", table.name, code,
                  {"enabled": before["enabled"]}, {"enabled": flag})
        return _wire(name, after)
    raise ConfigDataError("action（操作）必须是：list、save、disable、enable")
