"""The simulated platform as one object: its store, its clock, its fault knobs and payment plans.

A *plan* says how the next payment behaves (the fault knobs of docs/PAYMENT.md, "Simulator"):

``{"outcome": "success" | "confirm" | "fail" | "timeout" | "late" | "abandon", ...}``

* ``success`` — paid at once (被扫) or as soon as the patient scans (主扫);
* ``confirm`` — 被扫 answers USERPAYING until the patient confirms on the phone (control call);
* ``fail`` — PAYERROR with ``reason`` (default 用户余额不足) and ``channel_err_code`` (NOTENOUGH);
* ``late`` — USERPAYING, then SUCCESS after ``late_seconds`` seconds or ``late_queries`` queries;
* ``timeout`` — the creating request hangs ``hang_seconds`` (past the client's timeout) and the
  order stays USERPAYING; with ``late_seconds``/``late_queries`` it succeeds late afterwards;
* ``abandon`` — never paid: the order is closed when it expires;
* ``refund_fail: true`` in any plan makes refunds of that order fail.

The plan of an order is: the one set for its ``out_trade_no`` (``/_sim/orders/<no>/plan``), else
the one-shot ``next`` knob (consumed), else the ``default`` knob, else ``success``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from billing_core.clock import Clock, SystemClock
from simulators.payment import errors
from simulators.payment.errors import PayError
from simulators.payment.store import Store

OUTCOMES = ("success", "confirm", "fail", "timeout", "late", "abandon")
#: Longest hang a plan may ask for (seconds): a hung request must never outlive a test run.
MAX_HANG = 120.0
#: Default retry delays of the payment notification (seconds after the previous attempt).
NOTIFY_RETRY = [0.0, 2.0, 5.0, 15.0, 30.0, 60.0, 300.0]


def check_plan(plan: Any) -> dict[str, Any]:
    """A plan as given to a control endpoint, checked; raises PayError(E3701) naming the field."""
    if not isinstance(plan, dict):
        raise PayError(errors.PARAM, "plan必须是JSON对象")
    out = dict(plan)
    outcome = out.get("outcome", "success")
    if outcome not in OUTCOMES:
        raise PayError(errors.PARAM, f"outcome必须是{'/'.join(OUTCOMES)}之一，收到“{outcome}”")
    out["outcome"] = outcome
    for name, limit in (("hang_seconds", MAX_HANG), ("late_seconds", 86400.0)):
        if name in out:
            value = out[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= limit:
                raise PayError(errors.PARAM, f"{name}必须是0到{limit:g}之间的秒数")
    if "late_queries" in out:
        value = out["late_queries"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise PayError(errors.PARAM, "late_queries必须是1到1000之间的整数")
    for name in ("reason", "channel_err_code"):
        if name in out and not isinstance(out[name], str):
            raise PayError(errors.PARAM, f"{name}必须是文本")
    if "refund_fail" in out and not isinstance(out["refund_fail"], bool):
        raise PayError(errors.PARAM, "refund_fail必须是true或false")
    return out


class Platform:
    """Store + clock + knobs; :meth:`close` ends hung requests and the notifier."""

    def __init__(self, data_dir: Path, clock: Clock | None = None) -> None:
        self.store = Store(Path(data_dir))
        self.clock: Clock = clock or SystemClock()
        #: Set on close: a request hanging for a ``timeout`` plan returns at once.
        self.stopping = threading.Event()
        #: Called after a payment became SUCCESS (the notifier's wake-up); set by start().
        self.on_paid: Any = None

    def now(self) -> float:
        """The simulator's time as epoch seconds."""
        return self.clock.now().timestamp()

    def close(self) -> None:
        """End hung requests and close the database."""
        self.stopping.set()
        self.store.close()

    def hang(self, seconds: float) -> None:
        """Hold a request (a ``timeout`` plan); returns early when the simulator stops."""
        self.stopping.wait(max(0.0, min(seconds, MAX_HANG)))

    # -- knobs and plans -------------------------------------------------------------------------

    def knobs(self) -> dict[str, Any]:
        """Every knob's current value."""
        with self.store.tx() as db:
            return {r["name"]: json.loads(r["value_json"]) for r in db.execute("SELECT * FROM knobs")}

    def set_knobs(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change knobs (``None`` clears one); checked first, so a bad value changes nothing."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if value is None:
                checked[name] = None
            elif name in ("next", "default"):
                checked[name] = check_plan(value)
            elif name in ("refund_fail", "down"):
                if not isinstance(value, bool):
                    raise PayError(errors.PARAM, f"{name}必须是true或false")
                checked[name] = value
            elif name == "notify_retry":
                if (not isinstance(value, list) or not 1 <= len(value) <= 20
                        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 3600
                                   for v in value)):
                    raise PayError(errors.PARAM, "notify_retry必须是1到20个0到3600之间的秒数")
                checked[name] = [float(v) for v in value]
            else:
                raise PayError(errors.PARAM, f"未知的模拟开关“{name}”")
        with self.store.tx() as db:
            for name, value in checked.items():
                self.store.set_knob(db, name, value)
        return self.knobs()

    def set_plan(self, mch_id: str, out_trade_no: str, plan: Any) -> dict[str, Any]:
        """The plan of one out_trade_no (before its order exists, or for a scan still to come)."""
        checked = check_plan(plan)
        with self.store.tx() as db:
            db.execute("INSERT INTO plans VALUES (?, ?, ?) ON CONFLICT (mch_id, out_trade_no) DO UPDATE SET"
                       " plan_json = excluded.plan_json", (mch_id, out_trade_no, json.dumps(checked)))
            db.execute("UPDATE orders SET plan_json = ? WHERE mch_id = ? AND out_trade_no = ?",
                       (json.dumps(checked), mch_id, out_trade_no))
        return checked

    def take_plan(self, db: sqlite3.Connection, mch_id: str, out_trade_no: str) -> dict[str, Any]:
        """The plan of a new order (consumes the one-shot ``next`` knob when it is used)."""
        row = db.execute("SELECT plan_json FROM plans WHERE mch_id = ? AND out_trade_no = ?",
                         (mch_id, out_trade_no)).fetchone()
        if row is not None:
            plan: dict[str, Any] = json.loads(row["plan_json"])
            return plan
        nxt = self.store.knob(db, "next")
        if nxt is not None:
            self.store.set_knob(db, "next", None)
            return dict(nxt)
        return dict(self.store.knob(db, "default") or {"outcome": "success"})

    def is_down(self) -> bool:
        """The ``down`` knob: every API call answers 503."""
        with self.store.tx() as db:
            return bool(self.store.knob(db, "down", False))

    def notify_retry(self, db: sqlite3.Connection) -> list[float]:
        """Delays between notification attempts."""
        return list(self.store.knob(db, "notify_retry", NOTIFY_RETRY))
