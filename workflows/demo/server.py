"""Demo mode against a running sync server: the terminal config and login from its ``demo.json``.

The server's first start writes ``<data-dir>/demo.json`` with its demo callers and users (the run
command, scripts/demo.py, prints them). A demo window takes the first terminal caller and the first
cashier from it, so ``python -m cashier_app --demo --server-url URL --server-data-dir DIR`` needs no
terminal TOML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflows.terminal.config import TerminalConfig


def demo_server_config(server_url: str, server_data_dir: str | Path, data_dir: str | Path, *,
                       receipt_printer: dict[str, Any], idle_seconds: float = 300.0,
                       role: str = "cashier") -> tuple[TerminalConfig, tuple[str, str]]:
    """``(config, (username, password))`` of a demo terminal of the server in ``server_data_dir``."""
    demo = json.loads((Path(server_data_dir) / "demo.json").read_text(encoding="utf-8"))
    term = next((c for c in demo["callers"] if c.get("kind") == "terminal"), demo["callers"][0])
    user = next((u for u in demo.get("users", []) if u.get("role") == role), demo["users"][0])
    place = (term.get("placeCodes") or demo.get("placeCodes") or ["001"])[0]
    data = Path(data_dir)
    cfg = TerminalConfig(server_url=server_url, appid=term["appid"], key=term["key"], place_code=place,
                         idle_seconds=idle_seconds, receipt_printer=receipt_printer,
                         bill_pdf_dir=str(data / "paper"), data_dir=data)
    return cfg, (user["username"], user["password"])
