"""The insurance settlement's state machine (issue 16 §3): the one module that writes
``ins_settlements.state`` (and ``live_psn`` with it), like bills/state.py for bills.

::

    registered -> fees_uploaded -> pre_settled -> settling -> settled -> cancelled
                       ^   |            |  ^         |   \\            \\-> reversed
                       |___|            |  |         |    -> in_doubt -> settled   (5203 found it)
                                        |  |_________|               -> pre_settled (5203: none; 2601 sent)
                                        |   refused / not sent
    registered | fees_uploaded | pre_settled -> cancelled (visit abandoned before settling)

The way back (seed 003 回退流程, one step at a time, never across a step; sync_server/insurance/
way_back.py checks the order and names the missing step)::

    settled -> cancelling -> cancelled                          (2208/2305 answered)
                    |    \\-> settled                            (refused / not sent)
                    +-> cancel_in_doubt -> cancelled             (5203: the settlement is cancelled)
                                       -> settled               (5203: still valid; 2601 on the cancel)
    fees_uploaded | pre_settled -> fees_uploaded | registered    (2205/2302: some / all lines cancelled)
    cancelled: 2205/2302 on the lines the cancel gave back (state kept)
    registered | cancelled | reversed -> closed                 (2202/2404: registration cancelled)

``live_psn`` is the person's ``psn_no`` while the state is one of OPEN_STATES and NULL after: its
UNIQUE constraint is "one settlement at a time per patient". :func:`move` is one conditional
``UPDATE ... WHERE id = :id AND state IN (guard)``: a concurrent writer that moved the row first
makes it refuse (:class:`TransitionRefused`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, update

from sync_server.insurance.errors import SettlementStateError
from sync_server.store.insurance_schema import OPEN_STATES, ins_settlements

REGISTERED, FEES_UPLOADED, PRE_SETTLED, SETTLING = "registered", "fees_uploaded", "pre_settled", "settling"
SETTLED, CANCELLED, REVERSED, IN_DOUBT = "settled", "cancelled", "reversed", "in_doubt"
CANCELLING, CANCEL_IN_DOUBT, CLOSED = "cancelling", "cancel_in_doubt", "closed"
#: States whose outcome on the platform is being established (never act on them meanwhile).
UNSURE = frozenset({SETTLING, IN_DOUBT, CANCELLING, CANCEL_IN_DOUBT})

STATE_NAMES = {
    REGISTERED: "已登记", FEES_UPLOADED: "已上传费用", PRE_SETTLED: "已预结算", SETTLING: "结算中",
    SETTLED: "已结算", CANCELLED: "已撤销", REVERSED: "已冲正", IN_DOUBT: "结果待核实",
    CANCELLING: "撤销中", CANCEL_IN_DOUBT: "撤销结果待核实", CLOSED: "已撤销登记",
}


class TransitionRefused(SettlementStateError):
    """The row no longer holds a state the transition starts from."""


@dataclass(frozen=True)
class Transition:
    """A named change of state: from any of ``guard`` to ``to``."""

    name: str
    guard: frozenset[str]
    to: str

    def allows(self, state: str) -> bool:
        """True when a row in ``state`` may take this transition."""
        return state in self.guard


def _t(name: str, guard: set[str], to: str) -> Transition:
    return Transition(name, frozenset(guard), to)


TRANSITIONS: Mapping[str, Transition] = {t.name: t for t in (
    # an inpatient's daily pre-settlement (2303) is a preview: the next day's fees (2301) still
    # come, and the visit is pre-settled again before it is settled (issue 17)
    _t("upload_fees", {REGISTERED, FEES_UPLOADED, PRE_SETTLED}, FEES_UPLOADED),
    _t("pre_settle", {FEES_UPLOADED, PRE_SETTLED}, PRE_SETTLED),
    _t("begin_settle", {PRE_SETTLED}, SETTLING),
    _t("settled", {SETTLING, IN_DOUBT}, SETTLED),
    _t("settle_refused", {SETTLING}, PRE_SETTLED),
    _t("doubt", {SETTLING}, IN_DOUBT),
    _t("doubt_cleared", {SETTLING, IN_DOUBT}, PRE_SETTLED),
    _t("reverse", {SETTLED}, REVERSED),
    _t("abandon", {REGISTERED, FEES_UPLOADED, PRE_SETTLED}, CANCELLED),
    _t("begin_cancel", {SETTLED}, CANCELLING),
    _t("cancel_done", {CANCELLING, CANCEL_IN_DOUBT}, CANCELLED),
    _t("cancel_refused", {CANCELLING}, SETTLED),
    _t("cancel_doubt", {CANCELLING}, CANCEL_IN_DOUBT),
    _t("cancel_cleared", {CANCELLING, CANCEL_IN_DOUBT}, SETTLED),
    _t("fees_cancelled_some", {FEES_UPLOADED, PRE_SETTLED}, FEES_UPLOADED),
    _t("fees_cancelled_all", {FEES_UPLOADED, PRE_SETTLED}, REGISTERED),
    _t("close", {REGISTERED, CANCELLED, REVERSED}, CLOSED),
)}

#: The state a new settlement row is born in.
BORN = REGISTERED


def live_psn(state: str, psn_no: str) -> str | None:
    """The ``live_psn`` value of a row in ``state``."""
    return psn_no if state in OPEN_STATES else None


def move(conn: Connection, settlement_id: int, name: str, psn_no: str, **values: Any) -> None:
    """Perform transition ``name`` on one row (with ``values`` written alongside).

    :raises TransitionRefused: the row is not in a state the transition starts from.
    """
    t = TRANSITIONS[name]
    res = conn.execute(update(ins_settlements)
                       .where(ins_settlements.c.id == settlement_id, ins_settlements.c.state.in_(t.guard))
                       .values(state=t.to, live_psn=live_psn(t.to, psn_no), **values))
    if res.rowcount != 1:
        raise TransitionRefused(f"医保结算{settlement_id}当前状态不允许{name}（需处于"
                                f"{'、'.join(STATE_NAMES[s] for s in sorted(t.guard))}）")


def update_values(conn: Connection, settlement_id: int, expected: str, **values: Any) -> None:
    """Write ``values`` on a row still in state ``expected`` (no change of state: a fee cancel
    after the settlement's cancel, a discharge cancel, an admission change).

    :raises TransitionRefused: the row's state changed meanwhile.
    """
    res = conn.execute(update(ins_settlements).where(ins_settlements.c.id == settlement_id,
                                                     ins_settlements.c.state == expected).values(**values))
    if res.rowcount != 1:
        raise TransitionRefused(f"医保结算{settlement_id}的状态已变化，请重新查询后再操作")
