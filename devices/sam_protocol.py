"""Frames of the 2nd-generation resident ID card reader's SAM protocol (no I/O).

specs/devices.md §2: a command is ``AA AA AA 96 69 | LEN(2, BE) | CMD | PARA | data | CHK`` with
LEN counting CMD..CHK and CHK the XOR of the LEN bytes, CMD, PARA and data; a response is
``AA AA AA 96 69 | LEN | SW1 SW2 SW3 | data | CHK`` with the status in SW3. The base-info read
(30 01) answers text length (2, BE), photo length (2, BE), 256 bytes of UCS-2 LE text with
fixed fields padded with spaces, then the 1024-byte WLT photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

from devices.card_reader import IdCard

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = 7  # preamble + LEN

FIND_CARD = (0x20, 0x01)
SELECT_CARD = (0x20, 0x02)
READ_BASE = (0x30, 0x01)
SAM_STATUS = (0x11, 0xFF)

SW3_OK = 0x90
SW3_FOUND = 0x9F
SW3_NO_CONTENT = 0x91
SW3_CHECKSUM = 0x10
SW3_FIND_FAILED = 0x80
SW3_SELECT_FAILED = 0x81

#: Chinese meaning of SW3 codes (spec §2 table), for error details.
SW3_TEXT = {
    0x10: "校验和错误", 0x11: "长度错误", 0x21: "命令错误", 0x23: "越权操作", 0x24: "未知错误",
    0x31: "卡认证SAM失败", 0x32: "SAM认证卡失败", 0x33: "信息验证错误", 0x40: "无法识别的卡类型",
    0x41: "读卡操作失败", 0x47: "取随机数失败", 0x60: "SAM自检失败", 0x66: "SAM未经授权",
    0x80: "找卡失败", 0x81: "选卡失败", 0x91: "无此项内容",
}

#: (field, byte offset, byte length) in the 256-byte text block.
TEXT_FIELDS = (("name", 0, 30), ("sex", 30, 2), ("ethnicity", 32, 4), ("birth_date", 36, 16),
               ("address", 52, 70), ("id_no", 122, 36), ("authority", 158, 30),
               ("valid_from", 188, 16), ("valid_to", 204, 16))


def xor(data: bytes) -> int:
    """XOR of all bytes."""
    return reduce(lambda a, b: a ^ b, data, 0)


def command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A complete command frame."""
    body = bytes([cmd, para]) + data
    ln = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + ln + body + bytes([xor(ln + body)])


@dataclass(frozen=True, slots=True)
class Response:
    """A parsed response frame."""

    sw3: int
    data: bytes


class FrameError(ValueError):
    """A frame is malformed; ``checksum`` tells a bad XOR from other damage."""

    def __init__(self, message: str, checksum: bool = False) -> None:
        super().__init__(message)
        self.checksum = checksum


def body_length(header: bytes) -> int:
    """LEN from the 7 header bytes; raises FrameError when the preamble is wrong."""
    if len(header) != HEADER_LEN or header[:5] != PREAMBLE:
        raise FrameError("bad preamble")
    return int.from_bytes(header[5:7], "big")


def parse_response(header: bytes, body: bytes) -> Response:
    """Check and split a response (``body`` = the LEN bytes after the header)."""
    n = body_length(header)
    if len(body) != n or n < 4:
        raise FrameError("bad length")
    if xor(header[5:7] + body[:-1]) != body[-1]:
        raise FrameError("bad checksum", checksum=True)
    return Response(sw3=body[2], data=body[3:-1])


def parse_base_info(data: bytes) -> IdCard:
    """Decode the data of a 30 01 response into an :class:`IdCard`."""
    if len(data) < 4:
        raise FrameError("base info too short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len or text_len < 220:
        raise FrameError("base info truncated")
    text = data[4:4 + text_len]
    photo = data[4 + text_len:4 + text_len + photo_len]
    f = {name: text[off:off + ln].decode("utf-16-le", errors="replace").rstrip(" \x00")
         for name, off, ln in TEXT_FIELDS}
    return IdCard(name=f["name"], sex=f["sex"], ethnicity=f["ethnicity"], birth_date=f["birth_date"],
                  address=f["address"], id_no=f["id_no"], authority=f["authority"],
                  valid_from=f["valid_from"], valid_to=f["valid_to"], photo_wlt=bytes(photo))
