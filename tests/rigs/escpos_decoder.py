"""A decoder for the ESC/POS subset our receipt printer driver (and python-escpos) emits.

No ESC/POS→text decoder exists on PyPI (specs/devices.md §3), so this one walks the byte stream:
commands are consumed by their known lengths, text bytes are collected per line and decoded as
GB18030, ``GS ( k`` fn 80 payloads are QR data, ``GS v 0`` rasters become Pillow images, ``GS V``
counts as a cut, ``ESC p`` as a drawer kick, ``DLE EOT n`` as a status query. Unknown commands
raise :class:`DecodeError`, so a test notices bytes nobody expected.

Usage::

    from tests.rigs.escpos_decoder import decode
    doc = decode(raw_bytes)
    assert "挂号凭条" in doc.text
    assert doc.qr_codes == ["01,42060126,..."] and doc.cuts == 1
    big = [ln for ln in doc.lines if ln.width == 2]     # lines printed double size

:class:`StreamDecoder` decodes incrementally (the TCP rig uses it to answer status queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image


class DecodeError(ValueError):
    """The stream holds a command this decoder does not know."""


@dataclass(frozen=True)
class PrintedLine:
    """One printed line with the style it was printed in."""

    text: str
    bold: bool = False
    width: int = 1  # width multiplier
    height: int = 1  # height multiplier
    align: str = "left"


@dataclass
class Document:
    """Everything a stream printed."""

    lines: list[PrintedLine] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    qr_printed: int = 0
    images: list[Image.Image] = field(default_factory=list)
    cuts: int = 0
    drawer_kicks: int = 0
    status_queries: list[int] = field(default_factory=list)
    resets: int = 0
    chinese_mode: bool = False

    @property
    def text(self) -> str:
        """All printed lines joined with newlines."""
        return "\n".join(ln.text for ln in self.lines)


# Commands of fixed total length (prefix byte + command byte + args).
_ESC_FIXED = {
    b"@"[0]: 2, b"2"[0]: 2, b"!"[0]: 3, b"E"[0]: 3, b"-"[0]: 3, b"M"[0]: 3, b"{"[0]: 3, b"G"[0]: 3,
    b"t"[0]: 3, b"3"[0]: 3, b"J"[0]: 3, b"V"[0]: 3, b"r"[0]: 3, b" "[0]: 3, b"%"[0]: 3, b"R"[0]: 3,
    b"a"[0]: 3, b"d"[0]: 3, b"p"[0]: 5, b"c"[0]: 4, b"U"[0]: 3, b"-"[0]: 3,
}
_GS_FIXED = {b"!"[0]: 3, b"B"[0]: 3, b"b"[0]: 3, b"H"[0]: 3, b"f"[0]: 3, b"h"[0]: 3, b"w"[0]: 3,
             b"L"[0]: 4, b"W"[0]: 4, b"a"[0]: 3}
_FS_FIXED = {b"&"[0]: 2, b"."[0]: 2, b"!"[0]: 3, b"C"[0]: 3}


class _Incomplete(Exception):
    """More bytes are needed to finish the current command."""


class StreamDecoder:
    """Incremental decoder: :meth:`feed` bytes as they arrive, read :attr:`doc` at any time.

    :param on_status_query: called with ``n`` for every complete ``DLE EOT n`` (the rig answers).
    """

    def __init__(self, on_status_query: object = None) -> None:
        self.doc = Document()
        self._buf = bytearray()
        self._line = bytearray()
        self._bold = False
        self._width = 1
        self._height = 1
        self._align = "left"
        self._qr_pending = ""
        self._on_status = on_status_query

    # --- public ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Decode as much of the buffered stream as is complete."""
        self._buf += data
        pos = 0
        while pos < len(self._buf):
            try:
                pos = self._step(pos)
            except _Incomplete:
                break
        del self._buf[:pos]

    def finish(self) -> Document:
        """End of stream: flush a pending line; raises DecodeError on a truncated command."""
        if self._buf:
            raise DecodeError(f"stream ends inside a command: {bytes(self._buf[:16]).hex()}")
        if self._line:
            self._end_line()
        return self.doc

    # --- internals ------------------------------------------------------------------------

    def _need(self, pos: int, n: int) -> None:
        if pos + n > len(self._buf):
            raise _Incomplete

    def _end_line(self) -> None:
        text = bytes(self._line).decode("gb18030", errors="replace")
        self.doc.lines.append(PrintedLine(text, self._bold, self._width, self._height, self._align))
        self._line.clear()

    def _reset_style(self) -> None:
        self._bold, self._width, self._height, self._align = False, 1, 1, "left"

    def _step(self, pos: int) -> int:  # noqa: C901 - one branch per command family
        b = self._buf
        c = b[pos]
        if c == 0x0A:
            self._end_line()
            return pos + 1
        if c in (0x0D, 0x00):
            return pos + 1
        if c == 0x09:
            self._line += b" "
            return pos + 1
        if c == 0x1B:
            return self._esc(pos)
        if c == 0x1D:
            return self._gs(pos)
        if c == 0x1C:
            self._need(pos, 2)
            n = _FS_FIXED.get(b[pos + 1])
            if n is None:
                raise DecodeError(f"unknown FS command {b[pos + 1]:#04x}")
            self._need(pos, n)
            if b[pos + 1] == 0x26:
                self.doc.chinese_mode = True
            elif b[pos + 1] == 0x2E:
                self.doc.chinese_mode = False
            return pos + n
        if c == 0x10:
            self._need(pos, 3)
            if b[pos + 1] == 0x04:
                self.doc.status_queries.append(b[pos + 2])
                if callable(self._on_status):
                    self._on_status(b[pos + 2])
                return pos + 3
            if b[pos + 1] == 0x14:
                self._need(pos, 5)
                return pos + 5
            raise DecodeError(f"unknown DLE command {b[pos + 1]:#04x}")
        if c >= 0x81:  # GB18030 lead byte: 2-byte form, or 4-byte form when the 2nd is a digit
            self._need(pos, 2)
            n = 4 if 0x30 <= b[pos + 1] <= 0x39 else 2
            self._need(pos, n)
            self._line += b[pos:pos + n]
            return pos + n
        if c >= 0x20:
            self._line.append(c)
            return pos + 1
        raise DecodeError(f"unexpected control byte {c:#04x}")

    def _esc(self, pos: int) -> int:
        b = self._buf
        self._need(pos, 2)
        cmd = b[pos + 1]
        if cmd == 0x2A:  # ESC * m nL nH data: column bit image
            self._need(pos, 5)
            m, n = b[pos + 2], b[pos + 3] | b[pos + 4] << 8
            size = n * (3 if m in (32, 33) else 1)
            self._need(pos, 5 + size)
            return pos + 5 + size
        n = _ESC_FIXED.get(cmd)
        if n is None:
            raise DecodeError(f"unknown ESC command {cmd:#04x}")
        self._need(pos, n)
        arg = b[pos + 2] if n >= 3 else 0
        if cmd == 0x40:
            self.doc.resets += 1
            self._reset_style()
        elif cmd == 0x21:  # ESC ! n: bold bit 3, double height bit 4, double width bit 5
            self._bold = bool(arg & 0x08)
            self._height = 2 if arg & 0x10 else 1
            self._width = 2 if arg & 0x20 else 1
        elif cmd == 0x45:
            self._bold = bool(arg & 1)
        elif cmd == 0x61:
            self._align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}.get(
                arg, "left")
        elif cmd == 0x64:  # ESC d n: print and feed n lines
            if self._line:
                self._end_line()
        elif cmd == 0x70:
            self.doc.drawer_kicks += 1
        return pos + n

    def _gs(self, pos: int) -> int:
        b = self._buf
        self._need(pos, 2)
        cmd = b[pos + 1]
        if cmd == 0x56:  # GS V m [n]
            self._need(pos, 3)
            n = 4 if b[pos + 2] >= 65 else 3
            self._need(pos, n)
            if self._line:
                self._end_line()
            self.doc.cuts += 1
            return pos + n
        if cmd == 0x28:  # GS ( X pL pH data
            self._need(pos, 5)
            kind, size = b[pos + 2], b[pos + 3] | b[pos + 4] << 8
            self._need(pos, 5 + size)
            body = bytes(b[pos + 5:pos + 5 + size])
            if kind == 0x6B and body[:1] == b"1":  # GS ( k, cn '1' = QR code
                fn = body[1]
                if fn == 0x50:  # store data: m ('0') then the payload
                    self._qr_pending = body[3:].decode("utf-8")
                    self.doc.qr_codes.append(self._qr_pending)
                elif fn == 0x51:
                    self.doc.qr_printed += 1
            return pos + 5 + size
        if cmd == 0x76:  # GS v 0 m xL xH yL yH data
            self._need(pos, 8)
            xb = b[pos + 4] | b[pos + 5] << 8
            yd = b[pos + 6] | b[pos + 7] << 8
            self._need(pos, 8 + xb * yd)
            raw = bytes(b[pos + 8:pos + 8 + xb * yd])
            # ESC/POS raster: 1 = black; Pillow mode "1": 1 = white, so invert.
            img = Image.frombytes("1", (xb * 8, yd), bytes(255 - v for v in raw))
            self.doc.images.append(img)
            return pos + 8 + xb * yd
        if cmd == 0x6B:  # GS k barcode
            self._need(pos, 3)
            m = b[pos + 2]
            if m <= 6:
                end = b.find(b"\x00", pos + 3)
                if end < 0:
                    raise _Incomplete
                return end + 1
            self._need(pos, 4)
            n = b[pos + 3]
            self._need(pos, 4 + n)
            return pos + 4 + n
        n = _GS_FIXED.get(cmd)
        if n is None:
            raise DecodeError(f"unknown GS command {cmd:#04x}")
        self._need(pos, n)
        if cmd == 0x21:  # GS ! n: width multiplier high nibble, height low nibble
            arg = b[pos + 2]
            self._width, self._height = (arg >> 4) + 1, (arg & 0x0F) + 1
        return pos + n


def decode(data: bytes) -> Document:
    """Decode a complete ESC/POS stream."""
    dec = StreamDecoder()
    dec.feed(data)
    return dec.finish()
