"""Load benchmark: N concurrent HIS clients issuing through the sync server to the simulator.

Starts the finance simulator and the sync server (SQLite, or DATABASE_URL) as real processes
on 127.0.0.1, then runs ``--clients`` concurrent HIS clients (spread over ``--procs`` client
processes) issuing outpatient bills for ``--seconds``. Requests are what a hospital sends:
each bill carries 1-60 drug-list lines (``listDetail``, uniform, grouped onto its charge items),
every call is signed, and ``--repeat`` of the calls re-send an earlier busNo unchanged (an HIS
retrying after a slow answer), which must be answered with that busNo's same bill. Prints bills/s,
p50/p99 latency, errors and duplicates (a busNo with more than one bill on the platform, one
number answered for two busNos, or a repeat answered with another bill), first with the platform
up, then with the platform down (every bill from the server's emergency stock).

    .venv/bin/python bench/issue_load.py --clients 100 --seconds 20 [--server-procs 2]
    .venv/bin/python bench/issue_load.py --code /path/to/other/checkout    # same-run comparison

``--code DIR`` runs the server and simulator of another checkout (e.g. the previous commit in a
``git worktree``) under this same load, so that two versions are compared in one session.

``--server-procs N`` starts the server as ``python -m sync_server --processes N`` (one process
per core is the configuration that meets the issue-4 floor on the 2-core test machine).

Results go in docs/BENCHMARKS.md (sync server section).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from billing_core import envelope  # noqa: E402
from billing_core.ids import new_noise  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited: {proc.args}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {port} did not open")


def with_lines(bill0: dict[str, Any], n: int) -> dict[str, Any]:
    """``bill0`` with ``n`` list lines spread over its charge items, each charge item's amount
    split over its lines to the fen (totals, channels and insurance parts stay as they are)."""
    charges = bill0["chargeDetail"]
    per = [n // len(charges) + (1 if i < n % len(charges) else 0) for i in range(len(charges))]
    lines: list[dict[str, Any]] = []
    for charge, k in zip(charges, per, strict=True):
        fen = round(float(charge["amt"]) * 100)
        parts = [fen // k] * (k - 1) + [fen - fen // k * (k - 1)] if k else []
        for part in parts:
            amt = f"{part // 100}.{part % 100:02d}"
            lines.append({"listDetailNo": f"CF{len(lines) + 1:04d}", "chargeCode": charge["chargeCode"],
                          "chargeName": charge["chargeName"], "code": f"XA{len(lines):08d}", "name": "阿莫西林胶囊",
                          "specification": "0.5g*24粒", "unit": "盒", "std": amt, "number": "1", "amt": amt,
                          "selfAmt": "0.00", "sortNo": len(lines) + 1})
    return dict(bill0, listDetail=lines)


def client_proc(url: str, appid: str, key: str, threads: int, seconds: float, start_at: float,
                tag: str, out: Any, repeat: float = 0.0, max_lines: int = 60) -> None:
    """One client process: ``threads`` HIS clients issuing until the deadline."""
    import http.client
    import random
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    fixture = json.loads((ROOT / "tests" / "fixtures" / "requests" / "outpatient.json").read_text(encoding="utf-8"))
    # a few dozen prepared shapes (1..max_lines lines): building one per call would load the clients
    shapes = [with_lines(fixture, n) for n in range(1, max_lines + 1)]
    results: list[tuple[float, str, str, str]] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        # http.client with one persistent connection per client: the load generator shares the
        # two cores with server and simulator, so it should cost as little as possible.
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        local: list[tuple[float, str, str, str]] = []
        rng = random.Random(f"{tag}{n}")
        sent: list[tuple[str, dict[str, Any]]] = []
        answered: dict[str, str] = {}
        while time.time() < start_at:
            time.sleep(0.001)
        i = 0
        while time.time() < start_at + seconds:
            i += 1
            if sent and rng.random() < repeat:
                bus, bill = sent[rng.randrange(len(sent))]  # an HIS retry: the same request again
            else:
                bus = f"L{tag}{n:03d}{i:06d}{uuid.uuid4().hex[:6]}"
                bill = dict(shapes[rng.randrange(len(shapes))], busNo=bus)
                sent.append((bus, bill))
            body = envelope.dumps(envelope.encode_request(appid, key, bill, noise=new_noise())).encode()
            t = time.perf_counter()
            try:
                conn.request("POST", f"{parts.path}/invoiceEBillOutpatient", body=body,
                             headers={"Content-Type": "application/json"})
                raw = conn.getresponse().read()
                ans = envelope.decode_response(raw, appid, key)
                code = ans.result
                no = f"{ans.message['billBatchCode']}-{ans.message['billNo']}" if ans.ok else str(ans.message)[:80]
                if ans.ok and answered.setdefault(bus, no) != no:
                    code, no = "REPEAT", f"{bus} answered {answered[bus]} then {no}"
            except Exception as exc:  # noqa: BLE001 - counted as an error
                code, no = "EXC", type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            local.append((time.perf_counter() - t, code, bus, no))
        with lock:
            results.extend(local)

    ts = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put(results)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds of a running process and its running children (a multi-process server)."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    return proc_cpu(pid) + sum(tree_cpu(int(k)) for k in kids)


def children_cpu() -> float:
    """CPU seconds of the waited-for child processes (the client processes)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_phase(name: str, url: str, caller: dict[str, Any], clients: int, procs: int, seconds: float,
              pids: dict[str, int], repeat: float = 0.0, max_lines: int = 60) -> dict[str, Any]:
    """One load phase; also CPU ms per bill of each process (server, simulator, load clients),
    so that figures taken on the shared machine can be compared (wall time depends on its load)."""
    load_before = Path("/proc/loadavg").read_text().split()[0]
    cpu0 = {k: tree_cpu(v) for k, v in pids.items()}
    cpu0["clients"] = children_cpu()
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    start_at = time.time() + 1.0
    per = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
    ps = [ctx.Process(target=client_proc, args=(url, caller["appid"], caller["key"], n, seconds, start_at,
                                                f"{name[0]}{i}", q, repeat, max_lines))
          for i, n in enumerate(per) if n]
    for p in ps:
        p.start()
    results: list[tuple[float, str, str, str]] = []
    for _ in ps:
        results.extend(q.get())
    for p in ps:
        p.join()
    cpu1 = {k: tree_cpu(v) for k, v in pids.items()}
    cpu1["clients"] = children_cpu()
    lat = sorted(r[0] for r in results)
    ok = [r for r in results if r[1] == "S0000"]
    errors = [r for r in results if r[1] != "S0000"]
    numbers: dict[str, str] = {}
    dup_numbers = 0
    for _, _, bus, no in ok:
        if no in numbers and numbers[no] != bus:
            dup_numbers += 1
        numbers[no] = bus
    return {"phase": name, "clients": clients, "seconds": seconds, "requests": len(results), "ok": len(ok),
            "bills_per_s": round(len(ok) / seconds, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 1) if lat else None,
            "errors": len(errors), "error_samples": sorted({f"{e[1]} {e[3]}" for e in errors})[:5],
            "duplicate_numbers": dup_numbers, "bus_nos": [r[2] for r in ok],
            "cpu_ms_per_bill": {k: round((cpu1[k] - cpu0[k]) * 1000 / max(1, len(ok)), 2) for k in cpu1},
            "loadavg_before_after": [load_before, Path("/proc/loadavg").read_text().split()[0]]}


def platform_duplicates(sim_dir: Path) -> int:
    with sqlite3.connect(sim_dir / "finance.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM (SELECT bus_no FROM bills WHERE doc = 'bill' AND kind = 'blue'"
                              " GROUP BY bus_no HAVING COUNT(*) > 1)").fetchone()[0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--procs", type=int, default=4, help="client processes sharing the clients")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--server-threads", type=int, default=8)
    ap.add_argument("--server-procs", type=int, default=1, help="python -m sync_server --processes N")
    ap.add_argument("--skip-down", action="store_true")
    ap.add_argument("--repeat", type=float, default=0.05, help="share of calls re-sending an earlier busNo")
    ap.add_argument("--max-lines", type=int, default=60, help="list lines per bill: uniform 1..N")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose server and simulator run")
    args = ap.parse_args()
    code = args.code.resolve()
    work = Path(tempfile.mkdtemp(prefix="issue_load_"))
    # demo mode by environment (SYNC_DEMO), not --demo: older checkouts (--code) seed demo callers
    # by default and would refuse an option they do not know
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONUNBUFFERED="1", SYNC_DEMO="1")
    sim_port, srv_port = free_port(), free_port()
    sim = subprocess.Popen([sys.executable, "-m", "simulators.finance", "--host", "127.0.0.1", "--port",
                            str(sim_port), "--data-dir", str(work / "finance")], env=env, cwd=code,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(sim_port, sim)
    cfg = work / "server.json"
    cfg.write_text(json.dumps({"emergency_block_size": 20000, "emergency_low_water": 5000,
                               "reconcile_daily": False}), encoding="utf-8")
    srv = subprocess.Popen([sys.executable, "-m", "sync_server", "--host", "127.0.0.1", "--port", str(srv_port),
                            "--data-dir", str(work / "server"), "--config", str(cfg), "--threads",
                            str(args.server_threads), "--processes", str(args.server_procs), "--finance-url",
                            f"http://127.0.0.1:{sim_port}/medical-web/api/medical"],
                           env=env, cwd=code, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "w"))
    try:
        wait_port(srv_port, srv)
        time.sleep(3.0)  # let the worker reserve emergency stock
        demo = json.loads((work / "server" / "demo.json").read_text(encoding="utf-8"))
        url = f"http://127.0.0.1:{srv_port}/medical-web/api/medical"
        up = run_phase("up", url, demo["callers"][0], args.clients, args.procs, args.seconds,
                       {"server": srv.pid, "simulator": sim.pid}, args.repeat, args.max_lines)
        up["code"] = str(code)
        up["platform_duplicate_busnos"] = platform_duplicates(work / "finance")
        report = [up]
        if not args.skip_down:
            sim.send_signal(signal.SIGTERM)
            sim.wait(10)
            down = run_phase("down", url, demo["callers"][0], args.clients, args.procs, args.seconds,
                             {"server": srv.pid}, args.repeat, args.max_lines)
            report.append(down)
        for r in report:
            r.pop("bus_nos")
            print(json.dumps(r, ensure_ascii=False))
        return 0 if all(r["errors"] == 0 and r["duplicate_numbers"] == 0 for r in report) else 1
    finally:
        for p in (srv, sim):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    raise SystemExit(main())
