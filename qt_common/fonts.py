"""The app font: the pinned CJK font WenQuanYi Micro Hei, registered explicitly.

Offscreen and minimal X servers have no fontconfig fallback for Chinese, so without this the
screens show boxes. print_templates.fonts pins the same file for printing; the GUI registers it
for widgets here (same path, same ``EBILL_CJK_FONT`` override).

Also carries the PySide6 6.12 / CPython 3.11 work-around measured by print_templates.fonts: void
C++ calls drop a reference to ``None``, and a long-running GUI makes millions of them.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from qt_common.qt import QApplication, QFont, QFontDatabase, QPainterPath

FONT_PATH = Path(os.environ.get("EBILL_CJK_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"))
FAMILY = "WenQuanYi Micro Hei"
_none_pinned = False


def keep_none_alive() -> bool:
    """Give ``None`` a huge reference count once when PySide6 is seen leaking references to it."""
    global _none_pinned
    if _none_pinned or sys.version_info >= (3, 12):
        return False
    _none_pinned = True
    probe = QPainterPath()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.addRect(0.0, 0.0, 1.0, 1.0)
    if sys.getrefcount(None) >= before:
        return False
    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
    return True


def install_app_font(app: QApplication, point_size: int = 11) -> str:
    """Register the CJK font and make it the application font; returns the family used."""
    keep_none_alive()
    family = FAMILY
    if FONT_PATH.exists():
        fid = QFontDatabase.addApplicationFont(str(FONT_PATH))
        fams = QFontDatabase.applicationFontFamilies(fid) if fid >= 0 else []
        if fams:
            family = fams[0]
    font = QFont(family, point_size)
    app.setFont(font)
    return family
