"""The server validates a request once (sync_server.bills.validation.validate): billing_core's field
tables plus only those keys the server needs that billing_core leaves optional. The checks the
server used to repeat after billing_core (required keys, busNo, amounts, detail lists, sums) are
billing_core's, with billing_core's codes."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_core import methods
from billing_core.bills import METHODS
from billing_core.errors import BillingError, ValidationError
from sync_server.bills import validation
from sync_server.bills.validation import SERVER_NEEDS, extra_required, validate
from sync_server.errors import RequestDataError
from sync_server.his.issuing import Issuer

pytestmark = pytest.mark.unit
REQUESTS = Path(__file__).resolve().parents[2] / "fixtures" / "requests"
SAMPLES = {methods.INVOICE_EBILL_OUTPATIENT: "outpatient.json", methods.INV_EBILL_HOSPITALIZED: "inpatient.json",
           methods.INV_EBILL_REGISTRATION: "registration.json", methods.INV_EBILL_CHECKUP: "checkup.json",
           methods.INVOICE_EBILL_COMMON: "common_donation.json"}


def _sample(method: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REQUESTS / SAMPLES[method]).read_text(encoding="utf-8"))
    return data


def _codes(method: str, data: Any) -> dict[str, str]:
    """path -> code of every issue validate() reports."""
    with pytest.raises(ValidationError) as exc:
        validate(method, data)
    return {i.path: i.code for i in exc.value.issues}


@pytest.mark.parametrize("method", sorted(SAMPLES))
def test_a_valid_bill_comes_back_normalised(method: str) -> None:
    out = validate(method, _sample(method))
    assert isinstance(out["totalAmt"], Decimal)
    assert all(isinstance(c["amt"], Decimal) for c in out["chargeDetail"])


def test_every_method_the_server_serves_has_its_needs_declared_only_in_the_vocabulary() -> None:
    assert set(SERVER_NEEDS) <= methods.HIS_METHODS
    assert set(methods.ISSUE) | set(methods.BATCH) | methods.BILL_CHANGES | methods.OTHER_CHANGES <= set(SERVER_NEEDS)


@pytest.mark.parametrize("method", sorted(SERVER_NEEDS))
def test_every_key_the_server_needs_is_refused_when_missing(method: str) -> None:
    found = _codes(method, {})
    for key in SERVER_NEEDS[method]:
        assert found.get(key) == "E1001", f"{method}: {key} not required by the one validation pass"


def test_keys_billing_core_requires_are_not_checked_again() -> None:
    # today billing_core requires every key the server needs: the server checks nothing itself
    assert validation.EXTRA_REQUIRED == {}
    # and a key billing_core leaves optional is folded in (getBillByBusDate's placeCode is optional)
    assert not METHODS[methods.GET_BILL_BY_BUS_DATE].schema.by_name["placeCode"].required
    assert extra_required({methods.GET_BILL_BY_BUS_DATE: ("busBgnDate", "placeCode")}) == \
        {methods.GET_BILL_BY_BUS_DATE: ("placeCode",)}


def test_a_folded_key_is_refused_with_the_servers_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "EXTRA_REQUIRED", {methods.GET_BILL_BY_BUS_DATE: ("placeCode",)})
    request = {"busBgnDate": "20261123000000000", "busEndDate": "20261123235959999", "pageNo": 1, "pageSize": 10}
    with pytest.raises(RequestDataError) as exc:
        validate(methods.GET_BILL_BY_BUS_DATE, request)
    assert (exc.value.code, exc.value.message) == ("E5026", "缺少必填字段：placeCode")
    assert validate(methods.GET_BILL_BY_BUS_DATE, {**request, "placeCode": "001"})["placeCode"] == "001"


@pytest.mark.parametrize(("change", "path", "code"), [
    (lambda d: d.__setitem__("busNo", "B" * 51), "busNo", "E1002"),
    (lambda d: d.__setitem__("busNo", ""), "busNo", "E1001"),
    (lambda d: d.__setitem__("payer", None), "payer", "E1001"),
    (lambda d: d.__setitem__("totalAmt", "12.3.4"), "totalAmt", "E1004"),
    (lambda d: d.__setitem__("totalAmt", "-1.00"), "totalAmt", "E1004"),
    (lambda d: d.__setitem__("chargeDetail", []), "chargeDetail", "E1015"),
    (lambda d: d.__setitem__("payChannelDetail", []), "payChannelDetail", "E1001"),
    (lambda d: d["payChannelDetail"][0].__setitem__("payChannelValue", "0.01"), "payChannelDetail", "E1011"),
    (lambda d: d["chargeDetail"][0].pop("amt"), "chargeDetail[0].amt", "E1001"),
], ids=["busNo-long", "busNo-empty", "payer", "amount", "negative", "no-charges", "no-channels", "channel-sum",
        "charge-amt"])
@pytest.mark.parametrize("method", sorted(SAMPLES))
def test_what_the_server_checked_twice_is_billing_cores(method: str, change: Any, path: str, code: str) -> None:
    data = _sample(method)
    change(data)
    assert _codes(method, data).get(path) == code


def test_the_charge_sum_is_billing_cores() -> None:
    data = _sample(methods.INVOICE_EBILL_COMMON)
    data["totalAmt"] = str(Decimal(str(data["totalAmt"])) + 1)
    assert _codes(methods.INVOICE_EBILL_COMMON, data).get("chargeDetail") == "E1010"


def test_a_method_without_a_field_table_passes_as_sent() -> None:
    data = {"billBatchCode": "42060126", "billNo": "0000000001", "random": "abc", "extra": 1}
    assert validate(methods.GET_EBILL_LAYOUT_FILE, data) is data


def test_services_take_validated_data_without_a_flag() -> None:
    assert "normalised" not in inspect.signature(Issuer.issue).parameters
    assert not hasattr(validation, "check_issue") and not hasattr(validation, "normalise")


def test_a_change_is_refused_with_every_missing_key_at_once() -> None:
    with pytest.raises(BillingError) as exc:
        validate(methods.WRITE_OFF_EBILL, {"billBatchCode": "42060126"})
    assert exc.value.code == "E1001" and "billNo" in exc.value.message and "placeCode" in exc.value.message
