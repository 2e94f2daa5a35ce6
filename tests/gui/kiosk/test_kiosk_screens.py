"""The kiosk window's screens, each filled with real view models (kiosk_app.samples), walked
widget by widget: 长辈模式 holds its three numbers on every screen, the normal look does not
(so the check can fail), and the idle countdown shows and then clears every trace of the patient.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from kiosk_app.audit import all_texts, colours, elderly_problems, layout_problems, shown  # noqa: E402
from kiosk_app.samples import PATIENT, SCREENS, SECRETS, fill  # noqa: E402
from kiosk_app.theme import ELDERLY, NORMAL, SCREEN_H, SCREEN_W, contrast, hex_rgb  # noqa: E402
from kiosk_app.window import KioskWindow  # noqa: E402
from qt_common.fonts import install_app_font  # noqa: E402
from qt_common.qt import QLabel, QPushButton, Qt  # noqa: E402


@pytest.fixture
def win(qtbot, qapp):
    install_app_font(qapp)
    w = KioskWindow("演示市人民医院", idle_s=0.4, countdown_s=1.2)
    qtbot.addWidget(w)
    w.resize(SCREEN_W, SCREEN_H)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


@pytest.mark.parametrize("key", SCREENS)
def test_elderly_mode_numbers_on_every_screen(qtbot, win, key):
    """GIVEN 长辈模式 WHEN any screen shows sample data THEN every visible text is >= 18 pt, every
    button / field / check box is >= 60x60 px, every text colour has >= 4.5:1 contrast, and
    nothing is cut off."""
    win.set_elderly(True)
    fill(win, key)
    qtbot.wait(10)
    assert win.current().key == key
    texts = [w for w in shown(win) if isinstance(w, QLabel | QPushButton) and w.text()]
    assert len(texts) >= 3, "the screen shows too little to check"
    assert elderly_problems(win) == []
    assert layout_problems(win) == []


def test_normal_look_fails_the_elderly_check(qtbot, win):
    """The check can fail: the normal look has hints below 18 pt."""
    fill(win, "attract")
    qtbot.wait(10)
    assert any("pt <" in p for p in elderly_problems(win))


def test_switch_changes_sizes_and_back(qtbot, win):
    """The 长辈模式 switch on the attract screen is the theme switch (and it survives a reset)."""
    hint = win.attract.hint
    normal_pt = hint.font().pointSizeF()
    qtbot.mouseClick(win.attract.elderly_switch, Qt.MouseButton.LeftButton)
    assert win.theme is ELDERLY
    assert win.attract.elderly_switch.text() == "长辈模式：开"
    assert hint.font().pointSizeF() >= 18 > normal_pt
    win.reset()
    assert win.theme is ELDERLY
    win.set_elderly(False)
    assert win.theme is NORMAL and hint.font().pointSizeF() == normal_pt


def test_contrast_formula():
    """WCAG reference values: black on white 21:1, #777 on white ~4.48:1 (fails AA)."""
    assert contrast(hex_rgb("#000000"), hex_rgb("#ffffff")) == pytest.approx(21.0)
    assert contrast(hex_rgb("#777777"), hex_rgb("#ffffff")) == pytest.approx(4.48, abs=0.01)
    for t in (NORMAL, ELDERLY):
        assert contrast(hex_rgb(t.header_fg), hex_rgb(t.header_bg)) >= 4.5


def test_label_on_card_uses_card_colour(qtbot, win):
    """A transparent label's background is what is behind it (the audit walks up to it)."""
    fill(win, "home")
    qtbot.wait(10)
    fg, bg = colours(win.home.balance)
    assert bg == hex_rgb(NORMAL.card_bg)


def test_idle_countdown_then_no_patient_data_left(qtbot, win):
    """GIVEN a patient on the outpatient screen WHEN nobody touches the screen THEN the countdown
    shows, then the attract screen comes back and no widget holds any of the patient's data."""
    for key in SCREENS:  # data on every screen, as if the patient had visited them all
        fill(win, key)
    fill(win, "outpatient")
    before = "\n".join(all_texts(win))
    assert PATIENT.name in before and "352.00" in before and "1228" in before
    expired = []
    win.idle_expired.connect(lambda: expired.append(True))
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=3000)
    assert "秒后将返回首页" in win.notice_text.text()
    qtbot.waitUntil(lambda: bool(expired), timeout=4000)
    assert win.current().key == "attract" and not win.notice.isVisible()
    qtbot.wait(50)  # deleteLater of the cleared rows
    left = "\n".join(all_texts(win))
    found = [s for s in SECRETS + ("352.00", "陈建华", "ZY", "A0001", "S0001") if s in left]
    assert found == [], f"patient data left after the idle reset: {found}"


def test_touch_during_countdown_keeps_the_patient(qtbot, win):
    """A touch during the countdown hides it and keeps the screen."""
    fill(win, "home")
    qtbot.waitUntil(lambda: win.notice.isVisible(), timeout=3000)
    qtbot.mouseClick(win.keep, Qt.MouseButton.LeftButton)
    assert not win.notice.isVisible() and win.current().key == "home"
    assert PATIENT.name in "\n".join(all_texts(win))


def test_no_idle_reset_while_paying(qtbot, win):
    """The payment screen disarms the idle reset: money is never abandoned by a timer."""
    fill(win, "payment")
    qtbot.wait(2000)
    assert win.current().key == "payment" and not win.notice.isVisible()
