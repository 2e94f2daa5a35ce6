"""``python -m cashier_app.screenshots``: every main screen at 1366x768 and at 200 % scaling.

Writes ``docs/screenshots/<screen>_1366x768.png`` and ``<screen>_200pct.png`` (QT_SCALE_FACTOR=2:
the same 1366x768 logical window on a 2732x1536 screen). Each scale runs in its own process
because Qt reads the scale factor once. For every screen it also checks that nothing is cut off:
every visible button, label and check box gets at least its size hint, and every visible widget
lies inside the window; problems are printed and make the command fail.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def cut_off(win: object, screen: tuple[int, int] = (1366, 768)) -> list[str]:
    """Visible widgets squeezed below their size hint or outside the window, and a window that
    does not fit the ``screen`` (logical pixels: at 200 % a 2732x1536 screen is 1366x768)."""
    from qt_common.qt import QCheckBox, QLabel, QPushButton, QWidget

    assert isinstance(win, QWidget)
    problems = []
    need = win.minimumSizeHint().expandedTo(win.minimumSize())
    if win.width() > screen[0] or win.height() > screen[1] or need.width() > screen[0] or need.height() > screen[1]:
        problems.append(f"window {win.width()}x{win.height()} (minimum {need.width()}x{need.height()}) "
                        f"does not fit the {screen[0]}x{screen[1]} screen")
    bounds = win.rect()
    for w in win.findChildren(QWidget):
        if not w.isVisibleTo(win) or w.width() == 0:
            continue
        rect = w.rect().translated(w.mapTo(win, w.rect().topLeft()))
        if not bounds.contains(rect) and not _in_scroll(w):
            problems.append(f"{type(w).__name__} {w.objectName() or _text(w)!r} outside the window: {rect}")
        if isinstance(w, QPushButton | QCheckBox) or (isinstance(w, QLabel) and not w.wordWrap()):
            hint = w.sizeHint()
            if w.width() + 1 < hint.width() or w.height() + 1 < min(hint.height(), 40):
                if not _in_scroll(w):
                    problems.append(f"{type(w).__name__} {_text(w)!r} cut: {w.width()}x{w.height()} "
                                    f"< {hint.width()}x{hint.height()}")
    return problems


def _text(w: object) -> str:
    return str(getattr(w, "text", lambda: "")())[:30]


def _in_scroll(w: object) -> bool:
    from qt_common.qt import QAbstractItemView, QScrollArea

    p = w.parentWidget()  # type: ignore[attr-defined]
    while p is not None:
        if isinstance(p, QScrollArea | QAbstractItemView):
            return True
        p = p.parentWidget()
    return False


def shoot(suffix: str, out: Path = OUT) -> int:
    """Build a demo window with data and save every screen (this process's scale)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import openpyxl

    from cashier_app.demo import DEMO_PASSWORD, build_demo
    from cashier_app.main_window import MainWindow
    from qt_common.fonts import install_app_font
    from qt_common.qt import QApplication, QTimer
    from workflows.cashier.entry import EntryForm
    from workflows.cashier.importer import COLUMNS

    app = QApplication(sys.argv[:1])
    install_app_font(app)
    tmp = Path(tempfile.mkdtemp(prefix="cashier-shots-"))
    started = build_demo(tmp)
    s, platform = started.services, started.platform
    win = MainWindow(s, started.printers, probe_ms=0)
    win.resize(1366, 768)
    win.show()
    failures: list[str] = []

    def settle(cond: Callable[[], bool] = lambda: True, ms: int = 10000) -> None:
        waited = 0
        while (win.tasks.busy or not cond()) and waited < ms:
            app.processEvents()
            QTimer.singleShot(20, lambda: None)
            app.processEvents()
            waited += 20
            import time

            time.sleep(0.02)
        app.processEvents()

    def save(name: str) -> None:
        settle()
        path = out / f"{name}_{suffix}.png"
        win.grab().save(str(path))
        for p in cut_off(win):
            failures.append(f"{name}: {p}")
        print(f"wrote {path}")

    save("01_login")
    win.login_page.user.setText("sf01")
    win.login_page.password.setText(DEMO_PASSWORD)
    win.login_page.submit()
    settle(lambda: win.root.currentWidget() is win.workspace)

    def form(payer: str, channel: str = "02", items: tuple[str, ...] = ("102", "301")) -> EntryForm:
        f = EntryForm("outpatient", s.catalog)
        f.header.update(payer=payer, card_no="3101000123", patient_no="MZ0001", sex="女", age="52",
                        tel="13800138000")
        for code in items:
            f.add_item(code)
        f.set_pay(channel, str(f.total))
        return f

    for name, ch in (("李秀英", "02"), ("王建国", "05"), ("陈静", "04"), ("周杰", "01")):
        f = form(name, ch)
        win.tasks.run(lambda f=f: s.issuing.issue(f, "张敏"), lambda _r: None)  # the store is I/O: a worker
        settle()
    page = win.issue_page
    for field, value in (("payer", "刘洋"), ("card_no", "3101000456"), ("patient_no", "MZ0107"), ("age", "34"),
                         ("tel", "13912345678"), ("dept", "内科")):
        page.fields[field].setText(value)  # type: ignore[attr-defined]
    for code in ("102", "301", "302"):
        page.form.add_item(code)
    page.form.set_pay("02", "100.00")
    page._render()
    save("02_issue_entry")
    page.form.set_pay("05", "15.00")
    page.issue()
    settle(lambda: page.last is not None)
    save("03_issue_done")

    sheet = tmp / "导入.xlsx"
    wb = openpyxl.Workbook()
    for row in [list(COLUMNS),
                ["A1", "门诊", "刘洋", "3101000001", "MZ01", "男", "30", "", "", "102", "1", "", "现金", "10.00"],
                ["B1", "捐赠票", "某某基金会", "", "", "男", "1", "李华", "", "902", "1", "5000", "03", "5000"],
                ["C1", "门诊", "王五", "3101000002", "MZ02", "男", "20", "", "", "777", "一", "", "现金", "5"]]:
        wb.active.append(row)
    wb.save(sheet)
    win.show_page("import")
    win.import_page.path.setText(str(sheet))
    win.import_page.check()
    settle(lambda: win.import_page.plan is not None)
    save("04_import_errors")

    rec = page.last
    assert rec is not None
    win.show_page("paper")
    win.paper_page.load(rec)
    settle(lambda: bool(win.paper_page.next_no))
    win.paper_page.confirm.setText(win.paper_page.next_no)
    win.paper_page.show_preview()
    save("05_paper_preview")

    win.show_page("writeoff")
    win.writeoff_page.refresh()
    settle()
    win.writeoff_page.select(rec.bill_no)
    win.writeoff_page.reason.setText("患者退费")
    save("06_writeoff")
    win.show_page("query")
    save("07_query")
    win.show_page("report")
    win.report_page.build()
    save("08_daily_report")

    platform.online = False
    win.show_page("issue")
    page.fields["payer"].setText("赵六")  # type: ignore[attr-defined]
    for field, value in (("card_no", "3101000789"), ("patient_no", "MZ0200"), ("age", "61")):
        page.fields[field].setText(value)  # type: ignore[attr-defined]
    page.form.add_item("401")
    page.form.set_pay("02", "30.00")
    page.issue()
    settle(lambda: page.last is not None and page.last.emergency)
    win.refresh_status()
    settle(lambda: "剩余应急票号" in win.banner.text())
    save("09_emergency")
    platform.online = True

    def carried() -> bool:
        if not win._probing:  # the breaker lets the half-open probe through after its wait
            win.probe()
        return win.carry.isVisible()

    settle(carried, ms=15000)
    save("10_carry_forward")
    win.lock()
    save("11_locked")
    win.close()
    if failures:
        print("\n".join(["cut off:"] + failures), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cashier_app.screenshots")
    p.add_argument("--scale", choices=("1", "2"), help=argparse.SUPPRESS)
    p.add_argument("--only", choices=("1", "2"), help="one scale only (1 = 1366x768, 2 = 200 %%)")
    p.add_argument("--out", default=str(OUT), help="folder for the PNGs (default docs/screenshots)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.scale:
        return shoot("1366x768" if args.scale == "1" else "200pct", out)
    rc = 0
    for scale in (args.only,) if args.only else ("1", "2"):
        env = dict(os.environ, QT_SCALE_FACTOR=scale, QT_QPA_PLATFORM="offscreen")
        rc |= subprocess.call([sys.executable, "-m", "cashier_app.screenshots", "--scale", scale, "--out", str(out)],
                              env=env)
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
