"""Ward statistics, abnormal board, order queries, CSV/XLSX export, the daily list and the ward
posters, over real orders against the real processes."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.rigs.payment import ALIPAY_CODE, WECHAT_CODE
from workflows.kiosk.models import PayChoice
from workflows.ward.errors import WardInputError

pytestmark = pytest.mark.integration


def _row(ward, patient_id: str):  # type: ignore[no-untyped-def]
    return next(r for r in ward.desk.board() if r.patient_id == patient_id)


def test_statistics_board_queries_and_exports(rig, ward, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00")
    stay = rig.admit(p["patientId"], deposit="0", days=1, bed="31床")
    a = ward.desk.collect(_row(ward, p["patientId"]), Decimal("500.00"), PayChoice.code(WECHAT_CODE))
    b = ward.desk.collect(_row(ward, p["patientId"]), Decimal("20.50"), PayChoice.code(ALIPAY_CODE))
    assert a.ok and b.ok
    rig.control.knobs(next={"outcome": "fail"})
    failed = ward.desk.collect(_row(ward, p["patientId"]), Decimal("9.99"), PayChoice.code(WECHAT_CODE))
    assert not failed.ok and failed.state == "failed"
    assert ward.desk.reverse(b.order_no, "重复收费").done
    out = ward.desk.discharge(p["patientId"])
    assert out.flow.ok and out.refunded_fen == out.refund_fen > 0

    by_channel = ward.reports.summary(["kind", "channel"])
    rows = {r[:2]: r[2:] for r in by_channel.rows}
    assert rows[("押金补缴", "微信")] == ("1", "500.00")  # the reversed 20.50 no longer counts
    assert ("押金补缴", "支付宝") not in rows
    settled = ward.his.settlements(p["patientId"], "discharge")[0]
    assert rows[("出院结算", "押金抵扣")] == ("1", f"{settled.amount:.2f}")  # the bill total, paid from the deposit
    assert by_channel.rows[-1][0] == "合计"
    adm = ward.reports.summary(["day", "dept", "place", "insurance"], kinds=["admission"])
    assert any(r[0] == stay["admittedOn"] and r[1] == stay["deptName"] and r[2:4] == ("本地", "自费")
               for r in adm.rows)
    assert ("入院登记", "—") in {r[:2] for r in ward.reports.summary(["kind", "channel"]).rows}
    with pytest.raises(WardInputError):
        ward.reports.summary(["colour"])

    board = {(r[0], r[3]) for r in ward.reports.abnormal().rows}
    assert (failed.order_no, "支付失败") in board and (b.order_no, "已撤销退款") in board
    assert any(what == "押金余额已原路退" for _, what in board)

    q = ward.reports.query(admission_no=stay["admissionNo"])
    assert {r[0] for r in q.rows} == {a.order_no, b.order_no, failed.order_no, out.flow.order_no}
    assert [r[0] for r in ward.reports.query(order_no=a.order_no[-6:]).rows] == [a.order_no]

    tables = [by_channel, ward.reports.abnormal()]
    x = ward.reports.export(tables, tmp_path / "ward.xlsx")
    wb = openpyxl.load_workbook(x)
    try:
        first = wb[wb.sheetnames[0]]
        assert [c.value for c in first[1]] == list(by_channel.head)
        assert sum(Decimal(str(r[3].value)) for r in first.iter_rows(min_row=2) if r[0].value != "合计") \
            == Decimal(by_channel.rows[-1][3])
    finally:
        wb.close()
    c = ward.reports.export(tables, tmp_path / "ward.csv")
    with c.open(encoding="utf-8-sig") as fh:
        text = list(csv.reader(fh))
    assert text[0] == [by_channel.title] and text[1] == list(by_channel.head)
    with pytest.raises(WardInputError):
        ward.reports.export(tables, tmp_path / "ward.txt")


def test_daily_list_and_posters(rig, ward) -> None:  # type: ignore[no-untyped-def]
    p = rig.patient(prepay="0.00", name="欧阳明月")
    stay = rig.admit(p["patientId"], deposit="300.00", days=2, bed="32床")
    day = date.fromisoformat(stay["admittedOn"])
    dl = ward.desk.daily_list(stay["admissionNo"], day)
    job = ward.reports.daily_list_job(p["patientId"], day)
    texts = [i.text for pg in job.pages for i in pg.items if hasattr(i, "text")]
    assert "欧***" in " ".join(texts) and "欧阳明月" not in " ".join(texts)
    assert any(f"当日合计：{dl.total:.2f}元" in t for t in texts)
    with pytest.raises(WardInputError):
        ward.desk.daily_list(stay["admissionNo"], date(2000, 1, 1))
    with pytest.raises(WardInputError):
        ward.reports.posters_job()  # no URLs configured
    ward.desk.settings = ward.settings = type(ward.settings)(ward=ward.settings.ward, hospital="测试医院",
                                                             top_up_url="https://h.example/ward/topup",
                                                             daily_list_url="https://h.example/ward/list")
    posters = ward.reports.posters_job()
    assert len(posters.pages) == 2
    qrs = [i.data for pg in posters.pages for i in pg.items if hasattr(i, "data")]
    assert qrs == ["https://h.example/ward/topup", "https://h.example/ward/list"]
