"""The ward's statistics pages over one desk: records from the HIS and the station's orders,
grouped tables, the abnormal board, order queries and their export (CSV / XLSX)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from billing_core.printjob import PageJob
from print_templates.masking import mask_name
from print_templates.ward_pages import DailyLine, DailyListDoc, daily_list_job, ward_poster_job
from workflows.tabular import Table, export_csv, export_xlsx
from workflows.ward import stats
from workflows.ward.desk import WardDesk
from workflows.ward.errors import ExportFailedError, WardInputError


class WardReports:
    """Statistics, board, queries, exports and the ward's printed pages."""

    def __init__(self, desk: WardDesk) -> None:
        self.desk = desk

    def records(self) -> list[stats.Record]:
        """Admissions of the ward (HIS, in and discharged) and the station's money records."""
        stays = self.desk._read(self.desk.his.inpatients, self.desk.settings.ward, "all")
        return stats.admission_records(stays) + stats.order_records(self.desk.orders())

    def summary(self, by: Sequence[str], kinds: Sequence[str] = ()) -> Table:
        """Grouped counts and amounts (``kinds``: only these record kinds, e.g. admission)."""
        recs = [r for r in self.records() if not kinds or r.kind in kinds]
        try:
            return stats.summarize(recs, by)
        except ValueError:
            raise WardInputError(f"统计维度：{'、'.join(by)}无效") from None

    def abnormal(self) -> Table:
        """The abnormal-payment board."""
        return stats.abnormal_table(stats.abnormal(self.desk.orders()))

    def query(self, **filters: str) -> Table:
        """Order query (order_no part, admission_no, day, state)."""
        return stats.orders_table(stats.query(self.desk.orders(), **filters))

    def export(self, tables: Sequence[Table], path: str | Path) -> Path:
        """CSV or XLSX by the file's suffix. :raises ExportFailedError: E3806."""
        p = Path(path)
        try:
            if p.suffix.lower() == ".xlsx":
                return export_xlsx(tables, p)
            if p.suffix.lower() == ".csv":
                return export_csv(tables, p)
        except OSError as exc:
            raise ExportFailedError(f"导出失败：{exc.strerror}（{p}）") from exc
        raise WardInputError(f"导出文件：{p.name}须为.csv或.xlsx")

    def daily_list_job(self, patient_id: str, day: date) -> PageJob:
        """The 日清单 of a patient's day as A4 pages (name masked)."""
        stay = self.desk.stay(patient_id)
        dl = self.desk.daily_list(stay.admission_no, day)
        doc = DailyListDoc(self.desk.settings.hospital, stay.ward, stay.admission_no, mask_name(stay.patient_name),
                           stay.bed, dl.day.isoformat(),
                           tuple(DailyLine(x.name, x.spec, x.unit, x.price, Decimal(x.qty), x.amount) for x in dl.lines),
                           dl.total, dl.cumulative, dl.deposit)
        return daily_list_job(doc)

    def posters_job(self) -> PageJob:
        """The ward's two static QR posters (押金充值, 日清单查询) with the hospital's name.
        :raises WardInputError: E3801 a poster URL or the hospital name is not configured."""
        s = self.desk.settings
        if not (s.hospital and s.top_up_url and s.daily_list_url):
            raise WardInputError("海报：请先在[ward]配置hospital、top_up_url和daily_list_url")
        return ward_poster_job(s.hospital, s.ward, [
            ("住院押金充值", s.top_up_url, "请用微信或支付宝扫描二维码，输入住院号后缴纳住院押金"),
            ("住院日清单查询", s.daily_list_url, "扫描二维码，输入住院号和姓名，查询每日住院费用清单")])
