"""The insurance platform's request and response envelopes (spec §2, §3) and the msgid rule.

* :func:`make_msgid`: ``fixmedins_code`` (12) + ``yyyyMMddHHmmss`` (14) + a 4-digit sequence
  (§2, pitfall 1). The sequence comes from a persisted counter (the server's transaction log,
  sync_server/insurance/journal.py), never a random number; a retry is a new msgid.
* :func:`build_request`: every top-level field of §2, ``sign_no`` from 9001 on business calls,
  ``insuplc_admdvs`` required when the input names a person (``psn_no``).
* :func:`parse_response`: ``infcode`` as a number or a string; the gateway's ``{code, type,
  message, data}`` wrapper unwrapped; anything that is not an envelope is an unusable answer
  (:class:`InsuranceBadResponse`: in doubt, never a business result).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync_server.connectors.insurance_errors import InsuranceBadResponse

#: Envelope fields every request carries (spec §2), in the order of the spec's table.
REQUEST_FIELDS = (
    "infno", "msgid", "mdtrtarea_admvs", "insuplc_admdvs", "recer_sys_code", "dev_no", "dev_safe_info",
    "cainfo", "signtype", "infver", "opter_type", "opter", "opter_name", "inf_time", "fixmedins_code",
    "fixmedins_name", "sign_no", "input",
)

#: Operator kinds (§2 ``opter_type``).
OPERATOR, KIOSK, MOBILE = "1", "2", "3"


def make_msgid(fixmedins_code: str, when: datetime, seq: int) -> str:
    """The 30-character msgid: institution code (padded/cut to 12), time, sequence mod 10000."""
    code = (fixmedins_code + "0" * 12)[:12]
    return f"{code}{when:%Y%m%d%H%M%S}{seq % 10000:04d}"


@dataclass(frozen=True, slots=True)
class Institution:
    """The envelope fields fixed per hospital (configuration).

    :ivar recer_sys_code: receiving-system code, free text per region (§2).
    :ivar infver: "V1.0" in most regions.
    :ivar signtype: "" (plain), "SM2"/"SM3", or "MOCK" in a test environment.
    """

    fixmedins_code: str
    fixmedins_name: str
    mdtrtarea_admvs: str
    recer_sys_code: str = "YBXT"
    infver: str = "V1.0"
    signtype: str = ""


@dataclass(frozen=True, slots=True)
class Operator:
    """Who performs a transaction: ``opter`` (operator or terminal id), name and kind."""

    opter: str
    opter_name: str
    opter_type: str = OPERATOR


def build_request(inst: Institution, op: Operator, infno: str, msgid: str, when: datetime,
                  input_: Mapping[str, Any] | str, *, sign_no: str = "", insuplc_admdvs: str = "",
                  cainfo: str = "") -> dict[str, Any]:
    """One request envelope (§2). ``input_`` is the payload object, or its encrypted text in the
    SM4/SM2 mode (connectors/insurance_crypto.py)."""
    return {
        "infno": infno, "msgid": msgid, "mdtrtarea_admvs": inst.mdtrtarea_admvs, "insuplc_admdvs": insuplc_admdvs,
        "recer_sys_code": inst.recer_sys_code, "dev_no": "", "dev_safe_info": "", "cainfo": cainfo,
        "signtype": inst.signtype, "infver": inst.infver, "opter_type": op.opter_type, "opter": op.opter,
        "opter_name": op.opter_name, "inf_time": f"{when:%Y-%m-%d %H:%M:%S}", "fixmedins_code": inst.fixmedins_code,
        "fixmedins_name": inst.fixmedins_name, "sign_no": sign_no,
        "input": input_ if isinstance(input_, str) else dict(input_),
    }


def names_person(input_: Mapping[str, Any]) -> bool:
    """True when the payload names a person (``psn_no`` anywhere one level down): then the
    envelope's ``insuplc_admdvs`` is required (§2, pitfall 5)."""
    for node in input_.values():
        rows = node if isinstance(node, list) else [node]
        for row in rows:
            if isinstance(row, Mapping) and row.get("psn_no"):
                return True
    return False


@dataclass(frozen=True, slots=True)
class Answer:
    """A decoded response envelope.

    :ivar infcode: "0" on success (normalised to a string; numbers and strings accepted).
    :ivar output: the ``output`` object (``{}`` when absent or null); still encrypted text in the
        SM4/SM2 mode until the crypto layer opens it.
    """

    infcode: str
    err_msg: str
    output: Any
    inf_refmsgid: str = ""
    warn_msg: str = ""
    cainfo: str = ""

    @property
    def ok(self) -> bool:
        """True when ``infcode`` is 0."""
        return self.infcode == "0"


def _infcode(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return str(int(value.strip()))
    return None


def parse_response(content: bytes, infno: str = "") -> Answer:
    """Decode a response body (§3).

    :raises InsuranceBadResponse: not JSON, not an envelope (no usable ``infcode``), or a
        gateway failure (``{code, msg}`` or a wrapper without an envelope in ``data``).
    """
    try:
        obj = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise InsuranceBadResponse(f"医保平台应答不是JSON：{infno}", method=infno) from None
    if isinstance(obj, dict) and "infcode" not in obj and isinstance(obj.get("data"), dict):
        obj = obj["data"]  # the gateway's {code, type, message, data} wrapper (§3, Guangzhou)
    if not isinstance(obj, dict):
        raise InsuranceBadResponse(f"医保平台应答不是报文对象：{infno}", method=infno)
    code = _infcode(obj.get("infcode"))
    if code is None:
        detail = obj.get("msg") or obj.get("message") or ""
        raise InsuranceBadResponse(f"医保网关拒绝或应答无infcode：{infno} {str(detail)[:100]}", method=infno)
    output = obj.get("output")
    if output is None:
        output = {}
    return Answer(infcode=code, err_msg=str(obj.get("err_msg") or ""), output=output,
                  inf_refmsgid=str(obj.get("inf_refmsgid") or ""), warn_msg=str(obj.get("warn_msg") or ""),
                  cainfo=str(obj.get("cainfo") or ""))
