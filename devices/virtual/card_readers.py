"""Virtual social security card and ID card readers: the card is put in from a demo menu."""

from __future__ import annotations

import threading
from typing import Any

from devices.card_reader import IdCard, IdCardReader, SocialSecurityCard, SocialSecurityCardReader
from devices.errors import NoCard
from devices.io_thread import runs_in_device_thread

DEMO_SSC = SocialSecurityCard(
    card_no="A12345678", name="张三", id_no="330102199001011234", region="330100", spec_version="3.00",
    card_id_code="330100D1560000059911014500000001", card_type="3", issue_date="20200115",
    expiry_date="20300115", sex="1",
)
DEMO_ID = IdCard(
    name="李四", sex="2", ethnicity="01", birth_date="19850505", address="北京市东城区东长安街1号",
    id_no="110101198505056789", authority="北京市公安局东城分局", valid_from="20150101", valid_to="20350101",
    photo_wlt=bytes(1024),
)


class _Slot:
    """A card slot that menu code fills and empties from any thread."""

    def __init__(self) -> None:
        self.card: Any = None
        self.changed = threading.Condition()

    def put(self, card: Any) -> None:
        with self.changed:
            self.card = card
            self.changed.notify_all()

    def wait(self, present: bool, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: (self.card is not None) == present, timeout)


class _VirtualSlotReader:
    """What both virtual readers share: a card slot filled from the demo menu, nothing to open."""

    driver = "virtual"

    def __init__(self, name: str, config: Any = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)  # type: ignore[call-arg]  # the role class next in the MRO
        self._slot = _Slot()

    def address(self) -> str:
        """Nothing physical."""
        return "virtual"

    def _open_device(self) -> None:
        pass

    def _close_device(self) -> None:
        pass


class VirtualSocialSecurityCardReader(_VirtualSlotReader, SocialSecurityCardReader):
    """A social security card reader with a menu-inserted card."""

    def insert(self, card: SocialSecurityCard = DEMO_SSC) -> None:
        """Put a card in (demo menu, any thread)."""
        self._slot.put(card)

    def remove(self) -> None:
        """Take the card out (demo menu, any thread)."""
        self._slot.put(None)

    def card_present(self) -> bool:
        """True while a card is inserted."""
        return self._slot.card is not None

    @runs_in_device_thread
    def wait_for_card(self, timeout: float) -> None:
        """Prompt and wait for :meth:`insert`."""
        self._require_open()
        self.prompter.show_message("请插入社保卡")
        try:
            if not self._slot.wait(True, timeout):
                raise NoCard(self.label, f"{timeout:g}秒内未插卡")
        finally:
            self.prompter.finished()

    @runs_in_device_thread
    def wait_for_removal(self, timeout: float) -> bool:
        """Wait for :meth:`remove`."""
        self._require_open()
        return self._slot.wait(False, timeout)

    @runs_in_device_thread
    def read_card(self) -> SocialSecurityCard:
        """The inserted card."""
        self._require_open()
        card = self._slot.card
        if card is None:
            raise NoCard(self.label)
        return card


class VirtualIdCardReader(_VirtualSlotReader, IdCardReader):
    """An ID card reader with a menu-placed card."""

    def place(self, card: IdCard = DEMO_ID) -> None:
        """Lay a card on the reader (demo menu)."""
        self._slot.put(card)

    def take(self) -> None:
        """Take the card away."""
        self._slot.put(None)

    @runs_in_device_thread
    def read_card(self) -> IdCard:
        """The card on the reader."""
        self._require_open()
        card = self._slot.card
        if card is None:
            raise NoCard(self.label, "请将身份证放在读卡区")
        return card
