"""After identification: the function menu, the result of a flow, the survey and the
"请到人工窗口" screen."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from billing_core.money import format_yuan
from kiosk_app.screens.base import Screen
from kiosk_app.widgets import Choice, ChoiceList, button, card, label, row
from qt_common.qt import QButtonGroup, QPushButton, Qt, QVBoxLayout, QWidget, Signal

#: The menu's order (workflows.kiosk.functions names); the identify functions are not on it.
MENU = ("registration", "check_in", "outpatient", "prepay", "deposit", "discharge", "print_notice", "paper",
        "query", "survey")


class HomeScreen(Screen):
    """功能选择: who is served, the prepayment balance, and a tile per function (greyed with why)."""

    key = "home"
    title = "请选择业务"
    function = Signal(str)
    logout = Signal()

    def __init__(self) -> None:
        super().__init__()
        box, lay = card()
        self.who = label("", "title", name="homePatient")
        self.ids = label("", "hint", name="homeIds")
        self.balance = label("", name="homeBalance")
        for w in (self.who, self.ids, self.balance):
            lay.addWidget(w)
        self.body.addWidget(box)
        self.tiles = ChoiceList(columns=2, role="tile")
        self.tiles.chosen.connect(self.function.emit)
        self.body.addWidget(self.tiles)
        self.body.addStretch(1)
        self.body.addWidget(button("退出（取回卡片）", self.logout.emit, name="logout"))

    def show_patient(self, p: Any) -> None:
        """A :class:`workflows.kiosk.models.PatientSummary` (already masked)."""
        age = f" {p.age}岁" if p.age is not None else ""
        self.who.setText(f"{p.name}（{p.sex}{age}），您好")
        card_no = f"　就诊卡 {p.hospital_card}" if p.hospital_card else "　尚未办理就诊卡"
        self.ids.setText(f"身份证 {p.id_no_masked}　手机 {p.phone_masked}{card_no}")
        self.balance.setText(f"预交金余额：{format_yuan(p.prepay_balance)}")

    def show_functions(self, functions: Sequence[Any]) -> None:
        """``FunctionAvailability`` of each function; those on the menu become tiles."""
        by_name = {f.function: f for f in functions}
        self.tiles.set_choices([Choice(n, by_name[n].label, enabled=by_name[n].enabled, reason=by_name[n].reason)
                                for n in MENU if n in by_name])

    def clear(self) -> None:
        super().clear()
        for w in (self.who, self.ids, self.balance):
            w.clear()


class ResultScreen(Screen):
    """办理结果: done or not, what was printed, 已应急开票, and the way on."""

    key = "result"
    title = "办理结果"
    again = Signal()
    survey = Signal()
    finish = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.headline = label("", "big", name="resultHeadline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.headline)
        box, self.lines = card()
        self.body.addWidget(box)
        self.emergency = label("", "warn", name="resultEmergency")
        self.body.addWidget(self.emergency)
        self.body.addStretch(1)
        self.to_survey = button("评价本次服务", self.survey.emit, name="resultSurvey")
        self.body.addWidget(row(button("继续办理其他业务", self.again.emit, name="resultAgain"), self.to_survey))
        self.body.addWidget(button("完成，退出", self.finish.emit, role="primary", name="resultFinish"))
        self._rows: list[QWidget] = []

    def show_result(self, r: Any) -> None:
        """A :class:`workflows.kiosk.models.FlowResult`."""
        self.clear()
        self.headline.setText(("✔ " if r.ok else "✘ ") + r.message)
        self.headline.setProperty("role", "big")
        facts: list[tuple[str, str]] = []
        if r.amount and Decimal(r.amount) != 0:
            facts.append(("金额", format_yuan(r.amount)))
        if r.queue_no:
            facts.append(("就诊序号", str(r.queue_no)))
        if r.balance is not None:
            facts.append(("余额", format_yuan(r.balance)))
        if r.bill is not None:
            facts.append(("电子票据", f"{r.bill.bill_batch_code} {r.bill.bill_no}"))
        if r.receipt is not None:
            facts.append(("凭条", "已打印，请取走" if r.receipt.printed else "未打印"))
            if r.bill is not None:
                facts.append(("电子票据告知单", "已打印，请取走" if r.receipt.notice_printed else "未打印"))
            if r.receipt.message:
                facts.append(("提示", r.receipt.message))
        if r.order_no:
            facts.append(("订单号", r.order_no))
        if r.refunded:
            facts.append(("退款", "已原路退回"))
        if r.code:
            facts.append(("错误代码", r.code))
        for note in r.notes:
            facts.append(("说明", note))
        for k, v in facts:
            lab = label(f"{k}：{v}", name=f"fact_{k}")
            self.lines.addWidget(lab)
            self._rows.append(lab)
        if r.bill is not None and r.bill.emergency:
            self.emergency.setText("已应急开票：网络恢复后电子票据自动上传，可凭告知单查验")
        self.emergency.setVisible(bool(self.emergency.text()))

    def clear(self) -> None:
        super().clear()
        self.headline.clear()
        self.emergency.clear()
        for w in self._rows:
            self.lines.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self._rows = []


class SurveyScreen(Screen):
    """满意度评价: one row of big option buttons per question."""

    key = "survey"
    title = "满意度评价"
    submit = Signal(dict)

    def __init__(self) -> None:
        super().__init__()
        self.body.addWidget(label("您对本次自助服务满意吗？", "title"))
        self.form = QWidget()
        self.form_lay = QVBoxLayout(self.form)
        self.form_lay.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.form)
        self.body.addStretch(1)
        self.send = button("提交评价", self._send, role="primary", name="surveySubmit")
        self.body.addWidget(self.send)
        self.groups: dict[str, QButtonGroup] = {}
        self._widgets: list[QWidget] = []

    def show_questions(self, questions: Sequence[Any]) -> None:
        """``SurveyQuestion`` objects (key, text, options)."""
        self.clear()
        for q in questions:
            lab = label(q.text)
            self.form_lay.addWidget(lab)
            group = QButtonGroup(self)
            buttons = []
            for n, opt in enumerate(q.options):
                b = button(opt, name=f"opt_{q.key}_{n}")
                b.setCheckable(True)
                group.addButton(b, n)
                buttons.append(b)
            line = row(*buttons)
            self.form_lay.addWidget(line)
            self.groups[q.key] = group
            self._widgets += [lab, line]

    def choose(self, key: str, index: int) -> None:
        """Tap option ``index`` of question ``key``."""
        b = self.groups[key].button(index)
        assert isinstance(b, QPushButton)
        b.click()

    def _send(self) -> None:
        answers = {k: g.checkedButton().text() for k, g in self.groups.items() if g.checkedButton() is not None}
        if len(answers) < len(self.groups):
            self.say("请为每一项选择评价")
            return
        self.submit.emit(answers)

    def clear(self) -> None:
        super().clear()
        for w in self._widgets:
            self.form_lay.removeWidget(w)
            w.setParent(None)
            w.deleteLater()
        self._widgets = []
        self.groups = {}


class ErrorScreen(Screen):
    """"请到人工窗口": a problem the patient cannot solve here, with its code for the staff."""

    key = "error"
    title = "请到人工窗口"
    home = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.headline = label("抱歉，本机暂时无法办理", "big", name="errorHeadline")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body.addWidget(self.headline)
        self.text = label("", name="errorText")
        self.body.addWidget(self.text)
        self.code = label("", "hint", name="errorCode")
        self.body.addWidget(self.code)
        self.body.addWidget(label("请持凭条或身份证件到人工收费窗口办理，工作人员会为您处理。", "hint"))
        self.body.addStretch(1)
        self.body.addWidget(button("返回首页", self.home.emit, role="primary", name="errorHome"))

    def show_error(self, code: str, message: str, ref: str = "") -> None:
        """Code and Chinese message (never a stack trace); ``ref`` = the order staff look up."""
        self.text.setText(message)
        self.code.setText(f"错误代码：{code}" + (f"　订单号：{ref}" if ref else ""))

    def clear(self) -> None:
        super().clear()
        self.text.clear()
        self.code.clear()
