"""``python -m kiosk_app``: the patient self-service kiosk, full screen and frameless.

``--windowed`` for development (a 1080x1920 window); with no display it runs offscreen.
``--demo`` uses virtual devices against the stack scripts/run.sh started (``--app kiosk``); the
demo keys F5-F8 insert the demo patient's social-security card, place the ID card, scan the
e-voucher and scan a payment code (kiosk_app.demo).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk_app", description="医疗收费电子票据 · 患者自助机")
    p.add_argument("--config", help="terminal TOML ([server], [his], [payment], [kiosk], [devices.*])")
    p.add_argument("--demo", action="store_true", help="virtual devices against the simulators of scripts/run.sh")
    p.add_argument("--windowed", action="store_true", help="a 1080x1920 window instead of full screen")
    p.add_argument("--data-dir", default="var/kiosk", help="demo: the kiosk's store and printouts")
    p.add_argument("--stack-dir", default="var/demo", help="demo: scripts/demo.py's data dir (demo.json files)")
    p.add_argument("--server-url", default="http://127.0.0.1:18000")
    p.add_argument("--his-url", default="http://127.0.0.1:18090")
    p.add_argument("--payment-url", default="http://127.0.0.1:18091")
    p.add_argument("--screenshot", default="", help="save the window to this PNG once it is up")
    p.add_argument("--quit-after-screenshot", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--self-test", action="store_true", help="安装自检：字体、打印渲染、本地数据库、国密算法，然后退出")
    args = p.parse_args(argv)
    if args.self_test:
        from qt_common.selftest import run

        return run("患者自助机")
    if not args.config and not args.demo:
        p.error("需要 --config FILE 或 --demo")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from kiosk_app.controller import KioskController
    from kiosk_app.window import KioskWindow
    from qt_common import guard
    from qt_common.errors import describe
    from qt_common.fonts import install_app_font
    from qt_common.qt import QApplication, QTimer

    app = QApplication(sys.argv[:1])
    install_app_font(app)
    guard.install()  # no HTTP / SQLite / device call on the GUI thread from here on

    def build() -> Any:
        if args.config:
            from kiosk_app.app import build_from_config

            return build_from_config(args.config)
        from kiosk_app.app import build_demo

        stack = Path(args.stack_dir)
        kiosk, _devices = build_demo(args.data_dir, server_url=args.server_url, server_dir=stack / "server",
                                     his_url=args.his_url, his_dir=stack / "his", payment_url=args.payment_url,
                                     payment_dir=stack / "payment")
        return kiosk

    box: list[Any] = []

    def run() -> None:
        try:
            kiosk = build()
            kiosk.start()  # resumes unfinished orders and prints before the first patient
            box.append(kiosk)
        except BaseException as exc:  # reported with its code below, never a trace
            box.append(exc)

    worker = threading.Thread(target=run, name="startup")
    worker.start()
    worker.join()
    if isinstance(box[0], BaseException):
        code, message = describe(box[0])
        print(f"{code} {message}", file=sys.stderr)
        return 2
    kiosk = box[0]
    settings = kiosk.settings
    win = KioskWindow(kiosk.config.hospital, idle_s=settings.idle_seconds - settings.warning_seconds,
                      countdown_s=settings.warning_seconds)
    ctl = KioskController(kiosk, win)
    if args.demo:
        from kiosk_app.demo import DemoKeys

        DemoKeys(win, kiosk, Path(args.stack_dir) / "his", args.payment_url)
    win.go_fullscreen(args.windowed or bool(args.screenshot))
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    heartbeat = QTimer()  # lets Python see Ctrl-C while Qt's loop runs
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    if args.screenshot:
        def shoot() -> None:
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            win.grab().save(args.screenshot)
            print(f"screenshot: {args.screenshot}", flush=True)
            if args.quit_after_screenshot:
                app.quit()

        QTimer.singleShot(2000, shoot)
    rc = app.exec()
    ctl.close()
    threading.Thread(target=kiosk.close, name="shutdown").start()
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
