"""The request and response envelope (spec §2, §3) and the value formats (§7).

Requests are parsed with every JSON number as :class:`~decimal.Decimal`; responses write amounts
as JSON numbers with two decimals without passing through float (:func:`dumps`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.insurance.errors import InsFailure

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ADMDVS = re.compile(r"^\d{6}$")
#: Envelope fields every request carries (``sign_no`` too, except for 9001).
REQUIRED = ("infno", "msgid", "mdtrtarea_admvs", "infver", "opter_type", "opter", "opter_name", "inf_time",
            "fixmedins_code")
OPTER_TYPES = ("1", "2", "3")


@dataclass(frozen=True)
class Envelope:
    """A checked request envelope."""

    infno: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    recer_sys_code: str
    opter_type: str
    opter: str
    opter_name: str
    inf_time: str
    fixmedins_code: str
    fixmedins_name: str
    sign_no: str
    signtype: str
    cainfo: str
    input: dict[str, Any]


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object (numbers as Decimal)."""
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_int=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise InsFailure("请求报文不是有效的UTF-8 JSON") from None
    if not isinstance(body, dict):
        raise InsFailure("请求报文必须是JSON对象")
    return body


def text(value: Any) -> str:
    """A field as text: strings as they are, numbers in their plain form, null as ''."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def check_envelope(body: dict[str, Any], strict_msgid: bool) -> Envelope:
    """The envelope checked field by field; raises InsFailure naming the first bad field."""
    for name in REQUIRED:
        if not text(body.get(name)).strip():
            raise InsFailure(f"报文字段{name}不能为空")
    infno = text(body["infno"])
    code = text(body["fixmedins_code"])
    msgid = text(body["msgid"])
    if len(msgid) > 30:
        raise InsFailure("报文字段msgid长度不能超过30位")
    if strict_msgid and (len(msgid) != 30 or not msgid.startswith(code) or not msgid[len(code):].isdigit()):
        raise InsFailure("报文字段msgid格式错误：应为定点医药机构编号+yyyyMMddHHmmss+4位顺序号，共30位")
    if not ADMDVS.match(text(body["mdtrtarea_admvs"])):
        raise InsFailure("报文字段mdtrtarea_admvs必须是6位行政区划代码")
    plc = text(body.get("insuplc_admdvs"))
    if plc and not ADMDVS.match(plc):
        raise InsFailure("报文字段insuplc_admdvs必须是6位行政区划代码")
    if text(body["opter_type"]) not in OPTER_TYPES:
        raise InsFailure("报文字段opter_type必须是1（经办人）、2（自助终端）或3（移动终端）")
    if not DATETIME.match(text(body["inf_time"])):
        raise InsFailure("报文字段inf_time格式错误，应为yyyy-MM-dd HH:mm:ss")
    sign_no = text(body.get("sign_no"))
    if infno != "9001" and not sign_no:
        raise InsFailure("报文字段sign_no不能为空，请先签到（9001）")
    payload = body.get("input")
    if isinstance(payload, str):
        raise InsFailure("本平台未启用报文加密，input必须是JSON对象")
    if not isinstance(payload, dict):
        raise InsFailure("报文字段input必须是JSON对象")
    return Envelope(infno, msgid, text(body["mdtrtarea_admvs"]), plc, text(body.get("recer_sys_code")),
                    text(body["opter_type"]), text(body["opter"]), text(body["opter_name"]), text(body["inf_time"]),
                    code, text(body.get("fixmedins_name")), sign_no, text(body.get("signtype")),
                    text(body.get("cainfo")), payload)


def answer(infcode: int, output: dict[str, Any] | None, err_msg: str | None, refmsgid: str,
           received: datetime, responded: datetime, as_string: bool) -> dict[str, Any]:
    """The response envelope (spec §3); ``as_string`` writes infcode as "0"/"-1" (regional drift)."""
    return {
        "infcode": str(infcode) if as_string else infcode,
        "inf_refmsgid": refmsgid,
        "refmsg_time": received.strftime("%Y%m%d%H%M%S%f")[:17],
        "respond_time": responded.strftime("%Y%m%d%H%M%S%f")[:17],
        "err_msg": err_msg,
        "warn_msg": None,
        "cainfo": None,
        "signtype": None,
        "enctype": None,
        "output": output if output is not None else {},
    }


# -- value formats -------------------------------------------------------------------------------

def node(payload: dict[str, Any], name: str) -> dict[str, Any]:
    """An object input node (``data``, ``signIn`` ...) that must be present."""
    value = payload.get(name)
    if not isinstance(value, dict):
        raise InsFailure(f"输入节点{name}不能为空且必须是JSON对象")
    return value


def rows(payload: dict[str, Any], name: str, required: bool = True) -> list[dict[str, Any]]:
    """An array input node (``feedetail`` ...) of objects."""
    value = payload.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, dict) for v in value):
        raise InsFailure(f"输入节点{name}必须是非空的JSON对象数组")
    return value


def req(data: dict[str, Any], name: str, where: str = "") -> str:
    """A required text field."""
    value = text(data.get(name)).strip()
    if not value:
        raise InsFailure(f"字段{where}{name}不能为空")
    return value


def opt(data: dict[str, Any], name: str) -> str:
    """An optional text field ('' when absent)."""
    return text(data.get(name)).strip()


def decimal(data: dict[str, Any], name: str, places: int, where: str = "", required: bool = True) -> Decimal:
    """A number field (JSON number or numeric string) with at most ``places`` decimals."""
    raw = data.get(name)
    if raw is None or raw == "":
        if required:
            raise InsFailure(f"字段{where}{name}不能为空")
        return Decimal(0)
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise InsFailure(f"字段{where}{name}不是有效的数值：{raw}") from None
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        raise InsFailure(f"字段{where}{name}超出范围：{raw}")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise InsFailure(f"字段{where}{name}最多{places}位小数：{raw}")
    return value


def fen(data: dict[str, Any], name: str, where: str = "", required: bool = True) -> int:
    """An amount field (16,2) in fen."""
    return int(decimal(data, name, 2, where, required) * 100)


def date_field(data: dict[str, Any], name: str, where: str = "", required: bool = True) -> str:
    """A ``yyyy-MM-dd`` date, or a datetime whose date part is taken."""
    value = req(data, name, where) if required else opt(data, name)
    if value and not (DATE.match(value) or DATETIME.match(value)):
        raise InsFailure(f"字段{where}{name}日期格式错误，应为yyyy-MM-dd：{value}")
    return value[:10]


def datetime_field(data: dict[str, Any], name: str, where: str = "", required: bool = True) -> str:
    """A ``yyyy-MM-dd HH:mm:ss`` datetime."""
    value = req(data, name, where) if required else opt(data, name)
    if value and not DATETIME.match(value):
        raise InsFailure(f"字段{where}{name}时间格式错误，应为yyyy-MM-dd HH:mm:ss：{value}")
    return value


def yuan(fen_amount: int) -> Decimal:
    """Fen to a 2-place Decimal (what :func:`dumps` writes as a number)."""
    return (Decimal(fen_amount) / 100).quantize(Decimal("0.01"))


_MARK = "\u0000D:"


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{format(value, 'f')}\u0000"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark(v) for v in value]
    return value


_MARKED = re.compile(r'"\\u0000D:(-?\d+(?:\.\d+)?)\\u0000"')


def dumps(value: Any) -> str:
    """JSON with Decimals as exact JSON numbers (spec §7: responses carry numbers)."""
    return _MARKED.sub(r"\1", json.dumps(_mark(value), ensure_ascii=False))
