"""Cards and clinic visits: 办就诊卡, 挂号 (department -> doctor -> slot) and appointments."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from billing_core.money import format_yuan
from kiosk_app.screens.base import Screen
from kiosk_app.widgets import Choice, ChoiceList, Keypad, button, card, entry, label, row
from qt_common.qt import QVBoxLayout, QWidget, Signal


class RegisterCardScreen(Screen):
    """办就诊卡: the ID card is read, the patient types a phone number (required), picks the
    first top-up (the HIS opens a card only with one) and confirms."""

    key = "register_card"
    title = "办理就诊卡"
    with_patient = False
    read_id = Signal()
    submit = Signal(str, object)  # phone, first top-up (Decimal)
    TOP_UPS = ("50", "100", "200", "500")

    def __init__(self) -> None:
        super().__init__()
        self.step = label("第一步：请将身份证放在感应区", "title", name="registerStep")
        self.body.addWidget(self.step)
        box, lay = card()
        self.person = label("", name="registerPerson")
        self.id_line = label("", name="registerId")
        self.address = label("", "hint", name="registerAddress")
        for w in (self.person, self.id_line, self.address):
            lay.addWidget(w)
        self.person_box = box
        self.body.addWidget(box)
        self.read = button("读取身份证", self.read_id.emit, role="primary", name="registerRead")
        self.body.addWidget(self.read)
        self.phone = entry("请输入本人手机号（必填）", 11, "registerPhone")
        self.body.addWidget(self.phone)
        self.keypad = Keypad(self.phone)
        self.body.addWidget(self.keypad)
        self.top_up_hint = label("首次充值金额（存入预交金）", "title", name="registerTopUpHint")
        self.body.addWidget(self.top_up_hint)
        self.top_ups = ChoiceList(columns=3)
        self.top_ups.chosen.connect(self._top_up_chosen)
        self.body.addWidget(self.top_ups)
        self.top_up = Decimal("0.00")
        self.minimum = Decimal("10.00")
        self.confirm = button("确认办卡", self._submit, role="primary", name="registerConfirm")
        self.body.addWidget(self.confirm)
        self.body.addStretch(1)
        self.clear()
        self.set_minimum(self.minimum)

    def show_id(self, v: Any) -> None:
        """An :class:`workflows.kiosk.models.IdCardView` (ID masked): on to the phone number."""
        self.person.setText(f"姓名：{v.name}　性别：{v.sex}　出生：{v.birth_date:%Y年%m月%d日}")
        self.id_line.setText(f"身份证号：{v.id_no_masked}")
        self.address.setText(f"住址：{v.address}" + ("（已有档案，将为您补办就诊卡）" if v.known_patient else ""))
        self.step.setText("第二步：请输入手机号，选择首次充值金额后确认")
        for w in (self.person_box, self.phone, self.keypad, self.top_up_hint, self.top_ups, self.confirm):
            w.show()
        self.read.hide()

    def set_minimum(self, minimum: Decimal) -> None:
        """The smallest first top-up the HIS accepts: the presets start there (it is pre-chosen)."""
        self.minimum = minimum
        amounts = sorted({minimum.quantize(Decimal("0.01"))}
                         | {Decimal(a).quantize(Decimal("0.01")) for a in self.TOP_UPS if Decimal(a) > minimum})
        self.top_ups.set_choices([Choice(f"{a}", f"{a.normalize():f}元") for a in amounts])
        self._top_up_chosen(f"{amounts[0]}")

    def _top_up_chosen(self, amount: str) -> None:
        self.top_up = Decimal(amount)
        for key, b in self.top_ups.buttons.items():
            b.setProperty("role", "primary" if key == amount else "")
            b.style().unpolish(b)
            b.style().polish(b)
        self.top_up_hint.setText(f"首次充值金额：{format_yuan(self.top_up)}（存入预交金，不低于{format_yuan(self.minimum)}）")

    def _submit(self) -> None:
        phone = self.phone.text()
        if len(phone) != 11 or not phone.isdigit() or not phone.startswith("1"):
            self.say("手机号：请输入11位手机号码")
            return
        self.say("")
        self.submit.emit(phone, self.top_up)

    def clear(self) -> None:
        super().clear()
        for w in (self.person, self.id_line, self.address):
            w.clear()
        self.phone.clear()
        self.step.setText("第一步：请将身份证放在感应区")
        for w in (self.person_box, self.phone, self.keypad, self.top_up_hint, self.top_ups, self.confirm):
            w.hide()
        self.read.show()


class RegistrationScreen(Screen):
    """挂号: department, then doctor (or the department's ordinary clinic), then a slot with its
    remaining count; a slot with none left is greyed."""

    key = "registration"
    title = "挂号预约"
    department = Signal(str)
    doctor = Signal(str)
    slot = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.stage = "departments"
        self.heading = label("请选择科室", "title", name="registrationHeading")
        self.body.addWidget(self.heading)
        self.crumbs = label("", "hint", name="registrationCrumbs")
        self.body.addWidget(self.crumbs)
        self.list = ChoiceList(columns=2)
        self.list.chosen.connect(self._chosen)
        self.body.addWidget(self.list)
        self.body.addStretch(1)

    def show_departments(self, departments: Sequence[Any]) -> None:
        """``DepartmentView`` list."""
        self.stage = "departments"
        self.heading.setText("请选择科室")
        self.crumbs.setText("")
        self.list.set_choices([Choice(d.dept_code, d.name, d.location) for d in departments])

    def show_doctors(self, dept_name: str, doctors: Sequence[Any]) -> None:
        """``DoctorView`` list of one department (the empty key = any doctor, 普通号)."""
        self.stage = "doctors"
        self.heading.setText("请选择医生")
        self.crumbs.setText(f"科室：{dept_name}")
        choices = [Choice("", "普通门诊（不指定医生）")]
        choices += [Choice(d.doctor_code, d.name, d.title + ("　专家" if d.expert else "")) for d in doctors]
        self.list.set_choices(choices)

    def show_slots(self, crumbs: str, slots: Sequence[Any]) -> None:
        """``SlotView`` list with remaining counts."""
        self.stage = "slots"
        self.heading.setText("请选择就诊时段")
        self.crumbs.setText(crumbs)
        self.list.set_choices([
            Choice(str(s.slot_id), f"{s.day:%m月%d日} {s.period}　{s.slot_type}号　{format_yuan(s.fee)}",
                   f"{s.doctor_name or '普通门诊'}　剩余 {s.remaining}/{s.total}", enabled=s.remaining > 0,
                   reason="已约满") for s in slots])
        if not slots:
            self.say("该医生近期没有可挂的号，请选择其他医生", "hint")

    def _chosen(self, key: str) -> None:
        if self.stage == "departments":
            self.department.emit(key)
        elif self.stage == "doctors":
            self.doctor.emit(key)
        else:
            self.slot.emit(int(key))

    def clear(self) -> None:
        super().clear()
        self.list.clear()
        self.crumbs.clear()
        self.stage = "departments"


class AppointmentsScreen(Screen):
    """预约签到: each appointment with 签到 (today, booked) and 取消预约 (booked)."""

    key = "appointments"
    title = "预约签到 / 取消"
    check_in = Signal(str)
    cancel = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.heading = label("您的预约", "title")
        self.body.addWidget(self.heading)
        self.box = QWidget()
        self.lay = QVBoxLayout(self.box)
        self.lay.setContentsMargins(0, 0, 0, 0)
        self.lay.setSpacing(16)
        self.body.addWidget(self.box)
        self.body.addStretch(1)
        self._rows: list[QWidget] = []

    def show_appointments(self, items: Sequence[Any]) -> None:
        """``AppointmentView`` list."""
        self.clear()
        if not items:
            self.say("没有查到您的预约", "hint")
        for a in items:
            frame, lay = card()
            lay.addWidget(label(f"{a.dept_name}　{a.doctor_name or '普通门诊'}　{format_yuan(a.fee)}"))
            lay.addWidget(label(f"{a.day:%Y年%m月%d日} {a.period}　{a.status_text}"
                                + (f"　序号 {a.queue_no}" if a.queue_no else ""), "hint"))
            buttons = []
            if a.can_check_in:
                buttons.append(button("签到", lambda n=a.appointment_no: self.check_in.emit(n), role="primary",
                                      name=f"checkin_{a.appointment_no}"))
            if a.can_cancel:
                buttons.append(button("取消预约", lambda n=a.appointment_no: self.cancel.emit(n),
                                      name=f"cancel_{a.appointment_no}"))
            if buttons:
                lay.addWidget(row(*buttons))
            self.lay.addWidget(frame)
            self._rows.append(frame)

    def clear(self) -> None:
        super().clear()
        for w in self._rows:
            self.lay.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self._rows = []
