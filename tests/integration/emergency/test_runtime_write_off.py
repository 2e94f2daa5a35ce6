"""The headless terminal runtime (``python -m workflows.terminal``, its own process) against the
real sync server and finance simulator: during an outage the cashier issues an emergency bill and
writes it off at once (the patient asked for a refund); the ``write_off`` control command queues the
冲红 behind the bill's upload. When the link returns the runtime's own maintenance round uploads the
bill, then sends the write-off: the platform holds the bill with its printed number, red-flushed,
and never saw the write-off before the bill."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from billing_core.crypto import SM2PrivateKey
from tests.integration.emergency.rig import METHOD, Platform, Server, outpatient, wait
from tests.integration.emergency.test_stock_admin import _scarlet
from tests.integration.terminal.helpers import Terminal, write_config
from tests.rigs.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration


def test_runtime_queues_a_write_off_behind_its_emergency_bill(stack: tuple[Platform, Server], tmp_path: Path) -> None:
    platform, server = stack
    caller = server.caller("KIOSK01")
    proxy = TcpProxy(("127.0.0.1", server.port))
    cfg = write_config(tmp_path / "rt", f"http://127.0.0.1:{proxy.port}", terminal_id="KIOSK01", key=caller["key"],
                       private_key=SM2PrivateKey.generate(), maintain_interval=0.2,
                       place_code=caller["placeCodes"][0],
                       operator={"username": server.user("finance")["username"],
                                 "password": server.user("finance")["password"]})
    term = Terminal(cfg)
    try:
        assert term.call("register")["registered"]
        term.call("stock_out", count=5, operator="收费员01")
        tag = time.time_ns()
        online = term.call("issue", method=METHOD, request=dict(outpatient(f"RT-ON-{tag}"),
                                                                placeCode=caller["placeCodes"][0]))
        assert online["outcome"]["mode"] == "online"

        proxy.refuse = True  # the cashier's link is gone
        proxy.cut()
        bus = f"RT-EM-{tag}"
        em = term.call("issue", method=METHOD, request=dict(outpatient(bus, "20.00"), placeCode=caller["placeCodes"][0]))
        assert em["outcome"]["mode"] == "emergency", em
        code, no = em["outcome"]["billBatchCode"], em["outcome"]["billNo"]
        queued = term.call("write_off", busNo=bus, request={"reason": "退费", "operator": "收费员01",
                                                            "busDateTime": "20261123100000000",
                                                            "placeCode": caller["placeCodes"][0]})
        assert (queued["billNo"], queued["state"], queued["billState"]) == (no, "queued", "issued")
        again = term.client.call("write_off", busNo=bus, request={"reason": "退费", "operator": "收费员01",
                                                                  "busDateTime": "20261123100000000",
                                                                  "placeCode": caller["placeCodes"][0]})
        assert not again["ok"] and again["message"]  # queued once only, with a Chinese reason
        assert not term.client.call("write_offs", busNo="NO-SUCH-BUS")["ok"]
        mark = max([c["id"] for c in platform.calls()] or [0])

        proxy.refuse = False  # back: the runtime's own maintenance round does the rest
        state = wait(lambda: _scarlet(platform, code, no), 60, "queued write-off delivered")
        assert state["isScarlet"] == "1"
        got = platform.bill_by_bus_no(bus)
        assert got is not None and (got["billNo"], got["random"]) == (no, em["outcome"]["random"])
        calls = [c for c in platform.calls() if c["id"] > mark]
        upload = next(c for c in calls if c["method"] == "uploadEmergencyEBill" and c["result"] == "S0000"
                      and c["bus_no"] == bus)
        offs = [c for c in calls if c["method"] == "writeOffEBill"]
        assert offs and all(c["id"] > upload["id"] for c in offs)
        wait(lambda: term.call("write_offs", busNo=bus)["state"] == "done", 30, "write-off recorded at the terminal")
    finally:
        term.stop()
        proxy.close()
