"""Server configuration: defaults, then a JSON/TOML file, then environment variables.

Environment (prefix ``SYNC_`` except DATABASE_URL, the conventional name):

``DATABASE_URL``            SQLAlchemy URL; default SQLite in the data dir
``SYNC_DATABASE_SCHEMA``    PostgreSQL schema (isolates one installation or test run)
``SYNC_DATA_DIR``           data directory (database, demo.json, first-run passwords, keys)
``SYNC_FINANCE_URL``        finance platform method prefix, e.g. http://h:p/medical-web/api/medical
``SYNC_FINANCE_APPID`` / ``SYNC_FINANCE_KEY``  the hospital's platform account (the key never on
                            the command line: this variable or ``SYNC_FINANCE_KEY_FILE``, a 0600 file)
``SYNC_FINANCE_KEY_FILE``   file holding the finance key (mode 0600, refused when others can read it)
``SYNC_DEMO``               "1": demo mode, seeds demo callers and users and writes demo.json
                            (never in a real start; ``python -m sync_server serve --demo``)
``SYNC_FINANCE_TIMEOUT``    read timeout for issuing calls in seconds (short: the HIS waits)
``SYNC_WORKER``             "thread" (default) or "none" (run ``python -m sync_server worker``)
``SYNC_PROCESSES``          server processes sharing the port (Linux; default 1)
``SYNC_PUBLIC_URL``         base URL printed in pictureUrl of bills issued locally
``SYNC_TRUSTED_PROXIES``    reverse proxies in front (1 behind deploy/nginx): client address from X-Forwarded-For
``SYNC_INSURANCE_URL``      the insurance platform's base URL (empty: insurance API off); with
                            ``SYNC_INSURANCE_PAASID``, ``SYNC_INSURANCE_PASS_TOKEN`` (or the 0600 file
                            ``SYNC_INSURANCE_TOKEN_FILE``), ``SYNC_INSURANCE_FIXMEDINS_CODE``,
                            ``SYNC_INSURANCE_URL_STYLE``, ``SYNC_INSURANCE_APP_SECRET``
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# The finance simulator's documented demo account (issue 3 / simulators/finance).
DEMO_FINANCE_APPID = "DEMOHOSP01"
DEMO_FINANCE_KEY = "demo-finance-key-2026"


@dataclass
class ServerConfig:
    """Everything the app factory and the worker need."""

    data_dir: Path = field(default_factory=lambda: Path("sync_server_data"))
    database_url: str = ""
    database_schema: str = ""
    finance_url: str = "http://127.0.0.1:8090/medical-web/api/medical"
    finance_appid: str = DEMO_FINANCE_APPID
    finance_key: str = DEMO_FINANCE_KEY
    finance_connect_timeout: float = 1.0
    finance_timeout: float = 5.0
    worker: str = "thread"
    #: server processes sharing the port (Linux; ``python -m sync_server --processes N``)
    processes: int = 1
    worker_interval: float = 0.2
    #: cap of the outbox's exponential backoff (seconds)
    outbox_max_backoff: float = 30.0
    public_url: str = "http://127.0.0.1:8080"
    #: reverse proxies in front of the server whose X-Forwarded-For/-Proto are trusted (1 behind
    #: the nginx of deploy/nginx; 0: none, the peer address is the client's)
    trusted_proxies: int = 0
    #: emergency numbers reserved per billing point while online (spec §17 emergencyStockOut)
    emergency_block_size: int = 200
    emergency_low_water: int = 50
    #: seconds a request waits for a concurrent request of the same busNo to finish
    busy_wait: float = 15.0
    #: demo mode only (``--demo`` / ``SYNC_DEMO=1``): seed demo callers, users and demo.json
    seed_demo: bool = False
    #: run yesterday's reconciliation from the worker once a day (sync_server.reconcile.daily)
    reconcile_daily: bool = True
    audit_guard: bool = True
    #: login lockout: this many failed attempts within ``login_window_minutes`` lock the user
    #: for the rest of the window (issue 14 item 5)
    login_max_failures: int = 5
    login_window_minutes: int = 15
    #: lifetime of a terminal session (hours) and of a password (days; 0 = never expires)
    session_hours: int = 12
    password_max_age_days: int = 90
    #: refuse role-gated methods of staffed terminals sent without a session (issue 14 item 4);
    #: a headless terminal logs in with its machine account ([operator] of its config)
    terminal_session_required: bool = True
    place_codes: tuple[str, ...] = ("001", "002", "003", "004", "005")
    #: the hospital's HIS -> platform code mapping (TOML, billing_core.codes.CodeMapping), applied
    #: to HIS callers' requests (sync_server/baseinfo/mapping.py); "" = HIS sends platform codes
    code_mapping_file: str = ""
    # --- the national insurance platform (issue 16 §3; docs/INSURANCE.md). Empty URL: the
    # insurance API answers E5605 (not configured) and the worker resolves nothing.
    insurance_url: str = ""
    #: single | per_infno | service_path | proxy (spec §1.1; connectors/insurance_gateway.py)
    insurance_url_style: str = "single"
    insurance_paasid: str = ""
    #: the gateway passToken (secret: environment or SYNC_INSURANCE_TOKEN_FILE, never argv)
    insurance_pass_token: str = ""
    insurance_fixmedins_code: str = "H44030300001"
    insurance_fixmedins_name: str = "演示医院"
    #: 就医地 admin-division code (mdtrtarea_admvs) and the default insured place of 3201 groups
    insurance_area_code: str = "440300"
    insurance_recer_sys_code: str = "YBXT"
    insurance_infver: str = "V1.0"
    #: "" plain, "SM2"/"SM3", "MOCK" (test environments that skip password checks)
    insurance_signtype: str = ""
    insurance_connect_timeout: float = 2.0
    #: read timeout of a transaction (seconds); a settlement that exceeds it is in doubt
    insurance_timeout: float = 10.0
    #: plain | sm4sm2 (spec §4.4: input SM4-encrypted, key SM2-encrypted in cainfo)
    insurance_crypto: str = "plain"
    insurance_platform_public_key: str = ""
    insurance_hospital_private_key: str = ""
    #: the NHSA app-level scheme's account (spec §4.5), for the channels that use it
    insurance_app_id: str = ""
    insurance_app_secret: str = ""
    #: SM2 user id of the app scheme: appSecret bytes (Java SDK) instead of 1234567812345678
    insurance_app_user_id_is_secret: bool = False
    #: a cached sign_no is renewed after this many hours (and at a new day; pitfall 4)
    insurance_sign_hours: float = 12.0
    #: stmt_rslt values of 3201 meaning "balanced" (sources disagree: "0" or "000000")
    insurance_stmt_ok: tuple[str, ...] = ("0", "000000")
    #: column separator of the 3202 upload file: "tab" (one mock) or "space" (the Hebei build)
    insurance_detail_separator: str = "tab"
    #: refd_setl_flag of the daily 3201/3202: "1" counts every settlement and its cancel (negative),
    #: so refunds are reconciled; "0" only the settlements still valid
    insurance_recon_refd: str = "1"
    #: fund_pay_sumamt includes acct_pay (Zhuhai) or excludes it (Hunan): used by the amount check
    insurance_fund_includes_acct: bool = False
    #: words of a refusal (err_msg) that mean "no such settlement / nothing to reverse": 5203 and
    #: 2601 answer an unknown one with infcode -1 (no official code list exists: spec §12); any
    #: other refusal leaves an in-doubt settlement in doubt (fail closed)
    insurance_not_found_hints: tuple[str, ...] = ("不存在", "没有结算", "无结算", "未找到", "无需冲正", "未成功")
    #: seconds a settlement may stay "settling" before the worker treats its owner as gone
    insurance_settling_grace: float = 30.0

    @property
    def db_url(self) -> str:
        """The effective database URL (SQLite in the data dir unless DATABASE_URL is set)."""
        return self.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'sync_server.db'}"


_ENV = {
    "database_url": "DATABASE_URL",
    "database_schema": "SYNC_DATABASE_SCHEMA",
    "data_dir": "SYNC_DATA_DIR",
    "finance_url": "SYNC_FINANCE_URL",
    "finance_appid": "SYNC_FINANCE_APPID",
    "finance_key": "SYNC_FINANCE_KEY",
    "seed_demo": "SYNC_DEMO",
    "finance_timeout": "SYNC_FINANCE_TIMEOUT",
    "worker": "SYNC_WORKER",
    "processes": "SYNC_PROCESSES",
    "public_url": "SYNC_PUBLIC_URL",
    "trusted_proxies": "SYNC_TRUSTED_PROXIES",
    "insurance_url": "SYNC_INSURANCE_URL",
    "insurance_paasid": "SYNC_INSURANCE_PAASID",
    "insurance_pass_token": "SYNC_INSURANCE_PASS_TOKEN",
    "insurance_fixmedins_code": "SYNC_INSURANCE_FIXMEDINS_CODE",
    "insurance_url_style": "SYNC_INSURANCE_URL_STYLE",
    "insurance_app_secret": "SYNC_INSURANCE_APP_SECRET",
}


class SecretFileError(ValueError):
    """A secret file is missing, empty, or readable by others than its owner."""


def read_secret_file(path: Path, what: str) -> str:
    """The stripped text of a secret file that only its owner may read (mode 0600 or stricter).

    Keys never travel on the command line (``ps`` shows argv to every user of the machine), so
    they come from the environment or from such a file.
    """
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as err:
        raise SecretFileError(f"{what}：无法读取密钥文件 {path}（{err.strerror}）") from None
    if os.name == "posix" and mode & 0o077:
        raise SecretFileError(f"{what}：密钥文件 {path} 的权限为 {mode & 0o777:o}，须为 600（仅属主可读写）")
    if not text:
        raise SecretFileError(f"{what}：密钥文件 {path} 为空")
    return text


def _coerce(name: str, value: Any) -> Any:
    kinds = {f.name: f.type for f in fields(ServerConfig)}
    kind = kinds[name]
    if name == "data_dir":
        return Path(value)
    if kind in ("float",):
        return float(value)
    if kind in ("int",):
        return int(value)
    if kind in ("bool",):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if name in ("place_codes", "insurance_stmt_ok", "insurance_not_found_hints"):
        return tuple(value.split(",")) if isinstance(value, str) else tuple(value)
    return value


def load_config(overrides: dict[str, Any] | None = None, path: str | Path | None = None,
                env: dict[str, str] | None = None) -> ServerConfig:
    """Build the configuration: defaults < file (``SYNC_CONFIG`` or ``path``) < environment < overrides."""
    env = dict(os.environ if env is None else env)
    cfg = ServerConfig()
    known = {f.name for f in fields(ServerConfig)}
    file = path or env.get("SYNC_CONFIG")
    if file:
        text = Path(file).read_text(encoding="utf-8")
        data = tomllib.loads(text) if str(file).endswith(".toml") else json.loads(text)
        for key, value in data.items():
            if key in known:
                setattr(cfg, key, _coerce(key, value))
    for name, var in _ENV.items():
        if env.get(var):
            setattr(cfg, name, _coerce(name, env[var]))
    if env.get("SYNC_FINANCE_KEY_FILE"):
        cfg.finance_key = read_secret_file(Path(env["SYNC_FINANCE_KEY_FILE"]), "SYNC_FINANCE_KEY_FILE")
    if env.get("SYNC_INSURANCE_TOKEN_FILE"):
        cfg.insurance_pass_token = read_secret_file(Path(env["SYNC_INSURANCE_TOKEN_FILE"]), "SYNC_INSURANCE_TOKEN_FILE")
    for key, value in (overrides or {}).items():
        if key not in known:
            raise KeyError(f"unknown config key: {key}")
        setattr(cfg, key, _coerce(key, value))
    return cfg
