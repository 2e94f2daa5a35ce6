"""Device doctor for IT: check every device of a terminal's config and report OK or an error code.

Usage::

    python -m devices.doctor --config /etc/ebill/kiosk.toml
    python -m devices.doctor --config kiosk.toml --json     # machine-readable

For each ``[devices.*]`` table it builds the driver, checks ``is_usable()``, opens the device,
runs the driver's probe (printer status query, SAM status, reader listed by pcscd, a camera
frame, the CUPS queue) and closes it. One line per device::

    receipt_printer  收据打印机  escpos  tcp://192.168.10.31:9100  OK  正常（纸张充足）
    id_reader        身份证读卡器  sam_serial  serial:/dev/ttyUSB0  E6004  身份证读卡器：未找到设备…

Exit status: 0 all OK, 1 some device failed, 2 the config file itself is unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass

from devices.errors import DeviceConfigError, DeviceError, DeviceNotUsable
from devices.registry import ROLE_LABELS, build_devices, load_config


@dataclass(frozen=True, slots=True)
class Finding:
    """The doctor's verdict on one configured device."""

    name: str
    label: str
    driver: str
    address: str
    code: str  # "OK" or an error code
    message: str

    @property
    def ok(self) -> bool:
        """True when the device passed."""
        return self.code == "OK"


def diagnose(config: dict[str, dict[str, object]]) -> list[Finding]:
    """Check every device of ``config`` (the ``devices`` tables) and return one finding each."""
    devs = build_devices(config)
    findings: list[Finding] = []
    try:
        for name, table in config.items():
            if name in devs.errors:
                err = devs.errors[name]
                role = str(table.get("role", name))
                findings.append(Finding(name, ROLE_LABELS.get(role, name), str(table.get("driver", "?")),
                                        "-", err.code, err.message))
                continue
            dev = devs[name]
            try:
                if not dev.is_usable():
                    raise DeviceNotUsable(dev.label)
                dev.open()
                try:
                    detail = dev.check()
                finally:
                    dev.close()
                findings.append(Finding(name, dev.label, dev.driver, dev.address(), "OK", detail))
            except DeviceError as err:
                findings.append(Finding(name, dev.label, dev.driver, dev.address(), err.code, err.message))
            except Exception as exc:  # noqa: BLE001 - the doctor must report, never crash
                findings.append(Finding(name, dev.label, dev.driver, dev.address(), "E6001",
                                        f"{dev.label}：设备故障（{type(exc).__name__}: {exc}）"))
    finally:
        devs.shutdown()
    return findings


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m devices.doctor", description="检查终端配置的每个外设")
    ap.add_argument("--config", required=True, help="终端的 TOML 配置文件")
    ap.add_argument("--json", action="store_true", help="以 JSON 输出")
    args = ap.parse_args(argv)
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the bill printer needs Qt, not a screen
    try:
        config = load_config(args.config)
    except DeviceConfigError as err:
        print(f"{err.code}  {err.message}", file=sys.stderr)
        return 2
    if not config:
        print("E6003  设备配置：配置文件中没有 [devices.*] 设备", file=sys.stderr)
        return 2
    findings = diagnose(config)
    if args.json:
        print(json.dumps([asdict(f) for f in findings], ensure_ascii=False, indent=1))
    else:
        for f in findings:
            print(f"{f.name}\t{f.label}\t{f.driver}\t{f.address}\t{f.code}\t{f.message}")
        bad = sum(not f.ok for f in findings)
        print(f"共 {len(findings)} 个设备，{len(findings) - bad} 个正常，{bad} 个异常")
    return 0 if all(f.ok for f in findings) else 1


if __name__ == "__main__":
    sys.exit(main())
