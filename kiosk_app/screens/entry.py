"""The way in: the attract screen (待机) and identification (card, ID, e-voucher, 就诊卡, face)."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk_app.screens.base import Screen
from kiosk_app.widgets import Choice, ChoiceList, Keypad, button, entry, label, row
from qt_common.qt import QLabel, QPixmap, QPushButton, Qt, Signal

#: The identification methods in the order the attract screen offers them (workflows.kiosk names).
METHODS = (("ssc", "社保卡", "插入社保卡"), ("id_card", "身份证", "放置身份证"),
           ("e_voucher", "医保电子凭证", "出示医保码"), ("hospital_card", "就诊卡", "输入就诊卡号"),
           ("face", "刷脸", "人脸识别"))


class AttractScreen(Screen):
    """待机: the call to action, the identification choices and the 长辈模式 switch."""

    key = "attract"
    title = "自助服务"
    idle_reset = False
    with_patient = False
    identify = Signal(str)
    elderly = Signal(bool)
    register_card = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.call = label("请插卡 / 扫码 / 刷脸", "big", name="attractCall")
        self.call.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.call)
        self.hint = label("请选择身份识别方式，按屏幕提示操作", "hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.hint)
        self.methods = ChoiceList(columns=2, role="tile")
        self.methods.chosen.connect(self.identify.emit)
        self.body.addWidget(self.methods)
        self.new_card = button("首次就诊？办理就诊卡", self.register_card.emit, name="registerCard")
        self.body.addWidget(self.new_card)
        self.body.addStretch(1)
        self.elderly_switch = button("长辈模式：关", name="elderlySwitch")
        self.elderly_switch.setCheckable(True)
        self.elderly_switch.toggled.connect(self._toggled)
        self.body.addWidget(self.elderly_switch)
        self.set_methods([Choice(k, t, d) for k, t, d in METHODS])

    def set_methods(self, choices: Sequence[Choice]) -> None:
        """The identification choices (a broken reader's choice is greyed with its reason)."""
        self.methods.set_choices(choices)

    def set_register_enabled(self, enabled: bool, reason: str = "") -> None:
        """办就诊卡 needs the ID reader and the printer."""
        self.new_card.setEnabled(enabled)
        self.new_card.setText("首次就诊？办理就诊卡" + ("" if enabled else f"\n（{reason}）"))

    def set_elderly(self, on: bool) -> None:
        """Show the switch's state without emitting."""
        self.elderly_switch.blockSignals(True)
        self.elderly_switch.setChecked(on)
        self.elderly_switch.blockSignals(False)
        self.elderly_switch.setText(f"长辈模式：{'开' if on else '关'}")

    def _toggled(self, on: bool) -> None:
        self.elderly_switch.setText(f"长辈模式：{'开' if on else '关'}")
        self.elderly.emit(on)


class IdentifyScreen(Screen):
    """Waiting for the card / code / face; 就诊卡 and the face's phone number on the keypad."""

    key = "identify"
    title = "身份识别"
    with_patient = False
    hospital_card = Signal(str)
    face = Signal(str)  # the phone number the face is registered with
    retry = Signal()

    PROMPTS = {
        "ssc": ("请将社保卡插入读卡器", "芯片朝上，插到底后请勿拔出"),
        "id_card": ("请将身份证放在感应区", "放平，读卡完成前请勿移开"),
        "e_voucher": ("请出示医保电子凭证二维码", "打开微信或支付宝中的医保电子凭证，对准下方扫码口"),
        "hospital_card": ("请输入就诊卡号", "就诊卡背面的数字"),
        "face": ("请输入手机号后正对摄像头", "摘下帽子和口罩，保持不动"),
    }

    def __init__(self) -> None:
        super().__init__()
        self.method = ""
        self.prompt = label("", "title", name="identifyPrompt")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.prompt)
        self.detail = label("", "hint")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.detail)
        self.preview = QLabel()
        self.preview.setObjectName("cameraPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(420)
        self.body.addWidget(self.preview)
        self.field = entry("", 20, "identifyField")
        self.body.addWidget(self.field)
        self.keypad = Keypad(self.field)
        self.body.addWidget(self.keypad)
        self.ok = button("确定", self._submit, role="primary", name="identifyOk")
        self.again = button("重新识别", self.retry.emit, name="identifyRetry")
        self.body.addWidget(row(self.again, self.ok))
        self.body.addStretch(1)
        self.show_method("ssc")

    def show_method(self, method: str) -> None:
        """Lay the screen out for one method (clears what was typed)."""
        self.clear()
        self.method = method
        title, detail = self.PROMPTS[method]
        self.prompt.setText(title)
        self.detail.setText(detail)
        typed = method in ("hospital_card", "face")
        self.field.setVisible(typed)
        self.keypad.setVisible(typed)
        self.ok.setVisible(typed)
        self.field.setPlaceholderText("手机号" if method == "face" else "就诊卡号")
        self.field.setMaxLength(11 if method == "face" else 20)
        self.preview.setVisible(method == "face")
        self.again.setVisible(False)

    def show_frame(self, jpeg: bytes) -> None:
        """The camera's picture (the captured face) in the preview."""
        pix = QPixmap()
        pix.loadFromData(jpeg)
        self.preview.setPixmap(pix.scaledToHeight(400, Qt.TransformationMode.SmoothTransformation))

    def failed(self, text: str) -> None:
        """A refusal (card unreadable, not found ...): say it and offer to try again."""
        self.say(text)
        self.again.setVisible(True)

    def _submit(self) -> None:
        value = self.field.text().strip()
        if self.method == "face":
            if len(value) != 11 or not value.isdigit():
                self.say("请输入11位手机号")
                return
            self.face.emit(value)
        elif value:
            self.hospital_card.emit(value)
        else:
            self.say("请输入就诊卡号")

    def clear(self) -> None:
        super().clear()
        self.field.clear()
        self.preview.clear()


def tile_button(screen: Screen, key: str) -> QPushButton:
    """The button of a choice on a screen (tests and screenshots tap it)."""
    for w in screen.findChildren(QPushButton):
        if w.objectName() == f"choice_{key}":
            return w
    raise KeyError(key)
