"""住院医保 at the nurse station: the selected stay's insurance record (state, fee days uploaded
and reversed, the steps done) and the way back one step at a time — 撤销医保结算 (2305),
撤销出院登记 (2405), 撤销所选日费用 (2302), 撤销入院登记 (2404) — plus 入院信息变更 (2403) and
重新上传费用. Each reversal asks for a reason and a confirmation; the server's refusal of a step
out of order is shown as it says it. Thin over :class:`workflows.ward.way_back.InsuredWayBack`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cashier_app.pages.common import MessageLine, line
from cashier_app.pages.ward_common import WardContext, fill, table
from qt_common.qt import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget
from workflows.ward.board import WardRow
from workflows.ward.way_back import describe


def ask(parent: QWidget, text: str) -> bool:
    """A yes/no confirmation box (the page's default ``confirm``)."""
    answer = QMessageBox.question(parent, "确认撤销", text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return bool(answer == QMessageBox.StandardButton.Yes)


class WardInsuredPage(QWidget):
    """The insured stay selected on the ward list (``pick`` gives it)."""

    def __init__(self, ctx: WardContext, pick: Any) -> None:
        super().__init__()
        self.ctx, self.pick = ctx, pick
        self.row: WardRow | None = None
        #: asks the nurse to confirm a reversal (tests replace it; the default is a message box)
        self.confirm: Callable[[str], bool] = lambda text: ask(self, text)
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        load = QPushButton("读取医保记录")
        load.setObjectName("wardBackLoad")
        load.clicked.connect(self.load)
        self.head = QLabel("请在病区一览中选择患者")
        self.head.setObjectName("wardBackHead")
        self.head.setWordWrap(True)
        top.addWidget(load)
        top.addWidget(self.head, 1)
        root.addLayout(top)
        self.state = QLabel()
        self.state.setObjectName("wardBackState")
        self.state.setWordWrap(True)
        root.addWidget(self.state)
        root.addWidget(QLabel("已上传费用（按日批次；选中一天可撤销该日费用）"))
        self.days = table(["费用日期", "明细条数", "未撤销条数", "状态"], "wardBackDays")
        root.addWidget(self.days, 2)
        reason = QHBoxLayout()
        self.reason = line("撤销 / 变更原因（必填）", "wardBackReason")
        reason.addWidget(QLabel("原因"))
        reason.addWidget(self.reason, 1)
        root.addLayout(reason)
        steps = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, label in (("cancel_settlement", "撤销医保结算"), ("cancel_discharge", "撤销出院登记"),
                           ("cancel_fees", "撤销所选日费用"), ("cancel_admission", "撤销入院登记"),
                           ("upload", "重新上传费用")):
            b = QPushButton(label)
            b.setObjectName(f"wardBack_{key}")
            b.clicked.connect(lambda _=False, k=key: self.step(k))
            self.buttons[key] = b
            steps.addWidget(b)
        root.addLayout(steps)
        info = QHBoxLayout()
        self.disease = line("新诊断（编码 名称）", "wardInfoDisease")
        self.dept = line("新科室（编码 名称）", "wardInfoDept")
        self.doctor = line("新主治医师（工号 姓名）", "wardInfoDoctor")
        change = QPushButton("变更入院信息")
        change.setObjectName("wardInfoChange")
        change.clicked.connect(self.change_info)
        for w in (QLabel("入院信息变更"), self.disease, self.dept, self.doctor, change):
            info.addWidget(w)
        root.addLayout(info)
        self.message = MessageLine("wardBackMessage")
        root.addWidget(self.message)
        root.addWidget(QLabel("医保办理记录"))
        self.log = table(["时间", "步骤", "原因", "结果"], "wardBackLog")
        root.addWidget(self.log, 2)

    # --- reading --------------------------------------------------------------------------------

    def _picked(self) -> WardRow | None:
        self.row = self.pick()
        if self.row is None:
            self.message.bad("请先在病区一览中选择患者")
        else:
            r = self.row
            self.head.setText(f"{r.bed} {r.name} 住院号{r.admission_no} {r.dept_name}")
        return self.row

    def load(self) -> None:
        """Read the selected stay's insurance record."""
        row = self._picked()
        if row is not None:
            self._refresh(row.admission_no)

    def _refresh(self, admission_no: str) -> None:
        ins = self.ctx.ward.insurance
        self.ctx.tasks.run(lambda: describe(ins.record(admission_no), ins.batches(admission_no)), self._show,
                           self._failed)

    def _show(self, view: dict[str, Any]) -> None:
        self.state.setText(str(view["head"]))
        fill(self.days, view["days"])
        fill(self.log, view["log"])

    # --- steps ----------------------------------------------------------------------------------

    def step(self, key: str) -> None:
        """One step of the way back (or the re-upload), after a reason and a confirmation."""
        row = self._picked()
        if row is None:
            return
        no, reason = row.admission_no, self.reason.text().strip()
        back, ins = self.ctx.ward.insurance.back, self.ctx.ward.insurance
        if key == "upload":
            self.ctx.tasks.run(lambda: ins.upload_fees(no), lambda n: self._did(no, f"已上传{n}个日批次费用"),
                               self._failed_for(no))
            return
        if not reason:
            self.message.bad("原因：请填写撤销原因")
            return
        label = self.buttons[key].text()
        work: Callable[[], Any]
        if key == "cancel_fees":
            picked = self.days.currentRow()
            if picked < 0:
                self.message.bad("费用日期：请先选中要撤销的费用日期")
                return
            day = self.days.item(picked, 0).text()
            label = f"撤销{day}的已上传费用"
            work = lambda: back.cancel_fees(no, reason, day=day)  # noqa: E731
        else:
            work = lambda: getattr(back, key)(no, reason)  # noqa: E731
        if not self.confirm(f"确定{label}？\n住院号{no} {row.name}\n原因：{reason}"):
            self.message.info("已取消")
            return
        self.message.info(f"正在{label}…")
        self.ctx.tasks.run(work, lambda _rec: self._did(no, f"{label}完成"), self._failed_for(no))

    def change_info(self) -> None:
        """入院信息变更 (2403): the filled fields only."""
        row = self._picked()
        if row is None:
            return
        fields: dict[str, str] = {}
        for box, (code, name) in ((self.disease, ("diseCodg", "diseName")), (self.dept, ("deptCode", "deptName")),
                                  (self.doctor, ("atddrNo", "drName"))):
            text = box.text().strip()
            if text:
                left, _, right = text.partition(" ")
                if not right.strip():
                    self.message.bad(f"{box.placeholderText()}：请输入编码和名称，中间空一格")
                    return
                fields |= {code: left, name: right.strip()}
        no, reason = row.admission_no, self.reason.text().strip() or "入院信息变更"
        back = self.ctx.ward.insurance.back
        self.ctx.tasks.run(lambda: back.change_info(no, reason, **fields),
                           lambda _rec: self._did(no, "入院信息变更完成"), self._failed_for(no))

    def _did(self, admission_no: str, text: str) -> None:
        self.message.ok(text)
        self._refresh(admission_no)

    def _failed_for(self, admission_no: str) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self._failed(exc)
            self._refresh(admission_no)  # a refusal is on the record's log too
        return failed

    def _failed(self, exc: BaseException) -> None:
        self.message.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)
