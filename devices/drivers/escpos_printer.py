"""Receipt printer driver: renders a :class:`billing_core.printjob.PrintJob` as ESC/POS through python-escpos.

Transports (``transport`` in config): ``network`` (TCP 9100), ``serial``, ``file`` (e.g.
``/dev/usb/lp0``) and ``usb`` — python-escpos' ``Network``, ``Serial``, ``File`` and ``Usb``.

What goes on the wire (specs/devices.md §3):

* ``ESC @`` then ``FS &`` (Chinese mode) at the start of every job;
* text is **always** encoded as GB18030 and written raw — python-escpos' MagicEncode would send
  text without an ideograph through single-byte code pages, where "¥" or full-width punctuation
  print as "?";
* sizes via ``ESC !`` / ``GS !``, bold via ``ESC E``, alignment via ``ESC a``;
* QR codes with the printer's native ``GS ( k`` command (model 2, store data fn 80, print fn 81),
  so the payload is on the wire as text; images as ``GS v 0`` raster;
* ``cut()`` → ``ESC d 6`` + ``GS V``; the cash drawer → ``ESC p``;
* with ``status_query = true``, ``DLE EOT 1/2/4`` before each job: paper end → :class:`PaperOut`,
  cover open → :class:`CoverOpen`, offline → :class:`PrinterOffline`. Only enable it for printers
  that answer (most network and serial ones do; a ``file`` device cannot).

Usage (the same in print_templates' and the apps' tests, with ``tests.rigs.escpos_printer``)::

    from devices.drivers.escpos_printer import EscposConfig, EscposReceiptPrinter
    printer = EscposReceiptPrinter("receipt_printer",
                                   EscposConfig(transport="network", host="127.0.0.1", port=rig.port))
    with printer:
        printer.print_job(job)          # PaperOut / CoverOpen / DeviceDisconnected ...

:func:`render_job` gives the bytes of a job without any printer (golden tests).
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from typing import Any

from billing_core.printjob import (
    Cut,
    Feed,
    Image,
    OpenDrawer,
    PrintJob,
    QrCode,
    Row,
    Rule,
    Text,
    row_lines,
    wrap,
)
from devices.errors import (
    CoverOpen,
    DeviceConfigError,
    DeviceDisconnected,
    DeviceError,
    DeviceNotFound,
    DeviceTimeout,
    PaperOut,
    PrinterOffline,
    PrintFailed,
)
from devices.io_thread import assert_in_device_thread, runs_in_device_thread
from devices.printer import PaperState, PrinterStatus, ReceiptPrinter

try:  # guarded: is_usable() reports a missing library instead of failing at import
    from escpos import printer as escpos_printer
    from escpos.exceptions import Error as EscposError
except ImportError:  # pragma: no cover - the library is part of the terminal extra
    escpos_printer = None
    EscposError = Exception

ESC, GS, FS, DLE, EOT = b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x04"
CHINESE_MODE_ON = FS + b"&"
DOTS_PER_MM = 8  # 203 dpi thermal heads


@dataclass(frozen=True, slots=True)
class EscposConfig:
    """Config of one receipt printer (``[devices.receipt_printer]`` in the terminal TOML).

    :param transport: ``network``, ``serial``, ``file`` or ``usb``.
    :param status_query: send DLE EOT before each job (only for printers that answer).
    :param cut: ``PART`` or ``FULL``.
    :param drawer_pin: 2 or 5, the pin the cash drawer is wired to.
    """

    transport: str = "network"
    host: str = ""
    port: int = 9100
    device: str = ""  # serial port or file path
    baudrate: int = 9600
    usb_vendor: int = 0
    usb_product: int = 0
    timeout: float = 5.0
    status_query: bool = True
    cut: str = "PART"
    drawer_pin: int = 2

    def address(self) -> str:
        """Human-readable address for reports."""
        if self.transport == "network":
            return f"tcp://{self.host}:{self.port}"
        if self.transport == "usb":
            return f"usb:{self.usb_vendor:04x}:{self.usb_product:04x}"
        return f"{self.transport}:{self.device}"


# --- rendering (no I/O) -----------------------------------------------------------------------


def _qr_module_size(size_mm: int) -> int:
    # A payload of our length makes a version 3-4 symbol (29-33 modules plus quiet zone);
    # the module size in dots that gives roughly size_mm on a 203 dpi head.
    return max(1, min(16, round(size_mm * DOTS_PER_MM / 33)))


def render_job(job: PrintJob, *, cut_mode: str = "PART", drawer_pin: int = 2) -> bytes:
    """The ESC/POS bytes of ``job`` (rendered with python-escpos' recording ``Dummy``)."""
    if escpos_printer is None:  # pragma: no cover
        raise DeviceConfigError(ReceiptPrinter.label, "未安装 python-escpos")
    p = escpos_printer.Dummy()
    # The default profile has no paper width; python-escpos then print()s a warning on every
    # image. Give this instance its own copy with the printable width (72 / 48 mm at 8 dots/mm).
    p.profile.profile_data = copy.deepcopy(p.profile.profile_data)
    p.profile.profile_data.setdefault("media", {}).setdefault("width", {})["pixels"] = (
        576 if job.width_mm >= 80 else 384)
    p._raw(ESC + b"@" + CHINESE_MODE_ON)
    columns = job.columns

    def line(text: str) -> None:
        # Always GB18030, never MagicEncode's code-page switching (module docstring).
        p._raw(text.encode("gb18030", errors="replace") + b"\n")

    for el in job.elements:
        if isinstance(el, Text):
            scale = 2 if el.scale >= 2 else 1
            p.set(align=el.align, bold=el.bold, normal_textsize=scale == 1,
                  double_width=scale == 2, double_height=scale == 2)
            for ln in wrap(el.text, columns // scale):
                line(ln)
            p.set(align="left", bold=False, normal_textsize=True)
        elif isinstance(el, Row):
            p.set(align="left", bold=el.bold, normal_textsize=True)
            for ln in row_lines(el, columns):
                line(ln)
            p.set(bold=False)
        elif isinstance(el, Rule):
            p.set(align="left", normal_textsize=True)
            line((el.char or "-") * (columns // max(1, len(el.char.encode("gb18030")))))
        elif isinstance(el, QrCode):
            p.set(align="center", normal_textsize=True)
            p.qr(el.data, size=_qr_module_size(el.size_mm), native=True)
            p._raw(b"\n")
            if el.caption:
                for ln in wrap(el.caption, columns):
                    line(ln)
            p.set(align="left")
        elif isinstance(el, Image):
            from PIL import Image as PilImage  # Pillow comes with python-escpos

            try:
                img = PilImage.open(io.BytesIO(el.png))
                img.load()
            except OSError as exc:
                raise PrintFailed(ReceiptPrinter.label, "图片无法解码") from exc
            width = min(el.width_mm, job.width_mm - 8) * DOTS_PER_MM
            if img.width > width:
                img = img.resize((width, max(1, img.height * width // img.width)))
            p.set(align="center")
            p.image(img, impl="bitImageRaster")
            p.set(align="left")
        elif isinstance(el, Feed):
            p._raw(b"\n" * max(0, el.lines))
        elif isinstance(el, Cut):
            p.cut(mode=cut_mode)
        elif isinstance(el, OpenDrawer):
            p.cashdraw(drawer_pin)
        else:  # pragma: no cover - Element is a closed union
            raise PrintFailed(ReceiptPrinter.label, f"未知的打印元素 {type(el).__name__}")
    return bytes(p.output)


# --- status bytes (Epson ESC/POS real-time status, DLE EOT n) -----------------------------------


def decode_status(online_byte: int, cause_byte: int, paper_byte: int) -> PrinterStatus:
    """Interpret the answers to DLE EOT 1, 2 and 4."""
    offline = bool(online_byte & 0x08)
    cover_open = bool(cause_byte & 0x04)
    if paper_byte & 0x60 == 0x60 or cause_byte & 0x20:
        paper = PaperState.OUT
    elif paper_byte & 0x0C == 0x0C:
        paper = PaperState.NEAR_END
    else:
        paper = PaperState.OK
    return PrinterStatus(online=not offline, paper=paper, cover_open=cover_open)


class EscposReceiptPrinter(ReceiptPrinter):
    """The python-escpos receipt printer driver."""

    driver = "escpos"

    def __init__(self, name: str, config: EscposConfig, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.config = config
        self._printer: Any = None

    @classmethod
    def is_usable(cls) -> bool:
        """python-escpos is importable."""
        return escpos_printer is not None

    def address(self) -> str:
        """Where the printer is."""
        return self.config.address()

    def _make(self) -> Any:
        c = self.config
        if c.transport == "network":
            return escpos_printer.Network(c.host, port=c.port, timeout=c.timeout)
        if c.transport == "serial":
            return escpos_printer.Serial(c.device, baudrate=c.baudrate, timeout=c.timeout, dsrdtr=False)
        if c.transport == "file":
            return escpos_printer.File(c.device)
        if c.transport == "usb":
            return escpos_printer.Usb(c.usb_vendor, c.usb_product, timeout=int(c.timeout * 1000))
        raise DeviceConfigError(self.label, f"未知的连接方式 {c.transport!r}")

    def _open_device(self) -> None:
        assert_in_device_thread(self)
        printer = self._make()
        try:
            printer.open()
        except (EscposError, OSError) as exc:
            raise DeviceNotFound(self.label, self.address()) from exc
        self._printer = printer

    def _close_device(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            printer.close()

    def _lost(self, exc: BaseException) -> DeviceError:
        # The connection is gone: drop it so that the next open() reconnects cleanly.
        self._open = False
        try:
            self._close_device()
        except OSError:
            pass
        return DeviceDisconnected(self.label, self.address())

    def _send(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except (OSError, EscposError) as exc:
            raise self._lost(exc) from exc

    def _query(self, n: int) -> int:
        self._send(DLE + EOT + bytes([n]))
        try:
            answer = self._printer._read()
        except TimeoutError as exc:
            raise DeviceTimeout(self.label, "状态查询无应答") from exc
        except (OSError, EscposError) as exc:
            raise self._lost(exc) from exc
        if not answer:
            if self.config.transport == "network":
                raise self._lost(ConnectionResetError())  # EOF: the printer closed the socket
            raise DeviceTimeout(self.label, "状态查询无应答")
        return answer[-1]

    @runs_in_device_thread
    def status(self) -> PrinterStatus:
        """Ask the printer (DLE EOT 1, 2, 4); ``PaperState.UNKNOWN`` when status queries are off."""
        self._require_open()
        if not self.config.status_query:
            return PrinterStatus(online=True, paper=PaperState.UNKNOWN)
        try:
            return decode_status(self._query(1), self._query(2), self._query(4))
        except TimeoutError as exc:  # pragma: no cover - alias of TimeoutError on 3.11
            raise DeviceTimeout(self.label) from exc

    def _check_ready(self) -> None:
        st = self.status()
        if st.cover_open:
            raise CoverOpen(self.label)
        if st.paper is PaperState.OUT:
            raise PaperOut(self.label)
        if not st.online:
            raise PrinterOffline(self.label)

    @runs_in_device_thread
    def print_job(self, job: PrintJob) -> None:
        """Check the status (if enabled), then send the whole job in one write."""
        self._require_open()
        data = render_job(job, cut_mode=self.config.cut, drawer_pin=self.config.drawer_pin)
        if self.config.status_query:
            self._check_ready()
        self._send(data)

    @runs_in_device_thread
    def open_drawer(self) -> None:
        """Kick the cash drawer (ESC p)."""
        self._require_open()
        self._send(render_job(PrintJob("drawer", elements=[OpenDrawer()]), drawer_pin=self.config.drawer_pin))

    @runs_in_device_thread
    def check(self) -> str:
        """Doctor probe: the status query (or just the open connection when queries are off)."""
        self._require_open()
        if self.config.status_query:
            self._check_ready()
            return "正常（纸张充足）"
        return "已连接（未启用状态查询）"
