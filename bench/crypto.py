"""Benchmark SM2 sign / verify / encrypt / decrypt per second on ONE core, for every backend.

Usage (from the repository root)::

    .venv/bin/python bench/crypto.py            # 5 runs of ~1 s per backend and operation
    .venv/bin/python bench/crypto.py --markdown # the same, as the table docs/BENCHMARKS.md carries

The process pins itself to one CPU (``os.sched_setaffinity``) and times each run with the thread's
CPU time (``--wall`` for the wall clock), so the figures are what one core delivers, as the tender
states its minimums (seeds/001: 数字签名≥50次/秒、签名验签≥100次/秒、加密速率≥100次/秒、
解密速率≥50次/秒). Each figure is the median of 5 timed runs. Calls go through the public interface
(``get_backend(name).sign(...)`` etc.), so Z_A, encodings and checks are included; keys are loaded
once, as a terminal does. Sign/verify use a 1 KiB message (a canonical bill); encrypt/decrypt a
32-byte payload (SM2 wraps SM4 keys). Exit status 1 when the default backend misses 10x any minimum.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from billing_core.crypto import SM2PrivateKey, available_backends, get_backend  # noqa: E402

TENDER_MINIMUM = {"sign": 50, "verify": 100, "encrypt": 100, "decrypt": 50}
REQUIRED_FACTOR = 10
OPERATIONS = list(TENDER_MINIMUM)


def pin_to_one_core() -> int | None:
    """Restrict this process to a single CPU; return its number (None where unsupported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def rate(op: Callable[[], object], seconds: float, clock: Callable[[], float]) -> float:
    """Operations per second of ``op`` over one run of about ``seconds`` of ``clock``."""
    op()  # warm-up (caches, lazy imports)
    count = 0
    start = clock()
    deadline = start + seconds
    while True:
        op()
        count += 1
        now = clock()
        if now >= deadline:
            return count / (now - start)


def measure(backend_name: str, runs: int, seconds: float, clock: Callable[[], float]) -> dict[str, float]:
    """Median ops/s of each operation for one backend."""
    backend = get_backend(backend_name)
    key = SM2PrivateKey.generate()
    public = key.public_key
    message = bytes(range(256)) * 4
    payload = bytes(range(32))
    signature = backend.sign(key, message)
    ciphertext = backend.encrypt(public, payload)
    ops: dict[str, Callable[[], object]] = {
        "sign": lambda: backend.sign(key, message),
        "verify": lambda: backend.verify(public, message, signature),
        "encrypt": lambda: backend.encrypt(public, payload),
        "decrypt": lambda: backend.decrypt(key, ciphertext),
    }
    assert backend.verify(public, message, signature) and backend.decrypt(key, ciphertext) == payload
    return {name: statistics.median(rate(ops[name], seconds, clock) for _ in range(runs)) for name in OPERATIONS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median taken)")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one run")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--wall", action="store_true",
                        help="time with the wall clock instead of this thread's CPU time")
    args = parser.parse_args(argv)

    cpu = pin_to_one_core()
    default = get_backend().name
    # CPU time of this thread = what one dedicated core delivers, even when other processes share
    # the core during the run (a busy CI machine would otherwise halve every figure at random).
    clock = time.perf_counter if args.wall else time.thread_time
    results = {name: measure(name, args.runs, args.seconds, clock) for name in available_backends()}

    where = f"pinned to CPU {cpu}" if cpu is not None else "one process (affinity not supported)"
    timing = "wall-clock" if args.wall else "thread CPU time"
    print(f"# {platform.machine()}, Python {platform.python_version()}, {where}, median of {args.runs} runs "
          f"of {args.seconds:g} s {timing}; default backend: {default}")
    header = ["backend"] + [f"{op}/s" for op in OPERATIONS]
    rows = [[name + (" (default)" if name == default else "")] + [f"{figures[op]:,.0f}" for op in OPERATIONS]
            for name, figures in results.items()]
    rows.append(["tender minimum"] + [str(TENDER_MINIMUM[op]) for op in OPERATIONS])
    rows.append(["default / minimum"] + [f"{results[default][op] / TENDER_MINIMUM[op]:.1f}x" for op in OPERATIONS])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))

    short = [op for op in OPERATIONS if results[default][op] < REQUIRED_FACTOR * TENDER_MINIMUM[op]]
    if short:
        print(f"FAIL: default backend {default} below {REQUIRED_FACTOR}x the tender minimum for: {', '.join(short)}")
        return 1
    print(f"OK: default backend {default} beats every tender minimum by at least {REQUIRED_FACTOR}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
