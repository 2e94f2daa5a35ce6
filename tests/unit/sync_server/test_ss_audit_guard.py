"""The audit guard: a transaction that changes an audited table without writing its audit row
is rolled back with E5027 instead of committing (issue 4 §8)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from billing_core.clock import ManualClock
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import AuditMissingError, write_tx
from sync_server.store.schema import AUDITED, audit_log, billing_points, metadata, settings

pytestmark = pytest.mark.unit


def _points(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(billing_points)).scalar_one())


def test_change_without_audit_row_is_rolled_back(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AuditMissingError) as err, write_tx(engine) as conn:
        conn.execute(insert(billing_points).values(place_code="901", name="测试", enabled=1))
    assert err.value.code == "E5027" and "billing_points" in err.value.message
    assert _points(engine) == 0


def test_change_with_audit_row_commits(engine) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    with write_tx(engine) as conn:
        conn.execute(insert(billing_points).values(place_code="901", name="测试", enabled=1))
        audit(conn, clock, SERVER, "create", "billing_point", "901", None, {"place_code": "901"})
    assert _points(engine) == 1
    with engine.connect() as conn:
        row = conn.execute(select(audit_log)).mappings().one()
    assert row["actor"] == "server" and row["action"] == "create" and '"901"' in row["after_json"]


def test_unaudited_tables_and_failed_statements_need_no_audit_row(engine) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    with write_tx(engine) as conn:
        conn.execute(insert(settings).values(name="x", value="1"))  # not an audited table
    with write_tx(engine) as conn:
        conn.execute(insert(billing_points).values(place_code="902", name="测试", enabled=1))
        audit(conn, clock, SERVER, "create", "billing_point", "902")
    with write_tx(engine) as conn:  # a unique violation inside a savepoint changed nothing
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(insert(billing_points).values(place_code="902", name="重复", enabled=1))
    assert _points(engine) == 1


def test_every_business_table_is_audited() -> None:
    business = {t for t in metadata.tables} - {"audit_log", "outbox", "settings", "recon_reports",
                                               "bill_items", "pay_channels"}
    # items and pay channels are written only together with their bill's audited change
    assert business <= AUDITED
