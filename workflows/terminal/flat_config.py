"""The headless runtime's flat config layout, read into the one :class:`TerminalConfig`.

Keys (docs/EMERGENCY.md §5)::

    terminal_id, appid, key, server_url, place_code, data_dir   required
    private_key | private_key_file                              required: the SM2 key registered with the server
    hospital_name, place_name                                   printed on notices
    printer = {driver = "escpos", transport, host, port, timeout, status_query, width_mm} | absent
    limits, link, terminal_prefix, maintain_interval, stock_top_up, upload_batch_size, crash_at
    operator = {username, password | password_file}             the machine account (server sessions)
    server_url (one URL or a list), ca_file, demo               as [server] of the sectioned layout

Kept so that existing runtime files (and the test rigs that write them) work unchanged; new files
use the sectioned layout of :mod:`workflows.terminal.config`. Errors here keep the runtime's code
E8701. The defaults differ from a window's where the runtime's always did: no stock top-up, the
link's own failure threshold, and no default hospital or window name on notices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workflows.emergency.limits import EmergencyLimits
from workflows.errors import ConfigError
from workflows.terminal.config import TerminalConfig, operator_account
from workflows.terminal.server_urls import server_urls

REQUIRED = ("terminal_id", "appid", "key", "server_url", "place_code", "data_dir")
#: The escpos settings the runtime has always read; other keys of its printer table were ignored.
PRINTER_KEYS = ("transport", "host", "port", "timeout", "status_query")


def _printer(spec: Any) -> tuple[dict[str, Any], int]:
    """The flat ``printer`` table -> (devices registry table, roll width in mm)."""
    if not spec:
        return {}, 80
    driver = spec.get("driver", "escpos")
    if driver != "escpos":
        raise ConfigError(f"终端配置printer.driver不支持：{driver}")
    table: dict[str, Any] = {"driver": "escpos", "host": "127.0.0.1"}  # the runtime's default host
    table.update({k: spec[k] for k in PRINTER_KEYS if k in spec})
    return table, int(spec.get("width_mm", 80))


def from_flat(raw: dict[str, Any], p: Path) -> TerminalConfig:
    """Check a flat runtime file and map it; :raises ConfigError: (E8701) naming the key."""
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
        # A headless terminal never invents its key: it must be the one registered for it.
        raise ConfigError(f"终端配置文件{p}缺少：private_key 或 private_key_file")
    try:
        limits = EmergencyLimits.from_config(raw.get("limits"))
    except (ValueError, ArithmeticError) as exc:
        raise ConfigError(f"终端配置文件{p}的limits错误：{exc}") from exc
    printer, width = _printer(raw.get("printer"))
    try:
        operator, password = operator_account(raw.get("operator") or {}, f"终端配置文件{p}的operator")
    except ConfigError as exc:
        raise ConfigError(exc.message) from None  # the runtime's own code (E8701)
    demo = bool(raw.get("demo", False))
    urls = server_urls(raw["server_url"], demo=demo, where=f"终端配置文件{p}的server_url")
    return TerminalConfig(
        terminal_id=str(raw["terminal_id"]), appid=str(raw["appid"]), key=str(raw["key"]),
        server_url=urls[0], server_urls=urls, ca_file=str(raw.get("ca_file") or ""), demo=demo,
        place_code=str(raw["place_code"]),
        data_dir=Path(raw["data_dir"]), private_key=str(key_text),
        hospital=str(raw.get("hospital_name") or ""), place_name=str(raw.get("place_name") or ""),
        receipt_printer=printer, printer_width_mm=width, limits=limits, link=dict(raw.get("link") or {}),
        terminal_prefix=str(raw.get("terminal_prefix") or "/terminal/api"),
        maintain_interval=float(raw.get("maintain_interval", 2.0)), stock_top_up=int(raw.get("stock_top_up", 0)),
        upload_batch_size=int(raw.get("upload_batch_size", 50)), crash_at=str(raw.get("crash_at") or ""),
        operator=operator, operator_password=password)
