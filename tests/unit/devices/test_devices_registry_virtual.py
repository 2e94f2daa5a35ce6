"""Registry/config and the virtual (demo) devices."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from billing_core.printjob import Cut, Page, PageJob, PageText, PrintJob, QrCode, Text
from devices.errors import DeviceConfigError, NoCard, PaperOut
from devices.printer import PaperState
from devices.prompter import ScriptedPrompter
from devices.registry import build_device, build_devices, load_config
from devices.virtual.card_readers import DEMO_ID, DEMO_SSC

pytestmark = pytest.mark.unit


def test_registry_builds_devices_and_rejects_bad_config(tmp_path: Path) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"""
[devices.ssc_reader]
driver = "virtual"
[devices.receipt_printer]
driver = "virtual"
out_dir = "{tmp_path}"
[devices.scanner]
driver = "wedge"
[devices.p1]
role = "receipt_printer"
driver = "escpos"
host = "10.0.0.5"
[devices.p2]
role = "receipt_printer"
driver = "escpos"
host = "10.0.0.5"
""", encoding="utf-8")
    devs = build_devices(load_config(cfg))
    try:
        assert not devs.errors
        assert devs.by_role("ssc_reader") is devs["ssc_reader"]
        assert devs["p1"].address() == "tcp://10.0.0.5:9100"
        assert devs["p1"].worker is devs["p2"].worker  # one physical printer, one thread
        assert devs["ssc_reader"].worker is not devs["receipt_printer"].worker
    finally:
        devs.shutdown()
    for table, words in [({"driver": "escpos", "colour": "red"}, "colour"), ({"driver": "laser"}, "laser"),
                         ({"port": "x"}, "driver"), ({"driver": "sam_serial"}, "port")]:
        name = "receipt_printer" if table.get("driver") in ("escpos", "laser") else "id_reader"
        with pytest.raises(DeviceConfigError) as err:
            build_device(name, table)
        assert err.value.code == "E6003" and words in err.value.message


def test_virtual_card_readers_from_menu() -> None:
    devs = build_devices({"ssc": {"role": "ssc_reader", "driver": "virtual"},
                          "idr": {"role": "id_reader", "driver": "virtual"}}, prompter=ScriptedPrompter())
    ssc, idr = devs["ssc"], devs["idr"]
    try:
        ssc.open()
        idr.open()
        with pytest.raises(NoCard):
            ssc.wait_for_card(0.05)  # type: ignore[attr-defined]
        fut = ssc.worker.submit(ssc.wait_for_card, 5)  # type: ignore[attr-defined]
        ssc.insert()  # type: ignore[attr-defined]
        fut.result(5)
        assert ssc.read_card() == DEMO_SSC  # type: ignore[attr-defined]
        ssc.remove()  # type: ignore[attr-defined]
        assert ssc.wait_for_removal(1)  # type: ignore[attr-defined]
        idr.place()  # type: ignore[attr-defined]
        assert idr.read_card() == DEMO_ID  # type: ignore[attr-defined]
    finally:
        devs.shutdown()


def test_virtual_printers_write_png_and_pdf(tmp_path: Path) -> None:
    devs = build_devices({"receipt_printer": {"driver": "virtual", "out_dir": str(tmp_path)},
                          "bill_printer": {"driver": "virtual", "out_dir": str(tmp_path)},
                          "camera": {"driver": "virtual"}, "scanner": {"driver": "virtual"}})
    rp, bp, cam, sc = devs["receipt_printer"], devs["bill_printer"], devs["camera"], devs["scanner"]
    try:
        for d in devs:
            d.open()
        rp.print_job(PrintJob("挂号凭条", 58).add(Text("挂号凭条", scale=2), QrCode("X"), Cut()))  # type: ignore[attr-defined]
        with Image.open(next(tmp_path.glob("*.png"))) as png:
            assert png.width == 32 * 12 and png.height > 100
        rp.paper = PaperState.OUT  # type: ignore[attr-defined]
        with pytest.raises(PaperOut):
            rp.print_job(PrintJob("x"))  # type: ignore[attr-defined]
        bp.print_pages(PageJob("bill", [Page(241, 93).add(PageText(30, 20, "张三"))]))  # type: ignore[attr-defined]
        assert next(tmp_path.glob("*.pdf")).read_bytes().startswith(b"%PDF")
        shot = cam.capture_face()  # type: ignore[attr-defined]
        assert shot.jpeg[:2] == b"\xff\xd8" and shot.width == 320
        sc.scan("01,42060126,0000014012,afe91d,128.50,20261123")  # type: ignore[attr-defined]
        assert sc.read_code(1).startswith("01,")  # type: ignore[attr-defined]
    finally:
        devs.shutdown()
