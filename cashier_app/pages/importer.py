"""批量导入: check a CSV/XLSX sheet, show every row error, issue only a clean sheet."""

from __future__ import annotations

from billing_core.errors import BillingError
from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import QFileDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier.importer import COLUMNS, ImportPlan, issue_plan, plan_import
from workflows.records import BillRecord


class ImportPage(QWidget):
    """Pick a file, check it, then issue its bills."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.plan: ImportPlan | None = None
        root = QVBoxLayout(self)
        root.addWidget(QLabel("列名（第1行）：" + "、".join(COLUMNS) + "。同一单据号的多行合为一张票据。"))
        top = QHBoxLayout()
        self.path = line("CSV 或 XLSX 文件路径，回车检查", "importPath")
        self.path.returnPressed.connect(self.check)
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        self.check_btn = QPushButton("检查")
        self.check_btn.setObjectName("checkButton")
        self.check_btn.clicked.connect(self.check)
        self.issue_btn = QPushButton("开具全部")
        self.issue_btn.setObjectName("importIssueButton")
        self.issue_btn.setEnabled(False)
        self.issue_btn.clicked.connect(self.issue)
        for w in (self.path, browse, self.check_btn, self.issue_btn):
            top.addWidget(w)
        top.setStretchFactor(self.path, 1)
        root.addLayout(top)
        self.bills = BillTable(["单据号", "票据类型", "交款人", "行号", "金额", "结果"], stretch=2)
        self.bills.setObjectName("importBills")
        root.addWidget(self.bills, 2)
        root.addWidget(QLabel("错误行"))
        self.errors = QListWidget()
        self.errors.setObjectName("importErrors")
        root.addWidget(self.errors, 1)
        self.msg = MessageLine("importResult")
        root.addWidget(self.msg)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "选择导入文件", "", "表格 (*.xlsx *.csv)")
        if name:
            self.path.setText(name)
            self.check()

    def check(self) -> None:
        path, catalog = self.path.text().strip(), self.ctx.services.catalog
        self.issue_btn.setEnabled(False)
        self.ctx.tasks.run(lambda: plan_import(path, catalog), self._planned, self._failed)

    def _planned(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.bills.set_rows([[key, form.bill_kind.label, form.header.get("payer", ""),
                              ",".join(map(str, rows)), str(form.total), "待开具"] for key, rows, form in plan.bills])
        self.errors.clear()
        for e in plan.errors:
            self.errors.addItem(str(e))
        if plan.ok:
            self.msg.ok(f"检查通过：{len(plan.bills)}张票据可开具")
            self.issue_btn.setEnabled(True)
            self.issue_btn.setFocus()
        else:
            self.msg.bad(f"有{len(plan.errors)}处错误，整张表未开具任何票据；请修改后重新导入")

    def issue(self) -> None:
        if self.plan is None or not self.plan.ok:
            return
        plan, issuing, payee = self.plan, self.ctx.services.issuing, self.ctx.operator
        try:
            for roles in {form.bill_kind.roles for _k, _r, form in plan.bills}:
                self.ctx.services.login.require(*roles)
        except BillingError as exc:
            self.msg.bad(exc.message)
            self.ctx.errors.show(exc)
            return
        self.issue_btn.setEnabled(False)
        self.ctx.tasks.run(lambda: issue_plan(plan, issuing, payee), self._issued, self._failed)

    def _issued(self, recs: list[BillRecord]) -> None:
        for row, rec in enumerate(recs):
            self.bills.item(row, 5).setText(f"已开具 {rec.bill_no}")
        self.msg.ok(f"已开具{len(recs)}张票据")

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", "导入失败"))
        self.ctx.errors.show(exc)
