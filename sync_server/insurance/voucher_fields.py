"""The voucher centre's field lists (seed 002; spec §8 names only the interfaces, so every field
here is **inferred** — from the simulator's reading in simulators/insurance/vouchers.py). This is
the one module to correct when the official field lists are at hand; nothing else in the server
names a voucher field.

* 4901 upload / 4905 re-upload: input ``data`` = :func:`upload_data`;
* 4902 result query: :func:`result_query`; 5501 status: :func:`status_query`;
* answers: :func:`parse_result` (4901 / 4902 / 4905 ``data``), :func:`parse_status` (5501 ``data[]``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

UPLOAD, RESULT, REUPLOAD, STATUS = "4901", "4902", "4905", "5501"
NORMAL, RED = "0", "1"
#: The layout file type sent (the finance platform's layout file is a PDF).
FILE_TYPE = "pdf"
#: elec_setl_cert_stas (5501): 1 normal, 2 red-flushed; reim_flag 1: used for reimbursement.
CERT_NORMAL, CERT_RED = "1", "2"


def upload_data(*, setl_id: str, mdtrt_id: str, psn_no: str, bill_batch_code: str, bill_no: str, check_code: str,
                amount: Decimal, create_time: str, biller: str, pdf: bytes, flag: str = NORMAL,
                rel_bill_batch_code: str = "", rel_bill_no: str = "") -> dict[str, Any]:
    """4901 / 4905 ``data``: the settlement, the bill (code, number, check code, amount, time
    ``yyyyMMddHHmmssSSS``), who billed, and the layout file (Base64). A red-flush voucher (flag 1)
    names the original voucher and carries the negated amount."""
    return {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "bill_code": bill_batch_code,
            "bill_no": bill_no, "bill_chkcode": check_code, "bill_amt": f"{amount:.2f}",
            "bill_date": create_time[:8], "bill_time": create_time[8:14], "biller": biller[:50], "rechker": "",
            "elec_setl_cert_flag": flag, "rel_elec_setl_cert_code": rel_bill_batch_code,
            "rel_elec_setl_cert_no": rel_bill_no, "file_type": FILE_TYPE,
            "file": base64.b64encode(pdf).decode("ascii")}


def result_query(bill_batch_code: str, bill_no: str) -> dict[str, str]:
    """4902 ``data``."""
    return {"bill_code": bill_batch_code, "bill_no": bill_no}


def status_query(setl_id: str) -> dict[str, str]:
    """5501 ``data`` (by settlement)."""
    return {"setl_id": setl_id}


def _data(output: Any) -> Any:
    return output.get("data") if isinstance(output, Mapping) else None


def parse_result(output: Any) -> dict[str, Any]:
    """4901 / 4902 / 4905 answer -> ``{uploaded, count, time, text}``."""
    d = _data(output)
    d = d if isinstance(d, Mapping) else {}
    return {"uploaded": str(d.get("upld_stas", "")) == "1", "count": int(d.get("upld_cnt") or 0),
            "time": str(d.get("upld_time") or ""), "text": str(d.get("upld_rslt_dscr") or "")}


def parse_status(output: Any) -> list[dict[str, str]]:
    """5501 answer -> rows ``{billBatchCode, billNo, flag, certState, reimFlag, amount}``."""
    rows = _data(output)
    rows = rows if isinstance(rows, list) else [rows] if isinstance(rows, Mapping) else []
    return [{"billBatchCode": str(r.get("bill_code", "")), "billNo": str(r.get("bill_no", "")),
             "flag": str(r.get("elec_setl_cert_flag", "")), "certState": str(r.get("elec_setl_cert_stas", "")),
             "reimFlag": str(r.get("reim_flag", "")), "amount": str(r.get("bill_amt", ""))}
            for r in rows if isinstance(r, Mapping)]
