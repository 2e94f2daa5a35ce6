"""The charge-item catalog: seeded on first start, handed to terminals in ``catalog``, loaded by
admins from a CSV with every bad field named and nothing written when any row is bad."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from ss_rig import ServerThread

from billing_core.errors import ValidationError
from sync_server.bills.catalog import DEMO_ITEMS, import_items, read_csv
from sync_server.cli import admin
from sync_server.store.catalog_schema import charge_items
from sync_server.store.db import read_tx
from sync_server.store.schema import audit_log

pytestmark = pytest.mark.integration


def _audit_rows(server: ServerThread) -> int:
    with read_tx(server.ctx.engine) as conn:
        return conn.execute(select(func.count()).select_from(audit_log)
                            .where(audit_log.c.entity == "charge_item")).scalar_one()


def test_catalog_carries_the_seeded_charge_items(server: ServerThread) -> None:
    items = server.terminal("TERM01").ok("catalog", {})["chargeItems"]
    assert {i["chargeCode"]: i["chargeName"] for i in items} == {c: n for c, n, *_ in DEMO_ITEMS}
    lab = next(i for i in items if i["chargeCode"] == "301")
    assert (lab["unit"], lab["std"], lab["initials"]) == ("项", "25.00", "HYF")


def test_csv_import_updates_the_catalog_with_audit_rows(server: ServerThread, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    data_dir = str(server.ctx.config.data_dir)
    before = _audit_rows(server)
    sheet = tmp_path / "items.csv"
    sheet.write_text("chargeCode,chargeName,unit,std,initials\n"
                     "301,血常规化验费,项,28.50,xcg\n"
                     "701,静脉输液费,次,12.00,jmsy\n", encoding="utf-8")
    engine = server.ctx.engine
    assert import_items(engine, server.ctx.clock, admin.ADMIN, read_csv(sheet)) == 2
    items = {i["chargeCode"]: i for i in server.terminal("TERM01").ok("catalog", {})["chargeItems"]}
    assert items["301"]["chargeName"] == "血常规化验费" and items["301"]["std"] == "28.50"
    assert items["701"]["initials"] == "JMSY"
    assert _audit_rows(server) == before + 2

    bad = tmp_path / "bad.csv"
    bad.write_text("chargeCode,chargeName,unit,std,initials\n"
                   "702,雾化吸入费,次,9.00,whxr\n"
                   ",无编码项目,次,1.00,\n"
                   "703,换药费,次,1.234,hy\n", encoding="utf-8")
    if server.db_kind == "sqlite":  # type: ignore[attr-defined]
        # The admin CLI, as IT runs it, on the server's own data dir (SQLite).
        code = admin.main(["--data-dir", data_dir, "charge-items", str(bad), "--operator", "信息科张工"])
        out = capsys.readouterr().out
        assert code == 2
        assert "chargeItems[1].chargeCode" in out and "收费项目编码" in out
        assert "chargeItems[2].std" in out and "2位小数" in out
    else:
        with pytest.raises(ValidationError) as err:
            import_items(engine, server.ctx.clock, admin.ADMIN, read_csv(bad))
        assert [i.path for i in err.value.issues] == ["chargeItems[1].chargeCode", "chargeItems[2].std"]
    with read_tx(engine) as conn:
        codes = set(conn.execute(select(charge_items.c.charge_code)).scalars())
    assert "702" not in codes, "a file with bad rows must write nothing"
    assert _audit_rows(server) == before + 2
    assert Decimal(items["701"]["std"]) == Decimal("12.00")
