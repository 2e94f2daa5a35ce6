"""Terminal emergency mode: issuing N emergency bills into the local journal (link down) and
carrying them to a server over HTTP on 127.0.0.1 in batches.

What it measures (docs/BENCHMARKS.md "Terminal emergency mode"):
* issuing: validate + SM2 sign + number + SM3 chain link + one ``synchronous=FULL`` commit per
  bill (the durability every emergency bill pays before its notice prints);
* upload: ``uploadEmergencyBills`` batches through the real sync client to the test stand-in
  server of tests/integration/terminal/standin.py, which verifies every signature and chain link.
  The real sync_server's carry-forward onto the platform is the server side's benchmark.

Usage: ``.venv/bin/python bench/terminal_emergency.py [--bills 10000] [--batch 50]``
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing_core.clock import SystemClock  # noqa: E402
from billing_core.crypto import SM2PrivateKey  # noqa: E402
from offline_store import stock  # noqa: E402
from offline_store.db import Database  # noqa: E402
from tests.integration.terminal.standin import StandInServer  # noqa: E402
from workflows.emergency.chain import BillSigner  # noqa: E402
from workflows.emergency.limits import EmergencyLimits  # noqa: E402
from workflows.issuing import Identity, IssuingWorkflow  # noqa: E402
from workflows.sync_client import SyncClient  # noqa: E402

METHOD = "invoiceEBillOutpatient"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bills", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=50)
    ns = parser.parse_args()
    sample = json.loads((ROOT / "tests/fixtures/requests/outpatient.json").read_text(encoding="utf-8"))
    server = StandInServer()
    server.state.keys["T1"] = "k1"
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "terminal.db")
        sync = SyncClient(server.url, "T1", "k1", failure_threshold=1, open_seconds=0, max_open_seconds=0)
        limits = EmergencyLimits(max_bills=ns.bills + 1, max_total=Decimal("1e12"), max_offline_hours=Decimal(1000))
        wf = IssuingWorkflow(sync, db, None, SystemClock(), Identity("T1", "001", "医院"),
                             BillSigner(SM2PrivateKey.generate()), limits=limits)
        wf.uploader.batch_size = ns.batch
        stock.add_block(db, "001", "42060126", "9000000000", f"{9_000_000_000 + ns.bills:010d}", "20261123090000000")
        requests = []
        for i in range(ns.bills):
            req = copy.deepcopy(sample)
            req["busNo"] = f"BENCH-{i:06d}"
            requests.append(req)
        t0 = time.perf_counter()
        for req in requests:
            wf.issue_emergency(METHOD, req)
        issue_s = time.perf_counter() - t0
        assert wf.register_key()
        t1 = time.perf_counter()
        report = wf.upload_pending()
        upload_s = time.perf_counter() - t1
        db.close()
    server.stop()
    assert report.remaining == 0 and report.accepted == ns.bills, report.as_dict()
    assert len(server.state.uploads) == ns.bills
    print(f"bills={ns.bills} batch={ns.batch}")
    print(f"issue:  {issue_s:.1f} s  {ns.bills / issue_s:.0f} bills/s  {1000 * issue_s / ns.bills:.2f} ms/bill")
    print(f"upload: {upload_s:.1f} s  {ns.bills / upload_s:.0f} bills/s (signature + chain verified per bill)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
