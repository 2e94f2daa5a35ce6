"""``python -m simulators.his --host 127.0.0.1 --port N --data-dir DIR``."""

from __future__ import annotations

import json
from pathlib import Path

from simulators import cli
from simulators.his import start


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    parser = cli.parser("python -m simulators.his", "医院HIS模拟器", 18090, "data/his")
    args = parser.parse_args(argv)
    cli.setup_logging()
    server = start(Path(args.data_dir), args.host, args.port)
    demo = json.loads((Path(args.data_dir) / "demo.json").read_text(encoding="utf-8"))
    print(f"医院HIS模拟器: POST {server.api_url}/<操作>（接口说明见 docs/HIS_ADAPTER.md）", flush=True)
    for c in demo["callers"]:
        print(f"  调用方 {c['name']}: appid={c['appid']} key={c['key']}", flush=True)
    print(f"  演示患者 {len(demo['patients'])} 名，见 {Path(args.data_dir) / 'demo.json'}", flush=True)
    return cli.serve_until_signal(server)


if __name__ == "__main__":
    raise SystemExit(main())
