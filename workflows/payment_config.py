"""The ``[payment]`` table of a terminal's config: which unified payment platform the kiosk or
ward terminal pays through (docs/PAYMENT.md, "Pointing a site at its real platform").

::

    [payment]
    url = "https://pay.hospital.example"   # the platform's base URL (operations at url/pay/<op>)
    mch_id = "1900000109"                  # the hospital's merchant number on it
    key_file = "/etc/ebill/payment.key"    # or key = "..." (the signing key; never logged)
    timeout = 10                           # seconds per request; past it PaymentUnavailable
    notify_url = ""                        # where the platform POSTs payment notifications
    channel = "aggregate"                  # QR codes: aggregate | wechat | alipay | unionpay
    qr_deadline = 120                      # seconds a patient has to scan and pay
    code_deadline = 60                     # seconds a patient has to confirm a payment code
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from billing_core.clock import Clock
from workflows.errors import ConfigError
from workflows.events import Events
from workflows.payment_client import PaymentClient
from workflows.payment_session import PaymentSession

CHANNELS = ("aggregate", "wechat", "alipay", "unionpay")


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    """Where and as whom a terminal pays."""

    url: str
    mch_id: str
    key: str = field(repr=False)
    timeout: float = 10.0
    notify_url: str = ""
    channel: str = "aggregate"
    qr_deadline: float = 120.0
    code_deadline: float = 60.0

    def client(self, clock: Clock | None = None) -> PaymentClient:
        """A client of the configured platform."""
        return PaymentClient(self.url, self.mch_id, self.key, self.timeout, clock=clock)

    def session(self, events: Events | None = None, clock: Clock | None = None) -> PaymentSession:
        """A payment session over :meth:`client` with the configured deadlines."""
        return PaymentSession(self.client(clock), events, clock=clock, qr_deadline=self.qr_deadline,
                              code_deadline=self.code_deadline)


def _seconds(table: Mapping[str, Any], name: str, default: float, where: str) -> float:
    value = table.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 3600:
        raise ConfigError(f"{where}.{name}必须是0到3600之间的秒数")
    return float(value)


def payment_settings(table: Any, where: str = "[payment]") -> PaymentSettings | None:
    """Read a ``[payment]`` table (None when the terminal takes no payments); :raises ConfigError:
    E8701 naming the key."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}必须是键值表")
    for name in ("url", "mch_id"):
        if not str(table.get(name, "")).strip():
            raise ConfigError(f"{where}缺少{name}")
    url = str(table["url"]).strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.url必须以http://或https://开头")
    key = str(table.get("key", "")).strip()
    if not key and table.get("key_file"):
        try:
            key = Path(str(table["key_file"])).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"无法读取{where}.key_file：{exc}") from exc
    if not key:
        raise ConfigError(f"{where}缺少key或key_file（支付平台签名密钥）")
    channel = str(table.get("channel", "aggregate"))
    if channel not in CHANNELS:
        raise ConfigError(f"{where}.channel必须是{'、'.join(CHANNELS)}之一")
    return PaymentSettings(url, str(table["mch_id"]).strip(), key, _seconds(table, "timeout", 10.0, where),
                           str(table.get("notify_url", "")), channel,
                           _seconds(table, "qr_deadline", 120.0, where), _seconds(table, "code_deadline", 60.0, where))
