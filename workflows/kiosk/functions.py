"""The kiosk's functions, the device roles each needs, and availability from device health.

A failing device disables only the functions that need it (issue 15 §4): the table below says
which. A function is offered when every role it *requires* is healthy; the identify methods are
functions of their own, so a broken ID reader leaves the social-security card and face working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workflows.kiosk.models import DeviceHealth, FunctionAvailability
from workflows.kiosk_config import FUNCTIONS as NAMES

# --- identify ---------------------------------------------------------------------------------
IDENTIFY_SSC = "identify_ssc"
IDENTIFY_ID_CARD = "identify_id_card"
IDENTIFY_VOUCHER = "identify_voucher"
IDENTIFY_HOSPITAL_CARD = "identify_hospital_card"
IDENTIFY_FACE = "identify_face"
# --- business flows ---------------------------------------------------------------------------
REGISTER_CARD = "register_card"        # 办就诊卡
REGISTRATION = "registration"          # 挂号 / 预约
CHECK_IN = "check_in"                  # 预约签到 / 取消
OUTPATIENT = "outpatient"              # 门诊缴费
PREPAY = "prepay"                      # 预交金充值
DEPOSIT = "deposit"                    # 住院押金
DISCHARGE = "discharge"                # 出院结算
PRINT_NOTICE = "print_notice"          # 打印电子票据告知单
PAPER = "paper"                        # 换开纸质票据
QUERY = "query"                        # 费用 / 日清单 / 票据查询
SURVEY = "survey"                      # 满意度评价


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One kiosk function: its Chinese label and the device roles it needs."""

    name: str
    label: str
    requires: tuple[str, ...]


#: function -> devices needed. Every flow that ends in a printed receipt needs the receipt printer
#: (the patient must get the 凭条); QR payment is shown on screen, a payment code needs the scanner
#: but a flow can still be paid by QR, so the scanner is not required for the flows.
FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in (
    FunctionSpec(IDENTIFY_SSC, "社保卡", ("ssc_reader",)),
    FunctionSpec(IDENTIFY_ID_CARD, "身份证", ("id_reader",)),
    FunctionSpec(IDENTIFY_VOUCHER, "医保电子凭证", ("scanner",)),
    FunctionSpec(IDENTIFY_HOSPITAL_CARD, "就诊卡", ()),
    FunctionSpec(IDENTIFY_FACE, "刷脸", ("camera",)),
    FunctionSpec(REGISTER_CARD, "办就诊卡", ("id_reader", "receipt_printer")),
    FunctionSpec(REGISTRATION, "挂号预约", ("receipt_printer",)),
    FunctionSpec(CHECK_IN, "预约签到", ("receipt_printer",)),
    FunctionSpec(OUTPATIENT, "门诊缴费", ("receipt_printer",)),
    FunctionSpec(PREPAY, "预交金充值", ("receipt_printer",)),
    FunctionSpec(DEPOSIT, "住院押金", ("receipt_printer",)),
    FunctionSpec(DISCHARGE, "出院结算", ("receipt_printer",)),
    FunctionSpec(PRINT_NOTICE, "打印电子票据", ("receipt_printer",)),
    FunctionSpec(PAPER, "换开纸质票据", ("bill_printer",)),
    FunctionSpec(QUERY, "费用查询", ()),
    FunctionSpec(SURVEY, "满意度评价", ()),
)}

#: The Chinese reason per role, shown on a disabled function.
ROLE_FAULTS: dict[str, str] = {
    "ssc_reader": "社保卡读卡器故障，请到人工窗口办理",
    "id_reader": "身份证读卡器故障，请到人工窗口办理",
    "scanner": "扫码器故障，请到人工窗口办理",
    "camera": "摄像头故障，请到人工窗口办理",
    "receipt_printer": "凭条打印机故障，请到人工窗口办理",
    "bill_printer": "票据打印机故障，请到人工窗口办理",
}
DISABLED_BY_CONFIG = "本机未开通此功能，请到人工窗口办理"
assert tuple(FUNCTIONS) == NAMES, "workflows.kiosk_config.FUNCTIONS must list the same functions"


def availability(health: Mapping[str, DeviceHealth], enabled: Iterable[str] | None = None
                 ) -> dict[str, FunctionAvailability]:
    """Every function's availability from the devices' health.

    :param health: role -> health; a role that is absent counts as not installed (faulty).
    :param enabled: the functions the site turned on ([kiosk].functions); None = all.
    """
    allowed = set(FUNCTIONS) if enabled is None else set(enabled)
    out: dict[str, FunctionAvailability] = {}
    for name, spec in FUNCTIONS.items():
        if name not in allowed:
            out[name] = FunctionAvailability(name, spec.label, False, DISABLED_BY_CONFIG)
            continue
        broken = [role for role in spec.requires if not (role in health and health[role].ok)]
        if broken:
            out[name] = FunctionAvailability(name, spec.label, False, ROLE_FAULTS.get(broken[0], DISABLED_BY_CONFIG))
        else:
            out[name] = FunctionAvailability(name, spec.label, True)
    return out
