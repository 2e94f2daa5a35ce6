"""Qt-free, socket-free parts of devices: errors, worker threads, scan parsers, burst detector,
SSSE TLV/APDUs, SAM frames, ESC/POS rendering against python-escpos' Dummy."""

from __future__ import annotations

import threading

import pytest

from billing_core.errors import BillingError
from billing_core.printjob import Cut, PrintJob, QrCode, Text
from devices import sam_protocol as sam
from devices import ssse
from devices.errors import DeviceError, NoFace, PaperOut, UnknownScanPayload
from devices.io_thread import DeviceWorker, assert_in_device_thread, runs_in_device_thread
from devices.prompter import ScriptedPrompter
from devices.scanner import EBillCode, InsuranceVoucher, KeyBurstDetector, parse_scan

pytestmark = pytest.mark.unit


def test_errors_have_codes_and_name_the_device() -> None:
    err = PaperOut("收据打印机", "第2卷")
    assert isinstance(err, BillingError) and isinstance(err, DeviceError)
    assert err.code == "E6301" and err.message == "收据打印机：打印机缺纸，请装纸（第2卷）"
    assert NoFace("摄像头").reason == "no_face"


class _Dev:
    def __init__(self) -> None:
        self.worker = DeviceWorker("unit")
        self.threads: list[str] = []

    @runs_in_device_thread
    def op(self) -> tuple[str, int]:
        assert_in_device_thread(self)
        return threading.current_thread().name, threading.get_ident()


def test_device_methods_run_on_their_own_thread() -> None:
    a, b = _Dev(), _Dev()
    try:
        assert a.op()[0].startswith("dev-unit")
        assert a.op()[1] != threading.get_ident()
        assert a.worker.submit(a.op).result() == a.op()
        assert a.op() != b.op()  # one thread per physical device
        with pytest.raises(AssertionError):
            assert_in_device_thread(a)  # the test thread is not the device thread
    finally:
        a.worker.shutdown()
        b.worker.shutdown()


def test_parse_scan() -> None:
    assert isinstance(parse_scan("01,42060126,0000014012,afe91d,128.50,20261123"), EBillCode)
    v = parse_scan(" AQIDBAUGBwgJCgsMDQ4PEBESExQV \r\n")
    assert isinstance(v, InsuranceVoucher) and v.mdtrt_cert_type == "01"
    for bad in ("01,42060126,0000014012", "short", "含中文的内容1234567890"):
        with pytest.raises(UnknownScanPayload) as err:
            parse_scan(bad)
        assert err.value.code == "E6201"


def test_key_burst_detector() -> None:
    d = KeyBurstDetector(max_gap_ms=30, min_length=4)
    for i, c in enumerate("ABC123"):
        d.key(c, 1000 + i * 5)
    assert d.enter(1035) == "ABC123"
    for i, c in enumerate("ABC123"):
        d.key(c, 2000 + i * 90)  # human typing
    assert d.enter(2600) is None
    d.key("x", 3000)
    d.key("y", 3100)  # slow start, then a fast burst
    for i, c in enumerate("SCAN99"):
        d.key(c, 3200 + i * 3)
    assert d.enter(3220) == "SCAN99"
    for i, c in enumerate("AB"):
        d.key(c, 4000 + i)
    assert d.enter(4005) is None  # too short


def test_ssse_apdus_and_tlv() -> None:
    assert ssse.select_aid().hex().upper() == "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    assert ssse.select_ef(ssse.EF05).hex().upper() == "00A4020002EF05"
    assert ssse.read_record(7).hex().upper() == "00B2070400"
    assert ssse.verify_pin("12345").hex().upper() == "002000000312345F"
    assert ssse.parse_tlv(bytes.fromhex("0709413132333435363738")) == {7: b"A12345678"}
    assert ssse.decode_field("name", "张三".encode("gbk") + b"\x00" * 26) == "张三"


def test_ssse_session_follows_6c_and_61() -> None:
    sent: list[str] = []
    answers = {"00B2010400": (b"", 0x6C, 0x04), "00B2010404": (b"", 0x61, 0x04),
               "00C0000004": (b"\x07\x02AB", 0x90, 0x00)}

    def tx(apdu: bytes) -> tuple[bytes, int, int]:
        sent.append(apdu.hex().upper())
        return answers[apdu.hex().upper()]

    data, sw1, sw2 = ssse.SsseSession(tx, ScriptedPrompter()).command(ssse.read_record(1))
    assert (data, sw1, sw2) == (b"\x07\x02AB", 0x90, 0x00)
    assert sent == ["00B2010400", "00B2010404", "00C0000004"]


def test_sam_frames_match_the_spec() -> None:
    assert sam.command(*sam.FIND_CARD).hex().upper() == "AAAAAA9669000320 0122".replace(" ", "")
    assert sam.command(*sam.READ_BASE).hex().upper() == "AAAAAA96690003300132"
    header, body = bytes.fromhex("AAAAAA96690008"), bytes.fromhex("00009F0000000097")
    assert sam.parse_response(header, body).sw3 == 0x9F
    with pytest.raises(sam.FrameError) as err:
        sam.parse_response(header, body[:-1] + b"\x00")
    assert err.value.checksum


def test_render_job_bytes() -> None:
    from devices.drivers.escpos_printer import render_job

    data = render_job(PrintJob("t", 58).add(Text("挂号费 ¥12.00"), QrCode("X1"), Cut()))
    assert data.startswith(b"\x1b@\x1c&")
    assert "挂号费 ¥12.00".encode("gb18030") + b"\n" in data
    assert b"\x1d(k\x05\x001P0X1" in data and b"\x1d(k\x03\x001Q0" in data
    assert data.endswith(b"\x1bd\x06\x1dV\x01")
