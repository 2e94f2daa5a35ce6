"""The SM3 chain after 1,000 bills and their red bills: the verify command passes, then catches one
altered bill, one altered link and a forged 已冲红 mark."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from sync_server.connectors.finance import FinanceClient
from tests.integration.finance.conftest import APPID, KEY, make_bill, now17, start_sim

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def verify_cmd(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulators.finance.chain", "verify", str(data_dir)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_chain_after_1000_bills_and_red_bills(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    server = start_sim(tmp_path_factory, "finance-chain")
    data_dir = Path(server.app.config["PLATFORM"].store.data_dir)
    client = FinanceClient(server.api_url, APPID, KEY)
    try:
        places = ("001", "002", "003", "004", "005")
        batches = []
        for i, place in enumerate(places):  # 5 × 200 = 1,000 bills through the batch methods
            batch_no = f"CHAIN{i}{uuid.uuid4().hex[:8]}"
            client.batch_invoice_ebill_outpatient(batch_no, [make_bill(place=place, amt=f"{j % 50 + 1}.00")
                                                             for j in range(200)])
            batches.append(batch_no)
        issued = []
        deadline = time.monotonic() + 120
        for batch_no in batches:
            while True:
                result = client.get_batch_invoice_ebill(batch_no)["eBillList"]
                if all(b["status"] == "1" for b in result) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert [b["status"] for b in result] == ["1"] * 200
            issued.extend(result)
        for b in issued[::10]:  # 100 red bills
            client.write_off_ebill({"billBatchCode": b["billBatchCode"], "billNo": b["billNo"], "reason": "退费",
                                    "operator": "x", "busDateTime": now17(), "placeCode": "001"})
    finally:
        client.close()
        server.stop()
        server.app.config["PLATFORM"].store.close()

    ok = verify_cmd(data_dir)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "共1100条" in ok.stdout

    def tampered(sql: str, args: tuple[object, ...]) -> subprocess.CompletedProcess[str]:
        copy = tmp_path / uuid.uuid4().hex
        shutil.copytree(data_dir, copy)
        db = sqlite3.connect(copy / "finance.sqlite3")
        with db:
            assert db.execute(sql, args).rowcount == 1
        db.close()
        return verify_cmd(copy)

    victim = issued[123]
    altered = tampered("UPDATE bills SET total_amt = '999.00' WHERE bill_no = ?", (victim["billNo"],))
    assert altered.returncode == 1 and victim["billNo"] in altered.stdout
    link = tampered("UPDATE chain SET link_hash = ? WHERE seq = 500", ("f" * 64,))
    assert link.returncode == 1 and "链接哈希" in link.stdout
    mark = tampered("UPDATE bills SET is_scarlet = 1 WHERE bill_no = ?", (issued[5]["billNo"],))
    assert mark.returncode == 1 and "已冲红" in mark.stdout
    gone = tampered("DELETE FROM bills WHERE bill_no = ?", (issued[7]["billNo"],))
    assert gone.returncode == 1
