"""What every operation works with: the store, the configuration, the clock and the fault knobs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from billing_core.clock import Clock, SystemClock
from simulators.his.seed import load_config, save_config
from simulators.his.store import Store


@dataclass
class Faults:
    """Fault knobs (``/_sim/faults``): HIS down for N calls, refuse the next N settlements, slow
    answers (the work is done and committed; only the answer is held back)."""

    down_calls: int = 0
    refuse_settlements: int = 0
    refuse_message: str = "HIS拒绝结算：该患者存在未完成的业务，请到人工窗口办理"
    slow_seconds: float = 0.0
    slow_calls: int = 0  # 0 with slow_seconds > 0: every call is slow
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The knobs as the control endpoint shows them."""
        return {"down": self.down_calls, "refuseSettlements": self.refuse_settlements,
                "refuseMessage": self.refuse_message, "slow": self.slow_seconds, "slowCalls": self.slow_calls}

    def take_down(self) -> bool:
        """True when this call is answered 503 (and counts it)."""
        with self.lock:
            if self.down_calls > 0:
                self.down_calls -= 1
                return True
            return False

    def take_refusal(self) -> bool:
        """True when this settlement is refused (and counts it)."""
        with self.lock:
            if self.refuse_settlements > 0:
                self.refuse_settlements -= 1
                return True
            return False

    def take_delay(self) -> float:
        """Seconds to hold this call's answer back."""
        with self.lock:
            if self.slow_seconds <= 0:
                return 0.0
            if self.slow_calls > 0:
                self.slow_calls -= 1
                if self.slow_calls == 0:
                    delay, self.slow_seconds = self.slow_seconds, 0.0
                    return delay
            return self.slow_seconds


class HisContext:
    """The simulator's state and settings (one per data directory)."""

    def __init__(self, data_dir: Path, clock: Clock | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.store = Store(self.data_dir)
        self.clock: Clock = clock or SystemClock()
        self.faults = Faults()
        self._lock = threading.Lock()
        self._issuing: set[str] = set()
        self._issuing_done = threading.Condition(self._lock)
        self.config = load_config(self.data_dir)

    def now(self) -> datetime:
        """Business time (China Standard Time)."""
        return self.clock.now()

    def today(self) -> date:
        """Today's business date."""
        return self.clock.now().date()

    def keys(self) -> dict[str, str]:
        """appid -> key of every registered caller."""
        return {c["appid"]: c["key"] for c in self.config["callers"]}

    def caller_name(self, appid: str) -> str:
        """The display name of a caller (payee of its bills when the config names none)."""
        return next((c.get("name", appid) for c in self.config["callers"] if c["appid"] == appid), appid)

    def claim_issuing(self, settlement_no: str, wait: float = 0.0) -> bool:
        """True when this thread may issue the settlement's e-bill now; while another thread is
        issuing it, wait up to ``wait`` seconds for that attempt to end (then read its result)."""
        with self._issuing_done:
            if not self._issuing_done.wait_for(lambda: settlement_no not in self._issuing, timeout=wait):
                return False
            self._issuing.add(settlement_no)
            return True

    def release_issuing(self, settlement_no: str) -> None:
        """The issuing attempt of the settlement is over."""
        with self._issuing_done:
            self._issuing.discard(settlement_no)
            self._issuing_done.notify_all()

    def update_config(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change and persist settings (sync server, payee, limits)."""
        with self._lock:
            self.config = self.config | changes
            save_config(self.data_dir, self.config)
            return self.config
