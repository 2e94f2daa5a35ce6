"""财政基础信息 (issue 18 §4): our ``getBaseInfo`` extension (the vendor's HIS interface has no
base-information download; the bureau's console shows 单位信息 / 票据种类 / 收入项目, seed 000 §3).

``{kind}``:

* ``unit`` — the unit the calling account belongs to: ``[{code, name, parentCode, level}]``;
* ``billKind`` — every bill kind the unit holds stock of (from the stock table: e-bills, paper,
  prepayment vouchers): ``[{code, name, parentCode: "", medium}]`` (medium 1 electronic, 2 paper);
* ``incomeItem`` — the medical income items (收入项目) a bill's ``chargeCode`` must use:
  ``[{code, name, parentCode}]`` (the 医疗收费 items of the demo region).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from billing_core import methods
from simulators.finance import errors as E
from simulators.finance.errors import SimError
from simulators.finance.platform import CallCtx, Platform, method
from simulators.finance.store import P_BILL_CODE

UNIT = {"code": "440100001", "name": "演示市人民医院", "parentCode": "440100", "level": "三级甲等"}
INCOME_ITEMS = (
    ("001", "西药费"), ("002", "中成药费"), ("003", "检查费"), ("004", "化验费"), ("005", "治疗费"),
    ("006", "手术费"), ("007", "卫生材料费"), ("008", "诊察费"), ("009", "护理费"), ("010", "床位费"),
    ("011", "挂号费"), ("012", "体检费"), ("013", "中草药费"), ("099", "其他费"),
)
KINDS = ("unit", "billKind", "incomeItem")


@method(methods.GET_BASE_INFO, raw=True)
def base_info(p: Platform, ctx: CallCtx, db: sqlite3.Connection, data: dict[str, Any]) -> Any:
    """One kind of base information."""
    kind = str(data.get("kind") or "")
    if kind not in KINDS:
        raise SimError(E.BAD_REQUEST, f"kind必须是：{'、'.join(KINDS)}")
    if kind == "unit":
        rows: list[dict[str, str]] = [dict(UNIT)]
    elif kind == "billKind":
        rows = [{"code": code, "name": name, "parentCode": "", "medium": "2" if code == P_BILL_CODE else "1"}
                for code, name in db.execute("SELECT DISTINCT bill_code, bill_name FROM stock ORDER BY bill_code")]
    else:
        rows = [{"code": code, "name": name, "parentCode": ""} for code, name in INCOME_ITEMS]
    return {"kind": kind, "list": rows}
