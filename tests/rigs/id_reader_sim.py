"""A simulated 2nd-generation ID card reader (SAM protocol) on the far end of a socat pty pair.

It reads command frames with pyserial and answers like a reader with a card on it, with frames
built here from the bytes of specs/devices.md §2 (not with devices.sam_protocol, so the driver is
checked against the spec). ``mode`` picks the behaviour:

* ``"ok"`` — find / select / read succeed; the card is :data:`ZHANG_SAN` with a 1024-byte photo;
* ``"no_card"`` — find card answers SW3 80;
* ``"bad_checksum"`` — the read answer has a corrupted CHK byte;
* ``"reader_checksum"`` — the reader itself reports SW3 10 (it got a bad frame);
* ``"silent"`` — no answer at all (timeout).

Usage::

    with SocatPair(tmp_path) as pty, IdReaderSimulator(pty.b) as sim:
        sim.mode = "no_card"
        ...   # SamIdCardReader with port = pty.a
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import TracebackType

import serial

PRE = bytes.fromhex("AAAAAA9669")


@dataclass(frozen=True)
class SimCard:
    """Text fields as the card stores them (padded to fixed widths in UCS-2 LE)."""

    name: str = "张三"
    sex: str = "1"
    ethnicity: str = "01"
    birth_date: str = "19900101"
    address: str = "浙江省杭州市西湖区文三路100号"
    id_no: str = "330106199001011234"
    authority: str = "杭州市公安局西湖分局"
    valid_from: str = "20200101"
    valid_to: str = "20400101"
    photo: bytes = bytes(range(256)) * 4  # stands in for the 1024 WLT bytes


ZHANG_SAN = SimCard()


def _xor(b: bytes) -> int:
    x = 0
    for v in b:
        x ^= v
    return x


def response(sw3: int, data: bytes = b"", corrupt: bool = False) -> bytes:
    """A response frame ``AAAAAA9669 LEN 00 00 SW3 data CHK``."""
    body = b"\x00\x00" + bytes([sw3]) + data
    ln = (len(body) + 1).to_bytes(2, "big")
    chk = _xor(ln + body) ^ (0x5A if corrupt else 0)
    return PRE + ln + body + bytes([chk])


def base_info(card: SimCard) -> bytes:
    """The 30 01 data block: text length, photo length, 256 bytes UCS-2 text, photo."""
    widths = [(card.name, 30), (card.sex, 2), (card.ethnicity, 4), (card.birth_date, 16),
              (card.address, 70), (card.id_no, 36), (card.authority, 30), (card.valid_from, 16),
              (card.valid_to, 16)]
    # pad each field with UCS-2 spaces (20 00) to its width, the block to 256 bytes
    text = b"".join((v + " " * n).encode("utf-16-le")[:n] for v, n in widths)
    text = (text + " ".encode("utf-16-le") * 128)[:256]
    return len(text).to_bytes(2, "big") + len(card.photo).to_bytes(2, "big") + text + card.photo


class IdReaderSimulator:
    """Answers SAM frames on a serial port (a pty) from a background thread."""

    def __init__(self, port: str, card: SimCard = ZHANG_SAN) -> None:
        self.port = port
        self.card = card
        self.mode = "ok"
        self.commands: list[bytes] = []
        self._ser: serial.Serial | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> IdReaderSimulator:
        """Open the port and start answering."""
        self._ser = serial.Serial(self.port, 115200, timeout=0.1)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="id-reader-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._ser is not None:
            try:
                self._ser.close()
            except OSError:
                pass

    def __enter__(self) -> IdReaderSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _answer(self, cmd: int, para: int) -> bytes | None:
        if self.mode == "silent":
            return None
        if self.mode == "reader_checksum":
            return response(0x10)
        if (cmd, para) == (0x20, 0x01):
            return response(0x80) if self.mode == "no_card" else response(0x9F, b"\x00" * 4)
        if (cmd, para) == (0x20, 0x02):
            return response(0x81) if self.mode == "no_card" else response(0x90, b"\x00" * 8)
        if (cmd, para) == (0x30, 0x01):
            return response(0x90, base_info(self.card), corrupt=self.mode == "bad_checksum")
        if (cmd, para) == (0x11, 0xFF):
            return response(0x90)
        return response(0x21)

    def _run(self) -> None:
        assert self._ser is not None
        buf = b""
        while not self._stop.is_set():
            try:
                buf += self._ser.read(64)
            except (serial.SerialException, OSError):
                return  # the pty went away
            start = buf.find(PRE)
            if start < 0 or len(buf) < start + 7:
                continue
            n = int.from_bytes(buf[start + 5:start + 7], "big")
            if len(buf) < start + 7 + n:
                continue
            frame, buf = buf[start:start + 7 + n], buf[start + 7 + n:]
            self.commands.append(frame)
            answer = self._answer(frame[7], frame[8])
            if answer is not None:
                try:
                    self._ser.write(answer)
                except (serial.SerialException, OSError):
                    return
