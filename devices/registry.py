"""Build the terminal's devices from its TOML config (the ``[devices.*]`` tables).

Each table names one device; the table name is its role unless a ``role`` key says otherwise
(e.g. a second receipt printer ``[devices.ward_printer]`` with ``role = "receipt_printer"``)::

    [devices.receipt_printer]
    driver = "escpos"            # which driver (see DRIVERS)
    transport = "network"
    host = "192.168.10.31"
    port = 9100

    [devices.camera]
    driver = "opencv"
    source = 0
    [devices.camera.rules]       # optional face-quality thresholds
    min_face_fraction = 0.15

Every other key is a field of the driver's config dataclass; an unknown key, a missing required
key or a wrong type is a :class:`~devices.errors.DeviceConfigError` (E6003) naming the device.
Drivers are imported lazily by module path, so building the virtual devices of a demo does not
import pyscard, OpenCV or Qt. Devices at the same physical address share one worker thread.
"""

from __future__ import annotations

import dataclasses
import importlib
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from devices.base import Device
from devices.camera import FaceQualityRules
from devices.errors import DeviceConfigError, DeviceError
from devices.prompter import Prompter

#: (role, driver) -> (module, device class, config class or "" when the driver takes no config)
DRIVERS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("ssc_reader", "pcsc"): ("devices.drivers.pcsc_reader", "PcscSocialSecurityCardReader", "PcscConfig"),
    ("ssc_reader", "virtual"): ("devices.virtual.card_readers", "VirtualSocialSecurityCardReader", ""),
    ("id_reader", "sam_serial"): ("devices.drivers.sam_id_reader", "SamIdCardReader", "SamSerialConfig"),
    ("id_reader", "virtual"): ("devices.virtual.card_readers", "VirtualIdCardReader", ""),
    ("scanner", "serial"): ("devices.drivers.serial_scanner", "SerialScanner", "SerialScannerConfig"),
    ("scanner", "wedge"): ("devices.queue_scanner", "QueueScanner", ""),
    ("scanner", "virtual"): ("devices.virtual.scanner", "VirtualScanner", ""),
    ("receipt_printer", "escpos"): ("devices.drivers.escpos_printer", "EscposReceiptPrinter", "EscposConfig"),
    ("receipt_printer", "virtual"): ("devices.virtual.printers", "VirtualReceiptPrinter",
                                     "VirtualPrinterConfig"),
    ("bill_printer", "qprinter"): ("devices.drivers.qt_bill_printer", "QtBillPrinter", "QtBillPrinterConfig"),
    ("bill_printer", "virtual"): ("devices.virtual.printers", "VirtualBillPrinter", "VirtualPrinterConfig"),
    ("camera", "opencv"): ("devices.drivers.opencv_camera", "OpenCvCamera", "OpenCvCameraConfig"),
    ("camera", "virtual"): ("devices.virtual.camera", "VirtualCamera", "VirtualCameraConfig"),
}

ROLE_LABELS = {"ssc_reader": "社保卡读卡器", "id_reader": "身份证读卡器", "scanner": "扫码器",
               "receipt_printer": "收据打印机", "bill_printer": "票据打印机", "camera": "摄像头"}


def load_config(path: str | Path) -> dict[str, dict[str, Any]]:
    """The ``devices`` tables of a terminal TOML file."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DeviceConfigError("设备配置", f"无法读取配置文件 {path}：{exc}") from exc
    devices = data.get("devices", {})
    if not isinstance(devices, dict) or not all(isinstance(v, dict) for v in devices.values()):
        raise DeviceConfigError("设备配置", "[devices] 下每个设备须为一个表")
    return devices


def _make_config(cls: type, table: Mapping[str, Any], label: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(table) - set(fields)
    if unknown:
        raise DeviceConfigError(label, f"未知的配置项：{', '.join(sorted(unknown))}")
    values = dict(table)
    if "rules" in values:  # the camera's face-quality sub-table
        try:
            values["rules"] = FaceQualityRules(**values["rules"])
        except TypeError as exc:
            raise DeviceConfigError(label, f"rules 配置错误：{exc}") from exc
    for key in ("usb_vendor", "usb_product"):
        if isinstance(values.get(key), str):
            try:
                values[key] = int(values[key], 16)
            except ValueError as exc:
                raise DeviceConfigError(label, f"{key} 须为十六进制数") from exc
    try:
        return cls(**values)
    except TypeError as exc:
        missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        raise DeviceConfigError(label, f"缺少配置项：{', '.join(missing)}" if missing else str(exc)) from exc


def build_device(name: str, table: Mapping[str, Any], prompter: Prompter | None = None) -> Device:
    """One device from its config table."""
    table = dict(table)
    role = str(table.pop("role", name))
    label = ROLE_LABELS.get(role, name)
    driver = table.pop("driver", None)
    if driver is None:
        raise DeviceConfigError(label, f"[devices.{name}] 缺少 driver")
    entry = DRIVERS.get((role, str(driver)))
    if entry is None:
        known = sorted(d for r, d in DRIVERS if r == role)
        raise DeviceConfigError(label, f"未知的驱动“{driver}”（可选：{'、'.join(known) or '无，未知角色'}）")
    module_name, class_name, config_name = entry
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # a driver module whose own imports fail outright
        from devices.errors import DeviceNotUsable

        raise DeviceNotUsable(label, str(exc)) from exc
    cls = getattr(module, class_name)
    if config_name:
        config = _make_config(getattr(module, config_name), table, label)
        return cls(name, config, prompter=prompter)
    if table:
        raise DeviceConfigError(label, f"未知的配置项：{', '.join(sorted(table))}")
    return cls(name, prompter=prompter)


class DeviceSet:
    """The terminal's devices by name, with per-name build errors kept for the doctor."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.errors: dict[str, DeviceError] = {}

    def __iter__(self) -> Iterator[Device]:
        return iter(self.devices.values())

    def __getitem__(self, name: str) -> Device:
        return self.devices[name]

    def by_role(self, role: str) -> Device | None:
        """The first device of ``role`` (e.g. ``"receipt_printer"``)."""
        return next((d for d in self.devices.values() if d.role == role), None)

    def shutdown(self) -> None:
        """Close every device and stop the worker threads."""
        workers = {id(d.worker): d.worker for d in self.devices.values()}
        for d in self.devices.values():
            d.close()
        for w in workers.values():
            w.shutdown()


def build_devices(config: Mapping[str, Mapping[str, Any]], prompter: Prompter | None = None) -> DeviceSet:
    """Build every configured device; a device whose config is bad lands in ``errors``.

    Devices at the same physical address (e.g. a receipt printer and a display on one serial
    port) share the first one's worker thread.
    """
    out = DeviceSet()
    by_address: dict[str, Device] = {}
    for name, table in config.items():
        try:
            dev = build_device(name, table, prompter)
        except DeviceError as exc:
            out.errors[name] = exc
            continue
        addr = dev.address()
        if addr in by_address and not addr.startswith(("virtual", "dir:", "keyboard")):
            dev.worker.shutdown()
            dev.worker = by_address[addr].worker
        else:
            by_address[addr] = dev
        out.devices[name] = dev
    return out
