"""Reconciliation (issue 16 §5) over HTTP and from the command line against the simulator, on
SQLite and PostgreSQL: 3201 per (insutype, clr_type, setl_optins) balances on a clean day; a
local record that differs makes its group unbalanced and 3202 names the settlement."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from ins_stack import InsTerminal, fees_data, register_data, terminal
from sqlalchemy import update

from billing_core.clock import CST, ManualClock
from sync_server.insurance.reconcile import maybe_daily
from sync_server.security.audit import SERVER, audit
from sync_server.store.db import write_tx
from sync_server.store.insurance_schema import ins_settlements
from tests.rigs.insurance import LI, ZHANG, InsSimProcess
from tests.rigs.stack import ROOT, ServerThread

pytestmark = pytest.mark.integration


def _settle(term: InsTerminal, person: dict[str, str]) -> dict[str, object]:
    reg = term.ok("insRegister", register_data(person))
    term.ok("insUploadFees", fees_data(reg["settlementId"], 1))
    term.ok("insPreSettle", {"settlementId": reg["settlementId"]})
    return dict(term.ok("insSettle", {"settlementId": reg["settlementId"]}))


def test_reconcile_clean_then_a_local_difference(server: ServerThread, ins_sim: InsSimProcess,
                                                 tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{server.port}"
    cashier, finance = terminal(base, server.demo), terminal(base, server.demo, "finance")
    day = f"{datetime.now(CST):%Y-%m-%d}"
    try:
        first, second = _settle(cashier, ZHANG), _settle(cashier, LI)
        report = finance.ok("insReconcile", {"day": day})
        groups = {(g["insutype"], g["clrType"], g["setlOptins"]): g for g in report["groups"]}
        assert set(groups) == {(ZHANG["insutype"], "11", ZHANG["plc"]), (LI["insutype"], "11", LI["plc"])}
        assert report["clean"] is True and all(g["balanced"] and not g["differences"] for g in groups.values())
        assert cashier.call("insReconcile", {"day": day})[0] == "E2033"  # finance's method

        # a local record that differs from the platform's: its group is unbalanced, 3202 names it
        with write_tx(server.ctx.engine) as conn:
            conn.execute(update(ins_settlements).where(ins_settlements.c.id == first["settlementId"])
                         .values(medfee_sumamt=Decimal("99.99")))
            audit(conn, ManualClock(), SERVER, "test_tamper", "ins_settlement", first["settlementId"])
        report = finance.ok("insReconcile", {"day": day})
        assert report["clean"] is False
        bad = next(g for g in report["groups"] if g["setlOptins"] == ZHANG["plc"] and g["insutype"] == ZHANG["insutype"])
        assert bad["balanced"] is False and bad["medfee_sumamt"].endswith(".99")
        named = {d["setl_id"]: d for d in bad["differences"]}
        assert first["setlId"] in named and named[first["setlId"]]["local"]["settlementId"] == first["settlementId"]
        assert second["setlId"] not in named

        # the command line: same report, exit 1 when not clean
        cfg = server.ctx.config
        conf = tmp_path / "cli.json"
        conf.write_text(json.dumps({
            "data_dir": str(cfg.data_dir), "database_url": cfg.database_url, "database_schema": cfg.database_schema,
            "insurance_url": cfg.insurance_url, "insurance_paasid": cfg.insurance_paasid,
            "insurance_pass_token": cfg.insurance_pass_token, "insurance_fixmedins_code": cfg.insurance_fixmedins_code,
            "worker": "none"}), encoding="utf-8")
        out = subprocess.run([sys.executable, "-m", "sync_server", "insurance", "reconcile", "--config", str(conf),
                              "--day", day], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        assert out.returncode == 1, out.stderr[-2000:]
        summary = json.loads(out.stdout.strip().splitlines()[-1])
        assert summary["clean"] is False and summary["differences"] >= 1
        assert (Path(cfg.data_dir) / "reports" / f"insurance-reconcile-{day}.json").exists()
    finally:
        cashier.close()
        finance.close()


def test_the_worker_reconciles_yesterday_once(server: ServerThread) -> None:
    assert server.ctx.insurance is not None
    ran = maybe_daily(server.ctx, server.ctx.insurance)
    assert ran is (datetime.now(CST).hour >= 1)  # after 01:00 only
    assert maybe_daily(server.ctx, server.ctx.insurance) is False  # once a day
