"""Builds the APDU transcript fixtures of the virtual social security cards (tests/fixtures/devices/).

A transcript is what a card answers, state by state: each exchange says in which state (the file
selected, PIN verified ...) the card accepts a command, the exact response, and the state after.
Built from the facts of specs/devices.md §1 — independently of devices.ssse: this module encodes
the records itself, so the driver is checked against the spec, not against its own code.

Regenerate with ``python -m tests.rigs.ssse_transcripts`` (writes the JSON files).
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
AID = "7378312E73682EC9E7BBE1B1A3D5CF"  # "sx1.sh." + 社会保障 in GBK
ATR = "3B6D000080318065B08701AE829000"  # a T=0 ATR, plausible for a CPU card


def _tlv(tag: int, value: bytes) -> str:
    return (bytes([tag, len(value)]) + value).hex().upper()


def _card(name: str, id_no: str, card_no: str, region: str, version: str = "3.00",
          pin: str | None = None, name_wrong_le: bool = True) -> dict[str, object]:
    card_id = bytes.fromhex(region + "D156000005" + "9911014500000001")
    ef05 = {1: _tlv(0x01, card_id), 2: _tlv(0x02, b"3"), 3: _tlv(0x03, version.encode()),
            4: _tlv(0x04, b"330100000000"), 5: _tlv(0x05, bytes.fromhex("20200115")),
            6: _tlv(0x06, bytes.fromhex("20300115")), 7: _tlv(0x07, card_no.encode())}
    gbk_name = name.encode("gbk").ljust(30, b"\x00")
    ef06 = {1: _tlv(0x08, id_no.encode()), 2: _tlv(0x09, gbk_name), 4: _tlv(0x0A, b"1"),
            5: _tlv(0x0B, b"\x01"), 7: _tlv(0x0D, bytes.fromhex("19900101"))}
    ex: list[dict[str, str]] = [
        {"in": "*", "c": "00A404000F" + AID, "r": "9000", "to": "DF"},
    ]
    for p1 in ("02", "00"):
        ex.append({"in": "DF|EF05|EF06|EF06+PIN", "c": f"00A4{p1}0002EF05", "r": "9000", "to": "EF05"})
        ex.append({"in": "DF|EF05|EF06|EF06+PIN", "c": f"00A4{p1}0002EF06", "r": "9000",
                   "to": "EF06+PIN" if pin is None else "EF06"})
    for rec, rsp in ef05.items():
        ex.append({"in": "EF05", "c": f"00B2{rec:02X}0400", "r": rsp + "9000"})
    readable = "EF06+PIN"
    if pin is not None:
        for rec in ef06:
            ex.append({"in": "EF06", "c": f"00B2{rec:02X}0400", "r": "6982"})
        digits = pin + ("F" if len(pin) % 2 else "")
        ex.append({"in": "EF06", "c": f"00200000{len(digits) // 2:02X}{digits}", "r": "9000", "to": "EF06+PIN"})
        ex.append({"in": "EF06", "c": "00200000*", "r": "63C2"})  # any other PIN: 2 tries left
    for rec, rsp in ef06.items():
        n = len(rsp) // 2
        if rec == 2 and name_wrong_le:
            # A T=0 card that wants the exact length: 6C xx, then the record with Le = xx.
            ex.append({"in": readable, "c": "00B2020400", "r": f"6C{n:02X}"})
            ex.append({"in": readable, "c": f"00B20204{n:02X}", "r": rsp + "9000"})
        else:
            ex.append({"in": readable, "c": f"00B2{rec:02X}0400", "r": rsp + "9000"})
    return {"atr": ATR, "description": f"SSSE card {version} of {name}", "exchanges": ex}


def _bank_card() -> dict[str, object]:
    # A card without the SSSE application (e.g. a bank debit card): its own AID selects, ours does not.
    return {"atr": "3B8880010000000000718100F9", "description": "bank card, no SSSE application",
            "exchanges": [{"in": "*", "c": "00A4040007A0000003330101", "r": "9000", "to": "PBOC"},
                          {"in": "*", "c": "00A404000F" + AID, "r": "6A82"}]}


CARDS = {
    "ssse_zhangsan.json": _card("张三", "330102199001011234", "A12345678", "330100"),
    "ssse_pin_lisi.json": _card("李四", "110101198505056789", "B87654321", "110100", pin="123456",
                                name_wrong_le=False),
    "bank_card.json": _bank_card(),
}


def main() -> None:
    """Write the fixture files."""
    for name, card in CARDS.items():
        (FIXTURES / name).write_text(json.dumps(card, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
