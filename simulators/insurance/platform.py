"""The simulated platform as one object: store, clock, knobs (fault injection and the points where
sources disagree, docs/INSURANCE.md "Knobs"), and the ids it issues."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from billing_core.clock import Clock, SystemClock
from simulators.insurance import errors
from simulators.insurance.errors import ControlError
from simulators.insurance.seed import seed
from simulators.insurance.store import Store, knob, next_serial, set_knob

#: Longest a request may be held (slow / timeout_commit), so a hung request never outlives a run.
MAX_HANG = 120.0
#: Infnos 2601 reverses by default (the official list was not found: spec §12).
REVERSIBLE = ["2102", "2201", "2204", "2207", "2208", "2301", "2304", "2305", "2401", "2402", "4101"]

#: Every knob with its default. None = off.
DEFAULTS: dict[str, Any] = {
    "down": False,                 # every call answers HTTP 503 (platform down)
    "slow": 0,                     # seconds every call is held before it is handled
    "refuse": None,                # {"count", "infcode", "err_msg", "infnos"}: refuse the next N
    "timeout_commit": None,        # {"count", "infnos", "hang_seconds"}: commit, then hold the answer
    "skew_seconds": 180,           # gateway clock-skew window
    "nonce_replay": False,         # reject a repeated x-tif-nonce (not seen in real gateways)
    "gateway_format": "rio",       # rio: 500 {code,msg}; wrapped: 500 {code,type,message,data}
    "infcode_string": False,       # infcode as "0"/"-1" instead of a number
    "strict_msgid": True,          # msgid = fixmedins_code + yyyyMMddHHmmss + 4 digits (30)
    "sign_no_per_opter": True,     # a sign_no is valid only for the opter that signed in
    "sign_ttl_seconds": None,      # None: a sign_no is valid until the end of its day
    "require_insuplc": True,       # insuplc_admdvs required (and must match) when input has psn_no
    "fund_includes_acct": False,   # fund_pay_sumamt includes acct_pay (Zhuhai) or not (Hunan)
    "cancel_new_setl_id": True,    # 2208/2305 answer a new setl_id (else the original one)
    "stmt_codes": {"balanced": "000000", "unbalanced": "000103"},
    "recon_separator": "\t",       # column separator of the 3202 files
    "reversible": REVERSIBLE,
    "voucher_reject": None,        # {"count", "err_msg"}: the next N 4901 vouchers kept but refused (upld_stas 0)
}


def _check_knob(name: str, value: Any) -> Any:
    """A knob value as given to the control endpoint, checked (E3601 naming the knob)."""
    def bad(msg: str) -> ControlError:
        return ControlError(errors.CONTROL_PARAM, f"模拟开关{name}{msg}")

    default = DEFAULTS[name]
    if name in ("refuse", "timeout_commit"):
        if not isinstance(value, dict):
            raise bad("必须是JSON对象")
        count = value.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
            raise bad("的count必须是1到1000之间的整数")
        infnos = value.get("infnos", ["2207", "2304"] if name == "timeout_commit" else [])
        if not isinstance(infnos, list) or not all(isinstance(i, str) for i in infnos):
            raise bad("的infnos必须是交易编号数组")
        out: dict[str, Any] = {"count": count, "infnos": infnos}
        if name == "refuse":
            infcode = value.get("infcode", -1)
            if isinstance(infcode, bool) or not isinstance(infcode, int) or infcode == 0:
                raise bad("的infcode必须是非0整数")
            out["infcode"] = infcode
            out["err_msg"] = str(value.get("err_msg") or "医保中心业务处理失败")
        else:
            hang = value.get("hang_seconds", 30)
            if isinstance(hang, bool) or not isinstance(hang, (int, float)) or not 0 <= hang <= MAX_HANG:
                raise bad(f"的hang_seconds必须是0到{MAX_HANG:g}之间的秒数")
            out["hang_seconds"] = hang
        return out
    if name == "voucher_reject":
        if not isinstance(value, dict):
            raise bad("必须是JSON对象")
        n = value.get("count", 1)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
            raise bad("的count必须是1到1000之间的整数")
        return {"count": n, "err_msg": str(value.get("err_msg") or "电子结算凭证审核不通过")}
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("必须是true或false")
        return value
    if name in ("slow", "skew_seconds", "sign_ttl_seconds"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 86400:
            raise bad("必须是0到86400之间的秒数")
        if name == "slow" and value > MAX_HANG:
            raise bad(f"不能超过{MAX_HANG:g}秒")
        return value
    if name == "gateway_format":
        if value not in ("rio", "wrapped"):
            raise bad("必须是rio或wrapped")
        return value
    if name == "stmt_codes":
        if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in ("balanced", "unbalanced")):
            raise bad("必须是{\"balanced\": 文本, \"unbalanced\": 文本}")
        return {"balanced": value["balanced"], "unbalanced": value["unbalanced"]}
    if name == "recon_separator":
        if value not in ("\t", " ", ",", "|"):
            raise bad("必须是制表符、空格、逗号或竖线")
        return value
    if name == "reversible":
        if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
            raise bad("必须是交易编号数组")
        return value
    raise bad("未知")  # pragma: no cover - DEFAULTS and this function list the same names


class Platform:
    """Store + clock + knobs; :meth:`close` releases hung requests and closes the database."""

    def __init__(self, data_dir: Path, clock: Clock | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.store = Store(self.data_dir)
        self.clock: Clock = clock or SystemClock()
        self.stopping = threading.Event()
        with self.store.tx() as db:
            seed(db, self.data_dir)

    def now(self) -> datetime:
        """The platform's time (CST)."""
        return self.clock.now()

    def close(self) -> None:
        """End hung requests and close the database."""
        self.stopping.set()
        self.store.close()

    def hang(self, seconds: float) -> None:
        """Hold a request; returns early when the simulator stops."""
        self.stopping.wait(max(0.0, min(float(seconds), MAX_HANG)))

    def knob(self, db: sqlite3.Connection, name: str) -> Any:
        """A knob's current value (its default when never set)."""
        return knob(db, name, DEFAULTS[name])

    def knobs(self) -> dict[str, Any]:
        """Every knob's current value."""
        with self.store.tx() as db:
            return {name: self.knob(db, name) for name in DEFAULTS}

    def set_knobs(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change knobs (None restores the default); all checked first, so a bad one changes nothing."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in DEFAULTS:
                raise ControlError(errors.CONTROL_PARAM, f"未知的模拟开关“{name}”")
            checked[name] = None if value is None else _check_knob(name, value)
        with self.store.tx() as db:
            for name, value in checked.items():
                set_knob(db, name, value)
        return self.knobs()

    # -- ids the platform issues -----------------------------------------------------------------

    def new_id(self, db: sqlite3.Connection, kind: str, admdvs: str) -> str:
        """A platform id: admdvs(6) + yyyyMMddHHmmss(14) + serial (10 digits; kind picks the counter)."""
        serial = next_serial(db, kind)
        return f"{admdvs}{self.now():%Y%m%d%H%M%S}{serial:010d}"


def dump(value: Any) -> str:
    """JSON text for a stored column."""
    return json.dumps(value, ensure_ascii=False)
