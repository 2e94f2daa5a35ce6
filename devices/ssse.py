"""The social security card's SSSE application: APDUs, TLV records and field decoding (no I/O).

Facts from specs/devices.md §1 (public HIS and kiosk code; not verified on a real card):

* application AID ``73 78 31 2E 73 68 2E C9 E7 BB E1 B1 A3 D5 CF`` = ``"sx1.sh."`` + "社会保障" (GBK);
* EF05 (card information) and EF06 (holder) are selected with ``00 A4 02 00 02 EF xx`` (some cards
  want P1 = 00), records read with ``00 B2 <rec> 04 <Le>``;
* each record is ``tag(1) len(1) value``; a T=0 card answers ``6C xx`` to a wrong Le (resend
  with Le = xx) or ``61 xx`` (GET RESPONSE ``00 C0 00 00 xx``);
* ``69 82`` means a PIN (VERIFY ``00 20 00 00 <n> <PIN BCD>``) is needed first.

:class:`SsseSession` runs the whole read over any ``transmit(apdu) -> (data, sw1, sw2)``
function, so the PC/SC driver only supplies the transport.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.card_reader import SocialSecurityCard, SocialSecurityCardReader
from devices.errors import CardReadError, OperationCancelled, PinRejected, PinRequired, UnsupportedCard
from devices.prompter import Prompter

SSSE_AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")
EF05 = b"\xef\x05"
EF06 = b"\xef\x06"

#: (file, record number, tag, field name) of what we read, in order.
EF05_RECORDS = ((1, 0x01, "card_id_code"), (2, 0x02, "card_type"), (3, 0x03, "spec_version"),
                (5, 0x05, "issue_date"), (6, 0x06, "expiry_date"), (7, 0x07, "card_no"))
EF06_RECORDS = ((1, 0x08, "id_no"), (2, 0x09, "name"), (4, 0x0A, "sex"))

Transmit = Callable[[bytes], tuple[bytes, int, int]]

LABEL = SocialSecurityCardReader.label


def select_aid(aid: bytes = SSSE_AID) -> bytes:
    """SELECT by DF name."""
    return bytes([0x00, 0xA4, 0x04, 0x00, len(aid)]) + aid


def select_ef(fid: bytes, p1: int = 0x02) -> bytes:
    """SELECT an elementary file by its 2-byte id (P1 02, or 00 on some cards)."""
    return bytes([0x00, 0xA4, p1, 0x00, 0x02]) + fid


def read_record(rec: int, le: int = 0) -> bytes:
    """READ RECORD ``rec`` of the current EF (P2 = 04)."""
    return bytes([0x00, 0xB2, rec, 0x04, le])


def verify_pin(pin: str) -> bytes:
    """VERIFY with the PIN packed as BCD (odd length padded with F)."""
    digits = pin + ("F" if len(pin) % 2 else "")
    data = bytes.fromhex(digits)
    return bytes([0x00, 0x20, 0x00, 0x00, len(data)]) + data


def parse_tlv(data: bytes) -> dict[int, bytes]:
    """Parse ``tag(1) len(1) value`` items; raises CardReadError on a truncated record."""
    out: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        if i + 2 > len(data):
            raise CardReadError(LABEL, "记录格式错误")
        tag, ln = data[i], data[i + 1]
        if i + 2 + ln > len(data):
            raise CardReadError(LABEL, "记录长度错误")
        out[tag] = data[i + 2:i + 2 + ln]
        i += 2 + ln
    return out


def decode_field(name: str, value: bytes) -> str:
    """Turn a record value into the string our domain model holds."""
    if name == "card_id_code":
        return value.hex().upper()
    if name in ("issue_date", "expiry_date"):
        return value.hex()  # 4 BCD bytes YYYYMMDD
    if name == "card_type":
        return value.hex() if value and not value.isascii() else value.decode("ascii", "replace")
    if name == "name":
        # 30 bytes GBK padded with 00 or spaces (GB18030 is a superset, so it decodes every GBK name)
        return value.rstrip(b"\x00 ").decode("gb18030", errors="replace").strip()
    return value.rstrip(b"\x00 ").decode("ascii", errors="replace").strip()


class SsseSession:
    """One read of one card over ``transmit``.

    :param transmit: sends an APDU, returns ``(data, sw1, sw2)``.
    :param prompter: asked for the PIN when the card answers 69 82.
    """

    def __init__(self, transmit: Transmit, prompter: Prompter) -> None:
        self._tx = transmit
        self._prompter = prompter
        self._pin_tried = False

    def command(self, apdu: bytes) -> tuple[bytes, int, int]:
        """Send ``apdu``, following 6Cxx (wrong Le) and 61xx (more data) answers."""
        data, sw1, sw2 = self._tx(apdu)
        for _ in range(3):
            if sw1 == 0x6C:  # wrong length: resend with the length the card told us
                data, sw1, sw2 = self._tx(apdu[:-1] + bytes([sw2]))
            elif sw1 == 0x61:  # more data available: GET RESPONSE
                data, sw1, sw2 = self._tx(bytes([0x00, 0xC0, 0x00, 0x00, sw2]))
            else:
                break
        return data, sw1, sw2

    def _select_ef(self, fid: bytes) -> None:
        _, sw1, sw2 = self.command(select_ef(fid, 0x02))
        if (sw1, sw2) != (0x90, 0x00):
            _, sw1, sw2 = self.command(select_ef(fid, 0x00))  # the other P1 variant (spec §1)
        if (sw1, sw2) != (0x90, 0x00):
            raise CardReadError(LABEL, f"无法选择文件 {fid.hex().upper()}（{sw1:02X}{sw2:02X}）")

    def _verify(self) -> None:
        if self._pin_tried:
            raise PinRejected(LABEL)
        pin = self._prompter.ask_pin("请输入社保卡密码")
        if pin is None:
            raise OperationCancelled(LABEL, "未输入密码")
        if not pin.isdigit() or not 4 <= len(pin) <= 12:
            raise PinRejected(LABEL, "密码须为4至12位数字")
        self._pin_tried = True
        _, sw1, sw2 = self.command(verify_pin(pin))
        if (sw1, sw2) != (0x90, 0x00):
            raise PinRejected(LABEL)

    def _read(self, rec: int, tag: int) -> bytes:
        data, sw1, sw2 = self.command(read_record(rec))
        if (sw1, sw2) == (0x69, 0x82):
            self._verify()
            data, sw1, sw2 = self.command(read_record(rec))
            if (sw1, sw2) == (0x69, 0x82):
                raise PinRequired(LABEL)
        if (sw1, sw2) != (0x90, 0x00):
            raise CardReadError(LABEL, f"读记录{rec}失败（{sw1:02X}{sw2:02X}）")
        items = parse_tlv(data)
        if tag not in items:
            raise CardReadError(LABEL, f"记录{rec}缺少标签{tag:02X}")
        return items[tag]

    def read(self) -> SocialSecurityCard:
        """Select the application and read EF05 + EF06 into a :class:`SocialSecurityCard`."""
        _, sw1, sw2 = self.command(select_aid())
        if (sw1, sw2) != (0x90, 0x00):
            raise UnsupportedCard(LABEL)
        fields: dict[str, str] = {}
        self._select_ef(EF05)
        for rec, tag, name in EF05_RECORDS:
            fields[name] = decode_field(name, self._read(rec, tag))
        self._select_ef(EF06)
        for rec, tag, name in EF06_RECORDS:
            fields[name] = decode_field(name, self._read(rec, tag))
        return SocialSecurityCard(
            card_no=fields["card_no"],
            name=fields["name"],
            id_no=fields["id_no"],
            region=fields["card_id_code"][:6],  # issuing region = first 6 hex digits (spec §1)
            spec_version=fields["spec_version"],
            card_id_code=fields["card_id_code"],
            card_type=fields["card_type"],
            issue_date=fields["issue_date"],
            expiry_date=fields["expiry_date"],
            sex=fields["sex"],
        )
