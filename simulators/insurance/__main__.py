"""``python -m simulators.insurance --host 127.0.0.1 --port 18092 --data-dir DIR``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from pathlib import Path

from simulators.insurance import start
from simulators.insurance.app import SINGLE


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m simulators.insurance", description="国家医保信息平台模拟器")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18092)
    parser.add_argument("--data-dir", default="data/insurance")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = start(Path(args.data_dir), args.host, args.port)
    demo = json.loads((Path(args.data_dir) / "demo.json").read_text(encoding="utf-8"))
    print(f"国家医保信息平台模拟器: {server.url}{SINGLE}", flush=True)
    for inst in demo["institutions"]:
        print(f"  {inst['fixmedins_name']}: fixmedins_code={inst['fixmedins_code']} paasid={inst['paasid']}"
              f" pass_token={inst['pass_token']}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
