"""Terminal configuration of a cashier window (TOML).

Example (``docs/CASHIER.md`` lists every key)::

    [server]
    url = "http://127.0.0.1:18000"          # sync server; the HIS path is appended
    appid = "..."                           # this terminal's caller id and key
    key = "..."

    [window]
    place_code = "001"
    place_name = "门诊收费一号窗口"
    hospital = "演示市人民医院"
    terminal_id = "TERM01"                  # optional; default: the appid (the server checks they match)
    paper_batch_code = "42010126"

    [session]
    idle_seconds = 300

    [devices.receipt_printer]               # devices registry: driver "escpos" (python-escpos) or "virtual"
    driver = "escpos"
    transport = "network"
    host = "127.0.0.1"
    port = 9100

    [devices.bill_printer]
    pdf_dir = "var/paper"                    # paper bills rendered to PDF (preview / PDF printer)

    [emergency]                              # issue 7's engine (workflows.issuing)
    enabled = true
    private_key_file = "terminal_sm2.key"    # SM2 key registered with the server (generated when absent)
    stock_top_up = 50                        # numbers requested when stock runs low

    [limits]                                 # emergency limits, as the terminal runtime's (issue 7 §6)
    max_bills = 500
    max_total = "100000.00"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from billing_core.errors import BillingError
from workflows.emergency.limits import EmergencyLimits

HIS_PATH = "/medical-web/api/medical"


class ConfigError(BillingError):
    """The terminal TOML cannot be used (shown with the file and key)."""

    code = "E5800"
    default_message = "终端配置文件有误"


@dataclass(slots=True)
class CashierConfig:
    """Everything the window needs to start."""

    server_url: str = ""
    appid: str = ""
    key: str = ""
    place_code: str = "001"
    place_name: str = "门诊收费一号窗口"
    hospital: str = "演示市人民医院"
    terminal_id: str = ""  # empty: the appid (the server takes emergency bills only as the caller's own)
    paper_batch_code: str = ""  # empty: discovered from the server (getValidBillBatchCode)
    idle_seconds: float = 300.0
    receipt_printer: dict[str, Any] = field(default_factory=dict)
    bill_pdf_dir: str = ""
    data_dir: str = ""
    emergency: bool = True
    private_key: str = ""
    stock_top_up: int = 50
    limits: EmergencyLimits = field(default_factory=EmergencyLimits)

    @property
    def his_url(self) -> str:
        """The method prefix of the server's HIS interface."""
        base = self.server_url.rstrip("/")
        return base if base.endswith(HIS_PATH) else base + HIS_PATH


def load_config(path: str | Path) -> CashierConfig:
    """Read a terminal TOML (raises ConfigError naming the problem)."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"无法读取终端配置文件{p}：{exc}") from exc
    server, window = raw.get("server", {}), raw.get("window", {})
    devices = raw.get("devices", {})
    for key in ("url", "appid", "key"):
        if not str(server.get(key, "")).strip():
            raise ConfigError(f"终端配置文件{p}缺少[server].{key}")
    if not str(window.get("place_code", "")).strip():
        raise ConfigError(f"终端配置文件{p}缺少[window].place_code")
    cfg = CashierConfig(server_url=server["url"], appid=server["appid"], key=server["key"])
    for name in ("place_code", "place_name", "hospital", "terminal_id", "paper_batch_code"):
        if name in window:
            setattr(cfg, name, str(window[name]))
    cfg.idle_seconds = float(raw.get("session", {}).get("idle_seconds", cfg.idle_seconds))
    cfg.receipt_printer = dict(devices.get("receipt_printer", {}))
    cfg.bill_pdf_dir = str(devices.get("bill_printer", {}).get("pdf_dir", ""))
    cfg.data_dir = str(raw.get("data_dir", p.parent))
    em = raw.get("emergency", {})
    cfg.emergency = bool(em.get("enabled", True))
    cfg.stock_top_up = int(em.get("stock_top_up", cfg.stock_top_up))
    cfg.private_key = str(em.get("private_key", ""))
    if not cfg.private_key and em.get("private_key_file"):
        try:
            cfg.private_key = Path(em["private_key_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"无法读取[emergency].private_key_file：{exc}") from exc
    try:
        cfg.limits = EmergencyLimits.from_config(raw.get("limits"))
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"终端配置文件{p}的[limits]有误：{exc}") from exc
    return cfg
