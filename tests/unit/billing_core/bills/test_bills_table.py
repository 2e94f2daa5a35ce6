"""Table-driven walk over every field of every platform method (spec §3.1-3.3, §4, §5-§10, §17).

For each method a valid sample request is taken (tests/fixtures/requests), then every field of
its table — nested lists and the emergency ``bill`` included — is broken one way at a time:
removed when required (E1001), one character too long (E1002), badly formatted (E1003), too
precise or too large (E1004), outside its code list (E1005), of the wrong JSON type (E1006),
too many items (E1007), out of range (E1008). Each broken request must report that code at
that field's dotted path. The number of rules checked is printed and must be at least the
number of required fields.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from billing_core.bills import METHODS, check_request
from billing_core.bills.fields import Field, Schema

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"
BILL_FIXTURES = {
    "outpatient": "outpatient.json",
    "hospitalized": "inpatient.json",
    "registration": "registration.json",
    "checkup": "checkup.json",
    "common": "common_wanglai.json",
}
# Items used when a sample has no entry in an optional list, so its fields are walked too.
DEFAULT_ITEMS: dict[str, dict[str, Any]] = {
    "otherInfo": {"infoNo": 1, "infoName": "备注信息", "infoValue": "无"},
    "otherMedicalList": {"infoNo": 1, "infoName": "02", "infoValue": "0.00"},
    "payMentVoucher": {"voucherBatchCode": "44010726", "voucherNo": "0000012345"},
}
# One value per format that has the right characters but is not valid.
BAD_FORMAT = {
    "datetime17": "20261131120000000",  # 31 November
    "date8": "20260230",
    "date10": "2026/11/23",
    "code": "代码 1",
    "tel": "phone",
    "email": "not-an-email",
    "digits": "12a",
    "hex": "xyz",
}
LONG_FILLER = {None: "测", "code": "A", "digits": "1", "hex": "a", "tel": "1", "datetime17": "1",
               "date8": "1", "date10": "1"}


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sample_for(method: str) -> dict[str, Any]:
    """A valid sample request for ``method``."""
    spec = METHODS[method]
    if spec.kind == "issue":
        return _load(BILL_FIXTURES[spec.bill_type or ""])
    if spec.kind == "batch_issue":
        return {"batchNo": "BATCH20261123000002", "eBillList": [_load(BILL_FIXTURES[spec.bill_type or ""])]}
    if method == "uploadEmergencyEBill":
        return {"billType": "outpatient", "bill": _load("outpatient.json"), "billBatchCode": "44060126",
                "billNo": "0000090151", "random": "3f9a2c", "issueTime": "20261123093020456",
                "terminalId": "CASHIER-001", "signValue": "3045022100ab"}
    return _load("other_methods.json")[method]


@dataclass
class Case:
    what: str
    code: str
    path: str
    mutate: Callable[[dict[str, Any]], None]


def _parent(root: dict[str, Any], tokens: list[str | int]) -> Any:
    node: Any = root
    for t in tokens:
        node = node[t]
    return node


def _path(tokens: list[str | int], name: str) -> str:
    out = ""
    for t in tokens:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return f"{out}.{name}" if out else name


def _setter(tokens: list[str | int], name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(root: dict[str, Any]) -> None:
        _parent(root, tokens)[name] = value
    return mutate


def _remover(tokens: list[str | int], name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(root: dict[str, Any]) -> None:
        del _parent(root, tokens)[name]
    return mutate


def _too_long(f: Field) -> str:
    assert f.max_len is not None
    if f.fmt == "email":
        return "a" * (f.max_len - 4) + "@x.cn"
    return LONG_FILLER[f.fmt] * (f.max_len + 1)


def cases(schema: Schema, sample: dict[str, Any], tokens: list[str | int]) -> Iterator[Case]:
    """Every single-fault case of ``schema`` applied at ``tokens`` in the sample."""
    for f in schema.fields:
        path = _path(tokens, f.name)
        present = f.name in sample
        if f.required:
            assert present, f"sample lacks required {path}"
            yield Case("required", "E1001", path, _remover(tokens, f.name))
        if f.kind == "str":
            if f.max_len is not None:
                yield Case("length", "E1002", path, _setter(tokens, f.name, _too_long(f)))
            if f.fmt is not None:
                yield Case(f"format {f.fmt}", "E1003", path, _setter(tokens, f.name, BAD_FORMAT[f.fmt]))
            yield Case("type", "E1006", path, _setter(tokens, f.name, {"x": 1}))
        elif f.kind == "choice":
            yield Case("code list", "E1005", path, _setter(tokens, f.name, "Z"))
        elif f.kind == "amount":
            yield Case(f"precision {f.digits},{f.places}", "E1004", path,
                       _setter(tokens, f.name, "1." + "1" * (f.places + 1)))
            yield Case(f"magnitude {f.digits},{f.places}", "E1004", path,
                       _setter(tokens, f.name, "9" * (f.digits - f.places + 1)))
            yield Case("not a number", "E1004", path, _setter(tokens, f.name, "12元"))
        elif f.kind == "int":
            yield Case("type", "E1006", path, _setter(tokens, f.name, "abc"))
            if f.min_value is not None:
                yield Case("minimum", "E1008", path, _setter(tokens, f.name, f.min_value - 1))
            if f.max_value is not None:
                yield Case("maximum", "E1008", path, _setter(tokens, f.name, f.max_value + 1))
        elif f.kind == "list":
            assert f.schema is not None
            yield Case("type", "E1006", path, _setter(tokens, f.name, "not a list"))
            items = sample.get(f.name) or [DEFAULT_ITEMS[f.name]]
            if f.max_items is not None:
                yield Case("max items", "E1007", path, _setter(tokens, f.name, [items[0]] * (f.max_items + 1)))
            if f.name not in sample:
                sample = dict(sample, **{f.name: [copy.deepcopy(items[0])]})
                for case in cases(f.schema, items[0], [*tokens, f.name, 0]):
                    yield _with_list(case, tokens, f.name, items[0])
            else:
                yield from cases(f.schema, items[0], [*tokens, f.name, 0])
        elif f.kind in ("object", "switch"):
            yield Case("type", "E1006", path, _setter(tokens, f.name, "not an object"))
            inner = f.schema if f.kind == "object" else (f.variants or {})[sample[f.switch or ""]]
            assert inner is not None
            yield from cases(inner, sample[f.name], [*tokens, f.name])


def _with_list(case: Case, tokens: list[str | int], name: str, item: dict[str, Any]) -> Case:
    """Insert the default list item before applying the case (the sample had no such list)."""
    inner = case.mutate

    def mutate(root: dict[str, Any]) -> None:
        _parent(root, tokens)[name] = [copy.deepcopy(item)]
        inner(root)

    return Case(case.what, case.code, case.path, mutate)


def _required_count(schema: Schema, sample: dict[str, Any]) -> int:
    n = 0
    for f in schema.fields:
        n += f.required
        if f.kind == "list" and f.schema is not None:
            n += _required_count(f.schema, (sample.get(f.name) or [DEFAULT_ITEMS.get(f.name, {})])[0])
        elif f.kind == "switch":
            n += _required_count((f.variants or {})[sample[f.switch or ""]], sample[f.name])
    return n


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_field_rule(method: str) -> None:
    sample = sample_for(method)
    assert check_request(method, sample) == [], "the sample itself must be valid"
    checked = 0
    failures: list[str] = []
    for case in cases(METHODS[method].schema, sample, []):
        broken = copy.deepcopy(sample)
        case.mutate(broken)
        issues = check_request(method, broken)
        checked += 1
        if not any(i.code == case.code and i.path == case.path for i in issues):
            failures.append(f"{case.path} {case.what}: expected {case.code}, got "
                            f"{[(i.code, i.path) for i in issues][:4]}")
    required = _required_count(METHODS[method].schema, sample)
    print(f"\n{method}: {checked} field rules checked, {required} required fields")
    assert not failures, "\n".join(failures)
    assert checked > 0 and checked >= required


def test_totals_over_all_methods(capsys: pytest.CaptureFixture[str]) -> None:
    """The overall figure the acceptance criterion asks for (and a guard that the walk is real)."""
    total = required = 0
    for method in METHODS:
        sample = sample_for(method)
        total += sum(1 for _ in cases(METHODS[method].schema, sample, []))
        required += _required_count(METHODS[method].schema, sample)
    with capsys.disabled():
        print(f"\nbill validation table walk: {len(METHODS)} methods, {total} field rules, "
              f"{required} required fields")
    assert len(METHODS) >= 51
    assert total >= required >= 600
