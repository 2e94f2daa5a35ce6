"""The one terminal configuration: :class:`TerminalConfig`, read by :func:`load_config`.

Every terminal — the cashier window, the headless runtime, and the kiosk next — starts from this
dataclass and :func:`workflows.terminal.builder.build_terminal`. The file is TOML (JSON when the
name does not end in ``.toml``) in the sectioned layout of docs/CASHIER.md "Terminal TOML"::

    data_dir = "var/cashier"                  # optional; default: the file's folder
    [server]   url (one URL or a list: failover hosts), appid, key, terminal_prefix,
               ca_file (CA of the server's TLS certificate), demo (plain http allowed)
    [window]   place_code (required), place_name, hospital, terminal_id, paper_batch_code
    [session]  idle_seconds
    [devices.receipt_printer]                 # devices registry table (+ width_mm of the roll)
    [devices.bill_printer]  pdf_dir, + a devices registry table (driver = "qprinter", printer_name,
                            offset_x_mm, offset_y_mm): paper bills go to that printer, PDF only without it
    [devices.ssc_reader] [devices.id_reader]  # card readers filling the window's payer fields
    [emergency] enabled, private_key | private_key_file, stock_top_up
    [limits]   emergency limits (workflows.emergency.limits)
    [link]     connect_timeout, read_timeout, failure_threshold, open_seconds, max_open_seconds
    [runtime]  maintain_interval, upload_batch_size, crash_at   # the headless runtime's round
    [payment]  url, mch_id, key | key_file, timeout, notify_url, channel, qr_deadline, code_deadline
               # the unified payment platform (workflows.payment_config; absent: takes no payments)
    [his]      url, appid, key | key_file, timeout      # the HIS adapter (workflows.kiosk_config)
    [kiosk]    idle_seconds, warning_seconds, cash_enabled, functions, survey, min_top_up, max_top_up
               # a patient self-service kiosk (docs/KIOSK.md; absent: not a kiosk)

The headless runtime's earlier flat layout (docs/EMERGENCY.md §5: ``terminal_id``, ``appid``,
``key``, ``server_url``, ``place_code``, ``data_dir``, ``private_key`` … at top level) is still
read — existing terminal files and the fault-test rigs write it — and lands in the same dataclass
through :mod:`workflows.terminal.flat_config`.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workflows.emergency.limits import EmergencyLimits
from workflows.errors import ConfigError
from workflows.kiosk_config import HisSettings, KioskConfigError, KioskSettings, his_settings, kiosk_settings
from workflows.payment_config import PaymentSettings, payment_settings
from workflows.terminal.server_urls import server_urls

HIS_PATH = "/medical-web/api/medical"


class WindowConfigError(ConfigError):
    """A sectioned terminal TOML that cannot be used.

    It keeps E5800, the code a cashier window has always shown for its TOML (docs/ERRORS.md), so
    operators' instructions stay valid; the flat runtime layout keeps E8701.
    """

    code = "E5800"
    default_message = "终端配置文件有误"


def _default_link() -> dict[str, float]:
    # A window shows a drop at once: the first link failure opens the breaker (issue 8 §5). Other
    # link settings default to SyncClient's own.
    return {"failure_threshold": 1}


@dataclass(slots=True)
class TerminalConfig:
    """Everything a terminal needs to start (defaults: the demo hospital's first window)."""

    server_url: str = ""  # the first (or only) server host
    appid: str = ""
    key: str = ""
    place_code: str = "001"
    place_name: str = "门诊收费一号窗口"
    hospital: str = "演示市人民医院"
    terminal_id: str = ""  # empty: the appid (the server takes emergency bills only as the caller's own)
    paper_batch_code: str = ""  # empty: discovered from the server (getValidBillBatchCode)
    data_dir: Path = Path(".")
    private_key: str = ""  # empty: generated once in data_dir/terminal_sm2.key
    idle_seconds: float = 300.0
    receipt_printer: dict[str, Any] = field(default_factory=dict)  # devices registry table; {} = none
    printer_width_mm: int = 80
    bill_pdf_dir: str = ""
    #: ``[devices.bill_printer]`` without ``pdf_dir``: the bill printer's devices registry table ({} = PDF only)
    bill_printer: dict[str, Any] = field(default_factory=dict)
    #: ``[devices.ssc_reader]`` / ``[devices.id_reader]`` registry tables by role (the window's card readers)
    card_readers: dict[str, dict[str, Any]] = field(default_factory=dict)
    emergency: bool = True
    stock_top_up: int = 50
    limits: EmergencyLimits = field(default_factory=EmergencyLimits)
    link: dict[str, float] = field(default_factory=_default_link)
    terminal_prefix: str = "/terminal/api"
    maintain_interval: float = 2.0  # headless runtime: seconds between background rounds (0 = none)
    upload_batch_size: int = 50
    crash_at: str = ""  # fault injection (tests; env TERMINAL_CRASH_AT wins)
    payment: PaymentSettings | None = None  # [payment]: the unified payment platform (None: no payments)
    his: HisSettings | None = None  # [his]: the HIS adapter (kiosk, ward)
    kiosk: KioskSettings | None = None  # [kiosk]: a patient self-service kiosk (None: not a kiosk)
    # [operator]: the machine account of a terminal nobody logs in at (headless runtime): the
    # server requires a session for role-gated methods (issue 14); empty = a person logs in
    operator: str = ""
    operator_password: str = ""
    # every server host in failover order (empty: server_url alone); docs/OPERATIONS.md "two hosts"
    server_urls: list[str] = field(default_factory=list)
    ca_file: str = ""  # CA bundle that signed the server's certificate (empty: the system's CAs)
    demo: bool = False  # demo mode: plain http:// server URLs allowed (workflows.terminal.server_urls)

    def __post_init__(self) -> None:
        # Callers (tests, the demo) pass data_dir as text; everything below works on a Path.
        self.data_dir = Path(self.data_dir)
        if not self.server_urls and self.server_url:
            self.server_urls = [self.server_url]

    @property
    def terminal(self) -> str:
        """The terminal id on bills and uploads: ``terminal_id``, else the appid."""
        return self.terminal_id or self.appid

    @property
    def top_up(self) -> int:
        """Emergency numbers to request when stock runs low (0 when emergency issuing is off, so an
        outage refuses to issue (E8201) rather than print unreserved numbers)."""
        return self.stock_top_up if self.emergency else 0

    @property
    def his_url(self) -> str:
        """The method prefix of the server's HIS interface."""
        base = self.server_url.rstrip("/")
        return base if base.endswith(HIS_PATH) else base + HIS_PATH

    @property
    def db_path(self) -> Path:
        """The terminal store (bills, emergency journal, print jobs, window marks)."""
        return self.data_dir / "terminal.db"

    @property
    def port_file(self) -> Path:
        """Where the headless runtime publishes its control port."""
        return self.data_dir / "control.port"


def read_file(path: Path) -> dict[str, Any]:
    """The file's table (TOML by suffix, else JSON); :raises ConfigError: E8701 when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"无法读取终端配置文件{path}：{exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"终端配置文件{path}不是键值表")
    return raw


def _private_key(em: dict[str, Any], where: str) -> str:
    if em.get("private_key"):
        return str(em["private_key"])
    if em.get("private_key_file"):
        try:
            return Path(em["private_key_file"]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise WindowConfigError(f"无法读取{where}private_key_file：{exc}") from exc
    return ""


def _ca_file(value: Any, p: Path) -> str:
    """``[server].ca_file``: the CA bundle a terminal trusts for the server's certificate."""
    if not value:
        return ""
    path = Path(str(value))
    if not path.is_absolute():
        path = p.parent / path
    if not path.is_file():
        raise WindowConfigError(f"终端配置文件{p}的[server].ca_file不存在：{path}")
    return str(path)


def operator_account(table: dict[str, Any], where: str) -> tuple[str, str]:
    """(username, password) of a machine account table ``{username, password | password_file}``;
    the password file is read here so it never sits in the config itself. ('', '') when absent."""
    username = str(table.get("username") or "").strip()
    if not username:
        return "", ""
    password = str(table.get("password") or "")
    if not password and table.get("password_file"):
        try:
            password = Path(str(table["password_file"])).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise WindowConfigError(f"无法读取{where}.password_file：{exc}") from exc
    if not password:
        raise WindowConfigError(f"{where}缺少password或password_file")
    return username, password


def from_sections(raw: dict[str, Any], p: Path) -> TerminalConfig:
    """The sectioned layout (docs/CASHIER.md "Terminal TOML") -> TerminalConfig."""
    server, window = raw.get("server", {}), raw.get("window", {})
    devices = raw.get("devices", {})
    for key in ("url", "appid", "key"):
        if not server.get(key) or not str(server.get(key, "")).strip():
            raise WindowConfigError(f"终端配置文件{p}缺少[server].{key}")
    if not str(window.get("place_code", "")).strip():
        raise WindowConfigError(f"终端配置文件{p}缺少[window].place_code")
    demo = bool(server.get("demo", False))
    urls = server_urls(server["url"], demo=demo, where=f"终端配置文件{p}的[server].url")
    cfg = TerminalConfig(server_url=urls[0], appid=server["appid"], key=server["key"], server_urls=urls,
                         ca_file=_ca_file(server.get("ca_file"), p), demo=demo)
    if server.get("terminal_prefix"):
        cfg.terminal_prefix = str(server["terminal_prefix"])
    for name in ("place_code", "place_name", "hospital", "terminal_id", "paper_batch_code"):
        if name in window:
            setattr(cfg, name, str(window[name]))
    cfg.idle_seconds = float(raw.get("session", {}).get("idle_seconds", cfg.idle_seconds))
    receipt = dict(devices.get("receipt_printer", {}))
    cfg.printer_width_mm = int(receipt.pop("width_mm", cfg.printer_width_mm))  # the job's, not the driver's
    cfg.receipt_printer = receipt
    bill = dict(devices.get("bill_printer", {}))
    cfg.bill_pdf_dir = str(bill.pop("pdf_dir", ""))
    cfg.bill_printer = bill if bill.get("driver") else {}
    cfg.card_readers = {role: dict(devices[role]) for role in ("ssc_reader", "id_reader") if devices.get(role)}
    cfg.data_dir = Path(raw.get("data_dir", p.parent))
    em = raw.get("emergency", {})
    cfg.emergency = bool(em.get("enabled", True))
    cfg.stock_top_up = int(em.get("stock_top_up", cfg.stock_top_up))
    cfg.private_key = _private_key(em, "[emergency].")
    try:
        cfg.limits = EmergencyLimits.from_config(raw.get("limits"))
    except (ValueError, ArithmeticError) as exc:
        raise WindowConfigError(f"终端配置文件{p}的[limits]有误：{exc}") from exc
    cfg.link = {**_default_link(), **dict(raw.get("link", {}))}
    run = raw.get("runtime", {})
    cfg.maintain_interval = float(run.get("maintain_interval", cfg.maintain_interval))
    cfg.upload_batch_size = int(run.get("upload_batch_size", cfg.upload_batch_size))
    cfg.crash_at = str(run.get("crash_at") or "")
    cfg.operator, cfg.operator_password = operator_account(raw.get("operator") or {}, f"终端配置文件{p}的[operator]")
    try:
        cfg.payment = payment_settings(raw.get("payment"), f"终端配置文件{p}的[payment]")
    except ConfigError as exc:
        raise WindowConfigError(exc.message) from exc
    try:
        cfg.his = his_settings(raw.get("his"), f"终端配置文件{p}的[his]")
        cfg.kiosk = kiosk_settings(raw.get("kiosk"), f"终端配置文件{p}的[kiosk]")
    except KioskConfigError as exc:
        raise WindowConfigError(exc.message) from exc
    return cfg


def printer_spec(url: str) -> dict[str, Any]:
    """The ``--printer`` flag -> a receipt printer table: ``tcp://host:port``, ``file:/path`` (raw
    ESC/POS bytes) or ``dir:/path`` (virtual printer: one PNG per receipt)."""
    if url.startswith("tcp://"):
        host, _, port = url[6:].partition(":")
        return {"driver": "escpos", "transport": "network", "host": host, "port": int(port or 9100),
                "status_query": True}
    if url.startswith("file:"):
        return {"driver": "escpos", "transport": "file", "device": url[5:], "status_query": False}
    if url.startswith("dir:"):
        return {"driver": "virtual", "out_dir": url[4:]}
    raise ValueError(f"unknown printer url {url!r}")
