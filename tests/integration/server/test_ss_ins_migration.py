"""Migration 0014 (issue 16, insurance server remainder): a 0012 database's ``ins_settlements``
gains ``cancel_msgid``, ``cancel_day`` and ``setl_list_id`` and the states ``cancelling``,
``cancel_in_doubt`` and ``closed``, keeps its rows, and its CHECK constraint still refuses an
unknown state — SQLite (table rebuilt) and PostgreSQL (constraint replaced)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text, update
from sqlalchemy.exc import IntegrityError
from ss_rig import upgrade_to

from billing_core.clock import ManualClock
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import run_migrations
from sync_server.store.insurance_schema import ins_settlements

pytestmark = pytest.mark.integration

NEW = ("cancel_msgid", "cancel_day", "setl_list_id")


def test_0012_settlements_migrate_forward(empty_engine: Engine) -> None:
    upgrade_to(empty_engine, "0012")
    assert not set(NEW) & {c["name"] for c in inspect(empty_engine).get_columns("ins_settlements")}
    with empty_engine.begin() as conn:
        audit(conn, ManualClock(), SERVER, "test_seed", "ins_settlement", None)
        conn.execute(text(
            "INSERT INTO ins_settlements (visit, state, psn_no, live_psn, insuplc_admdvs, insutype, mdtrt_id, ipt_otp_no,"
            " medfee_sumamt, setl_id, settle_attempts, caller, opter, request_json, settle_day, created_at, updated_at)"
            " VALUES ('outpatient', 'settled', 'P1', NULL, '440300', '310', 'M1', 'O1', 25.00, 'S1', 1, 'TERM01',"
            " 'cashier01', '{}', '2026-12-01', '20261201100000000', '20261201100000000')"))
    run_migrations(empty_engine)
    assert set(NEW) <= {c["name"] for c in inspect(empty_engine).get_columns("ins_settlements")}
    with empty_engine.begin() as conn:
        row = conn.execute(text("SELECT id, state, setl_id, medfee_sumamt, cancel_msgid FROM ins_settlements")).one()
        assert (row.state, row.setl_id, f"{row.medfee_sumamt:.2f}", row.cancel_msgid) == ("settled", "S1", "25.00", None)
        for st in ("cancelling", "cancel_in_doubt", "cancelled", "closed"):
            audit(conn, ManualClock(), SERVER, "test_move", "ins_settlement", row.id)
            conn.execute(update(ins_settlements).where(ins_settlements.c.id == row.id).values(state=st))
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        audit(conn, ManualClock(), SERVER, "test_bad", "ins_settlement", 1)
        conn.execute(update(ins_settlements).values(state="refunded"))
    run_migrations(empty_engine)  # idempotent at head
