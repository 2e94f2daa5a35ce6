"""``python -m cashier_app``: start the cashier window (see cashier_app.app for the modes).

With no display (no ``DISPLAY``/``WAYLAND_DISPLAY``) it runs offscreen; ``--screenshot PATH`` saves
the logged-in main window once it is up, and the app keeps running until Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable

from cashier_app.app import Started, build_from_config
from workflows.terminal.config_file import load_config


def _try(fn: Callable[[], Started]) -> Started | BaseException:
    try:
        return fn()
    except BaseException as exc:  # reported by main() with its code, never a stack trace
        return exc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cashier_app", description="医疗收费电子票据 · 收费窗口")
    p.add_argument("--config", help="terminal TOML (server, window, devices)")
    p.add_argument("--demo", action="store_true", help="demo mode: demo cashier logged in, virtual devices")
    p.add_argument("--server-url", default="", help="demo: the running sync server")
    p.add_argument("--server-data-dir", default="", help="demo: the server's data dir (demo.json)")
    p.add_argument("--data-dir", default="var/cashier", help="where the window keeps its record and PDFs")
    p.add_argument("--printer", default="", help="receipt printer: tcp://host:port, file:/path (ESC/POS bytes) or dir:/path (virtual, PNG)")
    p.add_argument("--screenshot", default="", help="save the logged-in main window to this PNG")
    p.add_argument("--quit-after-screenshot", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--self-test", action="store_true", help="安装自检：字体、打印渲染、本地数据库、国密算法，然后退出")
    args = p.parse_args(argv)
    if args.self_test:
        from qt_common.selftest import run

        return run("收费窗口")
    if not args.config and not args.demo:
        p.error("需要 --config FILE 或 --demo")
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from cashier_app.main_window import MainWindow
    from qt_common import guard
    from qt_common.fonts import install_app_font
    from qt_common.qt import QApplication, QTimer

    app = QApplication(sys.argv[:1])
    install_app_font(app)
    guard.install()  # from here on no HTTP / SQLite / device call may run on this (the GUI) thread

    def build() -> Started:
        if args.config:
            return build_from_config(load_config(args.config))
        from cashier_app.demo import build_demo  # the demo fakes load only in demo mode

        return build_demo(args.data_dir, server_url=args.server_url, server_data_dir=args.server_data_dir,
                          printer=args.printer)

    # Building opens the store and asks the server for its catalog: off the GUI thread too.
    box: list[Started | BaseException] = []
    worker = threading.Thread(target=lambda: box.append(_try(build)), name="startup")
    worker.start()
    worker.join()
    if isinstance(box[0], BaseException):
        from qt_common.errors import describe

        code, message = describe(box[0])
        print(f"{code} {message}", file=sys.stderr)
        return 2
    started = box[0]
    win = MainWindow(started.services, started.printers)
    win.resize(1366, 768)
    win.show()
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    heartbeat = QTimer()  # lets Python see Ctrl-C while Qt's loop runs
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(250)
    if started.auto_login:
        uid, pw = started.auto_login
        win.login_page.user.setText(uid)
        win.login_page.password.setText(pw)
        win.login_page.submit()
    if args.screenshot:
        def shoot() -> None:
            if win.root.currentWidget() is not win.workspace and win.tasks.busy:
                QTimer.singleShot(300, shoot)
                return
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            win.grab().save(args.screenshot)
            print(f"screenshot: {args.screenshot}", flush=True)
            if args.quit_after_screenshot:
                app.quit()

        QTimer.singleShot(1500, shoot)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
