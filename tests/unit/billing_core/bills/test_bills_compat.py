"""Normalisation (V3.1/V2.0.3 names, numbers as strings), all-issues-at-once, batches,
emergency uploads, the sample fixtures, and canonical bill bytes."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing_core import envelope
from billing_core.bills import METHODS, canonical_bill_bytes, check_request, validate_request
from billing_core.errors import ValidationError

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests"
OUT = "invoiceEBillOutpatient"
SAMPLES = [
    ("outpatient.json", OUT, "02"),
    ("inpatient.json", "invEBillHospitalized", "01"),
    ("registration.json", "invEBillRegistration", "06"),
    ("checkup.json", "invEBillCheckUp", "05"),
    ("common_wanglai.json", "invoiceEBillCommon", "09"),
    ("common_donation.json", "invoiceEBillCommon", "10"),
]


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("fixture", "method", "bus_type"), SAMPLES)
def test_sample_requests_are_valid_and_realistic(fixture: str, method: str, bus_type: str) -> None:
    data = _load(fixture)
    norm = validate_request(method, data)
    assert norm["busType"] == bus_type and bus_type in METHODS[method].bus_types
    assert len(norm["chargeDetail"]) >= 2 and len(norm["payChannelDetail"]) >= 1
    assert any("\u4e00" <= ch <= "\u9fff" for ch in norm["payer"])
    if method != "invoiceEBillCommon":
        assert len(norm["listDetail"]) >= 2
    # the same request survives the wire (JSON floats come back as Decimal) unchanged
    wire = envelope.encode_request("HIS001", "k", data, noise="n1")
    again = envelope.decode_request(json.dumps(wire), {"HIS001": "k"}.get).data
    assert validate_request(method, again) == norm


def test_v31_names_are_normalised_to_v32() -> None:
    data = _load("outpatient.json")
    data.pop("patientCategoryCode")
    data["category"] = "呼吸内科"          # V3.1: category = dept name
    data["patientCategory"] = "0203"       # V3.1: patientCategory = dept code
    data["cashPay"] = "100.00"
    data["chequePay"] = "50.00"            # V3.1 money fields folded into V3.2 totals
    data["transferAccountPay"] = 25
    data["chequeRecharge"] = "10.00"
    data["transferRefund"] = "5.5"
    data["consultationDate"] = "2026-11-23"  # V2.0.3 date format
    data["sex"] = "1"                      # GB/T 2261.1 digit
    data["isArrears"] = "1"                # not an outpatient field in V3.2.0: dropped
    data["medCareItemCode"] = "X"          # unknown: dropped
    norm = validate_request(OUT, data)
    assert norm["patientCategory"] == "呼吸内科" and norm["patientCategoryCode"] == "0203"
    assert "category" not in norm
    assert norm["cashPay"] == Decimal("175.00")
    assert norm["cashRecharge"] == Decimal("10.00") and norm["cashRefund"] == Decimal("5.50")
    assert norm["consultationDate"] == "20261123" and norm["sex"] == "男"
    for gone in ("isArrears", "medCareItemCode", "chequePay", "transferAccountPay", "chequeRecharge",
                 "transferRefund"):
        assert gone not in norm


def test_v31_bad_old_money_field_reported_at_its_path() -> None:
    data = _load("registration.json")
    data["chequePay"] = "abc"
    assert [(i.code, i.path) for i in check_request("invEBillRegistration", data)] == [("E1004", "chequePay")]


def test_inpatient_category_is_not_renamed_and_voucher_amt_dropped() -> None:
    data = _load("inpatient.json")
    data["payMentVoucher"][0]["voucherAmt"] = "3000.00"  # removed in V3.2.0
    norm = validate_request("invEBillHospitalized", data)
    assert norm["category"] == "心血管内科" and "patientCategory" not in norm
    assert norm["payMentVoucher"][0] == {"voucherBatchCode": "44010726", "voucherNo": "0000012345"}


def test_numbers_as_strings_numbers_and_decimals_all_accepted() -> None:
    as_strings = _load("outpatient.json")  # amounts as strings, sortNo as int
    as_numbers = json.loads(json.dumps(as_strings), parse_float=float)
    for key in ("totalAmt", "accountPay", "fundPay", "otherfundPay", "ownPay", "selfConceitedAmt",
                "selfPayAmt", "selfCashPay"):
        as_numbers[key] = float(as_numbers[key])
    for line in as_numbers["chargeDetail"]:
        line.update(std=float(line["std"]), number=int(line["number"]), amt=Decimal(line["amt"]),
                    sortNo=str(line["sortNo"]))
    a, b = validate_request(OUT, as_strings), validate_request(OUT, as_numbers)
    assert a == b
    assert a["chargeDetail"][3]["amt"] == Decimal("45.90") and a["chargeDetail"][3]["sortNo"] == 4
    assert str(a["listDetail"][0]["std"]) == "18.3000" and str(a["chargeDetail"][3]["number"]) == "3.00"
    assert a["age"] == "45"
    as_numbers["age"] = 45  # a JSON number in a text field is taken as its text
    as_numbers["payerType"] = 1  # and in a code-list field
    again = validate_request(OUT, as_numbers)
    assert again["age"] == "45" and again["payerType"] == "1"
    query = {"busBgnDate": "20261122000000000", "busEndDate": "20261122235959999", "dataType": 3,
             "pageNo": "1", "pageSize": Decimal("200")}
    assert validate_request("getBillByBusDate", query) == dict(query, dataType="3", pageNo=1, pageSize=200)


def test_every_problem_is_returned_at_once() -> None:
    data = _load("outpatient.json")
    del data["payer"]
    data["busNo"] = "X" * 51
    data["busDateTime"] = "2026112309301512"
    data["payerType"] = "3"
    data["chargeDetail"][0]["std"] = "1.234"
    data["chargeDetail"][2]["amt"] = "119.00"
    data["listDetail"][1]["name"] = ""
    data["payChannelDetail"][0]["payChannelValue"] = "209.00"
    data["otherInfo"][0]["infoNo"] = "first"
    with pytest.raises(ValidationError) as err:
        validate_request(OUT, data)
    got = {(i.code, i.path) for i in err.value.issues}
    assert got == {
        ("E1001", "payer"), ("E1002", "busNo"), ("E1003", "busDateTime"), ("E1005", "payerType"),
        ("E1004", "chargeDetail[0].std"), ("E1012", "chargeDetail[2].amt"), ("E1010", "chargeDetail"),
        ("E1013", "chargeDetail[2].amt"), ("E1001", "listDetail[1].name"), ("E1011", "payChannelDetail"),
        ("E1006", "otherInfo[0].infoNo"),
    }
    assert err.value.code == err.value.issues[0].code
    messages = {i.path: i.message for i in err.value.issues}
    assert messages["payer"] == "payer（患者姓名）为必填项"
    assert "busNo（业务流水号）" in messages["busNo"] and "50" in messages["busNo"]
    assert "yyyyMMddHHmmssSSS" in messages["busDateTime"]


def test_not_an_object_and_unknown_method() -> None:
    assert [(i.code, i.path) for i in check_request(OUT, ["a"])] == [("E1006", "data")]
    assert [(i.code, i.path) for i in check_request("invoiceEBill", {})] == [("E1019", "method")]


def test_batch_wrapper_checks_each_bill_and_the_batch() -> None:
    bill = _load("registration.json")
    second = dict(bill, busNo="REG20261123001574", payer="")
    batch = {"batchNo": "B20261123", "eBillList": [bill, second, dict(bill)]}
    got = [(i.code, i.path) for i in check_request("batchInvoiceEBillRegistration", batch)]
    assert got == [("E1001", "eBillList[1].payer"), ("E1009", "eBillList[2].busNo")]
    big = {"batchNo": "B2", "eBillList": [dict(bill, busNo=f"REG{i:06d}") for i in range(201)]}
    assert [(i.code, i.path) for i in check_request("batchInvoiceEBillRegistration", big)] == [
        ("E1007", "eBillList")]
    big["eBillList"].pop()
    norm = validate_request("batchInvoiceEBillRegistration", big)
    assert len(norm["eBillList"]) == 200 and norm["eBillList"][0]["totalAmt"] == Decimal("35.00")


def test_emergency_upload_validates_bill_by_its_type() -> None:
    upload = {"billType": "hospitalized", "bill": _load("inpatient.json"), "billBatchCode": "44060126",
              "billNo": "0000090151", "random": "3f9a2c", "issueTime": "20261120160300000",
              "terminalId": "CASHIER-001"}
    norm = validate_request("uploadEmergencyEBill", upload)
    assert norm["bill"]["hospitalNo"] == "ZY2026001234"
    upload["billType"] = "outpatient"
    upload["bill"] = _load("common_wanglai.json")  # a 往来票 lacks every medical field
    got = [(i.code, i.path) for i in check_request("uploadEmergencyEBill", upload)]
    assert ("E1001", "bill.cardType") in got and ("E1001", "bill.patientNo") in got
    assert ("E1001", "bill.chargeDetail[0].selfAmt") in got and ("E1001", "bill.listDetail") in got
    assert all(p.startswith("bill.") for _, p in got)
    upload["billType"] = "ward"
    got = [(i.code, i.path) for i in check_request("uploadEmergencyEBill", upload)]
    assert got == [("E1005", "billType")]


def test_canonical_bill_bytes_is_deterministic() -> None:
    data = _load("outpatient.json")
    norm = validate_request(OUT, data)
    raw = canonical_bill_bytes(norm)
    shuffled_items = list(data.items())
    random.Random(7).shuffle(shuffled_items)
    as_numbers = json.loads(json.dumps(dict(shuffled_items)).replace('"386.50"', "386.5"))
    assert canonical_bill_bytes(validate_request(OUT, as_numbers)) == raw
    text = raw.decode("utf-8")
    assert " " not in text.replace("0.5g*24粒", "") and "\n" not in text
    assert text.startswith('{"ICD":"J06.900","accountPay":"76.50","age":"45"')
    assert '"totalAmt":"386.50"' in text and '"payer":"张伟"' in text and '"sortNo":1' in text
    assert '"std":"18.3000"' in text  # list amounts keep their four places
    assert json.loads(text)["chargeDetail"][3]["amt"] == "45.90"
    with pytest.raises(TypeError):
        canonical_bill_bytes({"totalAmt": 386.5})


@pytest.mark.parametrize(("fixture", "method", "bus_type"), SAMPLES)
def test_validation_leaves_its_input_untouched(fixture: str, method: str, bus_type: str) -> None:
    # the sync server validates uploaded emergency bills in place (no defensive copy), and keeps
    # the uploaded object for the carry-forward: validation must not change it, valid or not
    data = _load(fixture)
    validate_request(method, data)
    assert data == _load(fixture)
    broken = _load(fixture)
    broken["totalAmt"], broken["chargeDetail"][0]["amt"] = "12.345", 7.5
    with pytest.raises(ValidationError):
        validate_request(method, broken)
    again = _load(fixture)
    again["totalAmt"], again["chargeDetail"][0]["amt"] = "12.345", 7.5
    assert broken == again
