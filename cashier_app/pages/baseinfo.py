"""基础资料 (finance workspace, issue 18 §4): 业务科室, 复核人, 常用交款人, 项目分组 kept on the server.

Pick a table, see every row (disabled ones too), fill code and name (and the payer type or the
group's items: ``001*2, 004``), 保存 inserts or updates by code; 停用 / 启用 act on the selected row.
Qt glue over workflows.cashier.finance_admin; the server checks and audits.
"""

from __future__ import annotations

from typing import Any

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from qt_common.qt import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier import finance_admin as fa
from workflows.cashier.finance_errors import ConfigInputInvalid

PAYER_TYPES = (("2", "单位"), ("1", "个人"))


def _cell(key: str, value: Any) -> str:
    if key == "items" and isinstance(value, list):
        return "，".join(f"{i.get('chargeCode')}*{i.get('number')}" for i in value)
    if key == "enabled":
        return "是" if str(value) == "1" else "否"
    if key == "downloadedAt" and len(str(value)) >= 14:
        t = str(value)
        return f"{t[0:4]}-{t[4:6]}-{t[6:8]} {t[8:10]}:{t[10:12]}:{t[12:14]}"
    if key == "payerType":
        return dict(PAYER_TYPES).get(str(value), str(value))
    return str(value)


class BaseInfoPage(QWidget):
    """The configuration tables."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.shown = ""  # the table whose rows the grid holds
        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.which = combo([(k, v[0]) for k, v in fa.CONFIG_TABLES.items()]
                           + [(f"fin:{k}", f"财政·{v}") for k, v in fa.BASE_KINDS.items()], "baseinfoTable")
        self.which.currentIndexChanged.connect(lambda _i: self.refresh())
        load = QPushButton("刷新")
        load.clicked.connect(self.refresh)
        self.download_btn = QPushButton("从财政平台下载")
        self.download_btn.setObjectName("baseinfoDownload")
        self.download_btn.clicked.connect(self.download)
        for w in (QLabel("基础资料"), self.which, load, self.download_btn):
            top.addWidget(w)
        top.addStretch(1)
        root.addLayout(top)
        self.grid = BillTable(["编码", "名称", "启用"])
        self.grid.setObjectName("baseinfoGrid")
        self.grid.itemSelectionChanged.connect(self._picked)
        root.addWidget(self.grid, 1)
        form = QHBoxLayout()
        self.code = line("编码", "baseinfoCode")
        self.name = line("名称 / 姓名", "baseinfoName")
        self.payer_type = combo(list(PAYER_TYPES), "baseinfoPayerType")
        self.items = line("分组项目：收费项目编码*数量，逗号分隔", "baseinfoItems")
        self.save_btn = QPushButton("保存")
        self.save_btn.setObjectName("baseinfoSave")
        self.save_btn.clicked.connect(self.save)
        self.off_btn = QPushButton("停用")
        self.off_btn.clicked.connect(lambda: self.set_enabled(False))
        self.on_btn = QPushButton("启用")
        self.on_btn.clicked.connect(lambda: self.set_enabled(True))
        for w in (self.code, self.name, self.payer_type, self.items, self.save_btn, self.off_btn, self.on_btn):
            form.addWidget(w)
        form.setStretchFactor(self.name, 1)
        form.setStretchFactor(self.items, 2)
        root.addLayout(form)
        self.msg = MessageLine("baseinfoResult")
        root.addWidget(self.msg)
        self._fields()

    @property
    def table(self) -> str:
        return str(self.which.currentData())

    @property
    def finance_kind(self) -> str:
        """The base-information kind chosen ('' for a configuration table)."""
        return self.table[4:] if self.table.startswith("fin:") else ""

    def _fields(self) -> None:
        fin = bool(self.finance_kind)
        self.payer_type.setVisible(self.table == "commonPayers")
        self.items.setVisible(self.table == "itemGroups")
        self.download_btn.setVisible(fin)
        for w in (self.code, self.name, self.save_btn, self.off_btn, self.on_btn):
            w.setVisible(not fin)  # downloaded information is read-only

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def refresh(self) -> None:
        """Read the chosen table from the server (off the GUI thread)."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        self._fields()
        api, table = self.ctx.services.api, self.table
        if table != self.shown:  # another table chosen: its rows are not these
            self.rows, self.shown = [], table
            self.grid.setRowCount(0)
            self.msg.info("正在读取…")
        kind = self.finance_kind
        if kind:
            self.ctx.tasks.run(lambda: (table, fa.base_info(api, kind)), self._show, self._failed)
        else:
            self.ctx.tasks.run(lambda: (table, fa.config_rows(api, table)), self._show, self._failed)

    def _show(self, got: tuple[str, list[dict[str, Any]]]) -> None:
        table, rows = got
        if table != self.table:
            return  # another table was chosen meanwhile
        self.rows = rows
        kind = self.finance_kind
        cols = (("code", "编码"), ("name", "名称"), ("parentCode", "上级编码"), ("downloadedAt", "下载时间")) \
            if kind else fa.CONFIG_TABLES[table][1]
        self.grid.set_headers([t for _k, t in cols], stretch=1)  # the name takes the spare width
        self.grid.set_rows([[_cell(k, r.get(k, "")) for k, _t in cols] for r in rows])
        title = fa.BASE_KINDS[kind] if kind else fa.CONFIG_TABLES[table][0]
        self.msg.info(f"{title}：共{len(rows)}条" + ("（请从财政平台下载）" if kind and not rows else ""))

    def _picked(self) -> None:
        sel = self.grid.selectionModel().selectedRows() if self.grid.selectionModel() else []
        if not sel or sel[0].row() >= len(self.rows):
            return
        r = self.rows[sel[0].row()]
        self.code.setText(str(r.get("code", "")))
        self.name.setText(str(r.get("name", "")))
        if self.table == "commonPayers":
            self.payer_type.setCurrentIndex(max(self.payer_type.findData(str(r.get("payerType", "2"))), 0))
        if self.table == "itemGroups":
            self.items.setText(_cell("items", r.get("items", [])).replace("，", ", "))

    def download(self) -> None:
        """财政基础信息下载 through the server, then show the chosen kind."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        api = self.ctx.services.api
        self.msg.info("正在从财政平台下载…")
        self.ctx.tasks.run(lambda: fa.download_base_info(api), self._downloaded, self._failed)

    def _downloaded(self, got: dict[str, Any]) -> None:
        counts = got.get("counts", {})
        self.refresh()  # its rows replace this line's text when they arrive
        self.msg.ok("已下载：" + "，".join(f"{fa.BASE_KINDS.get(k, k)}{n}条" for k, n in counts.items()))

    def save(self) -> None:
        """Insert or update the row typed in the form."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        row: dict[str, Any] = {"code": self.code.text().strip(), "name": self.name.text().strip()}
        api, table = self.ctx.services.api, self.table
        try:
            if table == "commonPayers":
                row["payerType"] = str(self.payer_type.currentData())
            if table == "itemGroups":
                row["items"] = fa.parse_group_items(self.items.text())
        except ConfigInputInvalid as exc:  # shown, nothing sent
            self._failed(exc)
            return
        self.ctx.tasks.run(lambda: fa.save_config(api, table, row), self._saved, self._failed)

    def _saved(self, row: dict[str, Any]) -> None:
        self.msg.ok(f"已保存：{row.get('code')} {row.get('name')}")
        self.refresh()

    def set_enabled(self, enabled: bool) -> None:
        """停用 / 启用 the row whose code is in the form."""
        if not self.ctx.allowed("finance_reports", self.msg.bad):
            return
        code, api, table = self.code.text().strip(), self.ctx.services.api, self.table
        if not code:
            self.msg.bad("请先选择一行或填写编码")
            return
        self.ctx.tasks.run(lambda: fa.set_config_enabled(api, table, code, enabled), self._saved, self._failed)
