"""The window's bill list is the terminal store: the workflow's bills plus the window's marks."""

from __future__ import annotations

import pytest

from offline_store import window_bills
from offline_store.db import Database
from workflows.records import BillBook

from .conftest import outpatient_form

pytestmark = pytest.mark.unit


def test_window_schema_is_its_own_recorded_migration_set(tmp_path) -> None:
    db = Database(tmp_path / "t.db")
    BillBook(db)
    names = [r["name"] for r in db.all("SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                                        ("offline_store.window",))]
    assert names == ["0001_window_bills"]
    assert window_bills.ensure_schema(db) == []  # applied once
    db.close()


def test_marks_survive_a_restart_and_the_day_filter(window, tmp_path, clock) -> None:
    services, _platform = window
    rec = services.issuing.issue(outpatient_form(services), "张敏")
    rec = services.writeoff.write_off(rec, "退费", "张敏")
    again = BillBook(Database(tmp_path / "terminal.db"), clock)  # a second connection: what a restart reads
    stored = again.get(rec.bill_batch_code, rec.bill_no)
    assert stored is not None and stored.state == "red" and stored.red_bill_no == rec.red_bill_no
    assert stored.kind == "outpatient" and stored.payee == "张敏" and stored.pay_channels
    today = clock.now().date()
    assert [r.bill_no for r in again.find(day_from=today, day_to=today)] == [rec.bill_no]
    clock.advance(86400)
    tomorrow = clock.now().date()
    assert again.find(day_from=tomorrow, day_to=tomorrow) == []
    again.db.close()
