"""The in-doubt rule over HTTP against the simulator's fault knobs, on SQLite and PostgreSQL:
a 2207 whose answer is lost is checked with 5203 and reversed with 2601, never re-sent; exactly
one settlement is left on the platform."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from ins_stack import InsTerminal, fees_data, register_data, sim_settlements, terminal
from sqlalchemy import select, update

from billing_core.clock import ManualClock
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import read_tx, write_tx
from sync_server.store.insurance_schema import ins_settlements, ins_transactions
from tests.rigs.insurance import QIAN, WANG, ZHANG, ZHAO, InsSimProcess
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


def _pre_settled(term: InsTerminal, person: dict[str, str]) -> dict[str, Any]:
    reg = term.ok("insRegister", register_data(person))
    term.ok("insUploadFees", fees_data(reg["settlementId"], 1))
    term.ok("insPreSettle", {"settlementId": reg["settlementId"]})
    return dict(reg)


def _valid(sim: InsSimProcess, mdtrt_id: str) -> list[dict[str, Any]]:
    return [s for s in sim_settlements(sim, mdtrt_id=mdtrt_id) if s["state"] == "valid"]


def _wait_state(term: InsTerminal, sid: int, states: set[str], timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        row = dict(term.ok("insSettlementQuery", {"settlementId": sid}))
        if row["state"] in states or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def test_timed_out_but_committed_is_recovered_by_5203(term: InsTerminal, server: ServerThread,
                                                      ins_sim: InsSimProcess) -> None:
    reg = _pre_settled(term, ZHANG)
    ins_sim.knobs(timeout_commit={"count": 1, "infnos": ["2207"], "hang_seconds": 4})
    done = term.ok("insSettle", {"settlementId": reg["settlementId"]})
    assert done["state"] == "settled" and done.get("recovered") is True
    assert done["settleAttempts"] == 1  # never re-sent
    valid = _valid(ins_sim, reg["mdtrtId"])
    assert [s["medins_setl_id"] for s in valid] == [done["settleMsgid"]] and valid[0]["setl_id"] == done["setlId"]
    with read_tx(server.ctx.engine) as conn:
        sent = conn.execute(select(ins_transactions.c.infno, ins_transactions.c.outcome)
                            .where(ins_transactions.c.settlement_id == reg["settlementId"])).all()
    assert [tuple(r) for r in sent] == [("2207", "ok")]  # in doubt, then confirmed by 5203


def test_lost_and_unreachable_is_left_in_doubt_then_resolved_by_the_worker(
        term: InsTerminal, ins_sim: InsSimProcess) -> None:
    reg = _pre_settled(term, WANG)
    ins_sim.knobs(slow=3)  # 2207 is held (and then committed) past the server's 1.5 s; so is 5203
    code, msg = term.call("insSettle", {"settlementId": reg["settlementId"]})
    assert code == "E5613" and "切勿重复结算" in msg
    assert term.call("insSettle", {"settlementId": reg["settlementId"]})[0] == "E5613"  # no second 2207
    ins_sim.knobs(slow=0)
    row = _wait_state(term, reg["settlementId"], {"settled"})
    assert row["state"] == "settled"
    assert [s["medins_setl_id"] for s in _valid(ins_sim, reg["mdtrtId"])] == [row["settleMsgid"]]


def test_not_on_the_platform_is_reversed_and_may_be_settled_again(term: InsTerminal, server: ServerThread,
                                                                   ins_sim: InsSimProcess) -> None:
    reg = _pre_settled(term, ZHAO)
    ins_sim.knobs(down=True)  # HTTP 503: not an envelope -> in doubt (it may have been processed)
    code, _ = term.call("insSettle", {"settlementId": reg["settlementId"]})
    assert code == "E5613"
    # as if the request thread had died holding it: this process's own, long unchanged hold is taken over too
    with write_tx(server.ctx.engine) as conn:
        conn.execute(update(ins_settlements).where(ins_settlements.c.id == reg["settlementId"])
                     .values(owner=server.ctx.instance, updated_at="20000101000000000"))
        audit(conn, ManualClock(), SERVER, "test_hold", "ins_settlement", reg["settlementId"])
    ins_sim.knobs(down=False)
    row = _wait_state(term, reg["settlementId"], {"pre_settled"})
    assert row["state"] == "pre_settled" and "2601" in (row["note"] or ""), row["note"]
    first = row["settleMsgid"]
    again = term.ok("insSettle", {"settlementId": reg["settlementId"]})
    assert again["state"] == "settled" and again["settleMsgid"] != first and again["settleAttempts"] == 2
    assert [s["medins_setl_id"] for s in _valid(ins_sim, reg["mdtrtId"])] == [again["settleMsgid"]]


def test_refused_settlement_goes_back_to_pre_settled(term: InsTerminal, ins_sim: InsSimProcess) -> None:
    reg = _pre_settled(term, QIAN)
    ins_sim.knobs(refuse={"count": 1, "infnos": ["2207"], "infcode": -1, "err_msg": "个人账户余额不足"})
    code, msg = term.call("insSettle", {"settlementId": reg["settlementId"]})
    assert code == "E5604" and "个人账户余额不足" in msg
    row = term.ok("insSettlementQuery", {"settlementId": reg["settlementId"]})
    assert row["state"] == "pre_settled"
    done = term.ok("insSettle", {"settlementId": reg["settlementId"]})
    assert done["state"] == "settled"
    assert len(_valid(ins_sim, reg["mdtrtId"])) == 1
