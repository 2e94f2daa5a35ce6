"""Exposure limits of emergency issuing, as on Chinese tax-control devices (离线开票时长, 离线开票张数,
离线正数累计金额, 单张限额; offline_rules.md §2.6, §6.3): a warning at ``warn_ratio`` (80 %) and a hard
stop at 100 %, plus the upload deadline (overdue alarm) and the low-stock warning.

Usage is measured on emergency bills the server does not hold yet (journal state ``issued``):
uploading them frees the limits again. Offline time runs from the earlier of the oldest such
bill and the moment the link went down (fiskaly: the clock starts at the first unsent record).
Everything here is pure: inputs in, notices out, tested with plain values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from billing_core.clock import parse_ts17
from billing_core.errors import BillingError
from billing_core.money import format_yuan

# Hard stops (exceptions) and warnings (notices). docs/ERRORS.md lists each.
STOP_HOURS, STOP_COUNT, STOP_TOTAL, STOP_SINGLE = "E8301", "E8302", "E8303", "E8304"
WARN_HOURS, WARN_COUNT, WARN_TOTAL, WARN_SINGLE = "E8311", "E8312", "E8313", "E8314"
ALARM_OVERDUE, WARN_LOW_STOCK, WARN_DEADLINE = "E8320", "E8321", "E8322"


@dataclass(frozen=True, slots=True)
class EmergencyLimits:
    """Configurable limits (terminal config ``limits``); defaults follow practitioners' 24-72 h.

    :param max_offline_hours: no emergency bill after this long offline.
    :param max_bills: emergency bills waiting for upload.
    :param max_total: their cumulative amount (yuan).
    :param max_single: the largest single emergency bill (yuan).
    :param warn_ratio: the share of a limit at which the warning starts.
    :param upload_deadline_hours: each emergency bill must reach the server within this.
    :param low_stock: warn when this many numbers or fewer are left.
    """

    max_offline_hours: Decimal = Decimal(24)
    max_bills: int = 500
    max_total: Decimal = Decimal("100000.00")
    max_single: Decimal = Decimal("5000.00")
    warn_ratio: Decimal = Decimal("0.8")
    upload_deadline_hours: Decimal = Decimal(24)
    low_stock: int = 20

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None) -> EmergencyLimits:
        """Limits from the config mapping (unknown keys refused so typos do not go unnoticed)."""
        raw = dict(raw or {})
        known = set(cls.__dataclass_fields__)
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown limit keys: {sorted(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in raw.items():
            kwargs[key] = int(value) if key in ("max_bills", "low_stock") else Decimal(str(value))
        return cls(**kwargs)

    def as_dict(self) -> dict[str, str | int]:
        """JSON-friendly view (status snapshot)."""
        return {k: (v if isinstance(v, int) else f"{v}") for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class LimitNotice:
    """A warning, alarm or stop to show the cashier (code + Chinese message)."""

    code: str
    limit: str
    level: str  # "warn" | "alarm" | "stop"
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "limit": self.limit, "level": self.level, "message": self.message}


class LimitExceededError(BillingError):
    """A hard limit stops emergency issuing (the bill is not issued, no number is used)."""

    code = STOP_COUNT
    default_message = "已达到应急开票限额，停止应急开票"

    def __init__(self, notice: LimitNotice) -> None:
        super().__init__(notice.message, code=notice.code)
        self.notice = notice


@dataclass(frozen=True, slots=True)
class Usage:
    """What the limits are measured on."""

    pending_count: int
    pending_total: Decimal
    oldest_pending: str | None  # ts17
    offline_since: datetime | None
    remaining_stock: int


def offline_hours(usage: Usage, now: datetime) -> Decimal:
    """Hours since the emergency episode started (0 when online with nothing pending)."""
    starts = [t for t in (usage.offline_since,
                          parse_ts17(usage.oldest_pending) if usage.oldest_pending else None) if t is not None]
    if not starts:
        return Decimal(0)
    seconds = max(0.0, (now - min(starts)).total_seconds())
    return (Decimal(str(seconds)) / 3600).quantize(Decimal("0.01"))


def _ratio(used: Decimal, limit: Decimal) -> Decimal:
    return Decimal(1) if limit <= 0 else used / limit


def check_issue(limits: EmergencyLimits, usage: Usage, amount: Decimal, now: datetime) -> list[LimitNotice]:
    """Check one more emergency bill of ``amount``.

    :returns: the warnings that apply once it is issued.
    :raises LimitExceededError: when it would pass a hard limit (nothing is issued).
    """
    hours = offline_hours(usage, now)
    if hours >= limits.max_offline_hours:
        raise LimitExceededError(LimitNotice(
            STOP_HOURS, "max_offline_hours", "stop",
            f"离线开票时长已达{hours}小时（上限{limits.max_offline_hours}小时），停止应急开票，请恢复网络并上传应急票据"))
    if usage.pending_count + 1 > limits.max_bills:
        raise LimitExceededError(LimitNotice(
            STOP_COUNT, "max_bills", "stop",
            f"待上传应急票据已达{usage.pending_count}张（上限{limits.max_bills}张），停止应急开票，请上传后再开"))
    if usage.pending_total + amount > limits.max_total:
        raise LimitExceededError(LimitNotice(
            STOP_TOTAL, "max_total", "stop",
            f"应急开票累计金额将达{format_yuan(usage.pending_total + amount)}元"
            f"（上限{format_yuan(limits.max_total)}元），停止应急开票"))
    if amount > limits.max_single:
        raise LimitExceededError(LimitNotice(
            STOP_SINGLE, "max_single", "stop",
            f"单张应急票据金额{format_yuan(amount)}元超过上限{format_yuan(limits.max_single)}元，请联网开票"))
    after = Usage(usage.pending_count + 1, usage.pending_total + amount, usage.oldest_pending,
                  usage.offline_since, max(0, usage.remaining_stock - 1))
    notices = warnings(limits, after, now)
    if _ratio(amount, limits.max_single) >= limits.warn_ratio:
        notices.append(LimitNotice(WARN_SINGLE, "max_single", "warn",
                                   f"本张应急票据金额{format_yuan(amount)}元已接近单张上限{format_yuan(limits.max_single)}元"))
    return notices


def warnings(limits: EmergencyLimits, usage: Usage, now: datetime) -> list[LimitNotice]:
    """Standing warnings and alarms (status bar), without a new bill."""
    out: list[LimitNotice] = []
    hours = offline_hours(usage, now)
    w = limits.warn_ratio
    if usage.pending_count or usage.offline_since:
        if _ratio(hours, limits.max_offline_hours) >= w:
            level = "stop" if hours >= limits.max_offline_hours else "warn"
            code = STOP_HOURS if level == "stop" else WARN_HOURS
            out.append(LimitNotice(code, "max_offline_hours", level,
                                   f"离线开票时长{hours}小时，上限{limits.max_offline_hours}小时"))
    if _ratio(Decimal(usage.pending_count), Decimal(limits.max_bills)) >= w:
        level = "stop" if usage.pending_count >= limits.max_bills else "warn"
        out.append(LimitNotice(STOP_COUNT if level == "stop" else WARN_COUNT, "max_bills", level,
                               f"待上传应急票据{usage.pending_count}张，上限{limits.max_bills}张"))
    if _ratio(usage.pending_total, limits.max_total) >= w:
        level = "stop" if usage.pending_total >= limits.max_total else "warn"
        out.append(LimitNotice(STOP_TOTAL if level == "stop" else WARN_TOTAL, "max_total", level,
                               f"应急开票累计金额{format_yuan(usage.pending_total)}元，上限{format_yuan(limits.max_total)}元"))
    if usage.oldest_pending:
        deadline = upload_deadline(limits, usage.oldest_pending)
        if now > deadline:
            out.append(LimitNotice(ALARM_OVERDUE, "upload_deadline_hours", "alarm",
                                   f"应急票据已超过上传期限（{deadline:%Y-%m-%d %H:%M}），请立即恢复网络上传"))
        else:
            total = Decimal(str(limits.upload_deadline_hours * 3600))
            elapsed = Decimal(str((now - parse_ts17(usage.oldest_pending)).total_seconds()))
            if total > 0 and elapsed / total >= w:
                out.append(LimitNotice(WARN_DEADLINE, "upload_deadline_hours", "warn",
                                       f"应急票据须在{deadline:%Y-%m-%d %H:%M}前上传"))
    if usage.remaining_stock <= limits.low_stock:
        out.append(LimitNotice(WARN_LOW_STOCK, "low_stock", "warn",
                               f"应急票据号码仅剩{usage.remaining_stock}个，请联网领用应急库存"))
    return out


def upload_deadline(limits: EmergencyLimits, issue_time: str) -> datetime:
    """When a bill issued at ``issue_time`` (ts17) must be on the server."""
    return parse_ts17(issue_time) + timedelta(hours=float(limits.upload_deadline_hours))
