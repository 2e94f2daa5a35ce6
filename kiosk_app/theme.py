"""The kiosk's two looks: normal and 长辈模式 (elderly mode), each one stylesheet.

Elderly mode (适老化) promises three numbers, and tests/gui/kiosk walks every screen's widget tree
to hold them: every text >= 18 pt, every touch target >= 60x60 px, and every text colour against
its background >= 4.5:1 (WCAG 2.x AA). Colours are named once here so the contrast of each pair
can be computed without rendering (:func:`contrast`).

Widgets choose their look by a dynamic property ``role`` (``title``, ``hint``, ``primary`` ...);
the stylesheet selects on it, so a screen never hard-codes a colour or a size.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The common self-service kiosk screen in Chinese hospitals: a 21.5"-32" portrait touchscreen,
#: 1080 wide and 1920 high (立式自助机). Portrait gives long lists (pending charges, slots) room.
SCREEN_W, SCREEN_H = 1080, 1920

#: The elderly-mode floor of the three numbers (tests read them from here).
ELDERLY_MIN_PT = 18
ELDERLY_MIN_TARGET = 60
MIN_CONTRAST = 4.5


@dataclass(frozen=True, slots=True)
class Theme:
    """One look: sizes in points / pixels and the colour pairs."""

    name: str
    base_pt: int  # body text
    small_pt: int  # hints, footnotes (never below 18 in elderly mode)
    title_pt: int
    big_pt: int  # amounts, countdowns, the attract call to action
    button_h: int  # minimum touch target (both sides)
    key_h: int  # on-screen keypad keys
    page_bg: str = "#f4f6f8"
    text: str = "#1a1a1a"
    muted: str = "#4a4a4a"  # 8.4:1 on page_bg: hints stay readable
    header_bg: str = "#0d47a1"
    header_fg: str = "#ffffff"
    card_bg: str = "#ffffff"
    primary_bg: str = "#0d47a1"
    primary_fg: str = "#ffffff"
    secondary_bg: str = "#ffffff"
    secondary_fg: str = "#0d47a1"
    disabled_bg: str = "#d6d6d6"
    disabled_fg: str = "#3d3d3d"  # disabled stays legible: the reason must be read
    warn_fg: str = "#a30015"
    ok_fg: str = "#1b5e20"
    accent_bg: str = "#fff3cd"  # countdown / notices
    accent_fg: str = "#5c3b00"


NORMAL = Theme("normal", base_pt=16, small_pt=13, title_pt=26, big_pt=40, button_h=72, key_h=80)
# Elderly: bigger everything, and darker secondary text (the muted grey becomes body black).
ELDERLY = Theme("elderly", base_pt=22, small_pt=19, title_pt=34, big_pt=52, button_h=104, key_h=104,
                muted="#1a1a1a", page_bg="#ffffff", text="#000000", header_bg="#002f6c",
                primary_bg="#002f6c", secondary_fg="#002f6c", disabled_fg="#262626")


def stylesheet(t: Theme) -> str:
    """The application stylesheet of ``t`` (set on the kiosk window)."""
    return f"""
QWidget {{ font-size: {t.base_pt}pt; color: {t.text}; background-color: {t.page_bg}; }}
QLabel {{ background-color: transparent; }}
QLabel[role="title"] {{ font-size: {t.title_pt}pt; font-weight: bold; }}
QLabel[role="big"] {{ font-size: {t.big_pt}pt; font-weight: bold; }}
QLabel[role="hint"] {{ font-size: {t.small_pt}pt; color: {t.muted}; }}
QLabel[role="warn"] {{ color: {t.warn_fg}; font-weight: bold; }}
QLabel[role="ok"] {{ color: {t.ok_fg}; font-weight: bold; }}
QLabel[role="amount"] {{ font-size: {t.title_pt}pt; font-weight: bold; color: {t.warn_fg}; }}
QWidget[role="header"] {{ background-color: {t.header_bg}; }}
QWidget[role="header"] QLabel {{ color: {t.header_fg}; background-color: {t.header_bg}; }}
QWidget[role="header"] QLabel[role="title"] {{ font-size: {t.title_pt}pt; }}
QFrame[role="card"] {{ background-color: {t.card_bg}; border: 2px solid #b0b8c4; border-radius: 12px; }}
QFrame[role="card"] QLabel {{ background-color: {t.card_bg}; }}
QFrame[role="notice"], QFrame[role="notice"] QLabel, QFrame[role="notice"] QPushButton {{
    background-color: {t.accent_bg}; color: {t.accent_fg}; }}
QPushButton {{ min-height: {t.button_h}px; min-width: {t.button_h}px; padding: 4px 16px;
    border-radius: 12px; border: 3px solid {t.secondary_fg};
    background-color: {t.secondary_bg}; color: {t.secondary_fg}; font-weight: bold; }}
QPushButton[role="primary"] {{ background-color: {t.primary_bg}; color: {t.primary_fg}; border-color: {t.primary_bg}; }}
QPushButton[role="tile"] {{ font-size: {t.title_pt}pt; min-height: {t.button_h * 2}px; }}
QPushButton[role="key"] {{ font-size: {t.title_pt}pt; min-height: {t.key_h}px; min-width: {t.key_h}px; }}
QPushButton:checked {{ background-color: {t.primary_bg}; color: {t.primary_fg}; }}
QPushButton:disabled {{ background-color: {t.disabled_bg}; color: {t.disabled_fg}; border-color: {t.disabled_bg}; }}
QPushButton[role="primary"]:disabled {{ background-color: {t.disabled_bg}; color: {t.disabled_fg}; }}
QLineEdit {{ min-height: {t.button_h}px; font-size: {t.title_pt}pt; border: 3px solid {t.secondary_fg};
    border-radius: 8px; background-color: {t.card_bg}; color: {t.text}; padding: 0 12px; }}
QCheckBox {{ min-height: {t.button_h}px; background-color: {t.card_bg}; spacing: 16px; }}
QCheckBox::indicator {{ width: {t.button_h // 2}px; height: {t.button_h // 2}px; }}
QListWidget {{ background-color: {t.card_bg}; color: {t.text}; }}
QListWidget::item {{ min-height: {t.button_h}px; }}
QScrollBar:vertical {{ width: {t.button_h // 2}px; }}
"""


def _channel(c: int) -> float:
    s = c / 255.0
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def hex_rgb(color: str) -> tuple[int, int, int]:
    """``#rrggbb`` -> (r, g, b)."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 .. 21)."""
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)
