"""The balance equation under random ward traffic (hypothesis state machine, real processes):
top-ups, charges, arrears payments, reversals, HIS outages and the resume round. After every step

* HIS deposit = Σ collections pushed to the HIS - Σ reversals (the model's ledger);
* ward-list balance = HIS deposit - charges;
* payment platform: Σ(paid - refunded) over the station's orders = HIS deposit + what was paid but
  not yet pushed (never charged twice, nothing lost), to the fen.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.integration.ward.rig import WardRig
from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE
from workflows.kiosk.models import PayChoice

pytestmark = pytest.mark.integration
CODES = st.sampled_from([WECHAT_CODE, ALIPAY_CODE])


def test_deposits_minus_charges_minus_refunds_is_the_balance(rig: WardRig, tmp_path: Path) -> None:
    runs = iter(range(1000))

    class WardMoney(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.ward: Any = None

        @initialize()
        def admit(self) -> None:
            n = next(runs)
            self.ward = rig.ward(tmp_path / f"w{n}")
            p = rig.patient(prepay="0.00")
            self.stay = rig.admit(p["patientId"], deposit="0", days=1, bed=f"{n + 40:02d}床")
            self.patient_id, self.admission = p["patientId"], self.stay["admissionNo"]
            self.fees = int(Decimal(self.stay["totalFees"]) * 100)
            self.deposit = 0          # fen the HIS should hold
            self.pending = 0          # fen paid, not yet pushed to the HIS
            self.settled: list[tuple[str, int]] = []   # reversible collections
            self.orders: list[str] = []

        def teardown(self) -> None:
            if self.ward is not None:
                self.ward.close()
                while rig.devices:
                    rig.devices.pop().shutdown()

        def _row(self) -> Any:
            return next(r for r in self.ward.desk.board() if r.admission_no == self.admission)

        def _collect(self, fen: int, code: str, outage: bool) -> None:
            row = self._row()
            if outage:
                rig.his_control("faults", {"down": 3})  # every attempt of this collection answers 503
            result = self.ward.desk.collect(row, Decimal(fen) / 100, PayChoice.code(code))
            self.orders.append(result.order_no)
            if outage:
                assert result.state == "paid", result
                self.pending += fen
            else:
                assert result.ok, result
                self.deposit += fen
                self.settled.append((result.order_no, fen))

        @rule(fen=st.integers(1, 200_000), code=CODES)
        def top_up(self, fen: int, code: str) -> None:
            self._collect(fen, code, outage=False)

        @rule(fen=st.integers(1, 100_000))
        def charge(self, fen: int) -> None:
            rig.fee(self.admission, f"{Decimal(fen) / 100:.2f}")
            self.fees += fen

        @rule(code=CODES)
        def pay_arrears(self, code: str) -> None:
            row = self._row()
            if row.suggested > 0:
                self._collect(int(row.suggested * 100), code, outage=False)

        @rule(fen=st.integers(1, 50_000), code=CODES)
        def paid_while_his_down(self, fen: int, code: str) -> None:
            self._collect(fen, code, outage=True)

        @precondition(lambda self: self.pending > 0)
        @rule()
        def resume(self) -> None:
            assert self.ward.desk.resume()["orders"] >= 1
            self.deposit += self.pending
            self.pending = 0

        @precondition(lambda self: bool(self.settled))
        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            i = data.draw(st.integers(0, len(self.settled) - 1))
            no, fen = self.settled[i]
            if self.deposit - fen < 0:
                return
            out = self.ward.desk.reverse(no, "测试撤销")
            if out.state == "refused":  # the HIS keeps a deposit already spent below zero: E3562
                return
            assert out.done, out
            self.deposit -= fen
            self.settled.pop(i)

        @invariant()
        def balance_equation(self) -> None:
            if self.ward is None:
                return
            row = self._row()
            assert int(row.deposit * 100) == self.deposit
            assert int(row.fees * 100) == self.fees
            assert int(row.balance * 100) == self.deposit - self.fees  # deposits - charges - refunds
            net = 0
            for no in self.orders:
                o = rig.control._get(f"/_sim/orders/{no}")
                if o["trade_state"] in ("SUCCESS", "REFUND"):
                    net += o["total_fee"] - o["refund_fee"]
            assert net == self.deposit + self.pending

    run_state_machine_as_test(WardMoney, settings=settings(
        max_examples=3, stateful_step_count=7, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
