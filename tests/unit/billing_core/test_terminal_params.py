"""billing_core.terminal_params: the rules of what the management web pushes (issue 19 §1)."""

from __future__ import annotations

import pytest

from billing_core import terminal_params as tp

pytestmark = pytest.mark.unit


def test_params_are_normalised() -> None:
    got = tp.check_params({"idle_seconds": " 45 ", "max_bills": 30, "max_total": "3000", "max_single": "12.5",
                           "printer_width_mm": "58", "printer_copies": "", "max_offline_hours": None,
                           "survey": [{"key": "doctor", "text": "满意吗？", "options": ["是", " 否 "]}]})
    assert got == {"idle_seconds": 45, "max_bills": 30, "max_total": "3000.00", "max_single": "12.50",
                   "printer_width_mm": 58, "survey": [{"key": "doctor", "text": "满意吗？", "options": ["是", "否"]}]}


@pytest.mark.parametrize(("raw", "words"), [
    ({"idle_seconds": "14"}, "空闲超时（秒）必须在15到600之间"),
    ({"idle_seconds": "1.5"}, "空闲超时（秒）必须是整数"),
    ({"max_bills": "0"}, "应急票据张数上限必须在1到100000之间"),
    ({"max_total": "-1"}, "应急累计金额上限（元）必须是大于0的金额"),
    ({"max_total": "1.001"}, "最多两位小数"),
    ({"max_total": "NaN"}, "应急累计金额上限（元）必须是大于0的金额"),
    ({"max_single": "abc"}, "应急单张限额（元）必须是金额"),
    ({"max_total": "100", "max_single": "200"}, "应急单张限额（元）不能大于应急累计金额上限（元）"),
    ({"printer_width_mm": "76"}, "小票纸宽（毫米）只能是58或80"),
    ({"colour": "red"}, "未知的终端参数：colour"),
    ({"survey": [{"key": "Doctor", "text": "x", "options": ["a", "b"]}]}, "第1题的标识"),
    ({"survey": [{"key": "d", "text": "x", "options": ["a"]}]}, "第1题须有2到6个选项"),
    ({"survey": [{"key": "d", "text": "x", "options": ["a", "b"]}] * 2}, "标识不能重复"),
])
def test_bad_params_name_the_field(raw: dict, words: str) -> None:
    with pytest.raises(tp.TerminalParamError) as err:
        tp.check_params(raw)
    assert err.value.code == "E5103" and words in err.value.message


def test_functions_and_upgrade() -> None:
    assert tp.check_functions("kiosk", ["query", "outpatient"]) == ["outpatient", "query"]
    with pytest.raises(tp.TerminalParamError) as err:
        tp.check_functions("kiosk", ["write_off"])
    assert err.value.code == "E5105" and "write_off" in err.value.message
    with pytest.raises(tp.TerminalParamError) as err:
        tp.check_functions("lab", [])
    assert err.value.code == "E5104"
    assert tp.check_upgrade({"version": "", "url": "", "sha256": ""}) == {}
    good = {"version": "1.5.0", "url": "https://h/k.deb", "sha256": "AB" * 32}
    assert tp.check_upgrade(good)["sha256"] == "ab" * 32
    for bad in ({**good, "url": "ftp://h/k"}, {**good, "sha256": "ab"}, {**good, "version": "1 0"},
                {**good, "url": ""}):
        with pytest.raises(tp.TerminalParamError) as err:
            tp.check_upgrade(bad)
        assert err.value.code == "E5106"


def test_delivery_round_trip_and_refusal() -> None:
    sent = tp.delivery(7, "cashier", None, {"max_bills": 9}, {})
    assert sent["functions"] == [name for name, _label in tp.FUNCTIONS["cashier"]]
    assert tp.parse_delivery(sent) == {"version": 7, "scene": "cashier", "functions": sent["functions"],
                                       "params": {"max_bills": 9}, "upgrade": {}}
    for bad in (None, [], {**sent, "version": "x"}, {**sent, "params": {"idle_seconds": 1}},
                {**sent, "scene": "lab"}):
        with pytest.raises(tp.TerminalParamError) as err:
            tp.parse_delivery(bad)
        assert err.value.code == "E5120"
