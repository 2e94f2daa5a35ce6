"""``python -m simulators.his --host 127.0.0.1 --port N --data-dir DIR``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from simulators.his import start


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m simulators.his", description="医院HIS模拟器")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--data-dir", default="data/his")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = start(Path(args.data_dir), args.host, args.port)
    demo = json.loads((Path(args.data_dir) / "demo.json").read_text(encoding="utf-8"))
    print(f"医院HIS模拟器: POST {server.api_url}/<操作>（接口说明见 docs/HIS_ADAPTER.md）", flush=True)
    for c in demo["callers"]:
        print(f"  调用方 {c['name']}: appid={c['appid']} key={c['key']}", flush=True)
    print(f"  演示患者 {len(demo['patients'])} 名，见 {Path(args.data_dir) / 'demo.json'}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
