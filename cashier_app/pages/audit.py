"""审计日志 (issue 18 §4): the server's audit log, read-only, filtered by days, operator, action and
object type, newest first, with the whole hash chain's verification shown above the rows."""

from __future__ import annotations

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, line
from qt_common.qt import QDate, QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier import finance_admin as fa

PAGE_SIZE = 100


class AuditPage(QWidget):
    """The audit log viewer."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.page_data: fa.AuditPage | None = None
        self._page = 1
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        d = ctx.services.clock.now().date()
        self.date_from = QDateEdit(QDate(d.year, d.month, d.day))
        self.date_to = QDateEdit(QDate(d.year, d.month, d.day))
        for w in (self.date_from, self.date_to):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.actor = line("操作人", "auditActor")
        self.action = line("操作", "auditAction")
        self.entity = line("对象类型", "auditEntity")
        self.go = QPushButton("查询")
        self.go.setObjectName("auditQuery")
        self.go.clicked.connect(lambda: self.run(1))
        for w in (QLabel("日期"), self.date_from, QLabel("至"), self.date_to, self.actor, self.action, self.entity,
                  self.go):
            top.addWidget(w)
        root.addLayout(top)
        self.chain = QLabel()
        self.chain.setObjectName("auditChain")
        root.addWidget(self.chain)
        self.grid = BillTable(["序号", "时间", "操作人", "终端", "操作", "对象", "编号", "变更后"], stretch=7)
        self.grid.setObjectName("auditGrid")
        root.addWidget(self.grid, 1)
        nav = QHBoxLayout()
        self.prev_btn = QPushButton("上一页")
        self.prev_btn.clicked.connect(lambda: self.run(self._page - 1))
        self.next_btn = QPushButton("下一页")
        self.next_btn.clicked.connect(lambda: self.run(self._page + 1))
        self.page_label = QLabel()
        for w in (self.prev_btn, self.page_label, self.next_btn):
            nav.addWidget(w)
        nav.addStretch(1)
        root.addLayout(nav)
        self.msg = MessageLine("auditResult")
        root.addWidget(self.msg)

    def run(self, page: int = 1) -> None:
        """Fetch one page (off the GUI thread)."""
        if not self.ctx.allowed("audit", self.msg.bad):
            return
        api, page = self.ctx.services.api, max(page, 1)
        lo, hi = self.date_from.date().toPython(), self.date_to.date().toPython()
        filters = {"actor": self.actor.text().strip(), "action": self.action.text().strip(),
                   "entity": self.entity.text().strip()}
        self.ctx.tasks.run(lambda: fa.audit_page(api, lo, hi, page, PAGE_SIZE, **filters),
                           lambda got: self._show(got, page), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def _show(self, got: fa.AuditPage, page: int) -> None:
        self.page_data, self._page = got, page
        self.chain.setText(got.chain_text)
        self.chain.setStyleSheet("color:#1b5e20;font-weight:bold;" if got.chain_ok
                                 else "color:white;background:#b71c1c;font-weight:bold;padding:4px;")
        self.grid.set_rows([[r["id"], r["at"][:4] + "-" + r["at"][4:6] + "-" + r["at"][6:8] + " " + r["at"][8:10] + ":"
                             + r["at"][10:12] + ":" + r["at"][12:14], r["actor"], r["terminal"], r["action"],
                             r["entity"], r["entityId"], r["after"][:120]] for r in got.rows])
        pages = max(1, -(-got.row_count // PAGE_SIZE))
        self.page_label.setText(f"第{page}页 / 共{pages}页（{got.row_count}条）")
        self.prev_btn.setEnabled(page > 1)
        self.next_btn.setEnabled(page < pages)
        self.msg.ok(f"审计日志：共{got.row_count}条")
