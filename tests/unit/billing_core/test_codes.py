"""billing_core.codes: code lists and the per-hospital HIS -> platform code mapping on the wire."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from billing_core import codes, envelope
from billing_core.bills import validate_request
from billing_core.codes import CodeMapping, CodeMappingError, CodeMappingFileError
from billing_core.errors import ValidationError

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "billing_core" / "data" / "code_mapping.example.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "requests"

HOSPITAL_TOML = """
[hospital]
name = "测试县人民医院"
strict = ["payChannelCode"]

[busType]
"1" = "02"

[placeCode]
"SF-01" = "0012"

[cardType]
"JZK" = "3101"

[payChannelCode]
"WXZF" = "05"
"YBGR" = "YBK"
"YBTC" = "YBTCJJ"

[chargeCode]
"XYF" = "001"
"HYF" = "004"
"JCF" = "003"
"ZLF" = "005"
"""


def _outpatient_in_his_codes() -> dict:
    """The outpatient fixture as the HIS of 测试县人民医院 sends it: its own internal codes."""
    data = json.loads((FIXTURES / "outpatient.json").read_text(encoding="utf-8"))
    data["busType"] = "1"
    data["placeCode"] = "SF-01"
    data["cardType"] = "JZK"
    his_charge = {"001": "XYF", "004": "HYF", "003": "JCF", "005": "ZLF"}
    for line in data["chargeDetail"] + data["listDetail"]:
        line["chargeCode"] = his_charge[line["chargeCode"]]
    his_channel = {"05": "WXZF", "YBK": "YBGR", "YBTCJJ": "YBTC"}
    for ch in data["payChannelDetail"]:
        ch["payChannelCode"] = his_channel[ch["payChannelCode"]]
    return data


@pytest.fixture()
def hospital_file(tmp_path: Path) -> Path:
    path = tmp_path / "hospital_codes.toml"
    path.write_text(HOSPITAL_TOML, encoding="utf-8")
    return path


def test_code_lists_have_spec_values() -> None:
    assert codes.BUS_TYPE.label("02") == "门诊"
    assert codes.BUS_TYPE.codes()[:8] == ("01", "02", "03", "04", "05", "06", "07", "08")
    assert codes.PAYER_TYPE.codes() == ("1", "2")
    assert codes.DATA_TYPE.codes() == ("1", "2", "3", "4", "5")
    assert codes.CHANNEL_MODE.codes() == ("1", "2", "3", "4")
    assert codes.BATCH_STATUS.label("2") == "生成失败"
    assert "1202" in codes.NOTICE_TYPE and "1203" not in codes.NOTICE_TYPE
    assert codes.STATE.label("3") == "已冲红"
    assert codes.CODE_LISTS["isArrears"].label("0") == "不可流通"
    assert codes.BUS_TYPE.label("99") == "99"  # unknown codes shown as themselves


def test_example_mapping_file_loads() -> None:
    mapping = CodeMapping.load(EXAMPLE)
    assert mapping.hospital == "示例市第一人民医院"
    assert mapping.to_platform("busType", "MZ") == "02"
    assert mapping.to_platform("payChannelCode", "YBZH") == "YBK"
    assert mapping.to_platform("chargeCode", "unknown-passes") == "unknown-passes"
    assert mapping.to_his("busType", "01") == "ZY"
    with pytest.raises(CodeMappingError) as err:
        mapping.to_platform("busType", "XX")
    assert err.value.code == "E1030" and "XX" in err.value.message


def test_apply_maps_nested_fields_and_reports_every_unmapped_code(hospital_file: Path) -> None:
    mapping = CodeMapping.load(hospital_file)
    his = _outpatient_in_his_codes()
    mapped = mapping.apply("invoiceEBillOutpatient", his)
    assert mapped["busType"] == "02" and mapped["placeCode"] == "0012" and mapped["cardType"] == "3101"
    assert [c["chargeCode"] for c in mapped["chargeDetail"]] == ["001", "004", "003", "005"]
    assert {ln["chargeCode"] for ln in mapped["listDetail"]} == {"001", "004", "003", "005"}
    assert [c["payChannelCode"] for c in mapped["payChannelDetail"]] == ["YBTCJJ", "YBK", "05"]
    assert his["busType"] == "1", "apply must not modify its input"
    batch = {"batchNo": "B1", "eBillList": [his, dict(his, payChannelDetail=[
        {"payChannelCode": "XJ", "payChannelValue": "1"}, {"payChannelCode": "POS", "payChannelValue": "2"}])]}
    with pytest.raises(ValidationError) as err:
        mapping.apply("batchInvoiceEBillOutpatient", batch)
    assert [(i.code, i.path) for i in err.value.issues] == [
        ("E1030", "eBillList[1].payChannelDetail[0].payChannelCode"),
        ("E1030", "eBillList[1].payChannelDetail[1].payChannelCode"),
    ]


def test_mapped_code_is_on_the_wire(hospital_file: Path) -> None:
    """A hospital mapping file turns HIS codes into platform codes inside the signed envelope."""
    mapping = CodeMapping.load(hospital_file)
    request = validate_request("invoiceEBillOutpatient", _outpatient_in_his_codes(), mapping=mapping)
    wire = envelope.encode_request("HIS001", "secret-key", request, noise="8d0c6a3e-7f1b-4a59-9c2d-0e4b1f6a7c35")
    assert envelope.decode_request(json.dumps(wire), {"HIS001": "secret-key"}.get).data["busType"] == "02"
    sent = json.loads(base64.b64decode(wire["data"]).decode("utf-8"))
    print("on the wire:", sent["busType"], sent["placeCode"], sent["cardType"],
          [c["chargeCode"] for c in sent["chargeDetail"]], [p["payChannelCode"] for p in sent["payChannelDetail"]])
    assert sent["busType"] == "02" and sent["placeCode"] == "0012" and sent["cardType"] == "3101"
    assert [c["chargeCode"] for c in sent["chargeDetail"]] == ["001", "004", "003", "005"]
    assert [p["payChannelCode"] for p in sent["payChannelDetail"]] == ["YBTCJJ", "YBK", "05"]
    assert all(ln["chargeCode"] in {"001", "004", "003", "005"} for ln in sent["listDetail"])
    assert sent["totalAmt"] == "386.50"
    assert "XYF" not in wire["data"] and "XYF" not in base64.b64decode(wire["data"]).decode("utf-8")


def test_mapping_checks_bus_type_against_method(hospital_file: Path) -> None:
    mapping = CodeMapping.load(hospital_file)
    data = _outpatient_in_his_codes()
    data["busType"] = "01"  # passes through unmapped: 住院 on the outpatient method
    with pytest.raises(ValidationError) as err:
        validate_request("invoiceEBillOutpatient", data, mapping=mapping)
    assert [(i.code, i.path) for i in err.value.issues] == [("E1020", "busType")]
    assert "住院" in err.value.issues[0].message
    data["busType"] = "1"
    data["payChannelDetail"][0]["payChannelCode"] = "ZZ"  # strict kind: refused
    with pytest.raises(ValidationError) as err:
        validate_request("invoiceEBillOutpatient", data, mapping=mapping)
    assert [(i.code, i.path) for i in err.value.issues] == [("E1030", "payChannelDetail[0].payChannelCode")]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[busType\nMZ=", "TOML"),
        ('[colour]\nred = "1"\n', "colour"),
        ('[busType]\nMZ = 2\n', "busType"),
        ('[hospital]\nstrict = ["nope"]\n', "strict"),
    ],
)
def test_bad_mapping_files_are_refused(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CodeMappingFileError) as err:
        CodeMapping.load(path)
    assert err.value.code == "E1031" and fragment in err.value.message


def test_missing_mapping_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CodeMappingFileError):
        CodeMapping.load(tmp_path / "absent.toml")
