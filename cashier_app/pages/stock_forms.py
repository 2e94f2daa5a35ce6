"""The forms of the stock workspace (cashier_app/pages/stock.py): 期初库存, 票据申领 and
入库确认, 分发 / 收回, 作废 / 申退, 预警设置. Thin: every button runs one StockDesk call through
the page's task runner; StockDesk checks the input (E3070-E3089) before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from cashier_app.pages.common import chain_enter, combo, line
from qt_common.qt import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.stock_desk import DEFAULT_BILL_CODE, StockDesk


class StockPage(Protocol):
    """What a form needs of its page (cashier_app.pages.stock.StockPage)."""

    desk: StockDesk

    def run(self, call: Callable[[], Any], done: str) -> None: ...

PAPER_BATCH = "44060126"
APPLY_STATE = {"applied": "待审批", "approved": "已批准", "rejected": "未批准", "confirmed": "已入库"}
POINTS = (("001", "001 门诊收费处"), ("002", "002 住院收费处"), ("003", "003 挂号处"), ("004", "004 体检中心"),
          ("005", "005 自助机"))


def when(ts17: str | None) -> str:
    """yyyyMMddHHmmssSSS as "yyyy-MM-dd HH:mm" ("" when empty)."""
    t = ts17 or ""
    return f"{t[:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}" if len(t) >= 12 else t


def _button(text: str, name: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    return b


class ApplyForm(QWidget):
    """期初库存, 票据申领 and the applications with 刷新审批 / 入库确认."""

    def __init__(self, page: StockPage) -> None:
        super().__init__()
        self.page = page
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        opening = QGroupBox("期初库存（上线时库房已有的票据）")
        of = QFormLayout(opening)
        self.o_code, self.o_batch = line("0602", "openingCode"), line("票据代码", "openingBatch")
        self.o_code.setText(DEFAULT_BILL_CODE)
        self.o_batch.setText(PAPER_BATCH)
        self.o_first, self.o_last = line("起始号码", "openingFirst"), line("终止号码", "openingLast")
        self.o_name = line("票据名称", "openingName")
        self.o_name.setText("医疗收费票据（机打）")
        for label, w in (("票据种类", self.o_code), ("票据名称", self.o_name), ("票据代码", self.o_batch),
                         ("起始号码", self.o_first), ("终止号码", self.o_last)):
            of.addRow(label, w)
        self.o_btn = _button("登记期初库存", "openingButton")
        self.o_btn.clicked.connect(self.opening)
        of.addRow(self.o_btn)
        chain_enter([self.o_code, self.o_name, self.o_batch, self.o_first, self.o_last], self.opening)
        left.addWidget(opening)
        apply = QGroupBox("票据申领（报财政审批）")
        af = QFormLayout(apply)
        self.a_code, self.a_count = line("0602", "applyCode"), line("申领张数", "applyCount")
        self.a_code.setText(DEFAULT_BILL_CODE)
        self.a_reason = line("申领原因", "applyReason")
        for label, w in (("票据种类", self.a_code), ("申领数量", self.a_count), ("申领原因", self.a_reason)):
            af.addRow(label, w)
        self.a_btn = _button("提交申领", "applyButton")
        self.a_btn.clicked.connect(self.apply)
        af.addRow(self.a_btn)
        chain_enter([self.a_code, self.a_count, self.a_reason], self.apply)
        left.addWidget(apply)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(QLabel("申领单（选中一行后刷新审批结果或入库确认）"))
        self.applies = BillTable(["申领单号", "种类", "数量", "状态", "审批意见", "下达号段", "申领时间"], stretch=5)
        self.applies.setObjectName("stockApplies")
        right.addWidget(self.applies, 1)
        btns = QHBoxLayout()
        self.r_btn = _button("刷新审批结果", "applyRefreshButton")
        self.r_btn.clicked.connect(self.refresh_apply)
        self.c_btn = _button("入库确认", "confirmButton")
        self.c_btn.clicked.connect(self.confirm)
        btns.addWidget(self.r_btn)
        btns.addWidget(self.c_btn)
        btns.addStretch(1)
        right.addLayout(btns)
        root.addLayout(left, 2)
        root.addLayout(right, 3)
        self._rows: list[dict[str, Any]] = []

    def show_applies(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows
        self.applies.set_rows([[r["applyNo"], r["billCode"], str(r["count"]), APPLY_STATE.get(r["state"], r["state"]),
                                r["opinion"] or "", "；".join(f"{x['billBgnNo']}-{x['billEndNo']}" for x in r["billNoList"]),
                                when(r["appliedAt"])] for r in rows])

    def selected(self) -> str:
        row = self.applies.currentRow()
        return str(self._rows[row]["applyNo"]) if 0 <= row < len(self._rows) else ""

    def opening(self) -> None:
        desk, args = self.page.desk, (self.o_code.text(), self.o_batch.text(), self.o_first.text(),
                                      self.o_last.text(), self.o_name.text())
        self.page.run(lambda: desk.opening(*args), f"期初库存已登记：{args[2]}-{args[3]}")

    def apply(self) -> None:
        desk, args = self.page.desk, (self.a_code.text(), self.a_count.text(), self.a_reason.text())
        self.page.run(lambda: desk.apply(*args), f"申领已提交财政审批：{args[1]}张")

    def refresh_apply(self) -> None:
        desk, no = self.page.desk, self.selected()
        self.page.run(lambda: desk.refresh_apply(no), "已刷新审批结果")

    def confirm(self) -> None:
        desk, no = self.page.desk, self.selected()
        self.page.run(lambda: desk.confirm(no), "入库确认完成，票据已进入财务库房")


class MoveForm(QWidget):
    """A range and two actions: 分发 / 收回, or 作废 / 申退."""

    LABELS = {"distribute": "分发", "recall": "收回", "void": "作废", "return": "申退"}

    def __init__(self, page: StockPage, actions: tuple[str, str], name: str) -> None:
        super().__init__()
        self.page, self.actions = page, actions
        root = QVBoxLayout(self)
        box = QGroupBox("号段")
        form = QFormLayout(box)
        self.batch = line("票据代码", f"{name}Batch")
        self.batch.setText(PAPER_BATCH)
        self.first, self.last = line("起始号码", f"{name}First"), line("终止号码", f"{name}Last")
        form.addRow("票据代码", self.batch)
        form.addRow("起始号码", self.first)
        form.addRow("终止号码", self.last)
        fields: list[QWidget] = [self.batch, self.first, self.last]
        self.place = combo(POINTS, f"{name}Place")
        self.terminal = line("终端编号（可不填，分发到整个开票点）", f"{name}Terminal")
        self.reason = line("原因", f"{name}Reason")
        if "distribute" in actions:
            form.addRow("分发到开票点", self.place)
            form.addRow("终端", self.terminal)
            fields += [self.place, self.terminal]
        form.addRow("原因", self.reason)
        fields.append(self.reason)
        root.addWidget(box)
        row = QHBoxLayout()
        self.buttons = {}
        for action in actions:
            b = _button(self.LABELS[action], f"{name}_{action}")
            b.clicked.connect(lambda _c=False, a=action: self.act(a))
            self.buttons[action] = b
            row.addWidget(b)
        row.addStretch(1)
        root.addLayout(row)
        root.addStretch(1)
        chain_enter(fields)

    def act(self, action: str) -> None:
        desk = self.page.desk
        batch, first, last, reason = self.batch.text(), self.first.text(), self.last.text(), self.reason.text()
        place, terminal = str(self.place.currentData() or ""), self.terminal.text()
        calls = {
            "distribute": lambda: desk.distribute(batch, first, last, place, terminal),
            "recall": lambda: desk.recall(batch, first, last, reason),
            "void": lambda: desk.void(batch, first, last, reason),
            "return": lambda: desk.give_back(batch, first, last, reason),
        }
        where = f"到开票点{place}" + (f"终端{terminal.strip()}" if terminal.strip() else "") if action == "distribute" else ""
        self.page.run(calls[action], f"{self.LABELS[action]}完成：{first}-{last}{where}")


class ThresholdForm(QWidget):
    """库存不足预警: a minimum per point (or the store) and kind."""

    def __init__(self, page: StockPage) -> None:
        super().__init__()
        self.page = page
        root = QHBoxLayout(self)
        box = QGroupBox("预警值")
        form = QFormLayout(box)
        self.place = combo((("", "财务库房"), *POINTS), "thresholdPlace")
        self.terminal = line("终端编号（可不填）", "thresholdTerminal")
        self.code = line("0602", "thresholdCode")
        self.code.setText(DEFAULT_BILL_CODE)
        self.minimum = line("低于此张数时预警", "thresholdMin")
        for label, w in (("开票点", self.place), ("终端", self.terminal), ("票据种类", self.code),
                         ("预警值（张）", self.minimum)):
            form.addRow(label, w)
        self.save = _button("保存预警值", "thresholdButton")
        self.save.clicked.connect(self.store)
        form.addRow(self.save)
        chain_enter([self.place, self.terminal, self.code, self.minimum], self.store)
        root.addWidget(box, 2)
        self.table = BillTable(["开票点", "终端", "票据种类", "预警值"], stretch=0)
        self.table.setObjectName("stockThresholds")
        root.addWidget(self.table, 3)

    def show_thresholds(self, rows: list[dict[str, Any]]) -> None:
        self.table.set_rows([[r["placeCode"] or "财务库房", r["terminalId"] or "（全部）", r["billCode"],
                              str(r["minCount"])] for r in rows])

    def store(self) -> None:
        desk = self.page.desk
        place, code, minimum, terminal = (str(self.place.currentData() or ""), self.code.text(), self.minimum.text(),
                                          self.terminal.text())
        self.page.run(lambda: desk.set_threshold(place, code, minimum, terminal), f"预警值已保存：{minimum}张")
