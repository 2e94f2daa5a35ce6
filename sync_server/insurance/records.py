"""Reading settlement rows and answering them (the terminal's view of a settlement)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from sync_server.insurance.errors import SettlementNotFoundError
from sync_server.insurance.state import STATE_NAMES
from sync_server.store.insurance_schema import ins_settlements


def load(conn: Connection, settlement_id: int) -> Mapping[str, Any]:
    """The settlement row.

    :raises SettlementNotFoundError: no such row.
    """
    row = conn.execute(select(ins_settlements).where(ins_settlements.c.id == settlement_id)).mappings().first()
    if row is None:
        raise SettlementNotFoundError(f"未找到医保结算记录{settlement_id}")
    return dict(row)


def _amt(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def answer(row: Mapping[str, Any]) -> dict[str, Any]:
    """The settlement as the insurance API answers it (amounts as 2-place strings)."""
    return {
        "settlementId": row["id"], "visit": row["visit"], "state": row["state"], "stateName": STATE_NAMES[row["state"]],
        "psnNo": row["psn_no"], "insutype": row["insutype"], "insuplcAdmdvs": row["insuplc_admdvs"],
        "mdtrtId": row["mdtrt_id"], "iptOtpNo": row["ipt_otp_no"], "chrgBchno": row["chrg_bchno"],
        "medfeeSumamt": _amt(row["medfee_sumamt"]), "fundPaySumamt": _amt(row["fund_pay_sumamt"]),
        "acctPay": _amt(row["acct_pay"]), "psnCashPay": _amt(row["psn_cash_pay"]), "setlId": row["setl_id"],
        "clrType": row["clr_type"], "clrOptins": row["clr_optins"], "settleMsgid": row["settle_msgid"],
        "settleAttempts": row["settle_attempts"], "settleDay": row["settle_day"], "note": row["note"],
        "updatedAt": row["updated_at"],
    }
