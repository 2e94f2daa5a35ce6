"""用户与接入 (admin, issue 18 §4): users and roles, HIS / terminal callers, managed on screen with
the same server functions as ``python -m sync_server admin``. A generated password or key is shown
once in the result line (nothing keeps it); every change is audited on the server.
"""

from __future__ import annotations

from typing import Any

from cashier_app.context import PageContext
from cashier_app.pages.common import MessageLine, combo, line
from qt_common.qt import QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from qt_common.widgets.bill_table import BillTable
from workflows.cashier import finance_admin as fa


class UsersPage(QWidget):
    """Users (left) and callers (right)."""

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.users: list[dict[str, Any]] = []
        self.callers: list[dict[str, Any]] = []
        root = QVBoxLayout(self)
        boxes = QHBoxLayout()
        ubox, cbox = QGroupBox("用户与角色"), QGroupBox("接入调用方（HIS、终端）")
        ul, cl = QVBoxLayout(ubox), QVBoxLayout(cbox)
        self.user_grid = BillTable(["用户名", "角色", "启用"], stretch=0)
        self.user_grid.setObjectName("usersGrid")
        self.user_grid.itemSelectionChanged.connect(self._user_picked)
        ul.addWidget(self.user_grid, 1)
        uf = QHBoxLayout()
        self.username = line("用户名", "userName")
        self.display = line("姓名", "userDisplay")
        self.role = combo(list(fa.ROLE_LABELS.items()), "userRole")
        for w in (self.username, self.display, self.role):
            uf.addWidget(w)
        ul.addLayout(uf)
        ub = QHBoxLayout()
        for label, action in (("新建", "create"), ("改角色", "role"), ("停用", "disable"), ("启用", "enable"),
                              ("重置密码", "reset")):
            b = QPushButton(label)
            b.setObjectName(f"user_{action}")
            b.clicked.connect(lambda _c=False, a=action: self.user_action(a))
            ub.addWidget(b)
        ul.addLayout(ub)
        self.caller_grid = BillTable(["编号", "名称", "类型", "开票点", "启用"], stretch=1)
        self.caller_grid.setObjectName("callersGrid")
        self.caller_grid.itemSelectionChanged.connect(self._caller_picked)
        cl.addWidget(self.caller_grid, 1)
        cf = QHBoxLayout()
        self.appid = line("调用方编号", "callerAppid")
        self.caller_name = line("名称", "callerName")
        self.kind = combo(list(fa.KIND_LABELS.items()), "callerKind")
        self.places = line("开票点（逗号分隔）", "callerPlaces")
        for w in (self.appid, self.caller_name, self.kind, self.places):
            cf.addWidget(w)
        cl.addLayout(cf)
        cb = QHBoxLayout()
        for label, action in (("新建", "create"), ("授权开票点", "grant"), ("停用", "disable"), ("启用", "enable"),
                              ("更换密钥", "rotate")):
            b = QPushButton(label)
            b.setObjectName(f"caller_{action}")
            b.clicked.connect(lambda _c=False, a=action: self.caller_action(a))
            cb.addWidget(b)
        cl.addLayout(cb)
        boxes.addWidget(ubox, 1)
        boxes.addWidget(cbox, 1)
        root.addLayout(boxes, 1)
        self.msg = MessageLine("usersResult")
        root.addWidget(self.msg)

    def _failed(self, exc: BaseException) -> None:
        self.msg.bad(getattr(exc, "message", str(exc)))
        self.ctx.errors.show(exc)

    def refresh(self) -> None:
        """Both lists from the server."""
        if not self.ctx.allowed("accounts", self.msg.bad):
            return
        api = self.ctx.services.api
        self.ctx.tasks.run(lambda: (fa.users(api)["users"], fa.callers(api)["callers"]), self._show, self._failed)

    def _show(self, got: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
        self.users, self.callers = got
        self.user_grid.set_rows([[u["username"], fa.ROLE_LABELS.get(u["role"], u["role"]),
                                  "是" if str(u["enabled"]) == "1" else "否"] for u in self.users])
        self.caller_grid.set_rows([[c["appid"], c["name"], fa.KIND_LABELS.get(c["kind"], c["kind"]),
                                    ",".join(c["placeCodes"]), "是" if str(c["enabled"]) == "1" else "否"]
                                   for c in self.callers])

    def _user_picked(self) -> None:
        rows = self.user_grid.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.users):
            u = self.users[rows[0].row()]
            self.username.setText(u["username"])
            self.role.setCurrentIndex(max(self.role.findData(u["role"]), 0))

    def _caller_picked(self) -> None:
        rows = self.caller_grid.selectionModel().selectedRows()
        if rows and rows[0].row() < len(self.callers):
            c = self.callers[rows[0].row()]
            self.appid.setText(c["appid"])
            self.caller_name.setText(c["name"])
            self.kind.setCurrentIndex(max(self.kind.findData(c["kind"]), 0))
            self.places.setText(",".join(c["placeCodes"]))

    def user_action(self, action: str) -> None:
        """create / role / disable / enable / reset of the user in the form."""
        if not self.ctx.allowed("accounts", self.msg.bad):
            return
        api = self.ctx.services.api
        fields = {"username": self.username.text().strip()}
        if action == "create":
            fields["name"] = self.display.text().strip()
        if action in ("create", "role"):
            fields["role"] = str(self.role.currentData())
        self.ctx.tasks.run(lambda: fa.users(api, action, **fields), self._done, self._failed)

    def caller_action(self, action: str) -> None:
        """create / grant / disable / enable / rotate of the caller in the form."""
        if not self.ctx.allowed("accounts", self.msg.bad):
            return
        api = self.ctx.services.api
        fields: dict[str, Any] = {"appid": self.appid.text().strip()}
        if action == "create":
            fields |= {"name": self.caller_name.text().strip(), "kind": str(self.kind.currentData())}
        if action in ("create", "grant"):
            fields["placeCodes"] = [p.strip() for p in self.places.text().split(",") if p.strip()]
        self.ctx.tasks.run(lambda: fa.callers(api, action, **fields), self._done, self._failed)

    def _done(self, answer: Any) -> None:
        secret = ""
        if isinstance(answer, dict) and answer.get("password"):
            secret = f"，初始密码（只显示这一次）：{answer['password']}"
        if isinstance(answer, dict) and answer.get("key"):
            secret = f"，接入密钥（只显示这一次）：{answer['key']}"
        self.msg.ok(f"已完成{secret}")
        self.refresh()
