"""The terminal runtime's configuration file (JSON, or TOML when the name ends in ``.toml``).

Keys (docs/EMERGENCY.md "Terminal runtime")::

    terminal_id, appid, key, server_url, place_code        required
    private_key | private_key_file                         the SM2 key registered with the server
    data_dir                                               terminal.db and control.port live here
    hospital_name, place_name                              printed on notices
    printer = {driver = "escpos", host, port, width_mm} | absent   receipt printer (absent: jobs wait)
    limits = {max_offline_hours, max_bills, max_total, max_single, warn_ratio,
              upload_deadline_hours, low_stock}
    link = {connect_timeout, read_timeout, failure_threshold, open_seconds, max_open_seconds}
    terminal_prefix, maintain_interval (s, 0 = no background round), stock_top_up (numbers),
    upload_batch_size (bills per uploadEmergencyBills request)
    crash_at                                               fault injection (tests; env TERMINAL_CRASH_AT wins)
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.emergency.limits import EmergencyLimits
from workflows.errors import ConfigError

REQUIRED = ("terminal_id", "appid", "key", "server_url", "place_code", "data_dir")


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """Parsed configuration of one terminal runtime."""

    terminal_id: str
    appid: str
    key: str
    server_url: str
    place_code: str
    data_dir: Path
    private_key: str
    hospital_name: str = ""
    place_name: str = ""
    printer: dict[str, Any] | None = None
    limits: EmergencyLimits = field(default_factory=EmergencyLimits)
    link: dict[str, float] = field(default_factory=dict)
    terminal_prefix: str = "/terminal/api"
    maintain_interval: float = 2.0
    stock_top_up: int = 0
    upload_batch_size: int = 50
    crash_at: str = ""

    @property
    def db_path(self) -> Path:
        return self.data_dir / "terminal.db"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "control.port"


def load_config(path: str | Path) -> TerminalConfig:
    """Read and check a config file; :raises ConfigError: naming the file and the key."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        raw: dict[str, Any] = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"无法读取终端配置文件{p}：{exc}") from exc
    missing = [k for k in REQUIRED if not raw.get(k)]
    if missing:
        raise ConfigError(f"终端配置文件{p}缺少：{'、'.join(missing)}")
    key_text = raw.get("private_key")
    if not key_text and raw.get("private_key_file"):
        try:
            key_text = Path(raw["private_key_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"无法读取SM2私钥文件{raw['private_key_file']}") from exc
    if not key_text:
        raise ConfigError(f"终端配置文件{p}缺少：private_key 或 private_key_file")
    try:
        limits = EmergencyLimits.from_config(raw.get("limits"))
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"终端配置文件{p}的limits错误：{exc}") from exc
    return TerminalConfig(
        terminal_id=str(raw["terminal_id"]), appid=str(raw["appid"]), key=str(raw["key"]),
        server_url=str(raw["server_url"]), place_code=str(raw["place_code"]),
        data_dir=Path(raw["data_dir"]), private_key=str(key_text),
        hospital_name=str(raw.get("hospital_name") or ""), place_name=str(raw.get("place_name") or ""),
        printer=raw.get("printer"), limits=limits, link=dict(raw.get("link") or {}),
        terminal_prefix=str(raw.get("terminal_prefix") or "/terminal/api"),
        maintain_interval=float(raw.get("maintain_interval", 2.0)), stock_top_up=int(raw.get("stock_top_up", 0)),
        upload_batch_size=int(raw.get("upload_batch_size", 50)),
        crash_at=str(raw.get("crash_at") or ""))
