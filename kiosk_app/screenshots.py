"""``python -m kiosk_app.screenshots``: every kiosk screen, normal and 长辈模式, at 1080x1920.

Writes ``docs/screenshots/kiosk_<nn>_<screen>_<normal|elderly>.png``. The kiosk is a portrait
1080x1920 touchscreen (kiosk_app.theme.SCREEN_W/H: the common 立式自助机 panel). Screens carry the
sample data of kiosk_app.samples; for each one the command also checks that nothing is cut off
(cashier_app's rule: every visible button and label gets its size hint, nothing outside the window)
and, in elderly mode, the three numbers (>= 18 pt, >= 60x60 px targets, >= 4.5:1 contrast), and
fails listing what broke.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def shoot(out: Path) -> int:
    """Save every screen in both looks; returns 1 when a check failed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kiosk_app.audit import elderly_problems, layout_problems
    from kiosk_app.samples import SCREENS, fill
    from kiosk_app.theme import SCREEN_H, SCREEN_W
    from kiosk_app.window import KioskWindow
    from qt_common.fonts import install_app_font
    from qt_common.qt import QApplication

    app = QApplication(sys.argv[:1])
    install_app_font(app)
    win = KioskWindow("演示市人民医院", idle_s=3600, countdown_s=30)
    win.resize(SCREEN_W, SCREEN_H)
    win.show()
    failures: list[str] = []
    for look in ("normal", "elderly"):
        win.set_elderly(look == "elderly")
        for n, key in enumerate(SCREENS, 1):
            win.reset()
            fill(win, key)
            app.processEvents()
            path = out / f"kiosk_{n:02d}_{key}_{look}.png"
            win.grab().save(str(path))
            problems = layout_problems(win) + (elderly_problems(win) if look == "elderly" else [])
            failures += [f"{key} ({look}): {p}" for p in problems]
            print(f"wrote {path}")
    win.close()
    if failures:
        print("\n".join(["problems:"] + failures), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk_app.screenshots")
    p.add_argument("--out", default=str(OUT), help="folder for the PNGs (default docs/screenshots)")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return shoot(out)


if __name__ == "__main__":
    raise SystemExit(main())
