"""ID card reader and serial scanner drivers → pyserial → real ptys (socat) → simulators."""

from __future__ import annotations

import pytest
import serial

from devices.drivers.sam_id_reader import SamIdCardReader, SamSerialConfig
from devices.drivers.serial_scanner import SerialScanner, SerialScannerConfig
from devices.errors import ChecksumError, DeviceDisconnected, DeviceNotFound, DeviceTimeout, NoCard
from devices.scanner import InsuranceVoucher, parse_scan
from tests.rigs.id_reader_sim import ZHANG_SAN, IdReaderSimulator
from tests.rigs.ptys import SocatPair

pytestmark = pytest.mark.integration


def _reader(pty: SocatPair, timeout: float = 1.0) -> SamIdCardReader:
    return SamIdCardReader("id_reader", SamSerialConfig(port=pty.a, timeout=timeout))


def test_reads_all_text_fields_and_raw_photo(pty_pair: SocatPair, id_reader: IdReaderSimulator) -> None:
    with _reader(pty_pair) as r:
        card = r.read_card()
        assert r.check() == "SAM模块正常"
    assert (card.name, card.sex, card.sex_label, card.ethnicity) == ("张三", "1", "男", "01")
    assert card.birth_date == "19900101"
    assert card.address == "浙江省杭州市西湖区文三路100号"
    assert card.id_no == "330106199001011234"
    assert card.authority == "杭州市公安局西湖分局"
    assert (card.valid_from, card.valid_to) == ("20200101", "20400101")
    assert card.photo_wlt == ZHANG_SAN.photo and len(card.photo_wlt) == 1024
    # the exact frames of the spec went over the wire
    assert [c.hex() for c in id_reader.commands[:3]] == [
        "aaaaaa96690003200122", "aaaaaa96690003200221", "aaaaaa96690003300132"]


def test_no_card(pty_pair: SocatPair, id_reader: IdReaderSimulator) -> None:
    id_reader.mode = "no_card"
    with _reader(pty_pair) as r, pytest.raises(NoCard) as err:
        r.read_card()
    assert err.value.code == "E6101" and "身份证读卡器" in err.value.message


@pytest.mark.parametrize("mode", ["bad_checksum", "reader_checksum"])
def test_checksum_errors(pty_pair: SocatPair, id_reader: IdReaderSimulator, mode: str) -> None:
    id_reader.mode = mode
    with _reader(pty_pair) as r, pytest.raises(ChecksumError) as err:
        r.read_card()
    assert err.value.code == "E6107"


def test_timeout_then_recovers(pty_pair: SocatPair, id_reader: IdReaderSimulator) -> None:
    id_reader.mode = "silent"
    with _reader(pty_pair, timeout=0.3) as r:
        with pytest.raises(DeviceTimeout) as err:
            r.read_card()
        assert err.value.code == "E6005"
        id_reader.mode = "ok"
        assert r.read_card().name == "张三"


def test_reader_unplugged_mid_operation_then_back(pty_pair: SocatPair, id_reader: IdReaderSimulator) -> None:
    r = _reader(pty_pair, timeout=2.0)
    r.open()
    assert r.read_card().id_no == "330106199001011234"
    id_reader.stop()
    pty_pair.stop()  # both ptys vanish: the USB reader was pulled out
    with pytest.raises((DeviceDisconnected, DeviceTimeout)) as err:
        r.read_card()
    assert err.value.code in ("E6006", "E6005")
    r.close()
    with pytest.raises(DeviceNotFound):
        r.open()
    pty_pair.start()  # plugged back in
    sim = IdReaderSimulator(pty_pair.b).start()
    try:
        r.open()
        assert r.read_card().name == "张三"
    finally:
        r.shutdown()
        sim.stop()


def test_serial_scanner_reads_lines(pty_pair: SocatPair) -> None:
    voucher = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
    with serial.Serial(pty_pair.b, 9600) as far, SerialScanner(
        "scanner", SerialScannerConfig(port=pty_pair.a)
    ) as sc:
        far.write(voucher.encode() + b"\r\n01,42060126,0000014012,afe91d,128.50,20261123\r")
        far.flush()
        first = sc.read_code(2)
        second = sc.read_code(2)
        with pytest.raises(DeviceTimeout):
            sc.read_code(0.2)
    assert first == voucher and isinstance(parse_scan(first), InsuranceVoucher)
    assert parse_scan(second).bill.bill_no == "0000014012"  # type: ignore[union-attr]
