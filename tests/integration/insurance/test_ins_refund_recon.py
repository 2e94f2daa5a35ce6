"""Refunds in reconciliation (SQLite and PostgreSQL): with ``refd_setl_flag`` 1 (the default) the
day's 3201 counts every settlement — cancelled ones too, reversed ones never — and every cancel as
a negative line, exactly as the platform counts them, so a day with cancels and a reversal is
clean; a cancel line that differs is named by 3202 with its own setl_id and flag 1. The "0" mode
(only valid settlements) is clean on the same day too."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from ins_stack import new_person, settled, terminal
from sqlalchemy import update

from billing_core.clock import CST, ManualClock
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import write_tx
from sync_server.store.insurance_schema import ins_settlements
from tests.rigs.insurance import InsSimProcess
from tests.rigs.stack import ServerThread

pytestmark = pytest.mark.integration


def test_a_day_with_cancels_and_a_reversal_is_clean(server: ServerThread, ins_sim: InsSimProcess) -> None:
    base = f"http://127.0.0.1:{server.port}"
    cashier, finance = terminal(base, server.demo), terminal(base, server.demo, "finance")
    day = f"{datetime.now(CST):%Y-%m-%d}"
    try:
        kept = settled(cashier, new_person(ins_sim), 2)
        refunded = settled(cashier, new_person(ins_sim), 1)
        reversed_ = settled(cashier, new_person(ins_sim), 1)
        cancel = cashier.ok("insCancel", {"settlementId": refunded["settlementId"]})
        finance.ok("insReverse", {"settlementId": reversed_["settlementId"]})
        report = finance.ok("insReconcile", {"day": day})
        assert report["clean"] is True and report["refdSetlFlag"] == "1" and report["inDoubt"] == []
        group = next(g for g in report["groups"] if g["insutype"] == "310")
        # kept + refunded + the refund's negative line; the reversal is not there
        assert group["count"] == 3 and group["balanced"] is True
        assert Decimal(group["medfee_sumamt"]) == Decimal(kept["medfeeSumamt"])
        # the same day counted the other way: only the valid settlement
        server.ctx.config.insurance_recon_refd = "0"
        try:
            only_valid = finance.ok("insReconcile", {"day": day})
        finally:
            server.ctx.config.insurance_recon_refd = "1"
        assert only_valid["clean"] is True and next(g for g in only_valid["groups"] if g["insutype"] == "310")[
            "count"] == 1
        # a local refund that differs: the group is not balanced, 3202 names the cancel line
        with write_tx(server.ctx.engine) as conn:
            conn.execute(update(ins_settlements).where(ins_settlements.c.id == refunded["settlementId"])
                         .values(cancel_day="2000-01-01"))
            audit(conn, ManualClock(), SERVER, "test_tamper", "ins_settlement", refunded["settlementId"])
        bad = finance.ok("insReconcile", {"day": day})
        assert bad["clean"] is False
        named = [d for g in bad["groups"] for d in g["differences"]]
        cancel_id = cancel["cancellation"]["setlId"]
        assert [(d["setl_id"], d["refd_setl_flag"]) for d in named] == [(cancel_id, "1")], named
        assert named[0]["local"]["settlementId"] == refunded["settlementId"]
    finally:
        cashier.close()
        finance.close()
