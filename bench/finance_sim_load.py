"""Issuing throughput of the finance simulator alone: C concurrent clients, N bills in total.

Run: ``.venv/bin/python bench/finance_sim_load.py [N] [C]`` — starts ``python -m simulators.finance``
in a subprocess on a free port with a fresh data dir, issues N outpatient bills from C threads
through the sync server's FinanceClient, prints bills/s, p50/p99 latency, errors, and checks that
every busNo got exactly one bill and the chain verifies.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync_server.connectors.finance import FinanceClient  # noqa: E402
from tests.integration.finance.conftest import make_bill  # noqa: E402


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    c = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    data = Path(tempfile.mkdtemp(prefix="finance-bench-"))
    proc = subprocess.Popen([sys.executable, "-m", "simulators.finance", "--port", str(port), "--data-dir", str(data)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    assert proc.stdout is not None
    proc.stdout.readline()
    url = f"http://127.0.0.1:{port}/medical-web/api/medical"
    bills = [make_bill(place=("001", "002", "003", "004")[i % 4], amt=f"{i % 90 + 1}.00") for i in range(n)]
    clients = [FinanceClient(url, "DEMOHOSP01", "demo-finance-key-2026", timeout=30) for _ in range(c)]
    latencies: list[float] = []
    errors = 0

    def one(i: int) -> tuple[str, str]:
        nonlocal errors
        started = time.perf_counter()
        try:
            ans = clients[i % c].invoice_ebill_outpatient(bills[i])
            return bills[i]["busNo"], ans["billNo"]
        except Exception:
            errors += 1
            return bills[i]["busNo"], ""
        finally:
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(c) as pool:
        results = list(pool.map(one, range(n)))
    elapsed = time.perf_counter() - started
    proc.terminate()
    proc.wait(10)
    numbers = [no for _, no in results if no]
    q = statistics.quantiles(latencies, n=100)
    print(f"{n} bills, {c} clients: {n / elapsed:.0f} bills/s, p50 {q[49] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms, "
          f"errors {errors}, duplicate numbers {len(numbers) - len(set(numbers))}")
    verify = subprocess.run([sys.executable, "-m", "simulators.finance.chain", "verify", str(data)], cwd=ROOT,
                            capture_output=True, text=True)
    print(verify.stdout.strip())
    return 0 if errors == 0 and verify.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
