"""Shutting a server context down joins every thread the server started: the outbox worker, a
batch mid-run, the carry pool, the PostgreSQL liveness watch. A batch interrupted this way stays
pending (the next start resumes it); nothing new starts once the shutdown began."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from ss_rig import ServerThread, Simulator, db_config, drop_pg_schema, load_sample

from sync_server.emergency.carry_pool import kick_carry_pool
from sync_server.store.db import read_tx
from sync_server.store.schema import batches

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_after_shutdown_no_thread_started_by_the_server_is_alive(sim: Simulator, tmp_path: Path, kind: str) -> None:
    before = set(threading.enumerate())
    cfg = db_config(kind)
    srv = ServerThread(tmp_path / "srv", sim.url, **cfg)
    ctx = srv.ctx
    batch = f"SHUT{uuid.uuid4().hex[:12]}"
    try:
        srv.settle()
        sim.faults(latency=0.3)  # 20 items x 0.3 s: the batch is still running when we stop
        bills = [load_sample("outpatient.json") | {"busNo": f"SH{uuid.uuid4().hex[:16]}"} for _ in range(20)]
        srv.his().ok("batchInvoiceEBillOutpatient", {"batchNo": batch, "eBillList": bills})
        kick_carry_pool(ctx)
        names = {t.name for t in ctx.threads.alive()}
        assert {"outbox-worker", f"batch-{batch}"} <= names, names
        if kind == "postgresql":
            assert "liveness" in names
        started = time.monotonic()
        left = srv.stop()
        assert time.monotonic() - started < 10
    finally:
        sim.faults(latency=0.0)
    assert left == [] and ctx.threads.alive() == []
    assert ctx.stop.is_set()
    assert ctx.threads.start("late", lambda: None) is None  # nothing new after the shutdown
    deadline = time.monotonic() + 5  # waitress's own threads end just after its dispatcher
    while (extra := [t.name for t in threading.enumerate() if t not in before and t.is_alive()]) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert extra == []
    with read_tx(ctx.engine) as conn:
        state = conn.execute(select(batches.c.state).where(batches.c.batch_no == batch)).scalar_one()
    assert state == "pending"  # interrupted between items: resumed by the next start
    ctx.engine.dispose()
    if cfg.get("database_schema"):
        drop_pg_schema(cfg["database_schema"])
