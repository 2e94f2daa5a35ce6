"""The charge-item catalog (收费项目目录): stored on the server, handed to terminals in ``catalog``.

Windows look items up by code, pinyin initials or name; terminals cache the catalog for
emergency issuing (应急开票基础信息). Hospitals load their own catalog with
``python -m sync_server admin charge-items FILE.csv``; a new demo installation is seeded with
:data:`DEMO_ITEMS`. Every change is validated first (all rows, every problem at once, nothing
written when any row is bad) and written with its audit row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, select, update
from sqlalchemy.dialects import postgresql, sqlite

from billing_core.clock import Clock
from billing_core.errors import BillingError, ValidationError, ValidationIssue
from billing_core.money import parse_amount
from sync_server.security.audit import Actor, audit
from sync_server.store.catalog_schema import charge_items
from sync_server.store.db import read_tx, write_tx

#: code, name, unit, standard price, pinyin initials — the demo hospital's catalog.
DEMO_ITEMS: tuple[tuple[str, str, str, str, str], ...] = (
    ("101", "挂号费", "次", "1.00", "GHF"), ("102", "诊查费", "次", "10.00", "ZCF"),
    ("201", "西药费", "项", "0.00", "XYF"), ("202", "中成药费", "项", "0.00", "ZCYF"),
    ("203", "中草药费", "项", "0.00", "ZCYF"), ("301", "化验费", "项", "25.00", "HYF"),
    ("302", "检查费", "项", "80.00", "JCF"), ("303", "放射费", "项", "120.00", "FSF"),
    ("401", "治疗费", "项", "30.00", "ZLF"), ("402", "手术费", "项", "500.00", "SSF"),
    ("403", "卫生材料费", "项", "0.00", "WSCLF"), ("501", "床位费", "日", "40.00", "CWF"),
    ("502", "护理费", "日", "20.00", "HLF"), ("601", "体检费", "次", "200.00", "TJF"),
    ("901", "往来款", "笔", "0.00", "WLK"), ("902", "捐赠款", "笔", "0.00", "JZK"),
)
_LIMITS = {"chargeCode": ("收费项目编码", 50), "chargeName": ("收费项目名称", 100), "unit": ("单位", 20),
           "initials": ("拼音首字母", 20)}


def check_items(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validate catalog rows (``chargeCode, chargeName, unit, std, initials``); every problem at once.

    :raises ValidationError: with one issue per bad field, paths like ``chargeItems[3].std``.
    """
    issues: list[ValidationIssue] = []
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        path = f"chargeItems[{i}]"
        item: dict[str, Any] = {}
        for key, (label, size) in _LIMITS.items():
            value = str(row.get(key) or "").strip()
            if not value and key in ("chargeCode", "chargeName"):
                issues.append(ValidationIssue("E1001", f"{path}.{key}", f"{key}（{label}）为必填项"))
            elif len(value) > size:
                issues.append(ValidationIssue("E1002", f"{path}.{key}", f"{key}（{label}）超过{size}个字符"))
            item[key] = value
        try:
            item["std"] = parse_amount(row.get("std") or "0", field="std（标准单价）")
        except BillingError as err:
            issues.append(ValidationIssue(err.code, f"{path}.std", err.message))
        code = item["chargeCode"]
        if code and code in seen:
            issues.append(ValidationIssue("E1001", f"{path}.chargeCode", f"chargeCode（收费项目编码）{code}重复"))
        seen.add(code)
        clean.append(item)
    if issues:
        raise ValidationError(issues)
    return clean


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a catalog CSV with the header ``chargeCode,chargeName,unit,std,initials`` (UTF-8)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def upsert_items(conn: Connection, clock: Clock, who: Actor, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert or update validated items in the caller's transaction, one audit row each."""
    insert_for = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    count = 0
    for item in check_items(rows):
        values = {"charge_code": item["chargeCode"], "name": item["chargeName"], "unit": item["unit"] or "项",
                  "std": item["std"], "initials": item["initials"].upper(), "enabled": 1}
        before = conn.execute(select(charge_items).where(charge_items.c.charge_code == values["charge_code"])
                              ).mappings().first()
        if before is None:
            conn.execute(insert_for(charge_items).values(**values))
        else:
            conn.execute(update(charge_items).where(charge_items.c.charge_code == values["charge_code"])
                         .values(**values))
        audit(conn, clock, who, "upsert_charge_item", "charge_item", values["charge_code"],
              _public(before) if before else None, _public(values))
        count += 1
    return count


def import_items(engine: Engine, clock: Clock, who: Actor, rows: Iterable[Mapping[str, Any]]) -> int:
    """Validate every row, then write them all in one transaction (nothing written on a bad row)."""
    clean = check_items(rows)
    with write_tx(engine) as conn:
        return upsert_items(conn, clock, who, clean)


def charge_item_list(engine: Engine) -> list[dict[str, str]]:
    """The enabled items in the shape terminals cache (``chargeItems`` of ``catalog``)."""
    with read_tx(engine) as conn:
        rows = conn.execute(select(charge_items).where(charge_items.c.enabled == 1)
                            .order_by(charge_items.c.charge_code)).mappings().all()
    return [{"chargeCode": r["charge_code"], "chargeName": r["name"], "unit": r["unit"],
             "std": f"{Decimal(r['std']):.2f}", "initials": r["initials"]} for r in rows]


def _public(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in row.items()}
