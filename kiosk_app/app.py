"""Composition root of the kiosk: a terminal TOML (or the demo stack) -> devices -> ``build_kiosk``.

Two ways to start (``python -m kiosk_app --help``):

* ``--config FILE``: the terminal TOML with ``[server]``, ``[his]``, ``[payment]``, ``[kiosk]`` and
  the ``[devices.*]`` tables (drivers: pcsc, sam_serial, serial/wedge scanner, escpos, opencv);
* ``--demo``: virtual devices against the simulators and the sync server that scripts/run.sh
  (scripts/demo.py) started, their credentials read from their data dirs' ``demo.json``.

Both end in :func:`workflows.kiosk.builder.build_kiosk`; this module only chooses the devices.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devices.registry import DeviceSet, build_devices
from devices.registry import load_config as load_device_config
from workflows.events import Events
from workflows.kiosk.builder import build_kiosk
from workflows.kiosk.kiosk import Kiosk
from workflows.kiosk.settings import HisSettings, KioskSettings
from workflows.payment_config import PaymentSettings
from workflows.terminal.config import TerminalConfig
from workflows.terminal.config_file import load_config


def build_from_config(path: str | Path) -> Kiosk:
    """A kiosk from its TOML (does I/O: store, devices; call it off the GUI thread)."""
    cfg = load_config(str(path))
    return build_kiosk(cfg, build_devices(load_device_config(path)), Events())


def virtual_devices(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Every kiosk role on its virtual driver; printers write PNGs under ``data_dir/prints``."""
    prints = str(data_dir / "prints")
    return {"ssc_reader": {"driver": "virtual"}, "id_reader": {"driver": "virtual"},
            "scanner": {"driver": "virtual"}, "camera": {"driver": "virtual"},
            "receipt_printer": {"driver": "virtual", "out_dir": prints},
            "bill_printer": {"driver": "virtual", "out_dir": str(data_dir / "paper")}}


def demo_config(data_dir: Path, *, server_url: str, server_dir: Path, his_url: str, his_dir: Path,
                payment_url: str = "", payment_dir: Path | None = None,
                kiosk: KioskSettings | None = None) -> TerminalConfig:
    """The demo kiosk's config from the running stack's ``demo.json`` files: the server's
    self-service terminal caller (point 自助机), the HIS's kiosk caller, the demo merchant."""
    server = json.loads((server_dir / "demo.json").read_text(encoding="utf-8"))
    # the kiosk-kind caller: a kiosk acts as itself (a staffed kind would need a session per call)
    term = next(c for c in server["callers"] if c.get("kind") == "kiosk")
    his = json.loads((his_dir / "demo.json").read_text(encoding="utf-8"))
    his_caller = next(c for c in his["callers"] if c["appid"].startswith("KIOSK"))
    payment = None
    if payment_url and payment_dir is not None:
        pay = json.loads((payment_dir / "demo.json").read_text(encoding="utf-8"))["merchants"][0]
        payment = PaymentSettings(payment_url, pay["mch_id"], pay["key"], qr_deadline=120.0, code_deadline=60.0)
    return TerminalConfig(
        server_url=server_url, appid=term["appid"], key=term["key"], place_code=term["placeCodes"][0],
        place_name="门诊大厅自助机01", data_dir=data_dir,
        receipt_printer={"driver": "virtual", "out_dir": str(data_dir / "prints")},
        bill_pdf_dir=str(data_dir / "paper"),
        his=HisSettings(his_url, his_caller["appid"], his_caller["key"]), payment=payment,
        kiosk=kiosk or KioskSettings())


def build_demo(data_dir: str | Path, **stack: Any) -> tuple[Kiosk, DeviceSet]:
    """The demo kiosk over virtual devices (see :func:`demo_config` for ``stack``)."""
    data = Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    devices = build_devices(virtual_devices(data))
    return build_kiosk(demo_config(data, **stack), devices, Events()), devices
