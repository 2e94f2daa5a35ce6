"""Issue 18 §1 config: the window's bill printer and card readers come from their device tables."""

from __future__ import annotations

import pytest

from workflows.terminal.config_file import load_config

pytestmark = pytest.mark.unit

BASE = """
[server]
url = "http://127.0.0.1:9"
appid = "TERM01"
key = "k"

[window]
place_code = "001"
"""


def test_bill_printer_and_card_readers(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(BASE + """
[devices.bill_printer]
driver = "qprinter"
printer_name = "billpdf"
offset_x_mm = 1.5
pdf_dir = "paper"

[devices.ssc_reader]
driver = "pcsc"
reader = "Virtual PCD"

[devices.id_reader]
driver = "sam_serial"
port = "/dev/ttyUSB0"
""", encoding="utf-8")
    cfg = load_config(path)
    assert cfg.bill_printer == {"driver": "qprinter", "printer_name": "billpdf", "offset_x_mm": 1.5}
    assert cfg.bill_pdf_dir == "paper"
    assert cfg.card_readers == {"ssc_reader": {"driver": "pcsc", "reader": "Virtual PCD"},
                                "id_reader": {"driver": "sam_serial", "port": "/dev/ttyUSB0"}}


def test_pdf_dir_alone_means_pdf_only(tmp_path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(BASE + '\n[devices.bill_printer]\npdf_dir = "out"\n', encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.bill_printer, cfg.bill_pdf_dir, cfg.card_readers) == ({}, "out", {})
