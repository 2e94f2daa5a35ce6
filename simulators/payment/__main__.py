"""``python -m simulators.payment --host 127.0.0.1 --port N --data-dir DIR [--demo-face PATH]``."""

from __future__ import annotations

import json
from pathlib import Path

from simulators import cli
from simulators.payment import start

#: The demo patient enrolled with ``--demo-face`` (the kiosk's virtual camera image).
DEMO_PATIENT = {"phone": "13800138000", "name": "张三", "id_card_no": "440106199001011234", "patient_id": "P0001"}


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until SIGINT/SIGTERM."""
    parser = cli.parser("python -m simulators.payment", "统一支付平台模拟器", 18091, "data/payment")
    parser.add_argument("--demo-face", default="", help="enrol this image as the demo patient's face (13800138000)")
    args = parser.parse_args(argv)
    cli.setup_logging()
    server = start(Path(args.data_dir), args.host, args.port)
    if args.demo_face:
        from simulators.payment import faces

        with server.platform.store.tx() as db:
            faces.enrol(server.platform, db, DEMO_PATIENT, Path(args.demo_face).read_bytes())
    demo = json.loads((Path(args.data_dir) / "demo.json").read_text(encoding="utf-8"))
    print(f"统一支付平台模拟器: {server.url}/pay/<operation>", flush=True)
    for m in demo["merchants"]:
        print(f"  商户 {m['name']}: mch_id={m['mch_id']} key={m['key']}", flush=True)
    return cli.serve_until_signal(server)


if __name__ == "__main__":
    raise SystemExit(main())
