"""Card readers fill the payer fields of the issue form (issue 18 §1): the social-security card
(the ``ssc_reader`` role: pcscd / PC/SC) and the resident ID card (``id_reader``: the SAM module on
a serial port), read through the devices layer exactly as the kiosk reads them
(:mod:`workflows.kiosk.session`).

What a card gives the form (workflows.cashier.entry header keys): the payer's name, ID number,
sex and age (from the card, else from the ID number), and for the social-security card its card
number with card type 1102 (社会保障卡); an ID card sets card type 1101 only when the form has no
card number yet. The values go into the form as if typed; the screen masks the ID number.
Device calls block (a card read, a wait for a card): call from a worker thread, never the GUI's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from billing_core.clock import Clock, SystemClock
from workflows.session_errors import SessionError

#: 附录3 card types (specs/finance_platform.md §11)
CARD_TYPE_ID, CARD_TYPE_SSC = "1101", "1102"


class NoCardReader(SessionError):
    """The window has no reader of that kind configured."""

    code = "E3052"
    default_message = "本窗口未配置读卡器"


def _age(birth: str, today: date) -> str:
    """Whole years from a yyyyMMdd birth date ('' when it is not one)."""
    if len(birth) != 8 or not birth.isdigit():
        return ""
    b = date(int(birth[:4]), int(birth[4:6]), int(birth[6:8]))
    return str(today.year - b.year - ((today.month, today.day) < (b.month, b.day)))


def _from_id_no(id_no: str) -> tuple[str, str]:
    """(birth yyyyMMdd, sex 男/女) of an 18-character resident ID number, else ('', '')."""
    if len(id_no) != 18 or not id_no[:17].isdigit():
        return "", ""
    return id_no[6:14], "男" if int(id_no[16]) % 2 else "女"


@dataclass(slots=True)
class CardFill:
    """The window's card readers (devices, opened on first use); either may be None."""

    ssc_reader: Any | None = None
    id_reader: Any | None = None
    clock: Clock | None = None

    def _today(self) -> date:
        return (self.clock or SystemClock()).now().date()

    @staticmethod
    def _open(device: Any) -> Any:
        if not device.is_open:
            device.open()
        return device

    def read_ssc(self, timeout: float = 15.0) -> dict[str, str]:
        """Wait for a social-security card, read it: the header fields it fills.

        :raises NoCardReader: E3052 no reader; device errors (E6xxx: no card, unreadable) as raised."""
        if self.ssc_reader is None:
            raise NoCardReader("本窗口未配置社保卡读卡器（终端配置[devices.ssc_reader]）")
        dev = self._open(self.ssc_reader)
        dev.wait_for_card(timeout)
        card = dev.read_card()
        birth, sex = _from_id_no(card.id_no)
        sex = {"1": "男", "2": "女"}.get(card.sex, sex)
        return {k: v for k, v in {"payer": card.name, "id_card_no": card.id_no, "card_no": card.card_no,
                                  "card_type": CARD_TYPE_SSC, "sex": sex, "age": _age(birth, self._today())}.items()
                if v}

    def read_id_card(self, *, has_card_no: bool = False) -> dict[str, str]:
        """Read the ID card on the reader: the header fields it fills (its number as the card
        number, type 1101, only when the form has no card number).

        :raises NoCardReader: E3052 no reader; device errors (E6xxx) as raised."""
        if self.id_reader is None:
            raise NoCardReader("本窗口未配置身份证读卡器（终端配置[devices.id_reader]）")
        card = self._open(self.id_reader).read_card()
        out = {"payer": card.name, "id_card_no": card.id_no, "sex": card.sex_label if card.sex in ("1", "2") else "",
               "age": _age(card.birth_date, self._today())}
        if not has_card_no:
            out |= {"card_no": card.id_no, "card_type": CARD_TYPE_ID}
        return {k: v for k, v in out.items() if v}

    @property
    def labels(self) -> tuple[bool, bool]:
        """(has a social-security reader, has an ID reader)."""
        return self.ssc_reader is not None, self.id_reader is not None

    def shutdown(self) -> None:
        """Close the readers and stop their device threads — from a helper thread, since closing
        talks to the device and the caller may be the GUI thread (qt_common.guard)."""
        for dev in (self.ssc_reader, self.id_reader):
            if dev is not None:
                t = threading.Thread(target=dev.shutdown, name="card-reader-shutdown")
                t.start()
                t.join(10)
