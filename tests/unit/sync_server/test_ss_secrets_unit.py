"""Issue 14 without sockets: the audit chain (writer, verifier, migration 0007 over old rows),
the rate-limited failure recorder, secret files, demo mode off by default, SQLite durability."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text, update

from billing_core.clock import ManualClock
from sync_server.config import SecretFileError, load_config, read_secret_file
from sync_server.security.attempts import LOGIN_FAILED, SIGNATURE_FAILED, FailureRecorder
from sync_server.security.audit import SERVER, Actor, audit, audit_many, audit_row, verify_chain
from sync_server.store.audit_hash import GENESIS, row_digest
from sync_server.store.db import make_engine, read_tx, run_migrations, sqlite_url, write_tx
from sync_server.store.schema import AUDIT_HEAD, audit_log, billing_points, settings

pytestmark = pytest.mark.unit


def _write(engine: Engine, n: int, clock: ManualClock) -> None:
    for i in range(n):
        with write_tx(engine) as conn:
            conn.execute(insert(billing_points).values(place_code=f"9{i:02d}", name="测试", enabled=1))
            audit(conn, clock, SERVER, "create", "billing_point", f"9{i:02d}", None, {"i": i})
    with write_tx(engine) as conn:
        audit_many(conn, [audit_row("20261201000000000", Actor("T1", terminal="T1"), "x", "bill", n, None, {"n": n}),
                          audit_row("20261201000000000", SERVER, "y", "bill", n, {"前": 1}, None)])


def _verify(engine: Engine) -> tuple[bool, int | None, int]:
    with read_tx(engine) as conn:
        report = verify_chain(conn, batch=3)  # several pages
    return report.ok, report.broken_id, report.rows


def test_every_row_links_to_the_one_before(engine: Engine) -> None:
    _write(engine, 5, ManualClock())
    with read_tx(engine) as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).mappings().all()
        head = conn.execute(select(settings.c.value).where(settings.c.name == AUDIT_HEAD)).scalar()
    assert rows[0]["prev_hash"] == GENESIS
    for before, row in zip(rows, rows[1:], strict=False):
        assert row["prev_hash"] == before["row_hash"] and len(row["row_hash"]) == 64
    assert head == rows[-1]["row_hash"]
    assert _verify(engine) == (True, None, 7)


@pytest.mark.parametrize("change", [
    "UPDATE audit_log SET after_json = 'x' WHERE id = 3",
    "UPDATE audit_log SET entity_id = NULL WHERE id = 3",
    "DELETE FROM audit_log WHERE id = 3",
])
def test_an_edited_or_removed_row_is_named(engine: Engine, change: str) -> None:
    _write(engine, 5, ManualClock())
    with engine.begin() as conn:
        conn.exec_driver_sql(change)
    ok, broken, _ = _verify(engine)
    assert not ok and broken == (4 if change.startswith("DELETE") else 3)


def test_a_row_rolled_back_in_a_savepoint_leaves_the_chain_whole(engine: Engine) -> None:
    clock = ManualClock()
    with write_tx(engine) as conn:
        audit(conn, clock, SERVER, "a", "bill", 1)
        inner = conn.begin_nested()
        audit(conn, clock, SERVER, "b", "bill", 2)
        inner.rollback()
        audit(conn, clock, SERVER, "c", "bill", 3)
    assert _verify(engine) == (True, None, 2)


def test_migration_0007_chains_old_rows_and_removes_clear_demo_passwords(engine: Engine) -> None:
    _write(engine, 3, ManualClock())
    with engine.begin() as conn:  # the state of a database written before issue 14
        conn.execute(update(audit_log).values(prev_hash=None, row_hash=None))
        conn.execute(text("DELETE FROM settings WHERE name = :n"), {"n": AUDIT_HEAD})
        conn.execute(insert(settings).values(name="demo_json", value='{"users":[{"password":"clear"}]}'))
        conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
    assert not _verify(engine)[0]
    run_migrations(engine)
    assert _verify(engine) == (True, None, 5)
    with read_tx(engine) as conn:
        assert conn.execute(select(settings.c.value).where(settings.c.name == "demo_json")).first() is None
        first = conn.execute(select(audit_log).order_by(audit_log.c.id).limit(1)).mappings().one()
    assert first["row_hash"] == row_digest(GENESIS, first)


def test_failures_are_audited_within_the_rate_limits(engine: Engine) -> None:
    recorder = FailureRecorder(engine, ManualClock(), per_key=3, total=5, window=3600)
    who = Actor("HISX", caller="HISX")
    written = [recorder.record(SIGNATURE_FAILED, "caller", "HISX", who, {"code": "E2002"}) for _ in range(10)]
    assert written == [True] * 3 + [False] * 7
    assert [recorder.record(LOGIN_FAILED, "user", f"u{i}", who, {}) for i in range(4)] == [True, True, False, False]
    with read_tx(engine) as conn:
        actions = [r[0] for r in conn.execute(select(audit_log.c.action))]
    assert actions.count(SIGNATURE_FAILED) == 3 and actions.count(LOGIN_FAILED) == 2
    assert _verify(engine)[0]


def test_held_back_attempts_are_counted_in_the_next_row(engine: Engine) -> None:
    recorder = FailureRecorder(engine, ManualClock(), per_key=1, total=100, window=0.0)
    recorder._window = 3600  # noqa: SLF001 - one window for the first two attempts
    who = Actor("H", caller="H")
    assert recorder.record(SIGNATURE_FAILED, "caller", "H", who, {})
    assert not recorder.record(SIGNATURE_FAILED, "caller", "H", who, {})
    recorder._window = 0.0  # noqa: SLF001 - the window is over
    assert recorder.record(SIGNATURE_FAILED, "caller", "H", who, {})
    with read_tx(engine) as conn:
        last = conn.execute(select(audit_log.c.after_json).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    assert last == '{"suppressed":1}'


def test_secret_files_must_be_private(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_text(" secret-key \n", encoding="utf-8")
    key.chmod(0o640)
    with pytest.raises(SecretFileError, match="须为 600"):
        read_secret_file(key, "SYNC_FINANCE_KEY_FILE")
    key.chmod(0o600)
    assert read_secret_file(key, "x") == "secret-key"
    assert load_config(env={"SYNC_FINANCE_KEY_FILE": str(key)}).finance_key == "secret-key"
    with pytest.raises(SecretFileError, match="无法读取"):
        read_secret_file(tmp_path / "missing", "x")


def test_demo_mode_is_off_unless_asked_for() -> None:
    assert load_config(env={}).seed_demo is False
    assert load_config(env={"SYNC_DEMO": "1"}).seed_demo is True


def test_server_sqlite_commits_with_synchronous_full(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_the_writer_lock_file_is_private(engine: Engine, tmp_path: Path) -> None:
    with write_tx(engine) as conn:
        audit(conn, ManualClock(), SERVER, "a", "bill", 1)
    assert os.stat(tmp_path / "s.db.writer").st_mode & 0o077 == 0


def test_log_lines_never_show_personal_numbers() -> None:
    import io
    import logging

    from sync_server.connectors.masking import install_log_masking

    out = io.StringIO()
    logger = logging.getLogger("test.masking")
    logger.propagate = False
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        install_log_masking(logger)
        logger.warning("bill %s tel=%s", {"idCardNo": "440106199203071234", "medicalInsuranceID": "4401001992030712"},
                       "13912345678")
        try:
            raise ValueError('{"ICD":"K35.800","x":"440106199203071234"}')
        except ValueError:
            logger.exception("failed for 44010619920307123X")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    for value in ("440106199203071234", "4401001992030712", "13912345678", "K35.800", "44010619920307123X"):
        assert value not in text
    assert "440***********1234" in text and "139****5678" in text


def test_failed_statements_do_not_show_their_values(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError) as err, write_tx(engine) as conn:
        conn.execute(insert(billing_points).values(place_code="777", name="440106199203071234", enabled=1))
        conn.execute(insert(billing_points).values(place_code="777", name="440106199203071234", enabled=1))
    assert "440106199203071234" not in str(err.value)


def test_migration_0008_seals_rows_written_before_it(tmp_path: Path) -> None:
    from sync_server.bills.state import born
    from sync_server.security.audit import audit as write_audit
    from sync_server.store import sealing
    from sync_server.store.schema import bills

    engine = make_engine(sqlite_url(tmp_path / "old.db"))  # no key yet: rows written in clear, as before 0008
    try:
        run_migrations(engine)
        request = '{"busNo":"B1","idCardNo":"440106199203071234","tel":13912345678,"ICD":"K35.800"}'
        with write_tx(engine) as conn:
            conn.execute(insert(bills).values(
                bus_no="B1", method="invoiceEBillOutpatient", place_code="001", caller_appid="HIS01",
                card_no="440106199203071234", request_json=request, created_at="20260101000000000",
                updated_at="20260101000000000", **born("claim")))
            write_audit(conn, ManualClock(), SERVER, "claim", "bill", 1)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0007'"))
        sealer = sealing.Sealer(bytes(range(16)))
        sealing.attach(engine, sealer)
        run_migrations(engine)
        with engine.connect() as conn:
            raw = conn.exec_driver_sql("SELECT card_no, request_json FROM bills").one()
            opened = conn.execute(select(bills.c.card_no, bills.c.request_json)).one()
        assert "440106199203071234" not in "".join(raw) and "13912345678" not in raw[1] and "K35" not in raw[1]
        assert raw[0].startswith("sm4:") and '"idCardNo":"sm4:' in raw[1]
        assert tuple(opened) == ("440106199203071234", request)  # a number stays a number
        assert _verify(engine)[0]  # the sealing is audited on the chain
    finally:
        engine.dispose()
