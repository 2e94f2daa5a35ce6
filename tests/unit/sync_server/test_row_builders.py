"""One builder each for bill detail rows and audit rows (issue 13 §4), used by single and bulk
writes alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from billing_core.clock import ManualClock, ts17
from sync_server.bills import records
from sync_server.emergency import terminal_batch
from sync_server.security.audit import SERVER, Actor, audit, audit_many, audit_row
from sync_server.store.db import write_tx
from sync_server.store.schema import audit_log, billing_points

pytestmark = pytest.mark.unit

REQUEST = {
    "chargeDetail": [{"sortNo": 3, "chargeCode": "A01", "chargeName": "检查费", "unit": "次", "std": "12.5",
                      "number": 2, "amt": "25.00", "selfAmt": 0},
                     "not a dict", {"chargeCode": "A02", "chargeName": "化验费", "amt": Decimal("1.10")}],
    "listDetail": [{"name": "血常规", "chargeCode": "A02", "amt": 1.1, "std": "NaN", "number": "Infinity"}],
    "payChannelDetail": [{"payChannelCode": "02", "payChannelValue": "26.10"}, None],
}


def test_detail_rows() -> None:
    items, chans = records.detail_rows(7, REQUEST)
    assert [(i["kind"], i["sort_no"], i["charge_code"], i["name"]) for i in items] == [
        ("charge", 3, "A01", "检查费"), ("charge", 3, "A02", "化验费"), ("list", 1, "A02", "血常规")]
    assert items[0] | {} == {"bill_id": 7, "kind": "charge", "sort_no": 3, "charge_code": "A01", "name": "检查费",
                             "unit": "次", "std": Decimal("12.5"), "number": Decimal("2"), "amt": Decimal("25.00"),
                             "self_amt": Decimal("0")}
    assert items[1]["amt"] == Decimal("1.10") and items[1]["std"] is None
    # NaN / Infinity never reach a Numeric column (the terminal batch's old parser let them in)
    assert items[2]["amt"] == Decimal("1.1") and items[2]["std"] is None and items[2]["number"] is None
    assert chans == [{"bill_id": 7, "code": "02", "value": Decimal("26.10")}]


@pytest.mark.parametrize(("value", "want"), [
    ("12.50", Decimal("12.50")), (3, Decimal("3")), (0.1, Decimal("0.1")), (Decimal("-1.5"), Decimal("-1.5")),
    (None, None), ("", None), ("abc", None), ("NaN", None), ("-Infinity", None), (Decimal("NaN"), None),
    ("1e400", None), (True, None),
])
def test_qty(value: object, want: Decimal | None) -> None:
    assert records.qty(value) == want


def test_terminal_batch_uses_the_shared_builders() -> None:
    assert terminal_batch.detail_rows is records.detail_rows
    assert terminal_batch.audit_row is audit_row
    assert not hasattr(terminal_batch, "_qty") and not hasattr(terminal_batch.Batch, "_details")


def test_audit_row_single_and_bulk_write_the_same_rows(engine: Engine) -> None:
    clock = ManualClock()
    who = Actor("T01", caller="T01", terminal="T01")
    with write_tx(engine) as conn:
        conn.execute(billing_points.insert().values(place_code="901", name="测试", enabled=1))
        audit(conn, clock, who, "create", "billing_point", 901, None, {"a": 1})
        audit_many(conn, [audit_row(ts17(clock.now()), who, "create", "billing_point", 901, None, {"a": 1}),
                          audit_row(ts17(clock.now()), SERVER, "touch", "bill", None, {"x": "前"}, None)])
        audit_many(conn, [])  # nothing to write: no statement
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings()]
    # the chain columns differ by design (each row links to the one before: issue 14)
    single, bulk, other = ({k: v for k, v in r.items() if k not in ("id", "prev_hash", "row_hash")} for r in rows)
    assert single == bulk == {"at": ts17(clock.now()), "actor": "T01", "caller": "T01", "terminal": "T01",
                              "action": "create", "entity": "billing_point", "entity_id": "901",
                              "before_json": None, "after_json": '{"a":1}'}
    assert other["actor"] == "server" and other["caller"] is None and other["entity_id"] is None
    assert other["after_json"] is None and "前" in other["before_json"]
