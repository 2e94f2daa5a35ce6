"""The ``[his]`` and ``[kiosk]`` tables of a terminal's config (workflows.terminal.config).

A module of its own beside payment_config (not inside workflows.kiosk) so the terminal config can
read these tables while workflows.kiosk builds on workflows.terminal, with no cycle between them.

::

    [his]
    url = "http://127.0.0.1:18090"   # the HIS adapter (docs/HIS_ADAPTER.md)
    appid = "kiosk-01"
    key_file = "/etc/ebill/his.key"   # or key = "..."
    timeout = 10

    [kiosk]
    idle_seconds = 60                 # back to the attract screen after this long untouched
    warning_seconds = 15              # the countdown shows in the last seconds
    cash_enabled = false              # banknote acceptor: cash payments + 现金收账单
    functions = ["registration", ...] # functions offered (default: all of workflows.kiosk.functions)
    survey = [{key = "doctor", text = "您对医生的服务满意吗？", options = ["非常满意", "满意", "一般", "不满意"]}]
    min_top_up = "1.00"               # smallest top-up / deposit
    max_top_up = "50000.00"
    card_fee = "5.00"                 # 工本费 (the HIS's cardFee; 0 = free)
    min_first_top_up = "10.00"        # the HIS's minFirstTopUp
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from billing_core.errors import BillingError
from workflows.his import HisClient

#: Every kiosk function name (workflows.kiosk.functions holds what each needs).
FUNCTIONS: tuple[str, ...] = (
    "identify_ssc", "identify_id_card", "identify_voucher", "identify_hospital_card", "identify_face",
    "register_card", "registration", "check_in", "outpatient", "prepay", "deposit", "discharge",
    "print_notice", "paper", "query", "survey",
)


class KioskConfigError(BillingError):
    """A bad [his] or [kiosk] table in the terminal config (the message names the key)."""

    code = "E3920"
    default_message = "自助机配置有误"


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    """A configurable satisfaction-survey question ([kiosk].survey)."""

    key: str
    text: str
    options: tuple[str, ...]  # e.g. 非常满意 / 满意 / 一般 / 不满意

DEFAULT_SURVEY = (
    SurveyQuestion("doctor", "您对医生的服务满意吗？", ("非常满意", "满意", "一般", "不满意")),
    SurveyQuestion("nurse", "您对护士的服务满意吗？", ("非常满意", "满意", "一般", "不满意")),
    SurveyQuestion("kiosk", "您对自助机的使用体验满意吗？", ("非常满意", "满意", "一般", "不满意")),
)


@dataclass(frozen=True, slots=True)
class HisSettings:
    """Where and as whom the kiosk calls the HIS."""

    url: str
    appid: str
    key: str = field(repr=False)
    timeout: float = 10.0

    def client(self) -> HisClient:
        """A client of the configured HIS."""
        return HisClient(self.url, self.appid, self.key, timeout=self.timeout)


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """The kiosk's behaviour."""

    idle_seconds: float = 60.0
    warning_seconds: float = 15.0
    cash_enabled: bool = False
    functions: tuple[str, ...] = tuple(FUNCTIONS)
    survey: tuple[SurveyQuestion, ...] = DEFAULT_SURVEY
    min_top_up: Decimal = Decimal("1.00")
    max_top_up: Decimal = Decimal("50000.00")
    card_fee: Decimal = Decimal("5.00")  # 工本费 of a hospital card (must equal the HIS's cardFee)
    min_first_top_up: Decimal = Decimal("10.00")  # the HIS's minFirstTopUp (shown on the form)
    #: the HIS's item code -> national insurance list code (医保目录对照) for the insured 门诊缴费
    insurance_codes: dict[str, str] = field(default_factory=dict)


def _key(table: Mapping[str, Any], where: str) -> str:
    key = str(table.get("key", "")).strip()
    if not key and table.get("key_file"):
        try:
            key = Path(str(table["key_file"])).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KioskConfigError(f"无法读取{where}.key_file：{exc}") from exc
    if not key:
        raise KioskConfigError(f"{where}缺少key或key_file（HIS签名密钥）")
    return key


def his_settings(table: Any, where: str = "[his]") -> HisSettings | None:
    """Read a ``[his]`` table (None when absent). :raises KioskConfigError: E3920 naming the key."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise KioskConfigError(f"{where}必须是键值表")
    for name in ("url", "appid"):
        if not str(table.get(name, "")).strip():
            raise KioskConfigError(f"{where}缺少{name}")
    url = str(table["url"]).strip()
    if not url.startswith(("http://", "https://")):
        raise KioskConfigError(f"{where}.url必须以http://或https://开头")
    timeout = table.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
        raise KioskConfigError(f"{where}.timeout必须是0到300之间的秒数")
    return HisSettings(url, str(table["appid"]).strip(), _key(table, where), float(timeout))


def _money(table: Mapping[str, Any], name: str, default: Decimal, where: str) -> Decimal:
    try:
        value = Decimal(str(table.get(name, default)))
    except InvalidOperation as exc:
        raise KioskConfigError(f"{where}.{name}必须是金额") from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise KioskConfigError(f"{where}.{name}必须是大于0、最多两位小数的金额")
    return value.quantize(Decimal("0.01"))


def _survey(raw: Any, where: str) -> tuple[SurveyQuestion, ...]:
    if raw is None:
        return DEFAULT_SURVEY
    if not isinstance(raw, list) or not raw:
        raise KioskConfigError(f"{where}.survey必须是非空的问题列表")
    out: list[SurveyQuestion] = []
    for i, q in enumerate(raw, 1):
        if not isinstance(q, Mapping) or not str(q.get("key", "")).strip() or not str(q.get("text", "")).strip():
            raise KioskConfigError(f"{where}.survey第{i}题缺少key或text")
        options = q.get("options", ["非常满意", "满意", "一般", "不满意"])
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) and o for o in options):
            raise KioskConfigError(f"{where}.survey第{i}题的options至少要两个选项")
        out.append(SurveyQuestion(str(q["key"]), str(q["text"]), tuple(options)))
    if len({q.key for q in out}) != len(out):
        raise KioskConfigError(f"{where}.survey的key不能重复")
    return tuple(out)


def kiosk_settings(table: Any, where: str = "[kiosk]") -> KioskSettings | None:
    """Read a ``[kiosk]`` table (None when absent: not a kiosk). :raises KioskConfigError: E3920."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise KioskConfigError(f"{where}必须是键值表")
    secs: dict[str, float] = {}
    for name, default in (("idle_seconds", 60.0), ("warning_seconds", 15.0)):
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
            raise KioskConfigError(f"{where}.{name}必须是0到3600之间的秒数")
        secs[name] = float(value)
    functions = table.get("functions", list(FUNCTIONS))
    if not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
        raise KioskConfigError(f"{where}.functions必须是功能名列表")
    unknown = [f for f in functions if f not in FUNCTIONS]
    if unknown:
        raise KioskConfigError(f"{where}.functions有未知功能：{'、'.join(unknown)}")
    low = _money(table, "min_top_up", Decimal("1.00"), where)
    high = _money(table, "max_top_up", Decimal("50000.00"), where)
    if low > high:
        raise KioskConfigError(f"{where}.min_top_up不能大于max_top_up")
    fee = Decimal("0.00") if str(table.get("card_fee", "5.00")) in ("0", "0.00") else \
        _money(table, "card_fee", Decimal("5.00"), where)
    return KioskSettings(secs["idle_seconds"], min(secs["warning_seconds"], secs["idle_seconds"]),
                         bool(table.get("cash_enabled", False)), tuple(functions),
                         _survey(table.get("survey"), where), low, high, fee,
                         _money(table, "min_first_top_up", Decimal("10.00"), where), _codes(table, where))


def _codes(table: Mapping[str, Any], where: str) -> dict[str, str]:
    codes = table.get("insurance_codes", {})
    if not isinstance(codes, Mapping):
        raise KioskConfigError(f"{where}.insurance_codes（医保目录对照）必须是键值表")
    return {str(k): str(v) for k, v in codes.items()}
