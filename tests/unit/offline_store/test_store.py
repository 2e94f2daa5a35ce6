"""offline_store: pragmas, migrations, atomic(), catalog, stock, journal, outbox, print jobs."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from offline_store import catalog, journal, outbox, print_jobs, stock
from offline_store.db import Database
from offline_store.migrations import applied_migrations

pytestmark = pytest.mark.unit

AT = "20261123090000000"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(tmp_path / "t.db")
    yield database
    database.close()


def test_file_database_is_wal_with_full_sync_and_records_migrations(tmp_path: Path) -> None:
    db = Database(tmp_path / "a" / "t.db")
    assert db.pragma("journal_mode") == "wal"
    assert db.pragma("synchronous") == 2  # FULL
    assert applied_migrations(db) == ["0001_initial", "0002_journal_state_index", "0003_journal_writeoff_queue",
                                      "0004_kiosk_orders", "0005_ins_orders"]
    assert db.applied_now == ["0001_initial", "0002_journal_state_index", "0003_journal_writeoff_queue",
                                      "0004_kiosk_orders", "0005_ins_orders"]
    db.close()
    again = Database(tmp_path / "a" / "t.db")
    assert again.applied_now == []  # recorded, not re-applied
    again.close()


def test_atomic_rolls_back_nested_savepoint_only(db: Database) -> None:
    with db.atomic():
        db.set_value("a", 1)
        with pytest.raises(ValueError), db.atomic():
            db.set_value("b", 2)
            raise ValueError("boom")
        assert db.get_value("b") is None
    assert db.get_value("a") == 1
    with pytest.raises(RuntimeError), db.atomic():
        db.set_value("c", 3)
        raise RuntimeError("outer")
    assert db.get_value("c") is None


def test_catalog_replace_is_whole_kind(db: Database) -> None:
    catalog.replace_kind(db, "charge_item", [{"code": "01", "name": "西药费"}, {"code": "02", "name": "检查费"}], AT)
    catalog.replace_kind(db, "charge_item", [{"code": "03", "name": "治疗费"}], "20261123100000000")
    assert [i["code"] for i in catalog.items(db, "charge_item")] == ["03"]
    assert catalog.get(db, "charge_item", "03") == {"code": "03", "name": "治疗费"}
    assert catalog.refreshed_at(db, "charge_item") == "20261123100000000"
    with pytest.raises(ValueError):
        catalog.replace_kind(db, "nonsense", [], AT)


def test_stock_take_is_transactional_and_never_repeats(db: Database) -> None:
    block = stock.add_block(db, "P01", "42060126", "0000000001", "0000000003", AT)
    assert stock.add_block(db, "P01", "42060126", "0000000001", "0000000003", AT).id == block.id
    with pytest.raises(RuntimeError):
        stock.take_number(db, "P01")  # outside a transaction
    with pytest.raises(KeyError), db.atomic():
        stock.take_number(db, "P01")
        raise KeyError("crash before commit")
    taken = []
    for _ in range(3):
        with db.atomic():
            t = stock.take_number(db, "P01")
            assert t is not None
            taken.append(t.bill_no)
    assert taken == ["0000000001", "0000000002", "0000000003"]
    with db.atomic():
        assert stock.take_number(db, "P01") is None
    assert stock.get_block(db, block.id).state == "exhausted"
    assert stock.remaining(db) == 0


def test_stock_return_and_revoke_stop_issuing(db: Database) -> None:
    b1 = stock.add_block(db, "P01", "42060126", "0000000010", "0000000019", AT)
    b2 = stock.add_block(db, "P01", "42060126", "0000000020", "0000000029", AT)
    with db.atomic():
        stock.take_number(db, "P01")
    assert stock.begin_return(db, b1.id, "交回") == ("0000000011", "0000000019")
    assert stock.begin_return(db, b1.id, "交回") == ("0000000011", "0000000019")  # retry asks again
    with db.atomic():
        t = stock.take_number(db, "P01")
    assert t is not None and t.bill_no == "0000000020"  # never from a returning block
    stock.finish_return(db, b1.id)
    assert stock.get_block(db, b1.id).state == "returned"
    assert stock.revoke(db, "42060126", "0000000020", "0000000029") == 1
    with db.atomic():
        assert stock.take_number(db, "P01") is None
    assert stock.get_block(db, b2.id).remaining == 0


def _entry(db: Database, block_id: int, bus_no: str, no: str, h: str, amt: str = "10.00") -> int:
    return journal.insert(
        db, bus_no=bus_no, method="invoiceEBillOutpatient", bill_type="outpatient",
        request={"busNo": bus_no, "totalAmt": Decimal(amt)}, place_code="P01", block_id=block_id,
        bill_batch_code="42060126", bill_no=no, random="abc123", total_amt=Decimal(amt), issue_time=AT,
        terminal_id="T1", sign_value="00", prev_hash="0" * 64, seed=None, hash=h, in_doubt=False)


def test_journal_unique_on_busno_and_number_and_stats(db: Database) -> None:
    block = stock.add_block(db, "P01", "42060126", "0000000001", "0000000009", AT)
    with db.atomic():
        _entry(db, block.id, "B1", "0000000001", "h1", "12.50")
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        _entry(db, block.id, "B1", "0000000002", "h2")
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        _entry(db, block.id, "B2", "0000000001", "h3")
    with db.atomic():
        seq = _entry(db, block.id, "B2", "0000000002", "h4", "7.55")
    stats = journal.pending_stats(db)
    assert (stats.count, stats.total_amt) == (2, Decimal("20.05"))
    assert journal.chain_head(db) == ("h4", None)
    journal.set_state(db, seq, "uploaded", {"billNo": "0000000002"}, AT)
    assert journal.pending_stats(db).count == 1
    entry = journal.by_bus_no(db, "B1")
    assert entry is not None and entry.request["totalAmt"] == "12.50"  # Decimal string, never float
    journal.set_online_seed(db, "seedhash", {"billNo": "9"})
    assert journal.chain_head(db) == ("seedhash", {"billNo": "9"})


def test_outbox_idempotent_enqueue_and_order(db: Database) -> None:
    a = outbox.enqueue(db, "upload", "B1", "k1", {"n": 1}, AT)
    assert outbox.enqueue(db, "upload", "B1", "k1", {"n": 99}, AT) == a
    b = outbox.enqueue(db, "upload", "B2", "k2", {"n": 2}, AT)
    assert [i.id for i in outbox.pending(db)] == [a, b]
    outbox.note_attempt(db, a, "断网")
    outbox.mark_done(db, a, AT)
    outbox.mark_failed(db, b, "E3001 拒绝", AT)
    assert outbox.count_pending(db) == 0


def test_writeoff_queued_with_its_mark_after_the_upload_and_once(db: Database) -> None:
    """Issue 7 §7: the write-off of a bill not uploaded yet is one transaction (journal mark +
    outbox item after the bill's upload item); a second queue keeps the first request."""
    from offline_store import writeoffs

    block = stock.add_block(db, "P01", "42060126", "0000000001", "0000000009", AT)
    with db.atomic():
        _entry(db, block.id, "B1", "0000000001", "h1")
        up = outbox.enqueue(db, "emergency_upload", "B1", "T1:42060126:0000000001", {"n": 1}, AT)
    key = writeoffs.writeoff_key("T1", "42060126", "0000000001")
    wo = writeoffs.queue(db, "B1", key, {"reason": "退费"}, AT)
    assert wo > up and writeoffs.queue(db, "B1", key, {"reason": "另一个"}, AT) == wo
    [item] = outbox.pending(db, writeoffs.WRITEOFF_KIND)
    assert item.payload == {"reason": "退费"} and item.idem_key == "wo:T1:42060126:0000000001"
    mark = writeoffs.mark_of(db, "B1")
    assert mark is not None and (mark.state, mark.bill_state) == ("queued", "issued")
    with pytest.raises(sqlite3.IntegrityError), db.atomic():
        writeoffs.set_mark(db, "B1", "bogus", None, AT)  # CHECK on the mark
    writeoffs.set_mark(db, "B1", writeoffs.DONE, {"eScarletBillNo": "0000000100"}, AT)
    assert writeoffs.mark_of(db, "B1").result == {"eScarletBillNo": "0000000100"}  # type: ignore[union-attr]
    assert writeoffs.count(db, writeoffs.QUEUED) == 0 and writeoffs.mark_of(db, "nope") is None


def test_print_jobs_lifecycle(db: Database) -> None:
    job = print_jobs.create(db, "notice", "B1", {"x": Decimal("1.50")}, AT)
    assert [j.id for j in print_jobs.unfinished(db)] == [job]
    print_jobs.mark_printing(db, job)
    assert print_jobs.get(db, job).state == "printing"
    print_jobs.mark_done(db, job, AT)
    rec = print_jobs.get(db, job)
    assert (rec.state, rec.printed_count, rec.document) == ("done", 1, {"x": "1.50"})
    assert print_jobs.unfinished(db) == []
    print_jobs.reopen(db, job)
    assert print_jobs.for_ref(db, "B1")[0].state == "pending"


def test_store_of_an_older_schema_is_upgraded_at_open(tmp_path: Path) -> None:
    """A terminal database released with 0001 only gets 0002 and 0003 applied at open, data kept."""
    import sqlite_utils

    from offline_store.migrations import MIGRATIONS

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS.apply(old, stop_before="0002_journal_state_index")
    old["kv"].insert({"key": "chain_head", "value": '"abc"'})
    old.close()
    db = Database(path)
    assert db.applied_now == ["0002_journal_state_index", "0003_journal_writeoff_queue",
                                      "0004_kiosk_orders", "0005_ins_orders"]
    assert applied_migrations(db) == ["0001_initial", "0002_journal_state_index", "0003_journal_writeoff_queue",
                                      "0004_kiosk_orders", "0005_ins_orders"]
    assert db.get_value("chain_head") == "abc"
    assert db.scalar("SELECT name FROM sqlite_master WHERE name = 'journal_state'") == "journal_state"
    assert {"writeoff", "writeoff_result", "writeoff_at"} <= {r["name"] for r in db.all("PRAGMA table_info(journal)")}
    db.close()
