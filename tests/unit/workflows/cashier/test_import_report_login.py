"""Batch import with row errors, the daily report and its exports, login and idle lock."""

from __future__ import annotations

import csv
from decimal import Decimal

import openpyxl
import pytest

from workflows.cashier.errors import (
    ImportHasErrors,
    ImportUnreadable,
    LoginFailed,
    RoleNotAllowed,
    SessionLocked,
)
from workflows.cashier.importer import COLUMNS, issue_plan, plan_import
from workflows.cashier.login import LoginSession
from workflows.cashier.report import daily_report, export_csv, export_xlsx, report_job
from workflows.demo.users import DEMO_PASSWORD, demo_directory

from .conftest import outpatient_form

pytestmark = pytest.mark.unit

GOOD = [
    ["A1", "门诊", "刘洋", "3101000001", "MZ01", "男", "30", "", "", "102", "1", "", "现金", "10.00"],
    ["A1", "门诊", "刘洋", "3101000001", "MZ01", "男", "30", "", "", "301", "2", "", "现金", "50.00"],
    ["B1", "捐赠票", "某某基金会", "", "", "男", "1", "李华", "", "902", "1", "1000.00", "03", "1000.00"],
]


def _write(path, rows) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([list(COLUMNS), *rows])
    else:
        wb = openpyxl.Workbook()
        for r in [list(COLUMNS), *rows]:
            wb.active.append(r)
        wb.save(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_clean_sheet_issues_each_bill_once(window, tmp_path, suffix: str) -> None:
    services, platform = window
    path = tmp_path / f"bills{suffix}"
    _write(path, GOOD)
    plan = plan_import(path, services.catalog)
    assert plan.ok and [k for k, _r, _f in plan.bills] == ["A1", "B1"]
    recs = issue_plan(plan, services.issuing, "张敏")
    assert [r.total for r in recs] == ["60.00", "1000.00"]
    again = issue_plan(plan_import(path, services.catalog), services.issuing, "张敏")
    assert [r.bill_no for r in again] == [r.bill_no for r in recs]
    assert platform.bill_count() == 2


def test_bad_row_is_named_and_nothing_issued(window, tmp_path) -> None:
    services, platform = window
    path = tmp_path / "bad.xlsx"
    _write(path, GOOD + [["C1", "门诊", "王五", "3101000002", "MZ02", "男", "20", "", "", "777", "一", "", "现金", "5"]])
    plan = plan_import(path, services.catalog)
    assert not plan.ok
    assert {(e.row, e.column) for e in plan.errors} == {(5, "项目编码"), (5, "数量")}
    assert "第5行" in str(plan.errors[0])
    with pytest.raises(ImportHasErrors) as exc:
        issue_plan(plan, services.issuing, "张敏")
    assert exc.value.code == "E5822" and platform.bill_count() == 0


def test_unreadable_files(tmp_path, window) -> None:
    services, _ = window
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ImportUnreadable):
        plan_import(tmp_path / "x.txt", services.catalog)
    (tmp_path / "y.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ImportUnreadable, match="缺少列"):
        plan_import(tmp_path / "y.csv", services.catalog)


def test_daily_report_sums_and_exports(window, tmp_path, clock) -> None:
    services, _ = window
    a = services.issuing.issue(outpatient_form(services), "张敏")
    form = outpatient_form(services)
    form.pays.clear()
    form.set_pay("05", "20")
    form.set_pay("02", "15")
    services.issuing.issue(form, "王芳")
    services.writeoff.write_off(a, "退费", "张敏")
    rep = daily_report(services.bills, clock.now().date(), services.catalog, "001")
    by = {c.payee: c for c in rep.cashiers}
    assert by["张敏"].count == 1 and by["张敏"].red_amount == Decimal("35.00") and by["张敏"].net == 0
    assert by["王芳"].net == Decimal("35.00")
    assert {(c, a) for c, _n, a in rep.channels} == {("02", Decimal("15.00")), ("05", Decimal("20.00"))}
    xlsx = export_xlsx(rep, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["收费员汇总表", "缴款渠道汇总表", "日报明细表"]
    rows = list(wb["收费员汇总表"].iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][5])) == Decimal("35.00")
    text = export_csv(rep, tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "缴款渠道汇总表" in text and "微信" in text
    mine = daily_report(services.bills, clock.now().date(), services.catalog, "001", payee="王芳")
    assert [c.payee for c in mine.cashiers] == ["王芳"]
    assert report_job(rep).title == "日结报表"


def test_login_roles_and_idle_lock(clock) -> None:
    directory = demo_directory(DEMO_PASSWORD)
    session = LoginSession(directory, idle_seconds=60, clock=clock)
    with pytest.raises(LoginFailed):
        session.login("sf01", "wrong")
    with pytest.raises(SessionLocked):
        session.require()
    user = session.login("sf01", DEMO_PASSWORD)
    assert user.name == "张敏" and session.require("cashier") is user
    with pytest.raises(RoleNotAllowed):
        session.require("finance")
    clock.advance(59)
    assert not session.check_idle()
    session.touch()
    clock.advance(61)
    assert session.check_idle() and session.locked
    with pytest.raises(RoleNotAllowed):
        session.unlock("sf02", DEMO_PASSWORD)
    assert session.unlock("sf01", DEMO_PASSWORD).user_id == "sf01" and not session.locked
