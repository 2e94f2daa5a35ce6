"""Carry-forward of one terminal's emergency journal through the real sync server onto the real
finance simulator (issue 7 benchmark: 10,000 bills in under 60 s, all on 127.0.0.1).

Setup (not timed): ``python -m simulators.finance`` and ``python -m sync_server`` processes; one
terminal (the Qt-free workflow) registers its SM2 key, takes two blocks of 5,000 numbers and an
online bill (the chain seed), then writes N real emergency bills into its journal — validated,
SM2-signed, numbered, SM3-chained, with outbox and print job, through
``workflows.emergency.issuer.EmergencyIssuer`` — inside outer transactions of 500 bills (so the
setup does not pay one fsync per bill; the bills are the same).

Timed: ``upload_pending()`` (``uploadEmergencyBills`` batches; the server verifies signature,
chain and block, stores each bill and queues its carry-forward in the same transaction) and the
server's outbox worker carrying every bill onto the platform with ``uploadEmergencyEBill``,
until the server's records say ``carry = done`` for all N. Then the platform is asked for every
bill by busNo (not timed) and the call log is checked for exactly N successful uploads.

``--worker process`` runs the server with ``--worker none`` and the outbox worker (with its carry pool)
as ``python -m sync_server worker``, the deployment for sites that carry large journals: the
upload handling and the carrying then no longer share one interpreter lock. Server CPU includes
the worker process.

Usage: ``.venv/bin/python bench/carry_forward.py [--bills 10000] [--batch 50] [--runs 1] [--worker thread|process]``
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.issue_load import proc_cpu  # noqa: E402
from billing_core.bills import validate_request  # noqa: E402
from billing_core.clock import SystemClock  # noqa: E402
from tests.integration.emergency.rig import METHOD, Platform, Server, outpatient, terminal  # noqa: E402


def _carried(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=30) as conn:
        return int(conn.execute("SELECT count(*) FROM bills WHERE origin = 'terminal' AND carry = 'done'").fetchone()[0])


def _cpus(server: Server, platform: Platform) -> dict[str, float]:
    assert server.proc is not None and platform.proc is not None
    own = os.times()
    worker = server.worker.proc.pid if server.worker is not None and server.worker.proc is not None else None
    return {"server": proc_cpu(server.proc.pid) + (proc_cpu(worker) if worker else 0.0),
            "platform": proc_cpu(platform.proc.pid), "terminal": own.user + own.system}


def run_once(bills: int, batch: int, worker: str = "thread") -> dict[str, float]:
    """One run on fresh processes; the timings in seconds."""
    base = Path(tempfile.mkdtemp(prefix="carry_bench_"))
    platform = Platform(base).start()
    server = Server(base, platform, worker=worker).start()
    t = terminal(server, "TERM01", base / "term")
    t.wf.uploader.batch_size = batch
    try:
        assert t.wf.register_key()
        left = bills
        while left > 0:
            t.wf.request_stock(min(5000, left), "bench")
            left -= 5000
        assert t.wf.issue(METHOD, outpatient("BENCH-ONLINE")).mode == "online"
        clock = SystemClock()
        made = time.perf_counter()
        for start in range(0, bills, 500):
            with t.db.atomic():
                for i in range(start, min(bills, start + 500)):
                    bill = validate_request(METHOD, outpatient(f"BENCH-{i:06d}", f"{1 + i % 300}.{i % 100:02d}"))
                    t.wf.emergency.issue(METHOD, bill, clock.now(), in_doubt=False)
        made = time.perf_counter() - made
        cpu0 = _cpus(server, platform)
        t0 = time.perf_counter()
        report = t.wf.upload_pending()
        uploaded = time.perf_counter() - t0
        assert report.accepted == bills and report.remaining == 0, report.as_dict()
        db_path = server.data_dir / "sync_server.db"
        deadline = time.monotonic() + 600
        while _carried(db_path) < bills:
            assert time.monotonic() < deadline, "carry-forward did not finish in 10 minutes"
            time.sleep(0.05)
        total = time.perf_counter() - t0
        cpu = {k: (v - cpu0[k]) / bills * 1000 for k, v in _cpus(server, platform).items()}
        ok = [c for c in platform.calls("uploadEmergencyEBill") if c["result"] == "S0000"]
        assert len(ok) == bills, f"{len(ok)} successful uploads on the platform, expected {bills}"
        assert len({c["bus_no"] for c in ok}) == bills
        platform_ms = sum(float(c.get("elapsed_ms") or 0) for c in ok) / bills
        for i in (0, bills // 2, bills - 1):
            got = platform.bill_by_bus_no(f"BENCH-{i:06d}")
            assert got is not None and got["random"], f"BENCH-{i:06d} missing on the platform"
        return {"journal": made, "upload": uploaded, "total": total, "platform_ms": platform_ms,
                **{f"cpu_{k}": v for k, v in cpu.items()}}
    finally:
        t.close()
        server.stop()
        platform.stop()


def main() -> int:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bills", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--worker", choices=("thread", "process"), default="thread",
                        help="outbox worker inside the server (default) or python -m sync_server worker")
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        got = run_once(args.bills, args.batch, args.worker)
        results.append(got)
        print(f"run {run + 1}: journal {got['journal']:.1f} s (setup), upload to server {got['upload']:.1f} s, "
              f"carried onto the platform {got['total']:.1f} s = {args.bills / got['total']:.0f} bills/s "
              f"(platform {got['platform_ms']:.1f} ms per uploadEmergencyEBill); CPU ms per bill: server "
              f"{got['cpu_server']:.2f}, simulator {got['cpu_platform']:.2f}, terminal {got['cpu_terminal']:.2f}; "
              f"load average {Path('/proc/loadavg').read_text().split()[0]}", flush=True)
    med = statistics.median(r["total"] for r in results)
    print(f"median of {args.runs}: {args.bills} bills carried forward in {med:.1f} s "
          f"({args.bills / med:.0f} bills/s); target < 60 s: {'PASS' if med < 60 else 'FAIL'}")
    return 0 if med < 60 else 1


if __name__ == "__main__":
    raise SystemExit(main())
