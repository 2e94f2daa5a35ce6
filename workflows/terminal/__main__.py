"""``python -m workflows.terminal --config FILE``: run a headless terminal.

``python -m workflows.terminal --config FILE --cmd status`` (or any control command, with
``--args JSON``) talks to a running one through its control socket and prints the answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from billing_core.envelope import dumps
from billing_core.errors import BillingError
from workflows.terminal.config_file import load_config
from workflows.terminal.control import ControlClient
from workflows.terminal.runtime import TerminalRuntime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.terminal", description="无界面收费终端")
    parser.add_argument("--config", required=True, help="终端配置文件（JSON或TOML）")
    parser.add_argument("--cmd", help="向运行中的终端发送控制命令，例如 status、upload")
    parser.add_argument("--args", default="{}", help="控制命令参数（JSON）")
    ns = parser.parse_args(argv)
    try:
        config = load_config(ns.config)
    except BillingError as exc:
        print(f"{exc.code} {exc.message}", file=sys.stderr)
        return 2
    if ns.cmd:
        client = ControlClient.wait(config.port_file, timeout=5.0)
        try:
            print(dumps(client.call(ns.cmd, **json.loads(ns.args))))
        finally:
            client.close()
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        runtime = TerminalRuntime(config)
    except BillingError as exc:
        print(f"{exc.code} {exc.message}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: runtime.shutdown())
    signal.signal(signal.SIGINT, lambda *_: runtime.shutdown())
    runtime.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
