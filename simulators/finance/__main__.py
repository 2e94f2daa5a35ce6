"""``python -m simulators.finance --host 127.0.0.1 --port N --data-dir DIR``."""

from __future__ import annotations

import json
from pathlib import Path

from simulators import cli
from simulators.finance import start


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    parser = cli.parser("python -m simulators.finance", "财政电子票据平台模拟器", 18080, "data/finance")
    args = parser.parse_args(argv)
    cli.setup_logging()
    server = start(Path(args.data_dir), args.host, args.port)
    demo = json.loads((Path(args.data_dir) / "demo.json").read_text(encoding="utf-8"))
    print(f"财政电子票据平台模拟器: {server.api_url}/<method>", flush=True)
    for c in demo["callers"]:
        print(f"  调用方 {c['name']}: appid={c['appid']} key={c['key']}", flush=True)
    print(f"  开票点: {', '.join(demo['placeCodes'])}  纸质票据代码: {demo['paperBillBatchCode']}", flush=True)
    return cli.serve_until_signal(server)


if __name__ == "__main__":
    raise SystemExit(main())
