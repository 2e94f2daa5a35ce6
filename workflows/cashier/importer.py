"""Batch import of bills from CSV / XLSX (seed 001 (三)1(3) 手工录入与批量导入).

One row is one charge line; rows sharing a 单据号 form one bill. Every row is checked and every
problem is reported with its row number and column before anything is issued: a sheet with any
bad row issues nothing, so the cashier fixes the file and imports it again. The busNo of each
bill is derived from the file's content and the 单据号, so importing the same file twice never
issues a bill twice (DESIGN §3 idempotency).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from billing_core.clock import ts17
from workflows.cashier.entry import KINDS, EntryForm, parse_money_text
from workflows.cashier.errors import ImportHasErrors, ImportUnreadable
from workflows.cashier.issuing import IssueService
from workflows.catalog import Catalog
from workflows.records import BillRecord

COLUMNS = ("单据号", "票据类型", "交款人", "卡号", "患者编号", "性别", "年龄", "复核人", "手机号",
           "项目编码", "数量", "单价", "交费渠道", "交费金额")
REQUIRED_COLUMNS = ("单据号", "票据类型", "交款人", "项目编码", "数量", "交费渠道", "交费金额")
KIND_BY_LABEL = {k.label: k.key for k in KINDS.values()} | {"捐赠": "donation", "往来": "transfer"}
HEADER_MAP = {"交款人": "payer", "卡号": "card_no", "患者编号": "patient_no", "性别": "sex", "年龄": "age",
              "复核人": "checker", "手机号": "tel"}


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem in one row (row numbers as the spreadsheet shows them, header = 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行【{self.column}】{self.message}"


@dataclass(slots=True)
class ImportPlan:
    """The bills a file would issue, and every row error found."""

    source: str
    digest: str
    bills: list[tuple[str, list[int], EntryForm]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def read_rows(path: str | Path) -> tuple[bytes, list[dict[str, str]]]:
    """The file's bytes and its rows as dicts keyed by header (CSV in UTF-8/GBK, or XLSX)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ImportUnreadable(f"无法读取文件{p.name}：{exc.strerror}") from exc
    if p.suffix.lower() == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise ImportUnreadable(f"{p.name}不是有效的Excel文件") from exc
        sheet = wb.active
        if sheet is None:
            raise ImportUnreadable(f"{p.name}中没有工作表")
        values = [["" if v is None else str(v).strip() for v in r] for r in sheet.iter_rows(values_only=True)]
    elif p.suffix.lower() == ".csv":
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportUnreadable(f"{p.name}的字符编码无法识别（请使用UTF-8或GBK）")
        values = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text))]
    else:
        raise ImportUnreadable("只支持CSV或XLSX文件")
    if not values:
        raise ImportUnreadable(f"{p.name}是空文件")
    head = values[0]
    missing = [c for c in REQUIRED_COLUMNS if c not in head]
    if missing:
        raise ImportUnreadable(f"缺少列：{'、'.join(missing)}（第1行须为列名）")
    rows = [dict(zip(head, r + [""] * (len(head) - len(r)), strict=False)) for r in values[1:]]
    return raw, rows


def plan_import(path: str | Path, catalog: Catalog) -> ImportPlan:
    """Read and check a file; nothing is issued here."""
    raw, rows = read_rows(path)
    plan = ImportPlan(str(path), hashlib.sha1(raw).hexdigest()[:12])
    groups: dict[str, tuple[list[int], EntryForm]] = {}
    for idx, row in enumerate(rows, start=2):
        if not any(row.values()):
            continue
        before = len(plan.errors)
        key = row.get("单据号", "").strip()
        if not key:
            plan.errors.append(RowError(idx, "单据号", "不能为空"))
        kind = KIND_BY_LABEL.get(row.get("票据类型", "").strip())
        if kind is None:
            plan.errors.append(RowError(idx, "票据类型", f"“{row.get('票据类型', '')}”不是门诊/住院/挂号/体检/往来票/捐赠票"))
        code = row.get("项目编码", "").strip()
        item = catalog.get(code)
        if item is None:
            plan.errors.append(RowError(idx, "项目编码", f"收费项目“{code}”不存在"))
        number = parse_money_text(row.get("数量", ""))
        if number is None or number <= 0:
            plan.errors.append(RowError(idx, "数量", f"“{row.get('数量', '')}”不是大于0的数字"))
        std_text = row.get("单价", "").strip()
        std = parse_money_text(std_text) if std_text else (item.std if item else None)
        if (std is None or std <= 0) and (item is not None or std_text):
            plan.errors.append(RowError(idx, "单价", f"“{std_text}”不是大于0的金额"))
        pay = parse_money_text(row.get("交费金额", "")) if row.get("交费金额", "").strip() else None
        channel = row.get("交费渠道", "").strip()
        if channel and channel not in {c.code for c in catalog.channels}:
            named = [c.code for c in catalog.channels if c.name == channel]
            if named:
                channel = named[0]
            else:
                plan.errors.append(RowError(idx, "交费渠道", f"“{channel}”不是本窗口的交费渠道"))
        if row.get("交费金额", "").strip() and pay is None:
            plan.errors.append(RowError(idx, "交费金额", f"“{row['交费金额']}”不是金额"))
        if len(plan.errors) > before or kind is None:
            continue
        rows_of, form = groups.setdefault(key, ([], EntryForm(kind, catalog)))
        if form.kind != kind:
            plan.errors.append(RowError(idx, "票据类型", f"与单据号{key}的其他行不一致"))
            continue
        rows_of.append(idx)
        for col, name in HEADER_MAP.items():
            if row.get(col, "").strip() and not form.header.get(name):
                form.header[name] = row[col].strip()
        form.add_item(code, number or "1", std)
        if channel and pay:
            current = next((p.amount for p in form.pays if p.code == channel), None)
            form.set_pay(channel, (current or 0) + pay)
    for key, (rows_of, form) in groups.items():
        for _code, label, msg in form.check():
            plan.errors.append(RowError(rows_of[0], label, f"单据号{key}：{msg}"))
        plan.bills.append((key, rows_of, form))
    plan.errors.sort(key=lambda e: e.row)
    return plan


def issue_plan(plan: ImportPlan, issuing: IssueService, payee: str) -> list[BillRecord]:
    """Issue every bill of a clean plan (raises ImportHasErrors when any row is wrong)."""
    if not plan.ok:
        raise ImportHasErrors(f"导入文件有{len(plan.errors)}处错误，未开具任何票据；请修改后重新导入")
    out = []
    for key, _rows, form in plan.bills:
        bus_no = f"IMP{plan.digest}{key}"[:50]
        # The same file imported again: its bills are in the store already. The request would be
        # rebuilt with a new busDateTime, which the workflow refuses as a re-used busNo.
        done = issuing.bills.by_bus_no(bus_no)
        if done is not None:
            out.append(done)
            continue
        data = form.build_request(bus_no=bus_no, bus_date_time=ts17(issuing.clock.now()),
                                  place_code=issuing.window.place_code, payee=payee)
        out.append(issuing.issue_request(form.kind, form.bill_kind.method, data))
    return out
