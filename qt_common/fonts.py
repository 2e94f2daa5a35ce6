"""The app font: print_templates' pinned CJK font (WenQuanYi Micro Hei) as the widgets' font.

Offscreen and minimal X servers have no fontconfig fallback for Chinese, so without an explicitly
registered font the screens show boxes. The file, its ``EBILL_CJK_FONT`` override and the check
that Qt did not substitute another family live once, in :mod:`print_templates.fonts` (below
qt_common in the layers, DESIGN §2); the GUI only makes that family the application font.
"""

from __future__ import annotations

from print_templates.fonts import FAMILY, FONT_PATH, register_font
from qt_common.qt import QApplication, QFont

__all__ = ["FAMILY", "FONT_PATH", "install_app_font"]


def install_app_font(app: QApplication, point_size: int = 11) -> str:
    """Register the pinned CJK font and make it the application font; returns the family used.

    :raises FontUnavailableError: the font file is missing (install ``fonts-wqy-microhei``).
    """
    family = register_font()
    app.setFont(QFont(family, point_size))
    return family
