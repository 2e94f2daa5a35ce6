"""Migration 0016 (issue 18 §1): a 0012 database whose bills hold sealed ID numbers, phones and
card numbers gains the keyed digest columns, backfilled from the opened values and audited on
the chain — SQLite and PostgreSQL."""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import Engine, MetaData, insert, inspect, select, text
from ss_rig import upgrade_to

from billing_core.clock import SystemClock
from sync_server.security.audit import SERVER, audit, verify_chain
from sync_server.store import schema
from sync_server.store.db import run_migrations
from sync_server.store.sealing import Sealer, attach

pytestmark = pytest.mark.integration

DIGESTS = ("id_digest", "tel_digest", "card_digest")


def _schema_before_0016() -> MetaData:
    """schema.py as it was at revision 0012: bills without the digest columns and their indexes."""
    old = MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(old)
    old_bills = old.tables["bills"]
    for index in list(old_bills.indexes):
        if index.name in ("ix_bills_id_digest", "ix_bills_tel_digest", "ix_bills_card_digest", "ix_bills_payer"):
            old_bills.indexes.discard(index)
    for name in DIGESTS:
        old_bills._columns.remove(old_bills.c[name])  # noqa: SLF001 - a frozen copy of the old table
    return old


def _bill(n: int, request: dict[str, str], card: str | None) -> dict[str, object]:
    return {"bus_no": f"MIG{n}", "busno_live": f"MIG{n}", "method": "invoiceEBillOutpatient", "place_code": "001",
            "caller_appid": "HIS01", "state": "issued", "origin": "online", "in_doubt": 0, "carry": "none",
            "bill_batch_code": "44010126", "bill_no": f"{n:010d}", "total_amt": "1.00", "payer": "旧票",
            "card_no": card, "is_scarlet": 0, "is_prt_paper": 0,
            "request_json": json.dumps(request, ensure_ascii=False), "created_at": "20261201000000000",
            "updated_at": "20261201000000000"}


def test_0012_database_gains_backfilled_digests(empty_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sealer = Sealer(secrets.token_bytes(16))
    attach(empty_engine, sealer)
    old = _schema_before_0016()
    with monkeypatch.context() as m:
        m.setattr(schema, "metadata", old)
        upgrade_to(empty_engine, "0012")
    assert not {"id_digest", "tel_digest"} & {c["name"] for c in inspect(empty_engine).get_columns("bills")}
    # rows written before 0016, sealed as the server writes them (SealedJson / SealedText)
    with empty_engine.begin() as conn:
        conn.execute(insert(old.tables["bills"]), [
            _bill(1, {"idCardNo": "110101199003071234", "tel": "13912345678"}, "D156001"),
            _bill(2, {"payer": "无证件"}, None),
            _bill(3, {"cardNo": "D156002"}, None)])
        audit(conn, SystemClock(), SERVER, "test_rows", "bill", None, None, {"rows": 3})
        raw = conn.execute(text("SELECT request_json FROM bills WHERE bus_no = 'MIG1'")).scalar()
    assert "110101199003071234" not in str(raw)  # sealed at rest
    run_migrations(empty_engine)
    with empty_engine.connect() as conn:
        rows = {r["bus_no"]: r for r in conn.execute(select(schema.bills)).mappings()}
        assert verify_chain(conn).ok
        audits = conn.execute(text("SELECT after_json FROM audit_log WHERE action = 'digest_personal_data'")).all()
    assert rows["MIG1"]["id_digest"] == sealer.blind_index("110101199003071234")
    assert rows["MIG1"]["tel_digest"] == sealer.blind_index("13912345678")
    assert rows["MIG1"]["card_digest"] == sealer.blind_index("D156001")
    assert (rows["MIG2"]["id_digest"], rows["MIG2"]["card_digest"]) == (None, None)
    assert rows["MIG3"]["card_digest"] == sealer.blind_index("D156002") and rows["MIG3"]["tel_digest"] is None
    assert [json.loads(a[0]) for a in audits] == [{"rows": 2}]
    names = {i["name"] for i in inspect(empty_engine).get_indexes("bills")}
    assert {"ix_bills_id_digest", "ix_bills_payer"} <= names
    run_migrations(empty_engine)  # idempotent at head
