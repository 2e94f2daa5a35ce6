"""Two devices blocking at once: each blocks only its own device thread."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.drivers.escpos_printer import EscposConfig, EscposReceiptPrinter
from devices.drivers.pcsc_reader import PcscConfig, PcscSocialSecurityCardReader
from devices.drivers.sam_id_reader import SamIdCardReader, SamSerialConfig
from tests.rigs.escpos_printer import TcpEscposPrinter
from tests.rigs.id_reader_sim import IdReaderSimulator
from tests.rigs.pcscd import READER, PcscdRig
from tests.rigs.ptys import SocatPair

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


def test_card_wait_does_not_stall_id_reader_or_printer(
    pcsc: PcscdRig, pty_pair: SocatPair, id_reader: IdReaderSimulator, escpos_rig: TcpEscposPrinter
) -> None:
    from billing_core.printjob import Cut, PrintJob, Text

    ssc = PcscSocialSecurityCardReader("ssc_reader", PcscConfig(reader=READER))
    idr = SamIdCardReader("id_reader", SamSerialConfig(port=pty_pair.a, timeout=2.0))
    prn = EscposReceiptPrinter("receipt_printer", EscposConfig(host="127.0.0.1", port=escpos_rig.port))
    id_reader.mode = "silent"  # the ID reader will block until its timeout
    try:
        for d in (ssc, idr, prn):
            d.open()
        waiting = ssc.worker.submit(ssc.wait_for_card, 20)  # blocks: no card yet
        slow_id = idr.worker.submit(idr.read_card)  # blocks: reader silent
        # While both block, the printer (its own thread) prints at once.
        prn.print_job(PrintJob("t").add(Text("并发测试"), Cut()))
        assert escpos_rig.wait_document().cuts == 1
        assert not waiting.done() and not slow_id.done()
        id_reader.mode = "ok"
        slow_id.exception(timeout=5)  # the silent read ends (timeout) without the card wait ending
        assert not waiting.done()
        assert idr.read_card().name == "张三"  # the ID reader works again while the card wait goes on
        pcsc.insert(FIX / "ssse_zhangsan.json")
        waiting.result(timeout=10)
        assert ssc.read_card().name == "张三"
    finally:
        for d in (ssc, idr, prn):
            d.shutdown()
