"""Request models and validation for every method the finance platform accepts.

Public API (others code against these names):

* :data:`METHODS` — method name -> :class:`MethodSpec` (kind, default busType, bill type, fields).
* :func:`check_request` — every problem of a request at once, as ValidationIssue(code, path, message).
* :func:`validate_request` — the normalised request (V3.2.0 names, amounts as quantized Decimal,
  integers as int, unknown keys dropped) or ValidationError carrying every issue.
* :func:`canonical_bill_bytes` — deterministic bytes of a normalised bill, for SM2 signatures.

Request tables: billing_core.bills.issuing (spec §3-§4) and billing_core.bills.requests (§5-§10,
§17). Rules: billing_core.bills.fields (per field) and billing_core.bills.rules (sums etc.).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing_core import codes, methods
from billing_core.bills import issuing
from billing_core.bills import requests as rq
from billing_core.bills.fields import Field, Schema, check_object
from billing_core.errors import ValidationError, ValidationIssue

UNKNOWN_METHOD = "E1019"
BUS_TYPE_MISMATCH = "E1020"


@dataclass(frozen=True)
class MethodSpec:
    """What one platform method accepts.

    :param kind: ``issue``, ``batch_issue``, ``write_off``, ``query``, ``paper``, ``stock``,
        ``notice``, ``reconcile``, ``voucher``, ``test``, ``print`` or ``emergency``.
    :param title: the Chinese name of the method (vendor spec's 接口名称).
    :param bus_type: default platform busType of an issuing method (spec §3), else None.
    :param bus_types: the platform busTypes the method may carry (checked when a mapping is given).
    :param bill_type: ``outpatient``/``hospitalized``/``registration``/``checkup``/``common`` for
        issuing methods and their batch wrappers, else None.
    """

    name: str
    kind: str
    title: str
    schema: Schema
    bus_type: str | None = None
    bus_types: tuple[str, ...] = ()
    bill_type: str | None = None

    @property
    def fields(self) -> tuple[Field, ...]:
        """The top-level fields of the request."""
        return self.schema.fields


def _specs() -> dict[str, MethodSpec]:
    out: dict[str, MethodSpec] = {}

    def add(name: str, kind: str, title: str, schema: Schema, bill_type: str | None = None) -> None:
        allowed = methods.BUS_TYPES.get(name, ())
        out[name] = MethodSpec(name, kind, title, schema, allowed[0] if allowed else None, allowed, bill_type)

    # the vendor spec's 接口名称 of each medical issuing method and its batch wrapper
    labels = {methods.INVOICE_EBILL_OUTPATIENT: "门诊", methods.INV_EBILL_HOSPITALIZED: "住院",
              methods.INV_EBILL_REGISTRATION: "挂号", methods.INV_EBILL_CHECKUP: "体检"}
    for m in methods.ISSUE.values():
        schema = issuing.BILL_SCHEMAS[m.bill_type]
        if m.batch is None:
            add(m.name, "issue", "通用电子票据开具（往来/捐赠/非税）", schema, m.bill_type)
            continue
        add(m.name, "issue", f"医疗{labels[m.name]}电子票据开具", schema, m.bill_type)
        # a batch carries its items' busTypes
        out[m.batch] = MethodSpec(m.batch, "batch_issue", f"批量医疗{labels[m.name]}电子票据开具",
                                  issuing.batch_schema(schema), out[m.name].bus_type, out[m.name].bus_types,
                                  m.bill_type)
    table: list[tuple[str, str, str, Schema]] = [
        (methods.GET_BATCH_INVOICE_EBILL, "query", "批量医疗电子票据开具结果查询", rq.GET_BATCH),
        (methods.WRITE_OFF_EBILL, "write_off", "电子票据冲红", rq.WRITE_OFF),
        (methods.WRITE_OFF_EBILL_TO_PAPER, "write_off", "已换开纸质电子票据冲红", rq.WRITE_OFF_TO_PAPER),
        (methods.GET_EBILL_BY_BUS_NO, "query", "根据业务流水号获取开票情况", rq.GET_BY_BUS_NO),
        (methods.GET_EBILL_STATES_BY_BILL_INFO, "query", "根据电子票信息获取电子票据状态", rq.BILL_KEY),
        (methods.GET_BILL_DETAIL, "query", "获取电子票据明细", rq.BILL_KEY_RANDOM),
        (methods.GET_EBILL_PIC_URL, "query", "查看电子票据H5页面", rq.GET_PIC_URL),
        (methods.GET_EBILL_NOTIFY_PIC, "query", "获取电子票据告知单内容", rq.GET_NOTIFY_PIC),
        (methods.GET_EBILL_ACCOUNT_STATUS, "query", "获取电子票据入账状态", rq.GET_ACCOUNT_STATUS),
        (methods.GET_EBILL_UNPRINT_LIST, "query", "获取电子票据未换开列表", rq.UNPRINT_LIST),
        (methods.GET_NOT_PRINT_LIST, "query", "获取未打印电子票据列表", rq.NOT_PRINT_LIST),
        (methods.GET_EBILL_PRINT_LIST, "query", "获取已换开的电子票据列表", rq.PRINT_LIST),
        (methods.RECEIVE_ARREARS_FEEDBACK, "notice", "电子票据流通状态反馈", rq.ARREARS_FEEDBACK),
        (methods.RECEIVE_LIST_DETAIL, "notice", "接收电子票据清单项目数据", rq.RECEIVE_LIST_DETAIL),
        (methods.GET_PAPER_BILL_NO, "paper", "获取当期纸质票据可用号码", rq.GET_PAPER_NO),
        (methods.TURN_PAPER, "paper", "换开纸质票据", rq.TURN_PAPER),
        (methods.RE_TURN_PAPER, "paper", "重新换开纸质票据", rq.TURN_PAPER),
        (methods.INVALID_PAPER, "paper", "作废换开纸质票据", rq.INVALID_PAPER),
        (methods.INVALID_BLANK_BILL_NO, "paper", "空白纸质票据作废", rq.INVALID_BLANK),
        (methods.BILL_STOCK_OUT, "stock", "票据库存下发", rq.STOCK_OUT),
        (methods.BILL_STOCK_RETURN, "stock", "票据库存回退", rq.STOCK_RETURN),
        (methods.GET_BILL_STOCK_OUT_LIST, "stock", "获取票据领用库存列表", rq.STOCK_OUT_LIST),
        (methods.GET_VALID_BILL_NO, "stock", "获取票据有效票据号段", rq.VALID_BILL_NO),
        (methods.GET_VALID_BILL_BATCH_CODE, "stock", "获取票据有效票据代码列表", rq.VALID_BATCH_CODE),
        (methods.SEND_BILL_NOTICE, "notice", "发送电子票据通知", rq.SEND_NOTICE),
        (methods.CHECK_TOTAL_DATA, "reconcile", "根据业务时间总笔数核对", rq._recon("busDate", "业务日期", False)),
        (methods.CHECK_TOTAL_DATA_BY_IVC_DATE, "reconcile", "根据开票日期总笔数核对", rq._recon("ivcDate", "开票日期", False)),
        (methods.CHECK_DATA_BY_PLACE, "reconcile", "根据业务时间开票点核对", rq._recon("busDate", "业务日期", True)),
        (methods.CHECK_DATA_PLACE_BY_IVC_DATE, "reconcile", "根据开票日期开票点核对", rq._recon("ivcDate", "开票日期", True)),
        (methods.CHECK_WRITE_OFF_DATA, "reconcile", "根据业务时间退费数据核对", rq._recon("busDate", "业务日期", True)),
        (methods.CHECK_WRITE_OFF_DATA_BY_IVC_DATE, "reconcile", "根据开票日期退费数据核对",
         rq._recon("ivcDate", "开票日期", True)),
        (methods.GET_BILL_BY_BUS_DATE, "reconcile", "根据业务时间获取开票信息", rq.BILL_LIST_BY_DATE),
        (methods.GET_BILL_BY_IVC_DATE, "reconcile", "根据开票日期获取开票信息", rq.BILL_LIST_BY_DATE),
        (methods.INVOICE_PAYMENT_VOUCHER, "voucher", "预交金电子凭证开具", rq.INVOICE_VOUCHER),
        (methods.WRITE_OFF_PAYMENT_VOUCHER, "voucher", "预交金电子凭证冲红", rq.WRITE_OFF_VOUCHER),
        (methods.CANCEL_PAYMENT_VOUCHER_BALANCE, "voucher", "撤销预交金结算", rq.CANCEL_VOUCHER_BALANCE),
        (methods.INVALID_PAYMENT_VOUCHER_PAPER, "voucher", "作废预交金纸质票据", rq.INVALID_VOUCHER_PAPER),
        (methods.TEST_SERVER_CONNECT, "test", "服务端连接测试", rq.TEST_CONNECT),
        (methods.GET_ELECT_BILL_LIST_TOTAL, "print", "获取电子票据清单总页数", rq.BILL_KEY_RANDOM),
        (methods.EMERGENCY_STOCK_OUT, "emergency", "应急票号预留（扩展）", rq.EMERGENCY_STOCK_OUT),
        (methods.EMERGENCY_STOCK_RETURN, "emergency", "应急票号退回（扩展）", rq.EMERGENCY_STOCK_RETURN),
        (methods.UPLOAD_EMERGENCY_EBILL, "emergency", "应急电子票据上传（扩展）", rq.UPLOAD_EMERGENCY),
    ]
    for name, kind, title, schema in table:
        add(name, kind, title, schema)
    return out


METHODS: dict[str, MethodSpec] = _specs()


def _check(method: str, data: Any, mapping: codes.CodeMapping | None) -> tuple[dict[str, Any], list[ValidationIssue]]:
    spec = METHODS.get(method)
    if spec is None:
        return {}, [ValidationIssue(UNKNOWN_METHOD, "method", f"不支持的接口方法：{method}")]
    issues: list[ValidationIssue] = []
    if mapping is not None and isinstance(data, Mapping):
        data, map_issues = mapping.map_request(method, data)
        issues.extend(map_issues)
    norm, field_issues = check_object(spec.schema, data)
    issues.extend(field_issues)
    if mapping is not None and spec.bus_types:
        bills = norm.get("eBillList", []) if spec.kind == "batch_issue" else [norm]
        prefix = "eBillList[{}]." if spec.kind == "batch_issue" else ""
        for i, bill in enumerate(bills):
            bt = bill.get("busType") if isinstance(bill, dict) else None
            path = prefix.format(i) + "busType"
            if bt is not None and bt not in spec.bus_types and all(x.path != path for x in issues):
                issues.append(ValidationIssue(
                    BUS_TYPE_MISMATCH, path,
                    f"busType（业务标识）“{bt}”（{codes.BUS_TYPE.label(bt)}）不能用于{spec.title}，"
                    f"应为{'、'.join(spec.bus_types)}"))
    return norm, issues


def check_request(method: str, data: Any, *, mapping: codes.CodeMapping | None = None) -> list[ValidationIssue]:
    """Every problem of request ``data`` for ``method`` (empty list: valid).

    :param mapping: when given, HIS codes are first translated to platform codes (strict kinds
        report E1030) and an issuing request's busType must suit the method (E1020).
    """
    return _check(method, data, mapping)[1]


def validate_request(method: str, data: Any, *, mapping: codes.CodeMapping | None = None,
                     warnings: list[ValidationIssue] | None = None) -> dict[str, Any]:
    """The normalised request, or ValidationError with every issue.

    Normalised: V3.2.0 field names, amounts as Decimal quantized to their field's places,
    integers as int, codes mapped when ``mapping`` is given, unknown keys dropped.

    :param warnings: None (strict, the default): every issue refuses the request. A list
        (lenient, what the finance platform's spec allows): issues of our own rules stricter than
        the spec (:attr:`ValidationIssue.extra`, docs/VALIDATION_RULES.md) are appended to it
        instead, and only the spec's issues refuse.
    """
    norm, issues = _check(method, data, mapping)
    if warnings is not None:
        warnings.extend(i for i in issues if i.extra)
        issues = [i for i in issues if not i.extra]
    if issues:
        raise ValidationError(issues=issues)
    return norm


def _canonical_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Normalised amounts carry their field's places: N14,2 -> "12.50", list N14,4 -> "0.1250".
        return f"{value:f}"
    raise TypeError(f"canonical_bill_bytes: {type(value).__name__} is not allowed in a normalised bill")


def _reject_floats(node: object, path: str) -> None:
    if isinstance(node, float):
        raise TypeError(f"canonical_bill_bytes: float at {path}; pass the output of validate_request")
    if isinstance(node, Mapping):
        for k, v in node.items():
            _reject_floats(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _reject_floats(v, f"{path}[{i}]")


def canonical_bill_bytes(bill: Mapping[str, Any]) -> bytes:
    """Deterministic serialisation of a *normalised* bill (output of :func:`validate_request`).

    JSON, keys sorted at every level, no spaces, UTF-8 (Chinese as is), amounts as decimal
    strings with their field's places (two for N14,2), integers as numbers, list order kept.
    Floats are refused: a normalised bill has none. Used for SM2 signatures of emergency bills.
    """
    _reject_floats(bill, "bill")
    return json.dumps(bill, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_canonical_default, allow_nan=False).encode("utf-8")


__all__ = [
    "METHODS", "MethodSpec", "canonical_bill_bytes", "check_request", "validate_request",
]
