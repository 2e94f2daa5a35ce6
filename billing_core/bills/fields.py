"""Declarative field tables and the engine that checks and normalises a request against them.

A :class:`Schema` is a tuple of :class:`Field` rows plus an optional ``prepare`` hook (renames
old field names to V3.2.0 ones) and cross-field ``rules`` (sums, uniqueness). The engine walks
every field and collects every problem; it never stops at the first one. Unknown keys are
dropped (spec §2.1: real HIS send fields of older versions).

Issue codes used here (docs/ERRORS.md, "billing_core: bill validation"):
E1001 required, E1002 too long, E1003 bad format, E1004 amount (billing_core.money),
E1005 value not in the code list, E1006 wrong JSON type, E1007 too many list items,
E1008 integer out of range.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from billing_core.errors import ValidationIssue
from billing_core.money import MoneyError, parse_decimal

REQUIRED = "E1001"
TOO_LONG = "E1002"
BAD_FORMAT = "E1003"
BAD_AMOUNT = MoneyError.code  # E1004, owned by billing_core.money
NOT_IN_LIST = "E1005"
WRONG_TYPE = "E1006"
TOO_MANY = "E1007"
OUT_OF_RANGE = "E1008"

Issues = list[ValidationIssue]
#: prepare(raw object, path) -> (object with V3.2.0 names, issues)
Prepare = Callable[[dict[str, Any], str], tuple[dict[str, Any], Issues]]
#: rule(normalised object, path) -> issues
Rule = Callable[[dict[str, Any], str], Issues]

# Format checks: (regex, strptime format or None, Chinese description).
FORMATS: dict[str, tuple[str, str | None, str]] = {
    "datetime17": (r"\d{17}", "%Y%m%d%H%M%S", "yyyyMMddHHmmssSSS（17位数字）"),
    "date8": (r"\d{8}", "%Y%m%d", "yyyyMMdd"),
    "date10": (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d", "yyyy-MM-dd"),
    # Mapped codes (busType, placeCode, chargeCode ...) are HIS-internal: any visible ASCII word.
    "code": (r"[0-9A-Za-z_.\-]+", None, "字母、数字、下划线、点或短横线组成的代码"),
    "tel": (r"\+?[0-9\-]{3,13}", None, "电话号码（数字，可含+和-）"),
    "email": (r"[^@\s]+@[^@\s]+\.[^@\s]+", None, "电子邮箱地址"),
    "digits": (r"\d+", None, "数字串"),
    "hex": (r"[0-9A-Fa-f]+", None, "十六进制串"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One request field.

    :param kind: ``str`` (text, optionally with ``fmt``), ``choice`` (one of ``choices``),
        ``amount`` (Decimal N``digits``,``places``), ``int``, ``list`` (of ``schema`` objects),
        ``object`` (a ``schema`` object), ``switch`` (an object whose schema is chosen from
        ``variants`` by the value of the sibling field ``switch``, e.g. uploadEmergencyEBill's
        ``bill`` by ``billType``).
    """

    name: str
    label: str
    kind: str = "str"
    required: bool = False
    max_len: int | None = None
    fmt: str | None = None
    choices: tuple[str, ...] = ()
    places: int = 2
    digits: int = 14
    min_value: int | None = None
    max_value: int | None = None
    max_items: int | None = None
    schema: Schema | None = None
    empty_code: str = REQUIRED
    switch: str | None = None
    variants: Mapping[str, Schema] | None = None

    def title(self) -> str:
        """``name（label）`` as used in every message."""
        return f"{self.name}（{self.label}）"


@dataclass(frozen=True)
class Schema:
    """The fields of one JSON object, its V3.1 -> V3.2 ``prepare`` hook and cross-field rules."""

    fields: tuple[Field, ...]
    prepare: Prepare | None = None
    rules: tuple[Rule, ...] = ()
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def extend(self, *extra: Field, drop: tuple[str, ...] = (), required: tuple[str, ...] = (),
               optional: tuple[str, ...] = (), prepare: Prepare | None = None,
               rules: tuple[Rule, ...] | None = None) -> Schema:
        """A derived schema: fields dropped, made required/optional, added (spec §3.2 deltas)."""
        rows: list[Field] = []
        for f in self.fields:
            if f.name in drop:
                continue
            if f.name in required or f.name in optional:
                f = replace(f, required=f.name in required)
            rows.append(f)
        rows.extend(extra)
        return Schema(tuple(rows), prepare if prepare is not None else self.prepare,
                      self.rules if rules is None else rules)


def join(path: str, name: str) -> str:
    """Dotted path of ``name`` under ``path``."""
    return f"{path}.{name}" if path else name


def is_missing(value: Any) -> bool:
    """JSON null, an empty or blank string: the platform's "not filled"."""
    return value is None or (isinstance(value, str) and not value.strip())


def check_object(schema: Schema, data: Any, path: str = "") -> tuple[dict[str, Any], Issues]:
    """Check ``data`` against ``schema``; returns the normalised object and every issue found."""
    issues: Issues = []
    if not isinstance(data, Mapping):
        what = path or "data"
        return {}, [ValidationIssue(WRONG_TYPE, what, f"{what}必须是JSON对象")]
    obj = dict(data)
    if schema.prepare is not None:
        obj, prep_issues = schema.prepare(obj, path)
        issues.extend(prep_issues)
    out: dict[str, Any] = {}
    get = obj.get
    for f in schema.fields:
        value = get(f.name)
        # Most fields of a schema are optional and absent: skip them before building a path.
        if value is None and not f.required:
            continue
        sub = f"{path}.{f.name}" if path else f.name
        if is_missing(value):
            if f.required:
                issues.append(ValidationIssue(REQUIRED, sub, f"{f.title()}为必填项"))
            continue
        if f.kind == "switch":
            assert f.variants is not None and f.switch is not None
            selector = obj.get(f.switch)
            variant = f.variants.get(selector) if isinstance(selector, str) else None
            if variant is None:
                continue  # the selector field reports its own problem
            f = replace(f, kind="object", schema=variant)
        ok, norm, field_issues = check_value(f, value, sub)
        issues.extend(field_issues)
        if ok:
            out[f.name] = norm
    # Cross-field rules see only the values that passed; each rule skips what is missing.
    for rule in schema.rules:
        issues.extend(rule(out, path))
    return out, issues


def check_value(f: Field, value: Any, path: str) -> tuple[bool, Any, Issues]:
    """Check one present value; returns (usable, normalised value, issues)."""
    kind = f.kind
    if kind in ("str", "choice"):
        return _check_text(f, value, path)
    if kind == "amount":
        try:
            return True, parse_decimal(value, places=f.places, digits=f.digits, field=f.title()), []
        except MoneyError as exc:
            return False, None, [ValidationIssue(exc.code, path, exc.message)]
    if kind == "int":
        return _check_int(f, value, path)
    if kind == "object":
        assert f.schema is not None
        norm, issues = check_object(f.schema, value, path)
        return not issues, norm, issues
    if kind == "list":
        return _check_list(f, value, path)
    raise ValueError(f"unknown field kind {kind!r}")


def _check_text(f: Field, value: Any, path: str) -> tuple[bool, Any, Issues]:
    # A JSON number in a text field (age: 35, sortNo-like codes) is taken as its text.
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return False, None, [ValidationIssue(WRONG_TYPE, path, f"{f.title()}必须是文本")]
    if f.kind == "choice":
        if value not in f.choices:
            allowed = "、".join(f.choices)
            return False, None, [ValidationIssue(NOT_IN_LIST, path,
                                                 f"{f.title()}的值“{value}”无效，可选值：{allowed}")]
        return True, value, []
    issues: Issues = []
    if f.max_len is not None and len(value) > f.max_len:
        issues.append(ValidationIssue(TOO_LONG, path,
                                      f"{f.title()}长度{len(value)}超过上限{f.max_len}个字符"))
    if f.fmt is not None and not _format_ok(f.fmt, value):
        issues.append(ValidationIssue(BAD_FORMAT, path,
                                      f"{f.title()}格式错误，应为{FORMATS[f.fmt][2]}，收到“{value}”",
                                      extra=f.fmt in EXTRA_FORMATS))
    return all(i.extra for i in issues), value, issues


#: Formats the spec does not state (it gives only S<n> for codes, tel and email): ours, so an
#: issue against them is marked extra (docs/VALIDATION_RULES.md) and the value is kept.
EXTRA_FORMATS = frozenset({"code", "tel", "email"})

_COMPILED = {name: re.compile(spec[0], flags=re.ASCII) for name, spec in FORMATS.items()}


@lru_cache(maxsize=4096)
def _format_ok(fmt: str, value: str) -> bool:
    # Pure function of its arguments; cached because the same dates, codes and times recur in
    # every item of a bill and across bills (strptime is the costly part).
    pattern, time_fmt, _ = FORMATS[fmt]
    if not _COMPILED[fmt].fullmatch(value):
        return False
    if time_fmt is None:
        return True
    text = value[:14] if fmt == "datetime17" else value
    try:
        datetime.strptime(text, time_fmt)
    except ValueError:
        return False  # e.g. 20260230, hour 25
    return True


def parse_time(value: str) -> datetime:
    """The datetime of a checked datetime17/date8/date10 value (for range rules)."""
    if len(value) == 17:
        return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(microsecond=int(value[14:]) * 1000)
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d")
    return datetime.strptime(value, "%Y-%m-%d")


def _check_int(f: Field, value: Any, path: str) -> tuple[bool, Any, Issues]:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value, flags=re.ASCII):
        number = int(value)
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        number = int(value)
    if number is None:
        return False, None, [ValidationIssue(WRONG_TYPE, path, f"{f.title()}必须是整数，收到“{value}”")]
    if (f.min_value is not None and number < f.min_value) or (
        f.max_value is not None and number > f.max_value
    ):
        lo = "" if f.min_value is None else f"不小于{f.min_value}"
        hi = "" if f.max_value is None else f"不大于{f.max_value}"
        sep = "且" if lo and hi else ""
        return False, None, [ValidationIssue(OUT_OF_RANGE, path, f"{f.title()}必须{lo}{sep}{hi}，收到{number}")]
    return True, number, []


def _check_list(f: Field, value: Any, path: str) -> tuple[bool, Any, Issues]:
    if not isinstance(value, list):
        return False, None, [ValidationIssue(WRONG_TYPE, path, f"{f.title()}必须是数组")]
    if not value:
        if f.required:
            return False, None, [ValidationIssue(f.empty_code, path, f"{f.title()}不能为空")]
        return True, [], []
    issues: Issues = []
    if f.max_items is not None and len(value) > f.max_items:
        issues.append(ValidationIssue(TOO_MANY, path,
                                      f"{f.title()}共{len(value)}条，超过上限{f.max_items}条"))
    assert f.schema is not None
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        norm, item_issues = check_object(f.schema, item, f"{path}[{i}]")
        items.append(norm)
        issues.extend(item_issues)
    # Partial items are kept so that list-level rules can skip what is incomplete.
    return True, items, issues


# ---------------------------------------------------------------------------------------------
# Short constructors for the tables


def text(name: str, label: str, max_len: int, required: bool = False, fmt: str | None = None) -> Field:
    """A text field S``max_len`` (optionally with a format)."""
    return Field(name, label, "str", required, max_len=max_len, fmt=fmt)


def code(name: str, label: str, max_len: int, required: bool = False) -> Field:
    """A (possibly hospital-mapped) code: format only, S``max_len``."""
    return Field(name, label, "str", required, max_len=max_len, fmt="code")


def choice(name: str, label: str, values: tuple[str, ...] | Any, required: bool = False) -> Field:
    """A code whose values the platform fixes (a code list of billing_core.codes or a tuple)."""
    values = tuple(values.codes()) if hasattr(values, "codes") else tuple(values)
    return Field(name, label, "choice", required, choices=values)


def amount(name: str, label: str, required: bool = False, places: int = 2, digits: int = 14) -> Field:
    """A Decimal amount N``digits``,``places``."""
    return Field(name, label, "amount", required, places=places, digits=digits)


def integer(name: str, label: str, required: bool = False, min_value: int | None = None,
            max_value: int | None = None) -> Field:
    """A JSON integer (digit strings accepted)."""
    return Field(name, label, "int", required, min_value=min_value, max_value=max_value)


def datetime17(name: str, label: str, required: bool = False) -> Field:
    """yyyyMMddHHmmssSSS, a real date-time."""
    return Field(name, label, "str", required, max_len=17, fmt="datetime17")


def date8(name: str, label: str, required: bool = False) -> Field:
    """yyyyMMdd, a real date."""
    return Field(name, label, "str", required, max_len=10, fmt="date8")


def date10(name: str, label: str, required: bool = False) -> Field:
    """yyyy-MM-dd, a real date."""
    return Field(name, label, "str", required, max_len=10, fmt="date10")


def objects(name: str, label: str, schema: Schema, required: bool = False,
            max_items: int | None = None, empty_code: str = REQUIRED) -> Field:
    """A list of objects of ``schema``."""
    return Field(name, label, "list", required, schema=schema, max_items=max_items, empty_code=empty_code)


def switch(name: str, label: str, selector: str, variants: Mapping[str, Schema],
           required: bool = False) -> Field:
    """An object validated by the schema ``variants[<value of sibling field selector>]``."""
    return Field(name, label, "switch", required, switch=selector, variants=variants)


def obj(name: str, label: str, schema: Schema, required: bool = False) -> Field:
    """A nested object of ``schema``."""
    return Field(name, label, "object", required, schema=schema)
