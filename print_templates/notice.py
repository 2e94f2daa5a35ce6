"""The e-bill notice (电子票据告知单): what the patient takes home instead of a paper bill.

Seed 001 (二.2.(1)): the window prints a notice and the patient verifies the bill on the finance
verification site; it is the document the client component's ``printElectBill`` serves (spec §9).
Variants: normal, EMERGENCY (issued offline from reserved stock, uploaded later, §17) and red
(冲红, the writeOffEBill result, §5). The QR carries exactly billing_core.qr_payload's text.
"""

from __future__ import annotations

from billing_core.money import format_yuan, to_chinese_upper
from billing_core.printjob import Page, PageJob, PageLine, PageQr, PageRect, PageText, PrintJob
from print_templates.masking import mask_id_no, mask_phone
from print_templates.model import BillView, fmt_time
from print_templates.thermal import ThermalBuilder

VERIFY_TEXT = (
    "查验方式：1.登录财政电子票据公共查验平台，输入票据代码、票据号码、校验码、开票日期进行查验；"
    "2.使用微信或支付宝“电子票夹”扫描上方二维码，获取并查验电子票据。"
)
EMERGENCY_TEXT = "本票据为网络中断时应急开具，票据号码为预留应急号段，网络恢复后将自动上传财政电子票据平台，上传后方可查验。"
RED_TEXT = "本票据为红字电子票据，用于冲销原电子票据，原票据金额作废。"


def notice_title(bill: BillView) -> str:
    """The printed title of the notice variant."""
    return "电子票据告知单（红字）" if bill.red else "电子票据告知单"


def notice_job(bill: BillView, width_mm: int = 80) -> PrintJob:
    """The notice on a thermal roll (kiosks and windows with receipt printers)."""
    b = ThermalBuilder(notice_title(bill), width_mm)
    b.header(bill.hospital, notice_title(bill))
    if bill.emergency:
        b.banner("应急票据")
        b.kv("终端编号", bill.emergency.terminal_id, bold=True)
        b.text(EMERGENCY_TEXT)
        if bill.emergency.upload_deadline:
            b.kv("上传期限", bill.emergency.upload_deadline)
        b.rule()
    if bill.red:
        b.banner("冲红")
        b.kv("原票据代码", bill.red.original_batch_code)
        b.kv("原票据号码", bill.red.original_bill_no)
        b.kv("冲红原因", bill.red.reason)
        b.text(RED_TEXT)
        b.rule()
    b.kv("票据名称", bill.bill_name)
    b.kv("票据代码", bill.bill_batch_code, bold=True)
    b.kv("票据号码", bill.bill_no, bold=True)
    b.kv("校验码", bill.random, bold=True)
    b.kv("交款人", bill.payer)
    if bill.id_card_no:
        b.kv("证件号码", mask_id_no(bill.id_card_no))
    if bill.tel:
        b.kv("手机号码", mask_phone(bill.tel))
    b.kv("开票日期", fmt_time(bill.create_time))
    b.kv("小写金额", format_yuan(bill.printed_total), bold=True)
    b.kv("大写金额", to_chinese_upper(bill.printed_total))
    b.kv("开票点", bill.place_name)
    b.kv("收款人", bill.payee)
    b.rule()
    b.qr(bill.qr.text(), "扫码查验电子票据", size_mm=30 if width_mm >= 80 else 28)
    b.text(VERIFY_TEXT)
    return b.finish()


# --- the notice on a sheet printer (A5 landscape), for windows without a receipt printer -------

A5_LANDSCAPE = (210.0, 148.0)
_ROW_MM = 7.5


def notice_page(bill: BillView) -> PageJob:
    """The notice on A5 landscape (cashier windows printing on an office or bill printer).

    Same content as :func:`notice_job`; fields are named PageTexts (``code``, ``number`` ...)
    so that tests can find them in the PDF.
    """
    page = Page(*A5_LANDSCAPE)
    page.add(
        PageText(105.0, 8.0, bill.hospital, size_pt=13, bold=True, align="center", name="hospital"),
        PageText(105.0, 15.0, notice_title(bill), size_pt=18, bold=True, align="center", name="title"),
    )
    y = 28.0
    if bill.emergency:
        page.add(PageRect(12.0, y, 186.0, 13.0, line_mm=0.6, filled=True),
                 PageText(15.0, y + 1.5, f"应急票据  终端编号：{bill.emergency.terminal_id}", size_pt=12, bold=True,
                          width_mm=180.0, height_mm=5.5, name="banner"),
                 PageText(15.0, y + 7.5, EMERGENCY_TEXT, size_pt=8, width_mm=180.0, height_mm=4.5,
                          name="banner_text"))
        y += 16.0
    if bill.red:
        page.add(PageRect(12.0, y, 186.0, 13.0, line_mm=0.6, filled=True),
                 PageText(15.0, y + 1.5, f"冲红  原票据代码：{bill.red.original_batch_code}  原票据号码："
                          f"{bill.red.original_bill_no}", size_pt=12, bold=True, width_mm=180.0, height_mm=5.5,
                          name="banner"),
                 PageText(15.0, y + 7.5, f"冲红原因：{bill.red.reason}。{RED_TEXT}", size_pt=8, width_mm=180.0,
                          height_mm=4.5, name="banner_text"))
        y += 16.0
    rows = [
        ("票据名称", bill.bill_name, "bill_name"),
        ("票据代码", bill.bill_batch_code, "code"),
        ("票据号码", bill.bill_no, "number"),
        ("校验码", bill.random, "check_code"),
        ("交款人", bill.payer, "payer"),
        ("证件号码", mask_id_no(bill.id_card_no), "id_no"),
        ("开票日期", fmt_time(bill.create_time), "date"),
        ("金额（小写）", format_yuan(bill.printed_total), "total"),
        ("金额（大写）", to_chinese_upper(bill.printed_total), "total_upper"),
        ("开票点", bill.place_name, "place"),
        ("收款人", bill.payee, "payee"),
    ]
    # Rows shrink a little when a banner took room, so that the instructions still fit.
    row_mm = min(_ROW_MM, (118.0 - y) / len(rows))
    for label, value, name in rows:
        page.add(PageText(15.0, y, label + "：", size_pt=10, width_mm=26.0, height_mm=row_mm),
                 PageText(42.0, y, value, size_pt=10, bold=name in ("code", "number", "check_code", "total"),
                          width_mm=95.0, height_mm=row_mm, name=name))
        y += row_mm
    qr_top = 36.0 if not (bill.emergency or bill.red) else 50.0
    page.add(PageQr(148.0, qr_top, bill.qr.text(), size_mm=42.0),
             PageText(169.0, qr_top + 44.0, "扫码查验电子票据", size_pt=9, align="center", name="qr_caption"),
             PageLine(12.0, 121.0, 198.0, 121.0, 0.2),
             PageText(15.0, 123.0, VERIFY_TEXT, size_pt=8.5, width_mm=180.0, height_mm=20.0, fit="wrap",
                      name="verify"))
    return PageJob(notice_title(bill), [page])
