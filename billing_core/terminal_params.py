"""What the terminal-management web pushes to terminals (issue 19 §1), shared by both ends.

The server stores, per **scene** (``kiosk`` self-service machine, ``cashier`` window, ``ward``
nurse station), which functions that scene may use, the parameters its terminals apply, and the
upgrade its terminals are offered. It delivers them in the heartbeat answer as
``terminalConfig`` (:func:`delivery`); the terminal checks that answer with :func:`parse_delivery`
before applying anything, so a bad value from a broken or hostile server changes nothing.

Parameters (every key optional; an absent key leaves the terminal's own configured value):

* ``idle_seconds`` — the kiosk's idle timeout back to the attract screen (15 … 600 s);
* ``max_offline_hours``, ``max_bills``, ``max_total``, ``max_single`` — emergency limits
  (workflows.emergency.limits.EmergencyLimits; amounts are yuan with two places);
* ``printer_width_mm`` (58 or 80) and ``printer_copies`` (1 … 3) — the receipt printer;
* ``survey`` — the kiosk's satisfaction questions ``[{key, text, options}]``.

One pure module: no I/O, the rules in one place for the web form, the store and the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from billing_core.errors import BillingError

#: caller kind (sync_server.security.permissions.KINDS) -> scene
SCENE_OF_KIND = {"kiosk": "kiosk", "terminal": "cashier", "ward": "ward"}
SCENES = ("kiosk", "cashier", "ward")
SCENE_NAMES = {"kiosk": "自助机", "cashier": "收费窗口", "ward": "病区护士站"}

#: scene -> (function name, Chinese label); the kiosk's names are workflows.kiosk_config.FUNCTIONS
FUNCTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "kiosk": (
        ("identify_ssc", "社保卡识别"), ("identify_id_card", "身份证识别"), ("identify_voucher", "医保电子凭证"),
        ("identify_hospital_card", "就诊卡识别"), ("identify_face", "人脸识别"), ("register_card", "办就诊卡"),
        ("registration", "挂号/预约"), ("check_in", "预约签到"), ("outpatient", "门诊缴费"),
        ("prepay", "预交金充值"), ("deposit", "住院押金"), ("discharge", "出院结算"),
        ("print_notice", "打印电子票据告知单"), ("paper", "换开纸质票据"), ("query", "费用/日清单查询"),
        ("survey", "满意度评价"),
    ),
    "cashier": (
        ("issue", "手工开票"), ("import_his", "HIS业务导入开票"), ("paper", "换开纸质票据"),
        ("reprint", "重打纸质票据"), ("write_off", "冲红"), ("batch_write_off", "批量冲红"),
        ("stock", "票据库存管理"), ("query", "查询统计"), ("daily_report", "日结报表"),
        ("emergency", "应急开票"),
    ),
    "ward": (
        ("arrears", "欠费补缴"), ("settlement", "结算结果查询"), ("query", "费用查询"),
    ),
}

#: parameter key -> Chinese label (the web form and error messages name the field by it)
PARAM_LABELS = {
    "idle_seconds": "空闲超时（秒）", "max_offline_hours": "应急离线时长上限（小时）",
    "max_bills": "应急票据张数上限", "max_total": "应急累计金额上限（元）", "max_single": "应急单张限额（元）",
    "printer_width_mm": "小票纸宽（毫米）", "printer_copies": "打印份数", "survey": "满意度问题",
}
_INT_RANGES = {"idle_seconds": (15, 600), "max_offline_hours": (1, 168), "max_bills": (1, 100_000),
               "printer_copies": (1, 3)}
_MONEY_MAX = Decimal("9999999.99")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class TerminalParamError(BillingError):
    """A pushed parameter, function list or upgrade entry is not acceptable (the message names it)."""

    code = "E5103"
    default_message = "终端参数不合法"


def _int(key: str, value: Any) -> int:
    low, high = _INT_RANGES[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        raise TerminalParamError(f"{PARAM_LABELS[key]}必须是整数") from None
    if not low <= number <= high:
        raise TerminalParamError(f"{PARAM_LABELS[key]}必须在{low}到{high}之间")
    return number


def _money(key: str, value: Any) -> str:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise TerminalParamError(f"{PARAM_LABELS[key]}必须是金额（元，两位小数）") from None
    if not amount.is_finite() or amount <= 0 or amount > _MONEY_MAX or amount != amount.quantize(Decimal("0.01")):
        raise TerminalParamError(f"{PARAM_LABELS[key]}必须是大于0的金额，最多两位小数")
    return f"{amount.quantize(Decimal('0.01'))}"


def _survey(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not 1 <= len(value) <= 10:
        raise TerminalParamError("满意度问题必须是1到10个问题")
    out: list[dict[str, Any]] = []
    for i, q in enumerate(value, 1):
        if not isinstance(q, Mapping):
            raise TerminalParamError(f"满意度问题第{i}题格式错误")
        key, text, options = str(q.get("key") or "").strip(), str(q.get("text") or "").strip(), q.get("options")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
            raise TerminalParamError(f"满意度问题第{i}题的标识须为小写字母开头的字母、数字或下划线")
        if not 1 <= len(text) <= 60:
            raise TerminalParamError(f"满意度问题第{i}题的题目须为1到60个字")
        if not isinstance(options, list) or not 2 <= len(options) <= 6 or \
                not all(isinstance(o, str) and 1 <= len(o.strip()) <= 12 for o in options):
            raise TerminalParamError(f"满意度问题第{i}题须有2到6个选项，每个1到12个字")
        out.append({"key": key, "text": text, "options": [o.strip() for o in options]})
    if len({q["key"] for q in out}) != len(out):
        raise TerminalParamError("满意度问题的标识不能重复")
    return out


def check_params(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised parameters (ints, money as "0.00" strings, survey list) or TerminalParamError
    naming the first bad field; empty values are dropped (the terminal keeps its own)."""
    unknown = sorted(set(raw) - set(PARAM_LABELS))
    if unknown:
        raise TerminalParamError(f"未知的终端参数：{'、'.join(unknown)}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None or value == "" or value == []:
            continue
        if key in _INT_RANGES:
            out[key] = _int(key, value)
        elif key in ("max_total", "max_single"):
            out[key] = _money(key, value)
        elif key == "printer_width_mm":
            if str(value).strip() not in ("58", "80"):
                raise TerminalParamError("小票纸宽（毫米）只能是58或80")
            out[key] = int(str(value).strip())
        else:
            out[key] = _survey(value)
    if "max_total" in out and "max_single" in out and Decimal(out["max_single"]) > Decimal(out["max_total"]):
        raise TerminalParamError("应急单张限额（元）不能大于应急累计金额上限（元）")
    return out


def check_functions(scene: str, names: list[str]) -> list[str]:
    """The scene's allowed functions in catalogue order (unknown scene or name refused)."""
    if scene not in FUNCTIONS:
        raise TerminalParamError(f"未知的终端场景：{scene}", code="E5104")
    known = [name for name, _label in FUNCTIONS[scene]]
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise TerminalParamError(f"场景{SCENE_NAMES[scene]}没有这些功能：{'、'.join(unknown)}", code="E5105")
    return [name for name in known if name in names]


def check_upgrade(raw: Mapping[str, Any]) -> dict[str, str]:
    """``{version, url, sha256}`` checked (all three, or all empty = no upgrade offered)."""
    version = str(raw.get("version") or "").strip()
    url = str(raw.get("url") or "").strip()
    digest = str(raw.get("sha256") or "").strip().lower()
    if not (version or url or digest):
        return {}
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}", version):
        raise TerminalParamError("升级版本号须为1到40位字母、数字、点、横线", code="E5106")
    if not re.fullmatch(r"https?://[^\s\"'<>]{1,400}", url):
        raise TerminalParamError("升级包地址须为http或https地址", code="E5106")
    if not _HEX64.match(digest):
        raise TerminalParamError("升级包SHA-256须为64位十六进制", code="E5106")
    return {"version": version, "url": url, "sha256": digest}


def delivery(version: int, scene: str, functions: list[str] | None, params: Mapping[str, Any],
             upgrade: Mapping[str, str]) -> dict[str, Any]:
    """The ``terminalConfig`` of a heartbeat answer (``functions`` None = every function allowed)."""
    return {"version": str(version), "scene": scene,
            "functions": list(functions) if functions is not None else [n for n, _l in FUNCTIONS[scene]],
            "params": dict(params), "upgrade": dict(upgrade)}


def parse_delivery(raw: Any) -> dict[str, Any]:
    """A received ``terminalConfig`` checked as the server checked it: ``{version (int), scene,
    functions, params, upgrade}``; TerminalParamError (the terminal keeps what it had)."""
    if not isinstance(raw, Mapping):
        raise TerminalParamError("服务器下发的终端配置格式错误", code="E5120")
    try:
        version = int(str(raw.get("version")))
        scene = str(raw.get("scene") or "")
        functions = check_functions(scene, [str(f) for f in raw.get("functions") or []])
        params = check_params(dict(raw.get("params") or {}))
        upgrade = check_upgrade(dict(raw.get("upgrade") or {}))
    except (TerminalParamError, ValueError, TypeError) as exc:
        raise TerminalParamError(f"服务器下发的终端配置不合法：{getattr(exc, 'message', exc)}", code="E5120") from None
    return {"version": version, "scene": scene, "functions": functions, "params": params, "upgrade": upgrade}
