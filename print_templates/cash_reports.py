"""Finance-side slips on the thermal roll: the cash collection slip and the cashier's daily report.

Seed 004 (患者资金管理 5): when finance staff collect the cash a kiosk took in, the system prints
the cash collection information (现金收账信息); both sides check it before the cash is taken
away. The daily report (日结单, seed 001 统计报表 (3) 收费员汇总表/缴款渠道汇总表) closes a
cashier's day: bills issued and red-flushed, paper exchanged, amounts per payment channel.
Totals are checked here: a slip whose lines do not add up is refused, never printed.
"""

from __future__ import annotations

from decimal import Decimal

from billing_core.money import ZERO, to_chinese_upper
from billing_core.printjob import PrintJob
from print_templates.errors import BadValueError
from print_templates.masking import mask_name
from print_templates.model import PAY_CHANNELS, Json, amount, fmt_time, parse_time, require
from print_templates.thermal import ThermalBuilder

CASH_TITLE = "现金收账信息"
DAILY_TITLE = "收费员日结单"


def cash_slip_job(sample: Json, width_mm: int = 80) -> PrintJob:
    """The cash collection slip of one kiosk for one collection period (seed 004)."""
    c: Json = require(sample, "cashSlip", CASH_TITLE)
    hospital = str(require(sample.get("hospital") or {}, "name", CASH_TITLE))
    b = ThermalBuilder(CASH_TITLE, width_mm)
    b.header(hospital, CASH_TITLE)
    b.kv("终端编号", str(require(c, "terminalId", CASH_TITLE)), bold=True)
    if c.get("location"):
        b.kv("终端位置", str(c["location"]))
    b.kv("收账批次", str(require(c, "batchNo", CASH_TITLE)))
    b.kv("起始时间", fmt_time(parse_time(require(c, "periodStart", CASH_TITLE), "periodStart")))
    b.kv("截止时间", fmt_time(parse_time(require(c, "periodEnd", CASH_TITLE), "periodEnd")))
    trades = list(c.get("trades") or [])
    total = ZERO
    b.rule()
    if trades:
        b.items([(f"{parse_time(t['time'], 'trades.time').strftime('%H:%M')} {mask_name(str(t.get('payer', '')))}"
                  f" {t.get('business', '')}", "1", amount(t.get("amount"), "trades.amount")) for t in trades],
                head=("时间 交款人 业务", "笔", "金额"))
        total = sum((amount(t.get("amount"), "trades.amount") for t in trades), ZERO)
    else:
        b.text("本时段无现金交易")
    declared = amount(require(c, "cashTotal", CASH_TITLE), "cashTotal")
    if declared != total:
        raise BadValueError(f"现金合计{declared}与交易明细之和{total}不符")
    notes = list(c.get("notes") or [])
    if notes:
        counted = sum((Decimal(str(n["face"])) * int(n["count"]) for n in notes), ZERO)
        if counted != total:
            raise BadValueError(f"钱箱点钞金额{counted}与现金合计{total}不符")
        b.rule()
        b.items([(f"{n['face']}元", str(n["count"]), Decimal(str(n["face"])) * int(n["count"])) for n in notes],
                head=("面额", "张数", "金额"))
    b.rule()
    b.kv("交易笔数", str(len(trades)))
    b.money("现金合计", total, bold=True)
    b.kv("大写", to_chinese_upper(total))
    b.rule()
    b.text("双方核对无误后签字，财务人员取走现金。")
    b.kv("财务人员", str(c.get("financeStaff") or ""))
    b.text("签字：________________")
    b.kv("终端管理员", str(c.get("operator") or ""))
    b.text("签字：________________")
    b.kv("打印时间", fmt_time(parse_time(require(c, "printTime", CASH_TITLE), "printTime")))
    return b.finish()


def daily_report_job(sample: Json, width_mm: int = 80) -> PrintJob:
    """The cashier's daily report (日结单): counts, channels, bill number ranges, signatures."""
    d: Json = require(sample, "dailyReport", DAILY_TITLE)
    hospital = str(require(sample.get("hospital") or {}, "name", DAILY_TITLE))
    b = ThermalBuilder(DAILY_TITLE, width_mm)
    b.header(hospital, DAILY_TITLE)
    b.kv("收费员", str(require(d, "cashier", DAILY_TITLE)), bold=True)
    b.kv("开票点", str(require(d, "placeName", DAILY_TITLE)))
    b.kv("结账日期", str(require(d, "date", DAILY_TITLE)))
    b.kv("起始时间", fmt_time(parse_time(require(d, "periodStart", DAILY_TITLE), "periodStart")))
    b.kv("截止时间", fmt_time(parse_time(require(d, "periodEnd", DAILY_TITLE), "periodEnd")))
    issued = amount(require(d, "issuedAmount", DAILY_TITLE), "issuedAmount")
    red = amount(d.get("redAmount"), "redAmount")
    net = issued - red
    b.rule()
    b.text("票据汇总", bold=True)
    b.items([
        ("开具电子票据", str(int(d.get("issuedCount") or 0)), issued),
        ("冲红电子票据", str(int(d.get("redCount") or 0)), -red),
        ("其中应急票据", str(int(d.get("emergencyCount") or 0)), amount(d.get("emergencyAmount"), "emergencyAmount")),
    ], head=("项目", "张数", "金额"))
    b.kv("换开纸质", f"{int(d.get('paperCount') or 0)}张")
    b.kv("作废纸质", f"{int(d.get('paperVoidCount') or 0)}张")
    b.rule()
    b.text("缴款渠道汇总", bold=True)
    channels = list(d.get("channels") or [])
    rows = [(PAY_CHANNELS.get(str(ch.get("payChannelCode")), str(ch.get("payChannelCode"))),
             str(int(ch.get("count") or 0)), amount(ch.get("amount"), "channels.amount")) for ch in channels]
    b.items(rows, head=("渠道", "笔数", "金额"))
    total = sum((r[2] for r in rows), ZERO)
    if total != net:
        raise BadValueError(f"缴款渠道合计{total}与开票净额{net}不符")
    b.rule()
    b.money("实收合计", net, bold=True)
    b.kv("大写", to_chinese_upper(net))
    cash = sum((r[2] for r, ch in zip(rows, channels, strict=True) if str(ch.get("payChannelCode")) == "02"),
               ZERO)
    b.money("应缴现金", cash, bold=True)
    ranges = list(d.get("billRanges") or [])
    if ranges:
        b.rule()
        b.text("票号使用情况", bold=True)
        for rg in ranges:
            b.kv(str(rg.get("kind") or "电子票据"), f"{rg['billBatchCode']} {rg['billBgnNo']}-{rg['billEndNo']}")
    b.rule()
    b.text("收费员签字：____________")
    b.text("财务审核签字：__________")
    b.kv("打印时间", fmt_time(parse_time(require(d, "printTime", DAILY_TITLE), "printTime")))
    return b.finish()
