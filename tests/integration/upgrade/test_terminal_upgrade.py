"""Terminal stores written by every released store version (tests/fixtures/upgrade/terminal, made
by make_fixtures.py from the old commits) are opened by today's offline_store and workflows: every
migration applied and recorded, the old catalog, stock, journal, outbox, print jobs, window marks
and kiosk orders still there and usable, and the emergency journal still chaining and signed as
the sync server checks an upload (sync_server.emergency.terminal_chain)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.integration.upgrade.rig import FIXTURES, gunzip, manifest

pytestmark = pytest.mark.integration

TERMINAL = sorted(manifest()["terminal"].values(), key=lambda e: e["commit"])


def open_copy(entry: dict[str, Any], tmp_path: Path) -> Any:
    """Today's store on a copy of the fixture (the window's migration set applied too)."""
    from offline_store import open_store, window_bills

    path = gunzip(FIXTURES / entry["path"], tmp_path / "terminal.sqlite3")
    db = open_store(str(path))
    window_bills.ensure_schema(db)
    return db


@pytest.mark.parametrize("entry", TERMINAL, ids=[e["name"] for e in TERMINAL])
def test_terminal_store_upgrades(entry: dict[str, Any], tmp_path: Path) -> None:
    from billing_core.crypto import SM2PrivateKey
    from offline_store import catalog, journal, kiosk_orders, outbox, print_jobs, stock, window_bills
    from offline_store.migrations import MIGRATIONS, SCRIPTS, applied_migrations
    from sync_server.emergency.terminal_chain import genesis, link_of, verify_signature
    from workflows.emergency import chain
    from workflows.emergency.issuer import UPLOAD_KIND, EmergencyIssuer, Identity
    from workflows.emergency.limits import EmergencyLimits

    db = open_copy(entry, tmp_path)
    try:
        assert applied_migrations(db) == [name for name, _ in SCRIPTS]
        assert not MIGRATIONS.pending(db.utils)
        assert not window_bills.WINDOW_MIGRATIONS.pending(db.utils)
        # the old data, through today's functions
        assert catalog.get(db, "charge_item", "001")["chargeName"] == "西药费"  # type: ignore[index]
        assert [(b.bill_batch_code, int(b.bgn_no), int(b.end_no)) for b in stock.blocks(db)] == \
            [("44060226", 9000001, 9000050)]
        assert any(i.kind == "ping" for i in outbox.pending(db))
        assert any(j.ref == "fixture" for j in print_jobs.unfinished(db))
        # the emergency journal: chained from the terminal's genesis, signed, accepted as an upload
        entries = journal.entries(db)
        assert [e.bus_no for e in entries] == [j["busNo"] for j in entry["journal"]]
        public = SM2PrivateKey.from_hex(entry["key"]).public_key.to_hex()
        uploads = [i.payload for i in outbox.pending(db, UPLOAD_KIND)]
        assert len(uploads) == len(entries)
        prev = genesis(entry["terminalId"])
        for up in uploads:
            assert up["prevHash"] == prev and link_of(up) == up["hash"]
            assert verify_signature(public, up["bill"], up["signValue"])
            prev = up["hash"]
        # a new emergency bill continues the old chain
        if entries:
            issuer = EmergencyIssuer(db, Identity(entry["terminalId"], "001"), chain.BillSigner(entry["key"]),
                                     EmergencyLimits())
            seq, _job = issuer.issue("invoiceEBillOutpatient", dict(entries[0].request, busNo="EMGNEW01"),
                                     datetime(2026, 12, 3, 9, 0), in_doubt=False)
            new = journal.by_seq(db, seq)
            assert new is not None and new.prev_hash == entries[-1].hash
            assert new.bill_no not in {e.bill_no for e in entries}
        for bus_no in entry["window"]:
            assert window_bills.bills(db, bus_no=bus_no)[0]["red_reason"] == "患者退费"
        for order_no in entry["kiosk"]:
            assert kiosk_orders.get(db, order_no).state == "paid"
            kiosk_orders.advance(db, order_no, "paid", "settled", "20261203090000000")
            assert kiosk_orders.get(db, order_no).state == "settled"
    finally:
        db.close()
