"""Resident ID card reader driver: SAM frames over a serial port (pyserial).

Find card (20 01) → select card (20 02) → read base info (30 01), frames in
:mod:`devices.sam_protocol`. Errors: no answer within ``timeout`` → :class:`DeviceTimeout`; find
or select failed (SW3 80/81) → :class:`NoCard`; bad XOR or SW3 10 → :class:`ChecksumError`;
the port vanishing mid-read (USB unplugged) → :class:`DeviceDisconnected`. The photo stays the
raw 1024-byte WLT block: decoding it needs the vendor's licensed library (docs/DEVICES.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from devices import sam_protocol as sam
from devices.card_reader import IdCard, IdCardReader
from devices.drivers.serial_port import SERIAL_ERRORS, SerialPortMixin
from devices.errors import (
    CardReadError,
    ChecksumError,
    DeviceTimeout,
    NoCard,
    ProtocolError,
)
from devices.io_thread import assert_in_device_thread, runs_in_device_thread


@dataclass(frozen=True, slots=True)
class SamSerialConfig:
    """``[devices.id_reader]`` with ``driver = "sam_serial"``.

    :param port: serial device, e.g. ``/dev/ttyUSB0`` or ``COM3``.
    :param timeout: seconds to wait for a complete answer.
    """

    port: str
    baudrate: int = 115200
    timeout: float = 3.0


class SamIdCardReader(SerialPortMixin, IdCardReader):
    """The SAM serial ID card reader driver."""

    driver = "sam_serial"

    def __init__(self, name: str, config: SamSerialConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._ser: Any = None


    def _read_exact(self, n: int, deadline: float) -> bytes:
        buf = b""
        while len(buf) < n:
            if time.monotonic() > deadline:
                raise DeviceTimeout(self.label, "读卡器无应答")
            try:
                buf += self._ser.read(n - len(buf))
            except SERIAL_ERRORS as exc:
                raise self._lost(exc) from exc
        return buf

    def _transact(self, cmd: tuple[int, int]) -> sam.Response:
        assert_in_device_thread(self)
        try:
            self._ser.reset_input_buffer()  # drop late bytes of an earlier, timed-out answer
            self._ser.write(sam.command(*cmd))
        except SERIAL_ERRORS as exc:
            raise self._lost(exc) from exc
        deadline = time.monotonic() + self.config.timeout
        # resynchronise on the preamble: skip noise until AA AA AA 96 69
        window = b""
        while window != sam.PREAMBLE:
            window = (window + self._read_exact(1, deadline))[-5:]
        header = window + self._read_exact(2, deadline)
        body = self._read_exact(sam.body_length(header), deadline)
        try:
            rsp = sam.parse_response(header, body)
        except sam.FrameError as exc:
            if exc.checksum:
                raise ChecksumError(self.label) from exc
            raise ProtocolError(self.label, str(exc)) from exc
        if rsp.sw3 == sam.SW3_CHECKSUM:
            raise ChecksumError(self.label, "读卡器报告校验和错误")
        return rsp

    @runs_in_device_thread
    def read_card(self) -> IdCard:
        """Find, select and read the card on the reader."""
        self._require_open()
        rsp = self._transact(sam.FIND_CARD)
        if rsp.sw3 != sam.SW3_FOUND:
            raise NoCard(self.label, "请将身份证放在读卡区")
        rsp = self._transact(sam.SELECT_CARD)
        if rsp.sw3 != sam.SW3_OK:
            raise NoCard(self.label, sam.SW3_TEXT.get(rsp.sw3, f"选卡失败 {rsp.sw3:02X}"))
        rsp = self._transact(sam.READ_BASE)
        if rsp.sw3 != sam.SW3_OK:
            raise CardReadError(self.label, sam.SW3_TEXT.get(rsp.sw3, f"状态 {rsp.sw3:02X}"))
        try:
            return sam.parse_base_info(rsp.data)
        except sam.FrameError as exc:
            raise ProtocolError(self.label, str(exc)) from exc

    @runs_in_device_thread
    def check(self) -> str:
        """Doctor probe: SAM status (11 FF) must answer 90."""
        self._require_open()
        rsp = self._transact(sam.SAM_STATUS)
        if rsp.sw3 != sam.SW3_OK:
            raise CardReadError(self.label, sam.SW3_TEXT.get(rsp.sw3, f"SAM状态 {rsp.sw3:02X}"))
        return "SAM模块正常"
