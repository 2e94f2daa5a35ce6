"""登录 and 解锁: the first screen, and the lock screen after idling (same widget, two modes).

修改密码 (issue 14 item 5): the "修改密码" button, or a login the server answers with
``mustChangePassword`` (password expired or reset by an admin), shows the new-password fields; the
change goes to the server (``changePassword``), which ends every session, so the window logs in
again with the new password.
"""

from __future__ import annotations

from collections.abc import Callable

from cashier_app.pages.common import MessageLine, line
from qt_common.qt import QFormLayout, QFrame, QLabel, QLineEdit, QPushButton, Qt, QVBoxLayout, QWidget
from workflows.cashier.login import User
from workflows.cashier.services import CashierServices


class LoginPage(QWidget):
    """User id + password. ``on_done(user)`` runs after a successful login or unlock."""

    def __init__(self, services: CashierServices, on_done: Callable[[User], None], tasks_run: Callable[..., None],
                 show_error: Callable[[BaseException], None]) -> None:
        super().__init__()
        self.services = services
        self.on_done = on_done
        self._run = tasks_run
        self._show_error = show_error
        self.unlocking = False
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setMaximumWidth(520)
        form = QFormLayout(box)
        w = services.window
        self.title = QLabel(f"<h2>{w.hospital}</h2><p>医疗收费电子票据 · 收费窗口</p>")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        form.addRow(self.title)
        form.addRow("开票点", QLabel(f"{w.place_code} {w.place_name}（终端 {w.terminal_id}）"))
        self.user = line("工号", "loginUser")
        self.password = line("密码", "loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("工号", self.user)
        form.addRow("密码", self.password)
        self.button = QPushButton("登录")
        self.button.setObjectName("loginButton")
        form.addRow(self.button)
        self.new_password = line("新密码", "newPassword")
        self.new_password2 = line("确认新密码", "newPassword2")
        for w_ in (self.new_password, self.new_password2):
            w_.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_label, self.new_label2 = QLabel("新密码"), QLabel("确认新密码")
        form.addRow(self.new_label, self.new_password)
        form.addRow(self.new_label2, self.new_password2)
        self.change_button = QPushButton("修改密码")
        self.change_button.setObjectName("changePasswordButton")
        form.addRow(self.change_button)
        self._typed = ""  # the password of a login the server said must change (kept in memory only)
        self._show_change(False)
        self.msg = MessageLine("loginMessage")
        form.addRow(self.msg)
        outer.addWidget(box, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)
        self.change_button.clicked.connect(self.change_password)
        self.new_password2.returnPressed.connect(self.change_password)

    def _show_change(self, on: bool) -> None:
        for w_ in (self.new_password, self.new_password2, self.new_label, self.new_label2):
            w_.setVisible(on)
        self.changing = on

    def set_unlock_mode(self, user: User) -> None:
        """Show as the lock screen of ``user``'s session."""
        self.unlocking = True
        self.title.setText(f"<h2>窗口已锁定</h2><p>{user.name}（{user.user_id}）离开时自动锁定，请输入密码解锁</p>")
        self.user.setText(user.user_id)
        self.password.clear()
        self.button.setText("解锁")
        self.password.setFocus()

    def set_login_mode(self) -> None:
        self.unlocking = False
        w = self.services.window
        self.title.setText(f"<h2>{w.hospital}</h2><p>医疗收费电子票据 · 收费窗口</p>")
        self.button.setText("登录")
        self.user.clear()
        self.password.clear()
        self.user.setFocus()

    def submit(self) -> None:
        uid, pw = self.user.text(), self.password.text()
        self._typed = pw
        session = self.services.login
        call = (lambda: session.unlock(uid, pw)) if self.unlocking else (lambda: session.login(uid, pw))
        self.button.setEnabled(False)
        # Password hashing (scrypt) or the server login runs off the GUI thread.
        self._run(call, self._ok, self._bad)

    def _ok(self, user: User) -> None:
        self.button.setEnabled(True)
        self.change_button.setEnabled(True)
        self.password.clear()
        if user.must_change:
            self._show_change(True)
            self.msg.bad("密码已过期或已被管理员重置，请设置新密码（至少8位，含字母和数字）")
            self.new_password.setFocus()
            return
        self._typed = ""
        self._show_change(False)
        self.msg.clear()
        self.on_done(user)

    def change_password(self) -> None:
        """First click shows the new-password fields; then change (and log in with the new one)."""
        if not self.changing:
            self._show_change(True)
            self.new_password.setFocus()
            return
        uid, old = self.user.text().strip(), self._typed or self.password.text()
        new, again = self.new_password.text(), self.new_password2.text()
        if not old or not new or new != again:
            self.msg.bad("请输入原密码，并两次输入相同的新密码")
            return
        session = self.services.login

        def work() -> User:
            if session.user is None or session.user.user_id != uid:
                session.login(uid, old)
            session.change_password(old, new)
            return session.login(uid, new)

        self.change_button.setEnabled(False)
        self.new_password.clear()
        self.new_password2.clear()
        self._run(work, self._ok, self._bad)

    def _bad(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.change_button.setEnabled(True)
        self.password.clear()
        self.msg.bad(getattr(exc, "message", "登录失败"))
