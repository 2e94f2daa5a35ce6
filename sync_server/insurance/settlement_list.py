"""The settlement list (医疗保障基金结算清单, 4101) of a settled settlement (issue 16 §1; seed 003
level 3).

The terminal sends what only the hospital knows — the bill's code and number, the business serial,
the settlement level, the diagnoses and the charge items — camelCase like every insurance API
field; the server adds what its record holds (``mdtrt_id``, ``setl_id``, ``psn_no``, the dates).
Checked before sending (E5610 naming the field, E5618 for the settlement): the settlement is
``settled`` and not listed yet, exactly one main diagnosis, the items add up to the settlement's
total. The platform's ``setl_list_id`` is kept on the row (one list per settlement).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_server.insurance import fields, records, state
from sync_server.insurance.errors import InsuranceRequestError, SettlementListError
from sync_server.insurance.scope import load as scoped
from sync_server.insurance.settle import Desk, audit_row
from sync_server.store.db import read_tx, write_tx

#: setlinfo fields the terminal must give (the rest of the node is optional or the server's).
REQUIRED = ("billCode", "billNo", "bizSn", "hiSetlLv")


def _rows(data: Mapping[str, Any], name: str, required: tuple[str, ...], *, optional: bool = False
          ) -> list[dict[str, Any]]:
    value = data.get(name)
    if value in (None, []) and optional:
        return []
    if not isinstance(value, list) or not value or not all(isinstance(r, Mapping) for r in value):
        raise InsuranceRequestError(f"{name}必须是非空列表")
    out = [fields.snake_keys(r) for r in value]
    for i, r in enumerate(out, 1):
        for field in required:
            if r.get(field) in (None, ""):
                raise InsuranceRequestError(f"{name}第{i}条的{field}必填")
    return out


def upload(desk: Desk, data: Mapping[str, Any]) -> dict[str, Any]:
    """4101 for ``settlementId``: the record + ``setlListId``."""
    sid = fields.settlement_id(data)
    given = data.get("setlinfo")
    head: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    setlinfo = {k: v for k, v in fields.snake_keys(head).items() if v not in (None, "")}
    for name in REQUIRED:
        if head.get(name) in (None, ""):
            raise InsuranceRequestError(f"setlinfo.{name}必填")
        setlinfo[fields.snake(name)] = fields.required(head, name, 50)
    diseinfo = _rows(data, "diseinfo", ("diag_type", "diag_code", "diag_name", "maindiag_flag"))
    if sum(1 for d in diseinfo if str(d.get("maindiag_flag")) == "1") != 1:
        raise InsuranceRequestError("diseinfo必须有且只有一条主诊断（maindiagFlag=1）")
    iteminfo = _rows(data, "iteminfo", ("med_chrgitm",))
    total = Decimal("0.00")
    for i, item in enumerate(iteminfo, 1):
        amt = fields.amount(item.get("amt"), f"iteminfo[{i}].amt")
        item["amt"] = str(amt)
        total += amt
    payinfo = _rows(data, "payinfo", ("fund_pay_type",), optional=True)
    for i, pay in enumerate(payinfo, 1):
        pay["fund_payamt"] = str(fields.amount(pay.get("fund_payamt"), f"payinfo[{i}].fundPayamt"))
    with read_tx(desk.ctx.engine) as conn:
        row = scoped(conn, sid, desk.scope)
    if row["state"] != state.SETTLED:
        raise SettlementListError(f"医保结算{sid}处于{state.STATE_NAMES[row['state']]}，只有有效结算才能上传结算清单")
    if row["setl_list_id"]:
        raise SettlementListError(f"医保结算{sid}的结算清单已上传（{row['setl_list_id']}）")
    if total != row["medfee_sumamt"]:
        raise SettlementListError(f"iteminfo金额合计{total}与结算医疗费总额{row['medfee_sumamt']}不符")
    day = str(row["settle_day"] or "")
    setlinfo |= {"mdtrt_id": row["mdtrt_id"], "setl_id": row["setl_id"], "psn_no": row["psn_no"],
                 "insutype": row["insutype"], "setl_begn_date": setlinfo.get("setl_begn_date") or day,
                 "setl_end_date": setlinfo.get("setl_end_date") or day}
    list_id = desk.client.upload_settlement_list(desk.op, row["insuplc_admdvs"], {
        "setlinfo": setlinfo, "payinfo": payinfo, "diseinfo": diseinfo, "iteminfo": iteminfo})
    with write_tx(desk.ctx.engine) as conn:
        state.update_values(conn, sid, state.SETTLED, setl_list_id=list_id or "-", updated_at=desk.now17())
        audit_row(conn, desk, "ins_settlement_list", sid, None, {"setl_list_id": list_id})
        return records.answer(records.load(conn, sid)) | {"setlListId": list_id}

