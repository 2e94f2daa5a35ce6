"""busNo repeats are answered only when they are repeats (issue 14 item 3), over the scripted
platform client of test_issuing_fast: different content is E5033 with no platform call and
nothing written; a row stored before this rule (request not normalised) still matches its
repeat; a bill uploaded by a terminal is matched by billing point."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from billing_core import methods
from billing_core.envelope import dumps
from sync_server.connectors.policy import IssueOutcome, Outcome
from sync_server.context import ServerContext
from sync_server.errors import BusNoConflictError
from sync_server.his.issuing import Issuer
from sync_server.security.audit import audit
from sync_server.store.db import write_tx
from sync_server.store.schema import bills
from tests.unit.sync_server.test_issuing_fast import FIXTURE, WHO, answer, ctx, platform, request, rows

pytestmark = pytest.mark.unit
__all__ = ["ctx"]  # the fixture, used by name
OUT = methods.INVOICE_EBILL_OUTPATIENT


def issued(ctx: ServerContext, bus_no: str) -> dict:
    platform(ctx).script = [IssueOutcome(Outcome.ISSUED, answer("0000000001"), attempts=1)]
    return Issuer(ctx).issue(OUT, request(bus_no), WHO)


@pytest.mark.parametrize("change", [{"payer": "另一位患者"}, {"placeCode": "005"}, {"totalAmt": "1.00"}])
def test_a_repeat_with_other_content_is_a_conflict_and_writes_nothing(ctx: ServerContext,
                                                                      change: dict) -> None:
    issued(ctx, "C-1")
    before = rows(ctx)
    other = request("C-1") | change
    with pytest.raises(BusNoConflictError) as err:
        Issuer(ctx).issue(OUT, other, WHO)
    assert err.value.code == "E5033" and "busNo" in err.value.message
    assert rows(ctx) == before and len(platform(ctx).calls) == 1


def test_a_row_stored_unnormalised_still_matches_its_repeat(ctx: ServerContext) -> None:
    issued(ctx, "C-2")
    raw = json.loads(FIXTURE.read_text(encoding="utf-8")) | {"busNo": "C-2"}
    with write_tx(ctx.engine) as conn:  # as an older version (or a hand repair) stored it
        conn.execute(update(bills).where(bills.c.bus_no == "C-2").values(request_json=dumps(raw)))
        audit(conn, ctx.clock, WHO, "test_edit", "bill", "C-2")
    assert Issuer(ctx).issue(OUT, request("C-2"), WHO)["billNo"] == "0000000001"


def test_a_terminal_upload_is_matched_by_billing_point(ctx: ServerContext) -> None:
    issued(ctx, "C-3")
    with write_tx(ctx.engine) as conn:
        conn.execute(update(bills).where(bills.c.bus_no == "C-3").values(origin="terminal",
                                                                          request_json=dumps({"x": 1})))
        audit(conn, ctx.clock, WHO, "test_edit", "bill", "C-3")
    assert Issuer(ctx).issue(OUT, request("C-3"), WHO)["billNo"] == "0000000001"
    with pytest.raises(BusNoConflictError):
        Issuer(ctx).issue(OUT, request("C-3") | {"placeCode": "002"}, WHO)
