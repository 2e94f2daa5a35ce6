"""The cashier window checks roles on every action (issue 14 item 4), not only issue/import, and
changes an expired or reset password at login (item 5). Offscreen, with the demo platform."""

from __future__ import annotations

from dataclasses import replace

from qt_common.qt import Qt
from workflows.cashier.login import User
from workflows.demo.users import DEMO_PASSWORD, DemoDirectory

from .conftest import Window, bg, login


def _issued(w: Window):
    from workflows.cashier.entry import EntryForm

    form = EntryForm("outpatient", w.services.catalog)
    form.header.update(payer="刘洋", card_no="3101000123", patient_no="MZ0001", sex="男", age="34")
    form.add_item("102")
    form.set_pay("02", str(form.total))
    return bg(lambda: w.services.issuing.issue(form, "张敏"))


def test_a_cashier_cannot_write_off_nor_void(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)  # sf01: cashier only
    rec = _issued(w)
    calls = len(w.platform.calls)
    page = w.win.writeoff_page
    w.win.show_page("writeoff")
    qtbot.waitUntil(lambda: bool(page.rows), timeout=5000)
    page.select(rec.bill_no)
    page.reason.setText("患者退费")
    qtbot.mouseClick(page.go, Qt.MouseButton.LeftButton)
    assert w.win.errors.last is not None and w.win.errors.last[0] == "E5802"
    w.win.errors.dismiss()
    paper = w.win.paper_page
    paper.blank_start.setText("1")
    paper.blank_end.setText("2")
    paper.blank_reason.setText("撕坏")
    qtbot.mouseClick(paper.blank_btn, Qt.MouseButton.LeftButton)
    assert w.win.errors.last is not None and w.win.errors.last[0] == "E5802"
    w.win.errors.dismiss()
    paper.rec = rec
    paper.reason.setText("患者退费")
    qtbot.mouseClick(paper.void_btn, Qt.MouseButton.LeftButton)
    assert w.win.errors.last is not None and w.win.errors.last[0] == "E5802"
    qtbot.wait(200)
    # no change went to the platform (the pages may refresh their queries) and the bill is still blue
    assert not {"writeOffEBill", "invalidBlankBillNo", "invalidPaper"} & set(w.platform.calls[calls:])
    assert bg(lambda: w.services.bills.get(rec.bill_batch_code, rec.bill_no)).state == rec.state


class _Expiring:
    """The demo directory, except that ``sf01``'s password has expired until it is changed."""

    def __init__(self, inner: DemoDirectory) -> None:
        self.inner = inner
        self.expired = {"sf01"}

    def authenticate(self, user_id: str, password: str) -> User:
        user = self.inner.authenticate(user_id, password)
        return replace(user, must_change=user.user_id in self.expired)

    def change_password(self, user_id: str, old: str, new: str) -> None:
        self.inner.change_password(user_id, old, new)
        self.expired.discard(user_id.strip())

    def end(self, user: User) -> None:
        self.inner.end(user)


def test_an_expired_password_is_changed_at_login(qtbot, window: Window) -> None:
    w = window
    session = w.services.login
    session._directory = _Expiring(session._directory)  # type: ignore[arg-type]  # noqa: SLF001
    page = w.win.login_page
    page.user.setText("sf01")
    page.password.setText(DEMO_PASSWORD)
    page.submit()
    qtbot.waitUntil(lambda: page.new_password.isVisible(), timeout=10000)
    assert w.win.root.currentWidget() is page  # not into the workspace with an expired password
    page.new_password.setText("Neues-Passwort-1")
    page.new_password2.setText("Neues-Passwort-2")
    page.change_password()
    assert "新密码" in page.msg.text()
    page.new_password.setText("Neues-Passwort-1")
    page.new_password2.setText("Neues-Passwort-1")
    page.change_password()
    qtbot.waitUntil(lambda: w.win.root.currentWidget() is w.win.workspace, timeout=10000)
    assert session.user is not None and not session.user.must_change
    session.logout()
    # the old password no longer works, the new one does
    assert bg(lambda: _fails(lambda: session.login("sf01", DEMO_PASSWORD)))
    assert bg(lambda: session.login("sf01", "Neues-Passwort-1")).user_id == "sf01"


def _fails(fn) -> bool:
    try:
        fn()
    except Exception:  # noqa: BLE001 - any refusal
        return True
    return False


def _visible_tabs(w: Window) -> set[str]:
    tabs = w.win.tabs
    return {key for key, page in w.win.pages.items() if tabs.isTabVisible(tabs.indexOf(page))}


def test_the_finance_office_tabs_follow_the_role(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w)  # sf01: cashier only
    office = {"stock", "reports", "baseinfo", "users", "audit"}
    assert not office & _visible_tabs(w)  # the server would refuse every button there
    assert {"issue", "paper", "query", "report"} <= _visible_tabs(w)


def test_a_finance_user_sees_the_finance_office_but_not_accounts(qtbot, window: Window) -> None:
    w = window
    login(qtbot, w, "cw01")  # finance + cashier
    assert {"stock", "reports", "baseinfo", "audit"} <= _visible_tabs(w)
    assert "users" not in _visible_tabs(w)  # users and callers: admin only
