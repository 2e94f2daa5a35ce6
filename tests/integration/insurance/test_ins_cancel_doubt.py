"""A settlement cancel (2208) whose answer is lost, over HTTP against the simulator's fault knobs,
on SQLite and PostgreSQL: recorded in flight before it is sent, never re-sent, resolved by 5203
(the settlement cancelled -> ``cancelled``; still valid -> 2601 on the cancel's msgid, back to
``settled``) — by the request itself or, when the platform cannot be asked, by the worker.
Exactly one outcome: one cancel row on the platform, or none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from ins_stack import InsTerminal, new_person, settled, sim_settlements, terminal
from sqlalchemy import select

from sync_server.store.db import read_tx
from sync_server.store.insurance_schema import ins_transactions
from tests.rigs.insurance import InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


@pytest.fixture
def term(server: ServerThread, ins_sim: InsSimProcess) -> Iterator[InsTerminal]:
    t = terminal(f"http://127.0.0.1:{server.port}", server.demo)
    try:
        yield t
    finally:
        ins_sim.knobs(timeout_commit=None, slow=0, down=False, refuse=None)
        t.close()


def _platform(sim: InsSimProcess, mdtrt_id: str) -> list[str]:
    return sorted(s["state"] for s in sim_settlements(sim, mdtrt_id=mdtrt_id))


def _wait_state(term: InsTerminal, sid: int, states: set[str], timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        row = dict(term.ok("insSettlementQuery", {"settlementId": sid}))
        if row["state"] in states or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def _cancel_msgids(server: ServerThread, sid: int) -> list[tuple[str, str]]:
    with read_tx(server.ctx.engine) as conn:
        return [(r[0], r[1]) for r in conn.execute(
            select(ins_transactions.c.infno, ins_transactions.c.outcome).where(
                ins_transactions.c.settlement_id == sid, ins_transactions.c.infno == "2208")
            .order_by(ins_transactions.c.id))]


def test_cancel_timed_out_but_committed_is_found_by_5203(term: InsTerminal, server: ServerThread,
                                                         ins_sim: InsSimProcess) -> None:
    done = settled(term, new_person(ins_sim))
    sid = done["settlementId"]
    ins_sim.knobs(timeout_commit={"count": 1, "infnos": ["2208"], "hang_seconds": 4})
    got = term.ok("insCancel", {"settlementId": sid})
    assert got["state"] == "cancelled" and got.get("recovered") is True
    assert got["settleDay"] is not None
    assert _platform(ins_sim, done["mdtrtId"]) == ["cancel", "cancelled"]  # exactly one cancel
    assert _cancel_msgids(server, sid) == [("2208", "ok")]  # sent once, confirmed by 5203
    assert term.call("insCancel", {"settlementId": sid})[0] == "E5612"


def test_cancel_lost_while_the_platform_is_down_is_resolved_by_the_worker(
        term: InsTerminal, server: ServerThread, ins_sim: InsSimProcess) -> None:
    done = settled(term, new_person(ins_sim))
    sid = done["settlementId"]
    ins_sim.knobs(down=True)  # 2208 answered by HTTP 503: sent, outcome unknown; 5203 cannot be asked either
    code, msg = term.call("insCancel", {"settlementId": sid})
    assert code == "E5617" and "切勿重复撤销" in msg
    row = term.ok("insSettlementQuery", {"settlementId": sid})
    assert row["state"] == "cancel_in_doubt"
    assert term.call("insCancel", {"settlementId": sid})[0] == "E5617"  # never a second 2208 meanwhile
    assert term.call("insCancelFees", {"settlementId": sid, "chrgBchno": "0000"})[0] == "E5617"
    ins_sim.knobs(down=False)
    # the platform never applied it: 5203 says valid, 2601 makes sure the cancel never lands
    row = _wait_state(term, sid, {"settled"})
    assert row["state"] == "settled" and "2601" in (row["note"] or ""), row
    assert _platform(ins_sim, done["mdtrtId"]) == ["valid"]
    again = term.ok("insCancel", {"settlementId": sid})  # a new msgid
    assert again["state"] == "cancelled"
    assert _platform(ins_sim, done["mdtrtId"]) == ["cancel", "cancelled"]
    assert [o for _, o in _cancel_msgids(server, sid)] == ["reversed", "ok"]


def test_refused_cancel_leaves_the_settlement_standing(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    done = settled(term, new_person(ins_sim))
    sid = done["settlementId"]
    ins_sim.knobs(refuse={"count": 1, "infnos": ["2208"], "infcode": -1, "err_msg": "该结算已上传结算清单"})
    code, msg = term.call("insCancel", {"settlementId": sid})
    assert code == "E5604" and "结算清单" in msg
    assert term.ok("insSettlementQuery", {"settlementId": sid})["state"] == "settled"
    assert term.ok("insCancel", {"settlementId": sid})["state"] == "cancelled"
    assert _platform(ins_sim, done["mdtrtId"]) == ["cancel", "cancelled"]
