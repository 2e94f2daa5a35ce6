"""Social security card reader over PC/SC (pyscard → libpcsclite → pcscd → the reader's IFD driver).

The APDU logic is in :mod:`devices.ssse`; this module supplies the transport and maps pyscard's
exceptions: no PC/SC service or no matching reader → :class:`DeviceNotFound`, no card →
:class:`NoCard`, card pulled mid-read → :class:`CardRemoved`, reader gone mid-read (pcscd
stopped, USB unplugged) → :class:`DeviceDisconnected`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from devices.card_reader import SocialSecurityCard, SocialSecurityCardReader
from devices.errors import CardRemoved, DeviceDisconnected, DeviceNotFound, NoCard
from devices.io_thread import assert_in_device_thread, runs_in_device_thread
from devices.ssse import SsseSession

try:
    from smartcard import Exceptions as sc_exc
    from smartcard.CardConnection import CardConnection
    from smartcard.System import readers as list_readers
except ImportError:  # pragma: no cover - pyscard is the terminal's pcsc extra
    list_readers = None


def _dispose(conn: Any) -> None:
    """Disconnect and release a connection now, not in pyscard's ``__del__``.

    ``__del__`` releases the PC/SC context at garbage collection; if pcscd is gone by then it
    raises inside the collector (an "unraisable" exception at a random later point).
    """
    try:
        conn.release()
    except Exception:  # noqa: BLE001 - pyscard raises assorted types when the service is gone
        conn.hcontext = None


def _defuse_half_built(exc: BaseException) -> None:
    """Stop the connection whose constructor raised from releasing a bogus context in ``__del__``.

    pyscard's ``PCSCCardConnection.__init__`` stores the failed context handle before raising;
    the object's ``__del__`` would later try to release it and raise inside the garbage collector.
    """
    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if obj is not None and hasattr(obj, "hcontext") and tb.tb_frame.f_code.co_name == "__init__":
            obj.hcontext = None
        tb = tb.tb_next


@dataclass(frozen=True, slots=True)
class PcscConfig:
    """``[devices.ssc_reader]`` with ``driver = "pcsc"``.

    :param reader: substring of the PC/SC reader name (empty = the first reader).
    :param poll_interval: seconds between presence checks while waiting for removal.
    """

    reader: str = ""
    poll_interval: float = 0.1


class PcscSocialSecurityCardReader(SocialSecurityCardReader):
    """The PC/SC social security card reader driver."""

    driver = "pcsc"

    def __init__(self, name: str, config: PcscConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._reader: Any = None

    @classmethod
    def is_usable(cls) -> bool:
        """pyscard is importable."""
        return list_readers is not None

    def address(self) -> str:
        """The configured reader name."""
        return f"pcsc:{self.config.reader or '*'}"

    def _find_reader(self) -> Any:
        try:
            found = list_readers()
        except Exception as exc:  # pyscard raises several types when pcscd is not running
            raise DeviceNotFound(self.label, "智能卡服务(pcscd)未运行") from exc
        for r in found:
            if self.config.reader in str(r):
                return r
        raise DeviceNotFound(self.label, f"未找到读卡器“{self.config.reader}”")

    def _open_device(self) -> None:
        assert_in_device_thread(self)
        self._reader = self._find_reader()

    def _close_device(self) -> None:
        self._reader = None

    def _connect(self) -> Any:
        try:
            conn = self._reader.createConnection()
        except sc_exc.CardConnectionException as exc:  # no PC/SC context: the service is gone
            _defuse_half_built(exc)
            self._raise_if_reader_gone(exc)
            raise NoCard(self.label) from exc
        try:
            conn.connect(CardConnection.T0_protocol | CardConnection.T1_protocol)
        except sc_exc.NoCardException as exc:
            _dispose(conn)
            raise NoCard(self.label) from exc
        except sc_exc.CardConnectionException as exc:
            _dispose(conn)
            self._raise_if_reader_gone(exc)
            raise NoCard(self.label) from exc
        return conn

    def _raise_if_reader_gone(self, exc: BaseException) -> None:
        try:
            self._find_reader()
        except DeviceNotFound:
            self._open = False
            raise DeviceDisconnected(self.label) from exc

    @runs_in_device_thread
    def card_present(self) -> bool:
        """Try to connect to the card."""
        self._require_open()
        try:
            conn = self._connect()
        except NoCard:
            return False
        _dispose(conn)
        return True

    @runs_in_device_thread
    def wait_for_card(self, timeout: float) -> None:
        """Prompt "请插入社保卡" and block until a card is in the reader."""
        self._require_open()
        self.prompter.show_message("请插入社保卡")
        # Polling a connect() rather than CardRequest: right after a removal pcscd's cached reader
        # state can still say PRESENT for a few hundred ms, and CardRequest returns at once.
        deadline = time.monotonic() + timeout
        try:
            while not self.card_present():
                if time.monotonic() >= deadline:
                    raise NoCard(self.label, f"{timeout:g}秒内未插卡")
                time.sleep(self.config.poll_interval)
        finally:
            self.prompter.finished()

    @runs_in_device_thread
    def wait_for_removal(self, timeout: float) -> bool:
        """Poll until the card is gone; False when it is still there after ``timeout``."""
        self._require_open()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.card_present():
                return True
            time.sleep(self.config.poll_interval)
        return False

    @runs_in_device_thread
    def read_card(self) -> SocialSecurityCard:
        """Read the card now in the reader (see :class:`devices.ssse.SsseSession`)."""
        self._require_open()
        conn = self._connect()

        def transmit(apdu: bytes) -> tuple[bytes, int, int]:
            try:
                data, sw1, sw2 = conn.transmit(list(apdu))
            except sc_exc.CardConnectionException as exc:
                self._raise_if_reader_gone(exc)
                raise CardRemoved(self.label) from exc
            return bytes(data), sw1, sw2

        try:
            return SsseSession(transmit, self.prompter).read()
        finally:
            _dispose(conn)

    @runs_in_device_thread
    def check(self) -> str:
        """Doctor probe: the reader is listed by pcscd; say whether a card is in it."""
        self._require_open()
        self._reader = self._find_reader()
        return f"读卡器“{self._reader}”正常，{'有卡' if self.card_present() else '无卡'}"
