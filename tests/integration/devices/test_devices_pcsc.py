"""Social security card reader driver → pyscard → real pcscd → vsmartcard-vpcd → virtual card process."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.drivers.pcsc_reader import PcscConfig, PcscSocialSecurityCardReader
from devices.errors import (
    CardRemoved,
    DeviceDisconnected,
    DeviceNotFound,
    NoCard,
    OperationCancelled,
    PinRejected,
    UnsupportedCard,
)
from devices.prompter import ScriptedPrompter
from tests.rigs.pcscd import READER, READER2, PcscdRig

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "devices"


def _reader(reader: str = READER, prompter: ScriptedPrompter | None = None) -> PcscSocialSecurityCardReader:
    return PcscSocialSecurityCardReader("ssc_reader", PcscConfig(reader=reader), prompter=prompter)


def test_read_card_fields_gbk_name_and_wrong_le(pcsc: PcscdRig) -> None:
    card_proc = pcsc.insert(FIX / "ssse_zhangsan.json")
    prompter = ScriptedPrompter()
    with _reader(prompter=prompter) as r:
        r.wait_for_card(5)
        card = r.read_card()
    assert prompter.messages == ["请插入社保卡"]
    assert card.name == "张三"
    assert card.id_no == "330102199001011234"
    assert card.card_no == "A12345678"
    assert card.region == "330100"
    assert card.spec_version == "3.00"
    assert card.card_id_code.startswith("330100D156000005")
    assert (card.issue_date, card.expiry_date, card.sex) == ("20200115", "20300115", "1")
    assert card_proc.poll() is None


def test_no_card_then_insert_then_remove(pcsc: PcscdRig) -> None:
    with _reader() as r:
        assert not r.card_present()
        with pytest.raises(NoCard) as err:
            r.wait_for_card(0.5)
        assert err.value.code == "E6101" and "社保卡读卡器" in err.value.message
        with pytest.raises(NoCard):
            r.read_card()
        fut = r.worker.submit(r.wait_for_card, 10)  # blocks on the reader's own thread
        pcsc.insert(FIX / "ssse_zhangsan.json")
        fut.result(timeout=10)
        assert r.card_present()
        pcsc.remove()
        assert r.wait_for_removal(5)
        assert not r.card_present()


def test_wrong_card_is_unsupported(pcsc: PcscdRig) -> None:
    pcsc.insert(FIX / "bank_card.json")
    with _reader() as r:
        r.wait_for_card(5)
        with pytest.raises(UnsupportedCard) as err:
            r.read_card()
    assert err.value.code == "E6103"


def test_pin_card_asks_for_pin(pcsc: PcscdRig) -> None:
    pcsc.insert(FIX / "ssse_pin_lisi.json", slot=1)
    good = ScriptedPrompter(pins=["123456"])
    with _reader(READER2, good) as r:
        r.wait_for_card(5)
        assert r.read_card().name == "李四"
        assert good.pin_prompts == ["请输入社保卡密码"]
        with pytest.raises(PinRejected):
            r.prompter = ScriptedPrompter(pins=["000000"])
            r.read_card()
        r.prompter = ScriptedPrompter(pins=[None])
        with pytest.raises(OperationCancelled):
            r.read_card()


def test_card_pulled_mid_read_then_next_read_works(pcsc: PcscdRig) -> None:
    pcsc.insert(FIX / "ssse_pin_lisi.json", slot=1)

    class PullingPrompter(ScriptedPrompter):
        def ask_pin(self, prompt: str) -> str | None:
            pcsc.remove(slot=1)  # the patient pulls the card while the PIN pad is up
            return "123456"

    with _reader(READER2, PullingPrompter()) as r:
        r.wait_for_card(5)
        with pytest.raises((CardRemoved, NoCard)) as err:
            r.read_card()
        assert err.value.code in ("E6102", "E6101")
        pcsc.insert(FIX / "ssse_pin_lisi.json", slot=1)
        r.prompter = ScriptedPrompter(pins=["123456"])
        r.wait_for_card(5)
        assert r.read_card().id_no == "110101198505056789"


def test_unknown_reader_not_found(pcsc: PcscdRig) -> None:
    with pytest.raises(DeviceNotFound) as err:
        _reader("No Such Reader").open()
    assert err.value.code == "E6004"


def test_card_watcher_reports_insert_and_remove(pcsc: PcscdRig) -> None:
    import threading

    from devices.card_events import CardWatcher

    events: list[str] = []
    changed = threading.Event()

    def note(kind: str) -> None:
        events.append(kind)
        changed.set()

    with _reader() as r:
        watcher = CardWatcher(r, lambda: note("in"), lambda: note("out"), interval=0.05).start()
        try:
            pcsc.insert(FIX / "ssse_zhangsan.json")
            assert changed.wait(5)
            changed.clear()
            pcsc.remove()
            assert changed.wait(5)
        finally:
            watcher.stop()
    assert events == ["in", "out"]


def test_reader_service_gone_then_back(pcsc: PcscdRig) -> None:
    # Runs last in this module: it restarts the session's pcscd (new vpcd port, same reader names).
    pcsc.insert(FIX / "ssse_zhangsan.json")
    r = _reader()
    try:
        r.open()
        r.wait_for_card(5)
        pcsc.stop()  # pcscd and the card vanish: the reader is gone
        with pytest.raises(DeviceDisconnected) as err:
            r.card_present()
        assert err.value.code == "E6006" and not r.is_open
        with pytest.raises(DeviceNotFound):
            r.open()
        pcsc.start()
        pcsc.insert(FIX / "ssse_zhangsan.json")
        r.open()
        r.wait_for_card(5)
        assert r.read_card().card_no == "A12345678"
    finally:
        r.shutdown()
