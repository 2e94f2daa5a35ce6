"""``python -m devices.doctor --config FILE`` against real rigs: each device OK or its error code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rigs.escpos_printer import TcpEscposPrinter
from tests.rigs.id_reader_sim import IdReaderSimulator
from tests.rigs.ptys import SocatPair

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
FACE = ROOT / "tests" / "fixtures" / "devices" / "astronaut.jpg"


def _run(config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "devices.doctor", "--config", str(config), *extra],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_doctor_reports_each_device(tmp_path: Path, escpos_rig: TcpEscposPrinter, pty_pair: SocatPair,
                                    id_reader: IdReaderSimulator) -> None:
    empty_printer = TcpEscposPrinter().start()
    empty_printer.paper_out()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f"""
[terminal]
id = "KIOSK-01"

[devices.receipt_printer]
driver = "escpos"
transport = "network"
host = "127.0.0.1"
port = {escpos_rig.port}
timeout = 2.0

[devices.ward_printer]
role = "receipt_printer"
driver = "escpos"
host = "127.0.0.1"
port = {empty_printer.port}

[devices.id_reader]
driver = "sam_serial"
port = "{pty_pair.a}"
timeout = 1.0

[devices.scanner]
driver = "serial"
port = "{tmp_path / 'ttyNOPE'}"

[devices.camera]
driver = "opencv"
source = "{FACE}"
[devices.camera.rules]
min_face_fraction = 0.1

[devices.bill_printer]
driver = "virtual"
out_dir = "{tmp_path / 'prints'}"

[devices.ssc_reader]
driver = "nonsense"
""", encoding="utf-8")
    try:
        res = _run(cfg)
        res_json = _run(cfg, "--json")
    finally:
        empty_printer.stop()
    assert res.returncode == 1, res.stderr
    rows = {ln.split("\t")[0]: ln.split("\t") for ln in res.stdout.splitlines() if "\t" in ln}
    codes = {name: row[4] for name, row in rows.items()}
    assert codes == {"receipt_printer": "OK", "ward_printer": "E6301", "id_reader": "OK", "scanner": "E6004",
                     "camera": "OK", "bill_printer": "OK", "ssc_reader": "E6003"}
    assert "缺纸" in rows["ward_printer"][5] and "扫码器" in rows["scanner"][5]
    assert "共 7 个设备，4 个正常，3 个异常" in res.stdout
    found = {f["name"]: f["code"] for f in json.loads(res_json.stdout)}
    assert found == codes


def test_doctor_all_ok_exit_0_and_bad_file_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "demo.toml"
    cfg.write_text('[devices.ssc_reader]\ndriver = "virtual"\n[devices.camera]\ndriver = "virtual"\n',
                   encoding="utf-8")
    res = _run(cfg)
    assert res.returncode == 0 and res.stdout.count("\tOK\t") == 2
    bad = tmp_path / "bad.toml"
    bad.write_text("[devices\n", encoding="utf-8")
    res = _run(bad)
    assert res.returncode == 2 and "E6003" in res.stderr
