"""The one pinned CJK font of every renderer: WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``).

Installed by the setup command (deploy/apt-packages.txt) and a dependency of the .deb, so not
bundled there: its licence (GPLv3 with font exception / Apache 2.0) allows bundling, but the Debian
package keeps one copy per machine. A PyInstaller bundle carries its own copy (``fonts/`` beside
the executable, build_spec/) for machines without the package (Windows), used when the system
file is absent.
It is registered with QFontDatabase explicitly so that Qt never substitutes another family;
:func:`pinned_font` raises when Qt would. The apps reuse this module for on-screen previews.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo, QGuiApplication
from PySide6.QtWidgets import QApplication

from print_templates.errors import FontUnavailableError

SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _default_font() -> Path:
    """The system font file, else the copy a frozen bundle carries (``sys._MEIPASS/fonts``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None and not SYSTEM_FONT.is_file():
        return Path(bundle) / "fonts" / SYSTEM_FONT.name
    return SYSTEM_FONT


FONT_PATH = Path(os.environ.get("EBILL_CJK_FONT") or _default_font())
FAMILY = "WenQuanYi Micro Hei"

_registered: str | None = None


def ensure_app() -> QGuiApplication:
    """The running QGuiApplication, creating one (offscreen in tests and CLIs) if needed.

    A QApplication (the widgets subclass) is created, not a bare QGuiApplication, so that the
    apps and pytest-qt can still build widgets after a renderer ran first in the same process.
    """
    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app  # type: ignore[return-value]


def register_font() -> str:
    """Register the pinned font file with Qt once and return its family name.

    :raises FontUnavailableError: when the file is missing or does not hold the family.
    """
    global _registered
    if _registered:
        return _registered
    ensure_app()
    if not FONT_PATH.is_file():
        raise FontUnavailableError(f"打印字体文件不存在：{FONT_PATH}（请安装 fonts-wqy-microhei）")
    font_id = QFontDatabase.addApplicationFont(str(FONT_PATH))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if FAMILY not in families:
        raise FontUnavailableError(f"打印字体“{FAMILY}”加载失败：{FONT_PATH}")
    _registered = FAMILY
    return FAMILY


def pinned_font(size_pt: float, bold: bool = False) -> QFont:
    """A QFont of the pinned family; raises FontUnavailableError if Qt resolves another family."""
    family = register_font()
    font = QFont(family)
    font.setPointSizeF(size_pt)
    font.setBold(bold)
    # Never let Qt quietly pick a look-alike: the resolved family must be ours.
    font.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    resolved = QFontInfo(font).family()
    if resolved != family:
        raise FontUnavailableError(f"打印字体被替换为“{resolved}”，应为“{family}”")
    return font
