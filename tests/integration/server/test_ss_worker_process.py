"""``python -m sync_server worker``: the outbox worker as its own process (server started with
``worker = none``) reserves emergency stock and carries emergency bills forward."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from ss_rig import ROOT, Stack, load_sample, other_sample

pytestmark = pytest.mark.integration


def test_worker_process_delivers_the_outbox(tmp_path: Path) -> None:
    stack = Stack(tmp_path, worker="none").start()
    sim, srv = stack.sim, stack.server
    data = tmp_path / "srv"
    cfg = tmp_path / "worker.json"
    cfg.write_text(json.dumps({"outbox_max_backoff": 1.0, "worker_interval": 0.1}), encoding="utf-8")
    worker = subprocess.Popen([sys.executable, "-m", "sync_server", "worker", "--data-dir", str(data), "--finance-url",
                               sim.url, "--config", str(cfg)], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        srv.settle(60)  # stock reserved by the worker process, not by the server
        sim.stop()
        bill = load_sample("outpatient.json") | {"busNo": f"WP{uuid.uuid4().hex[:12]}"}
        ans = srv.his().ok("invoiceEBillOutpatient", bill)
        assert ans["emergency"] == "1"
        srv.his().ok("writeOffEBill", other_sample("writeOffEBill") | {"billBatchCode": ans["billBatchCode"],
                                                                       "billNo": ans["billNo"]})
        sim.start()
        deadline = time.monotonic() + 60
        while not sim.platform_bills(bill["busNo"]) or sim.platform_bills(bill["busNo"])[0][2] != 1:
            assert time.monotonic() < deadline, "worker process did not deliver"
            time.sleep(0.2)
        assert sim.platform_bills(bill["busNo"]) == [(ans["billBatchCode"], ans["billNo"], 1)]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        stack.stop()
